"""A synthetic demo station: 緑ケ丘警察署, one 交番 with three beats and one rural 駐在所.

Everything here is invented: the town (みどり町・桜町・川南町 around lon 140.87, lat 38.27 in
Miyagi), its streets, the river 白鷺川 with three bridges, the rail line with 緑ケ丘駅 and three
crossings, the village 上沢 a few kilometres north-west, and every household, business, name
and address (fake personal data for demonstrations and tests).

:func:`build_demo` is deterministic: it draws only from ``numpy.random.default_rng(seed)``, so
one seed always gives identical targets and another seed a different town.  It reads no file
but the built-in policy, writes none, and takes a second or two.

Layout (local metres, x east / y north of the origin): a sheared, jittered grid of 17 × 12
streets with blocks of 80–120 m; the river runs west–east between rows 2 and 3 (bridges at three
columns), the rail line runs south–north between columns 10 and 11 (two level crossings and the
arterial's underpass).  North-west of both is beat K1-1 (dense apartments by the station, the
over-loaded beat), north-east K1-2, south of the river K1-3.  The arterial みどり街道 (row 5)
leaves the town westwards and a prefectural road leads to the village, the centre of beat C1,
whose country roads fan out between scattered farms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import holidays
import networkx as nx
import numpy as np
import shapely
from osmnx.distance import great_circle
from shapely.geometry import LineString, MultiPoint

from planner.model import (
    Availability,
    Beat,
    Card,
    DutyType,
    Exemption,
    HouseholdType,
    Mode,
    Officer,
    OfficerDay,
    Post,
    PostKind,
    Station,
    Target,
    TargetKind,
)
from planner.policy import Policy, classify, load_policy

STATION_NAME = "緑ケ丘警察署"
POLICY = "miyagi"
DEMO_YEAR = 2027
"""The plan year the demo is made for: every last visit lies before it."""

LON0, LAT0 = 140.87, 38.27
"""Origin of the demo's local metric frame (the town centre)."""

KOBAN_ID, CHUZAISHO_ID = "K1", "C1"
KOBAN_BEATS = ("K1-1", "K1-2", "K1-3")
RURAL_BEAT = "C1"
BEAT_TOWNS = {"K1-1": "みどり町", "K1-2": "桜町", "K1-3": "川南町", "C1": "上沢"}

RIVER_Y = -250.0  # mean northing of the river 白鷺川
RAIL_X = 250.0  # easting of the rail line at y = 0
RAIL_TILT = 0.06  # the rail line (and the grid's columns) lean east by 6 m per 100 m north
NX_COLS, NY_ROWS = 17, 12
RAIL_AFTER_COL = 10  # the rail runs between grid columns 10 and 11
RIVER_AFTER_ROW = 2  # the river runs between grid rows 2 and 3
ARTERIAL_ROW = 5
STATION_ROW = 6
BRIDGES = {2: "しらさぎ橋", 7: "緑大橋", 13: "桜橋"}  # grid column -> bridge name
RAIL_CROSSINGS = {1: "level_crossing", ARTERIAL_ROW: "underpass", 9: "level_crossing"}
VILLAGE = (-3000.0, 2500.0)
CHOME_BLOCKS = 5  # a 丁目 spans up to 5 × 5 blocks

_PHI = math.radians(LAT0)
_M_PER_DEG_LAT = 111132.954 - 559.822 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)
_M_PER_DEG_LON = 111412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)

SURNAMES = (
    ("佐藤", 30),
    ("高橋", 18),
    ("鈴木", 14),
    ("阿部", 12),
    ("千葉", 11),
    ("伊藤", 10),
    ("佐々木", 10),
    ("菅原", 9),
    ("斎藤", 8),
    ("渡辺", 8),
    ("遠藤", 6),
    ("三浦", 6),
    ("後藤", 6),
    ("小野", 6),
    ("加藤", 5),
    ("及川", 5),
    ("菊地", 5),
    ("熊谷", 5),
    ("今野", 5),
    ("庄司", 4),
    ("大内", 4),
    ("木村", 4),
    ("村上", 4),
    ("武田", 4),
    ("山田", 4),
    ("吉田", 4),
    ("相沢", 3),
    ("早坂", 3),
    ("丹野", 3),
    ("我妻", 3),
    ("星", 3),
    ("桜井", 3),
    ("鎌田", 3),
    ("松本", 3),
    ("中村", 3),
    ("小林", 3),
    ("山本", 3),
    ("田中", 3),
    ("石川", 2),
    ("岩渕", 2),
)
GIVEN_NAMES = ("健太", "大輔", "翔太", "拓也", "誠", "浩二", "美咲", "直樹", "亮", "恵")
WORDS = (
    "緑ケ丘",
    "さくら",
    "ひまわり",
    "みどり",
    "アーバン",
    "シャトー",
    "エクセル",
    "フォレスト",
    "リバーサイド",
    "ステーション",
    "サンライズ",
    "アルカディア",
    "コスモ",
    "しらさぎ",
)
APARTMENT_PREFIXES = ("コーポ", "ハイツ", "メゾン", "サンハイツ", "レジデンス", "カーサ", "ヴィラ")
CONDO_PREFIXES = ("グランフォルム", "パークヒルズ", "アーバンテラス", "ミッドガーデン")
COMPANIES = ("みどり運輸", "東北精機", "北辰電子", "上沢建材", "白鷺工業", "桜ケ丘製作所")
OAZA = ("上沢", "下沢", "中沢", "北沢", "西沢", "大沢")
AZA = (
    "田中",
    "向田",
    "北原",
    "宮下",
    "川端",
    "堰下",
    "大坪",
    "柳沢",
    "清水",
    "杉ノ下",
    "前田",
    "寺前",
    "新田",
    "中島",
    "高畑",
    "石田",
    "松原",
    "谷地",
)
VILLAGE_AZA = ("町屋", "本郷", "宮前", "館下")

# category -> (別表 reason codes, name templates: {s} surname, {t} town, {w} word, {c} company)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "convenience": (("B4",), ("みどりマート{t}店", "デイリーショップ{t}店", "サンクスマート{t}店")),
    "supermarket": (("B4",), ("スーパーさくらや{t}店", "生鮮市場いちば{t}店")),
    "restaurant": (
        ("B4",),
        ("食堂{s}", "中華そば{s}", "居酒屋{w}", "寿司処{s}", "喫茶{w}", "焼肉{w}", "そば処{s}"),
    ),
    "karaoke": (("B4",), ("カラオケ{w}",)),
    "manga_cafe": (("B4",), ("まんが喫茶{w}",)),
    "drugstore": (("B4",), ("ドラッグ{w}{t}店",)),
    "bathhouse": (("B4",), ("{w}湯",)),
    "shop": (("B4",), ("{s}商店", "{s}酒店", "{s}青果店")),
    "real_estate": (("B1",), ("{s}不動産", "駅前ハウジング", "みどり住宅管理")),
    "dorm": (("B2",), ("{c} 社員寮",)),
    "construction": (("B3",), ("{c}建設 {t}新築工事 現場事務所",)),
    "petrol": (("B5",), ("みどり石油 {t}SS", "東北エナジー {t}SS")),
    "rental_car": (("B5",), ("{w}レンタカー 駅前店",)),
    "hotel": (("B6",), ("ホテル{w}", "ビジネスホテル{w}", "旅館{s}")),
    "inn": (("B6",), ("民宿{s}",)),
    "hospital": (("B7",), ("緑ケ丘総合病院",)),
    "bank": (("B7",), ("みどり信用金庫 本店", "東北ひかり銀行 緑ケ丘支店")),
    "post_office": (("B7",), ("{t}郵便局",)),
    "rail_station": (("B8",), ("緑ケ丘駅",)),
    "school": (("B8",), ("{t}小学校", "{t}中学校")),
    "nursery": (("B8",), ("{t}保育所",)),
    "office": ((), ("{s}税理士事務所", "{s}建築設計事務所", "{s}工務店", "{c}営業所", "学習塾{w}")),
    "clinic": ((), ("{s}歯科医院", "{s}内科クリニック", "{s}整骨院")),
    "salon": ((), ("美容室{w}", "理容{s}")),
    "farm_coop": ((), ("農協みどり {t}支所",)),
    "sawmill": ((), ("{s}製材所",)),
}

# beat -> (category, count, placement): main = on a main road (village street for C1),
# station = near 緑ケ丘駅, any = anywhere in the beat
# fmt: off
BUSINESSES: dict[str, tuple[tuple[str, int, str], ...]] = {
    "K1-1": (
        ("rail_station", 1, "at_station"), ("convenience", 3, "main"), ("supermarket", 1, "main"),
        ("restaurant", 14, "main"), ("karaoke", 1, "main"), ("manga_cafe", 1, "station"),
        ("drugstore", 1, "main"), ("bathhouse", 1, "any"), ("petrol", 1, "main"),
        ("hotel", 2, "station"), ("bank", 2, "station"), ("post_office", 1, "station"),
        ("real_estate", 3, "station"), ("rental_car", 1, "station"), ("hospital", 1, "any"),
        ("school", 1, "any"), ("nursery", 1, "any"), ("office", 22, "any"), ("clinic", 5, "any"),
        ("salon", 6, "any"), ("shop", 4, "any"), ("dorm", 1, "any"),
    ),
    "K1-2": (
        ("convenience", 2, "main"), ("supermarket", 1, "main"), ("restaurant", 8, "main"),
        ("drugstore", 1, "main"), ("petrol", 1, "main"), ("hotel", 1, "station"),
        ("real_estate", 1, "station"), ("construction", 1, "any"), ("school", 1, "any"),
        ("office", 18, "any"), ("clinic", 3, "any"), ("salon", 4, "any"), ("shop", 3, "any"),
        ("dorm", 1, "any"),
    ),
    "K1-3": (
        ("convenience", 2, "main"), ("restaurant", 5, "main"), ("petrol", 1, "main"),
        ("post_office", 1, "main"), ("construction", 1, "any"), ("real_estate", 1, "any"),
        ("nursery", 1, "any"), ("school", 1, "any"), ("office", 15, "any"), ("clinic", 2, "any"),
        ("salon", 3, "any"), ("shop", 3, "any"),
    ),
    "C1": (
        ("post_office", 1, "main"), ("shop", 2, "main"), ("farm_coop", 1, "main"),
        ("school", 1, "main"), ("inn", 1, "any"), ("restaurant", 1, "any"),
        ("office", 2, "any"), ("sawmill", 1, "any"),
    ),
}
# fmt: on

# beat -> (apartment units, building size mix (small, medium, large), detached houses): ranges
# drawn per seed; apartment buildings are added until the drawn number of units is reached
HOUSING: dict[str, tuple[tuple[int, int], tuple[float, float, float], tuple[int, int]]] = {
    "K1-1": ((680, 761), (0.55, 0.28, 0.17), (400, 441)),
    "K1-2": ((220, 281), (0.75, 0.20, 0.05), (430, 471)),
    "K1-3": ((90, 131), (0.75, 0.20, 0.05), (440, 481)),
}
PUBLIC_HOUSING = ("K1-3", (4, 6), (16, 33))  # beat, buildings, units per building
RURAL_HOUSES = (330, 371)

# setting -> shares of elderly, family, dual_earner, single_worker
TYPE_SHARES: dict[str, tuple[float, float, float, float]] = {
    "house": (0.20, 0.40, 0.32, 0.08),
    "farm": (0.38, 0.40, 0.17, 0.05),
    "apartment": (0.08, 0.17, 0.30, 0.45),
    "condo": (0.15, 0.30, 0.40, 0.15),
    "public": (0.35, 0.30, 0.15, 0.20),
    "dorm": (0.0, 0.0, 0.0, 1.0),
}
HOUSEHOLD_TYPES = (
    HouseholdType.ELDERLY,
    HouseholdType.FAMILY,
    HouseholdType.DUAL_EARNER,
    HouseholdType.SINGLE_WORKER,
)
# setting -> (reason every household of that setting may have, its probability)
BASE_REASON: dict[str, tuple[str, float]] = {
    "house": ("H2", 0.05),  # 貸家
    "farm": ("H2", 0.0),
    "apartment": ("H2", 1.0),  # 賃貸アパート
    "condo": ("H2", 0.25),  # 分譲マンション, some units let
    "public": ("H1", 1.0),  # 県営住宅
    "dorm": ("H2", 1.0),
}
ELDERLY_H3 = 0.9  # elderly living alone or as a couple
EXTRA_REASONS = (
    ("H4", 0.012),
    ("H5", 0.006),
    ("H6", 0.006),
    ("H7", 0.012),
    ("H8", 0.003),
    ("H9", 0.005),
    ("H10", 0.003),
)
EXTRA_FACTOR = {
    "house": 1.0,
    "farm": 2.0,
    "apartment": 0.3,
    "condo": 0.7,
    "public": 1.0,
    "dorm": 0.0,
}
NEVER_MET = {"house": 0.05, "farm": 0.03, "apartment": 0.13, "condo": 0.10, "public": 0.06}
NEVER_MET.update({"dorm": 0.20, "business": 0.05})
PROVISIONAL = {"apartment": 0.06, "dorm": 0.06}
PROVISIONAL_DEFAULT = 0.04
# availability (day, evening, any, unknown) by household type
AVAILABILITY_SHARES: dict[HouseholdType, tuple[float, float, float, float]] = {
    HouseholdType.ELDERLY: (0.45, 0.05, 0.40, 0.10),
    HouseholdType.FAMILY: (0.25, 0.25, 0.25, 0.25),
    HouseholdType.DUAL_EARNER: (0.10, 0.50, 0.10, 0.30),
    HouseholdType.SINGLE_WORKER: (0.05, 0.45, 0.05, 0.45),
    HouseholdType.BUSINESS: (0.70, 0.0, 0.20, 0.10),
}
AVAILABILITIES = (Availability.DAY, Availability.EVENING, Availability.ANY, Availability.UNKNOWN)
FIRST_VISIT, LAST_VISIT = date(2023, 1, 1), date(2026, 11, 30)


# --------------------------------------------------------------------------- geometry helpers


def lonlat_from_xy(x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of local demo coordinates (metres east and north of ``LON0, LAT0``)."""
    return LON0 + np.asarray(x) / _M_PER_DEG_LON, LAT0 + np.asarray(y) / _M_PER_DEG_LAT


def _to_lonlat(coords: np.ndarray) -> np.ndarray:
    lon, lat = lonlat_from_xy(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _river_y(x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return RIVER_Y + 14.0 * np.sin(x / 170.0) + 6.0 * np.sin(x / 61.0)


def _rail_x(y: np.ndarray | float) -> np.ndarray:
    return RAIL_X + RAIL_TILT * np.asarray(y, dtype=float)


def _river_xy() -> LineString:
    xs = np.arange(-2600.0, 2601.0, 20.0)
    return LineString(np.column_stack([xs, _river_y(xs)]))


def _rail_xy() -> LineString:
    ys = np.array([-3000.0, 4500.0])
    return LineString(np.column_stack([_rail_x(ys), ys]))


def river_line() -> LineString:
    """The river 白鷺川 as a lon/lat line (only the bridges cross it)."""
    return shapely.transform(_river_xy(), _to_lonlat)


def rail_line() -> LineString:
    """The rail line as a lon/lat line (crossed at two level crossings and one underpass)."""
    return shapely.transform(_rail_xy(), _to_lonlat)


# --------------------------------------------------------------------------- streets


@dataclass
class _Net:
    """Streets under construction, in local metres; node ids are list positions."""

    xy: list[tuple[float, float]] = field(default_factory=list)
    edges: dict[tuple[int, int], dict[str, str]] = field(default_factory=dict)

    def add_node(self, x: float, y: float) -> int:
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def add_edge(self, a: int, b: int, **attrs: str) -> None:
        self.edges.setdefault((min(a, b), max(a, b)), attrs)


@dataclass(frozen=True)
class _Frontage:
    """A street segment houses can face: cells (left, right) for addresses, or a rural 字."""

    a: int
    b: int
    cells: tuple[tuple[int, int], tuple[int, int]] | None
    main: bool
    rural: tuple[str, str] | None = None
    spacing: tuple[float, float] = (13.0, 19.0)


@dataclass
class _Town:
    net: _Net
    grid: dict[tuple[int, int], int]
    frontages: list[_Frontage]

    @property
    def station(self) -> tuple[float, float]:
        """緑ケ丘駅: between the rail and grid column 10, on row 6."""
        _, y = self.net.xy[self.grid[RAIL_AFTER_COL, STATION_ROW]]
        return float(_rail_x(y)) - 18.0, y


def _axis(rng: np.random.Generator, start: float, n_before: int, n_after: int) -> np.ndarray:
    """Grid line positions around a divide (river or rail): first lines 42–55 m from it."""
    lower = (
        start
        - rng.uniform(42.0, 55.0)
        - np.concatenate([[0.0], np.cumsum(rng.uniform(80.0, 120.0, n_before - 1))])
    )
    upper = (
        start
        + rng.uniform(42.0, 55.0)
        + np.concatenate([[0.0], np.cumsum(rng.uniform(80.0, 120.0, n_after - 1))])
    )
    return np.concatenate([lower[::-1], upper])


def _town_grid(rng: np.random.Generator, net: _Net) -> dict[tuple[int, int], int]:
    cols = _axis(rng, RAIL_X, RAIL_AFTER_COL + 1, NX_COLS - RAIL_AFTER_COL - 1)
    rows = _axis(rng, RIVER_Y, RIVER_AFTER_ROW + 1, NY_ROWS - RIVER_AFTER_ROW - 1)
    jitter = np.clip(rng.normal(0.0, 5.0, (NX_COLS, NY_ROWS, 2)), -10.0, 10.0)
    grid = {}
    for j in range(NY_ROWS):
        for i in range(NX_COLS):
            x = cols[i] + RAIL_TILT * rows[j] + jitter[i, j, 0]
            grid[i, j] = net.add_node(x, rows[j] + jitter[i, j, 1])
    return grid


def _street_kind(i: int, j: int, horizontal: bool) -> tuple[str, str]:
    """``highway`` and ``name`` of the grid street leaving node (i, j) east or north."""
    if horizontal and j == ARTERIAL_ROW:
        return "primary", "みどり街道"
    if horizontal and j == 1:
        return "tertiary", "川南通り"
    if not horizontal and i == 5 and j > RIVER_AFTER_ROW:
        return "tertiary", "中央通り"
    if not horizontal and i in BRIDGES:
        return "tertiary", ""
    return "residential", ""


def _grid_streets(rng: np.random.Generator, town: _Town) -> list[tuple[int, int]]:
    """Add the grid's streets, bridges and rail crossings; return the links left out."""
    net, grid = town.net, town.grid
    dropped = []
    for j in range(NY_ROWS):
        for i in range(NX_COLS):
            for di, dj in ((1, 0), (0, 1)):
                if (i + di, j + dj) not in grid:
                    continue
                horizontal = di == 1
                a, b = grid[i, j], grid[i + di, j + dj]
                highway, name = _street_kind(i, j, horizontal)
                attrs = {"highway": highway} | ({"name": name} if name else {})
                if horizontal and i == RAIL_AFTER_COL:
                    if j not in RAIL_CROSSINGS:
                        continue
                    crossing = RAIL_CROSSINGS[j]
                    extra = {"tunnel": "yes"} if crossing == "underpass" else {}
                    net.add_edge(a, b, **attrs, railway=crossing, **extra)
                    continue
                if not horizontal and j == RIVER_AFTER_ROW:
                    if i in BRIDGES:
                        net.add_edge(a, b, **{**attrs, "bridge": "yes", "name": BRIDGES[i]})
                    continue
                if highway == "residential" and rng.random() < 0.06:
                    dropped.append((a, b))
                    continue
                net.add_edge(a, b, **attrs)
                cells = ((i, j), (i, j - 1)) if horizontal else ((i - 1, j), (i, j))
                town.frontages.append(_Frontage(a, b, cells, highway != "residential"))
    return dropped


def _diagonals(rng: np.random.Generator, town: _Town) -> None:
    """Three old diagonal roads (旧道) cutting through blocks corner to corner."""
    areas = (
        (range(0, 7), range(RIVER_AFTER_ROW + 1, 8), 3),
        (range(RAIL_AFTER_COL + 1, NX_COLS - 3), range(RIVER_AFTER_ROW + 1, 8), 3),
        (range(0, RAIL_AFTER_COL - 2), range(0, 1), 2),
    )
    for cols, rows, steps in areas:
        i0, j0 = int(rng.choice(list(cols))), int(rng.choice(list(rows)))
        rising = bool(rng.random() < 0.5)
        for k in range(steps):
            ia, ib = (i0 + k, i0 + k + 1) if rising else (i0 + steps - k, i0 + steps - k - 1)
            a, b = town.grid[ia, j0 + k], town.grid[ib, j0 + k + 1]
            town.net.add_edge(a, b, highway="tertiary", name="旧道")
            cell = (min(ia, ib), j0 + k)
            town.frontages.append(_Frontage(a, b, (cell, cell), True))


def _components(net: _Net) -> nx.Graph:
    H = nx.Graph()
    H.add_nodes_from(range(len(net.xy)))
    H.add_edges_from(net.edges)
    return H


def _reconnect(net: _Net, dropped: Sequence[tuple[int, int]]) -> None:
    """Put left-out links back where they are needed to keep the streets connected.

    A link put back gets no frontage: no houses face it (a gap in the row of houses).
    """
    H = _components(net)
    for a, b in dropped:
        if not nx.has_path(H, a, b):
            net.add_edge(a, b, highway="residential")
            H.add_edge(a, b)


def _arterial_and_link(rng: np.random.Generator, town: _Town) -> int:
    """Extend みどり街道 out of town and build the prefectural road to the village.

    Returns the node where the prefectural road reaches the village.
    """
    net, grid = town.net, town.grid
    west, east = grid[0, ARTERIAL_ROW], grid[NX_COLS - 1, ARTERIAL_ROW]
    prev = west
    for _ in range(3):
        x, y = net.xy[prev]
        node = net.add_node(x - rng.uniform(300.0, 380.0), y + rng.normal(0.0, 15.0))
        net.add_edge(prev, node, highway="primary", name="みどり街道")
        prev = node
    prev_east = east
    for _ in range(2):
        x, y = net.xy[prev_east]
        node = net.add_node(x + rng.uniform(300.0, 380.0), y + rng.normal(0.0, 15.0))
        net.add_edge(prev_east, node, highway="primary", name="みどり街道")
        prev_east = node
    start = np.array(net.xy[prev])
    end = np.array(VILLAGE) + np.array([180.0, -180.0])
    n = int(np.linalg.norm(end - start) // 220.0) + 1
    normal = np.array([-(end - start)[1], (end - start)[0]]) / np.linalg.norm(end - start)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    for k in range(1, n + 1):
        f = k / n
        bend = 60.0 * math.sin(2.0 * math.pi * f + phase) * math.sin(math.pi * f)
        x, y = start + (end - start) * f + normal * bend
        node = net.add_node(x, y)
        net.add_edge(prev, node, highway="secondary", name="県道上沢緑ケ丘線")
        prev = node
    return prev


def _village(rng: np.random.Generator, town: _Town, link_end: int) -> list[int]:
    """The village grid of 上沢 (4 × 4 streets); returns its nodes."""
    net = town.net
    vx, vy = VILLAGE
    xs = vx - 165.0 + np.concatenate([[0.0], np.cumsum(rng.uniform(90.0, 130.0, 3))])
    ys = vy - 165.0 + np.concatenate([[0.0], np.cumsum(rng.uniform(90.0, 130.0, 3))])
    nodes = {}
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            nodes[i, j] = net.add_node(x + rng.normal(0.0, 6.0), y + rng.normal(0.0, 6.0))
    for (i, j), a in nodes.items():
        for di, dj in ((1, 0), (0, 1)):
            b = nodes.get((i + di, j + dj))
            if b is None:
                continue
            net.add_edge(a, b, highway="residential")
            aza = VILLAGE_AZA[(i >= 2) + 2 * (j >= 2)]
            town.frontages.append(_Frontage(a, b, None, True, (OAZA[0], aza)))
    corner = nodes[3, 0]
    net.add_edge(link_end, corner, highway="secondary", name="県道上沢緑ケ丘線")
    return list(nodes.values())


def _nearest(net: _Net, nodes: list[int], point: np.ndarray) -> int:
    """The node of ``nodes`` nearest to ``point`` (the first of equals)."""
    return min(nodes, key=lambda n: float(np.hypot(*(np.array(net.xy[n]) - point))))


def _country_roads(rng: np.random.Generator, town: _Town, village: list[int]) -> None:
    """Five country roads fanning out of the village and two farm tracks."""
    net = town.net
    vx, vy = VILLAGE
    tracks_from = []
    for k, angle in enumerate((20.0, 90.0, 150.0, 210.0, 250.0)):
        target = np.array([vx, vy]) + 300.0 * np.array(
            [math.cos(math.radians(angle)), math.sin(math.radians(angle))]
        )
        prev = _nearest(net, village, target)
        oaza = OAZA[k + 1]
        azas = [str(a) for a in rng.choice(AZA, size=4, replace=False)]
        heading = angle
        for step in range(int(rng.integers(7, 11))):
            heading = float(np.clip(heading + rng.normal(0.0, 5.0), angle - 12.0, angle + 12.0))
            length = rng.uniform(150.0, 220.0)
            x, y = net.xy[prev]
            node = net.add_node(
                x + length * math.cos(math.radians(heading)),
                y + length * math.sin(math.radians(heading)),
            )
            net.add_edge(prev, node, highway="unclassified")
            town.frontages.append(
                _Frontage(prev, node, None, False, (oaza, azas[step // 3]), (22.0, 45.0))
            )
            if step in (2, 5) and k in (1, 3):
                tracks_from.append((node, heading, oaza, azas[step // 3]))
            prev = node
    for node, heading, oaza, aza in tracks_from:
        side = heading + (90.0 if rng.random() < 0.5 else -90.0)
        prev = node
        for _ in range(3):
            x, y = net.xy[prev]
            length = rng.uniform(110.0, 150.0)
            nxt = net.add_node(
                x + length * math.cos(math.radians(side)), y + length * math.sin(math.radians(side))
            )
            net.add_edge(prev, nxt, highway="track")
            town.frontages.append(_Frontage(prev, nxt, None, False, (oaza, aza), (25.0, 50.0)))
            prev = nxt


def _streets(rng: np.random.Generator) -> _Town:
    """The whole street network of the demo in local metres, with its built-up frontages."""
    net = _Net()
    town = _Town(net, _town_grid(rng, net), [])
    dropped = _grid_streets(rng, town)
    _diagonals(rng, town)
    _reconnect(net, dropped)
    link_end = _arterial_and_link(rng, town)
    village = _village(rng, town, link_end)
    _country_roads(rng, town, village)
    return town


def _graph_from_net(net: _Net, *, seed: int) -> nx.MultiDiGraph:
    """An OSMnx-style graph (both directions, lengths in metres) of the local streets."""
    xy = np.asarray(net.xy)
    lon, lat = lonlat_from_xy(xy[:, 0], xy[:, 1])
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    G = nx.MultiDiGraph(crs="EPSG:4326", name=f"みどり町 demo (seed {seed})")
    for n in range(len(xy)):
        G.add_node(n + 1, x=float(lon[n]), y=float(lat[n]))
    pairs = np.asarray(list(net.edges), dtype=np.int64)
    lengths = great_circle(lat[pairs[:, 0]], lon[pairs[:, 0]], lat[pairs[:, 1]], lon[pairs[:, 1]])
    for k, ((a, b), attrs) in enumerate(net.edges.items()):
        length = round(float(lengths[k]), 3)
        common = {"osmid": k + 1, "length": length, "oneway": False, **attrs}
        G.add_edge(a + 1, b + 1, key=0, reversed=False, **common)
        G.add_edge(b + 1, a + 1, key=0, reversed=True, **common)
    if not nx.is_weakly_connected(G):  # pragma: no cover - the layout guarantees it
        raise RuntimeError("demo streets are not connected")
    return G


# --------------------------------------------------------------------------- lots and addresses


@dataclass
class _Lot:
    """A place a building can stand: beside a street, 10–30 m back from it."""

    x: float
    y: float
    cell: tuple[int, int] | None
    main: bool
    rural: tuple[str, str] | None
    beat: str = ""
    address: str = ""


def _lots(rng: np.random.Generator, town: _Town) -> list[_Lot]:
    """Lots along every frontage, both sides, dropped where they would touch river or rail."""
    lots, feet = [], []
    for f in town.frontages:
        a, b = np.array(town.net.xy[f.a]), np.array(town.net.xy[f.b])
        length = float(np.linalg.norm(b - a))
        d = (b - a) / length
        left = np.array([-d[1], d[0]])
        for side, cell_index in ((1.0, 0), (-1.0, 1)):
            t = rng.uniform(16.0, 24.0)
            while t < length - 16.0:
                foot = a + d * t
                x, y = foot + left * side * rng.uniform(10.0, 28.0)
                cell = f.cells[cell_index] if f.cells else None
                lots.append(_Lot(float(x), float(y), cell, f.main, f.rural))
                feet.append(foot)
                t += rng.uniform(*f.spacing)
    return _keep_clear(lots, np.asarray(feet))


def _keep_clear(lots: list[_Lot], feet: np.ndarray) -> list[_Lot]:
    """Drop lots within 15 m of the river or 12 m of the rail, or across them from their street."""
    xy = np.array([(lot.x, lot.y) for lot in lots])
    pts = shapely.points(xy)
    drives = shapely.linestrings(np.stack([feet, xy], axis=1))
    river, rail = _river_xy(), _rail_xy()
    ok = (shapely.distance(pts, river) > 15.0) & (shapely.distance(pts, rail) > 12.0)
    ok &= ~shapely.intersects(drives, river) & ~shapely.intersects(drives, rail)
    return [lot for lot, keep in zip(lots, ok, strict=True) if keep]


def _beat_of(lot: _Lot) -> str:
    if lot.rural is not None:
        return RURAL_BEAT
    if lot.y < float(_river_y(lot.x)):
        return "K1-3"
    return "K1-1" if lot.x < float(_rail_x(lot.y)) else "K1-2"


def _town_addresses(lots: list[_Lot], beat: str) -> None:
    """住居表示 addresses: 丁目 = up to 5 × 5 blocks, 番 = block, 号 = clockwise round the block."""
    town = BEAT_TOWNS[beat]
    mine = [(lot, lot.cell) for lot in lots if lot.beat == beat and lot.cell is not None]
    cells = sorted({cell for _, cell in mine})
    ci0 = min(c[0] for c in cells)
    cj0 = min(c[1] for c in cells)

    def zone(c: tuple[int, int]) -> tuple[int, int]:
        return (c[0] - ci0) // CHOME_BLOCKS, (c[1] - cj0) // CHOME_BLOCKS

    zones = sorted({zone(c) for c in cells}, key=lambda z: (-z[1], z[0]))
    chome = {z: k + 1 for k, z in enumerate(zones)}
    ban: dict[tuple[int, int], int] = {}
    for z in zones:
        in_zone = sorted((c for c in cells if zone(c) == z), key=lambda c: (-c[1], c[0]))
        ban.update({c: k + 1 for k, c in enumerate(in_zone)})
    by_cell: dict[tuple[int, int], list[_Lot]] = {}
    for lot, cell in mine:
        by_cell.setdefault(cell, []).append(lot)
    for cell, members in by_cell.items():
        cx = float(np.mean([m.x for m in members]))
        cy = float(np.mean([m.y for m in members]))
        members.sort(key=lambda m: math.atan2(m.x - cx, m.y - cy) % (2.0 * math.pi))
        for go, lot in enumerate(members, start=1):
            lot.address = f"{town}{chome[zone(cell)]}丁目{ban[cell]}番{go}号"


def _rural_addresses(rng: np.random.Generator, lots: list[_Lot]) -> None:
    """大字・字・番地 addresses, numbered along the road within each 字."""
    counters: dict[tuple[str, str], int] = {}
    for lot in lots:
        if lot.rural is None:
            continue
        number = counters.get(lot.rural, int(rng.integers(1, 20)) - 1) + int(rng.integers(1, 8))
        counters[lot.rural] = number
        lot.address = f"大字{lot.rural[0]}字{lot.rural[1]}{number}番地"


def _lots_with_addresses(rng: np.random.Generator, town: _Town) -> list[_Lot]:
    lots = _lots(rng, town)
    for lot in lots:
        lot.beat = _beat_of(lot)
    for beat in KOBAN_BEATS:
        _town_addresses(lots, beat)
    _rural_addresses(rng, lots)
    return lots


# --------------------------------------------------------------------------- buildings


@dataclass
class _Building:
    lot: _Lot
    kind: str  # house, farm, apartment, condo, public, dorm, or a business category
    name: str = ""
    units: int = 1
    floors: int = 1


@dataclass
class _Names:
    """Draws invented names from the seeded generator."""

    rng: np.random.Generator
    used: set[str] = field(default_factory=set)
    surnames: tuple[str, ...] = tuple(s for s, _ in SURNAMES)
    weights: np.ndarray = field(
        default_factory=lambda: (
            np.array([w for _, w in SURNAMES], float) / sum(w for _, w in SURNAMES)
        )
    )

    def surname(self) -> str:
        return self.surnames[int(self.rng.choice(len(self.surnames), p=self.weights))]

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def business(self, category: str, town: str) -> str:
        """A business name not given yet (a chain's second branch gets a number)."""
        for _ in range(8):
            template = self.pick(CATEGORIES[category][1])
            name = template.format(
                s=self.surname(), t=town, w=self.pick(WORDS), c=self.pick(COMPANIES)
            )
            if name not in self.used:
                break
        base, k = name, 1
        while name in self.used:
            k += 1
            name = f"{base} {k}号店"
        self.used.add(name)
        return name

    def apartment(self, kind: str) -> str:
        prefixes = CONDO_PREFIXES if kind == "condo" else APARTMENT_PREFIXES
        tail = self.surname() if self.rng.random() < 0.3 else self.pick(WORDS)
        return f"{self.pick(prefixes)}{tail}"


def _choose(rng: np.random.Generator, free: np.ndarray, weights: np.ndarray, k: int) -> list[int]:
    """``k`` free lots drawn without replacement with the given weights; marks them taken."""
    w = np.where(free, weights, 0.0)
    k = min(k, int(np.count_nonzero(w)))
    if k == 0:
        return []
    chosen = rng.choice(len(w), size=k, replace=False, p=w / w.sum())
    free[chosen] = False
    return [int(c) for c in chosen]


def _placement_weights(
    lots: list[_Lot], placement: str, station: tuple[float, float]
) -> np.ndarray:
    sx, sy = station
    dist = np.array([math.hypot(lot.x - sx, lot.y - sy) for lot in lots])
    if placement == "at_station":
        return np.exp(-(dist - dist.min()) / 5.0) + 1e-12
    if placement == "station":
        return np.exp(-dist / 200.0) + 1e-9
    if placement == "main":
        main = np.array([lot.main for lot in lots], dtype=float)
        return main if main.any() else np.ones(len(lots))
    return np.ones(len(lots))


def _businesses(
    rng: np.random.Generator,
    names: _Names,
    beat: str,
    lots: list[_Lot],
    free: np.ndarray,
    *,
    station: tuple[float, float],
) -> list[_Building]:
    """The beat's businesses (table :data:`BUSINESSES`) on free lots."""
    out = []
    for category, count, placement in BUSINESSES[beat]:
        weights = _placement_weights(lots, placement, station)
        for i in _choose(rng, free, weights, count):
            name = names.business(category, BEAT_TOWNS[beat])
            if category == "dorm":
                units = int(rng.integers(8, 17))
                out.append(_Building(lots[i], "dorm", name, units, 2))
            else:
                out.append(_Building(lots[i], category, name))
    return out


def _apartment_size(rng: np.random.Generator, mix: tuple[float, float, float]) -> tuple[int, int]:
    size = int(rng.choice(3, p=np.array(mix) / sum(mix)))
    if size == 0:
        return int(rng.integers(4, 13)), 2
    if size == 1:
        return int(rng.integers(12, 25)), int(rng.integers(3, 6))
    return int(rng.integers(24, 41)), int(rng.integers(5, 11))


def _housing(
    rng: np.random.Generator,
    names: _Names,
    beat: str,
    lots: list[_Lot],
    free: np.ndarray,
    *,
    station: tuple[float, float],
) -> list[_Building]:
    """Public housing (K1-3), apartment buildings (denser near the station) and houses."""
    out = []
    if beat == PUBLIC_HOUSING[0]:
        centre = lots[int(rng.integers(len(lots)))]
        dist = np.array([math.hypot(lot.x - centre.x, lot.y - centre.y) for lot in lots])
        n_public = int(rng.integers(*PUBLIC_HOUSING[1]))
        for k, i in enumerate(_choose(rng, free, np.exp(-dist / 40.0) + 1e-12, n_public)):
            units = int(rng.integers(*PUBLIC_HOUSING[2]))
            name = f"県営川南住宅{k + 1}号棟"
            out.append(_Building(lots[i], "public", name, units, int(rng.integers(3, 5))))
    unit_range, mix, n_houses = HOUSING[beat]
    sx, sy = station
    near_station = np.exp(-np.array([math.hypot(lot.x - sx, lot.y - sy) for lot in lots]) / 450.0)
    wanted, units_so_far = int(rng.integers(*unit_range)), 0
    while units_so_far < wanted and (chosen := _choose(rng, free, near_station, 1)):
        units, floors = _apartment_size(rng, mix)
        units = min(units, max(4, wanted - units_so_far))
        kind = "condo" if units >= 24 and rng.random() < 0.4 else "apartment"
        out.append(_Building(lots[chosen[0]], kind, names.apartment(kind), units, floors))
        units_so_far += units
    quiet = np.array([0.4 if lot.main else 1.0 for lot in lots])
    for i in _choose(rng, free, quiet, int(rng.integers(*n_houses))):
        out.append(_Building(lots[i], "house"))
    return out


def _rural_housing(rng: np.random.Generator, lots: list[_Lot], free: np.ndarray) -> list[_Building]:
    """Farms clustered in hamlets along the country roads, houses in the village."""
    pts = np.array([(lot.x, lot.y) for lot in lots])
    country = np.flatnonzero([not lot.main for lot in lots])
    hamlets = pts[rng.choice(country, size=min(12, len(country)), replace=False)]
    dx = pts[:, 0, None] - hamlets[None, :, 0]
    dy = pts[:, 1, None] - hamlets[None, :, 1]
    nearest = np.hypot(dx, dy).min(axis=1)
    weights = np.where([lot.main for lot in lots], 1.5, 0.12 + np.exp(-((nearest / 120.0) ** 2)))
    chosen = _choose(rng, free, weights, int(rng.integers(*RURAL_HOUSES)))
    return [_Building(lots[i], "house" if lots[i].main else "farm") for i in chosen]


def _buildings(
    rng: np.random.Generator, lots: list[_Lot], *, station: tuple[float, float]
) -> dict[str, list[_Building]]:
    """Every building with targets, by beat, in address order."""
    names = _Names(rng)
    out = {}
    for beat in (*KOBAN_BEATS, RURAL_BEAT):
        mine = [lot for lot in lots if lot.beat == beat]
        free = np.ones(len(mine), dtype=bool)
        buildings = _businesses(rng, names, beat, mine, free, station=station)
        if beat == RURAL_BEAT:
            buildings += _rural_housing(rng, mine, free)
        else:
            buildings += _housing(rng, names, beat, mine, free, station=station)
        order = {id(lot): k for k, lot in enumerate(mine)}
        out[beat] = sorted(buildings, key=lambda b: order[id(b.lot)])
    return out


# --------------------------------------------------------------------------- targets


@dataclass
class _TargetMaker:
    """Turns buildings into register entries (one per household or business)."""

    rng: np.random.Generator
    policy: Policy
    names: _Names
    targets: list[Target] = field(default_factory=list)
    buildings: int = 0

    def _share(self, shares: Sequence[float]) -> int:
        return int(self.rng.choice(len(shares), p=np.array(shares) / sum(shares)))

    def _date(self, first: date, last: date) -> date:
        return first + timedelta(days=int(self.rng.integers(0, (last - first).days + 1)))

    def _card(self, setting: str, tier: str) -> tuple[Card, date | None]:
        r = self.rng.random()
        if r < NEVER_MET[setting]:
            return Card.NONE, None
        if r < NEVER_MET[setting] + PROVISIONAL.get(setting, PROVISIONAL_DEFAULT):
            if self.rng.random() < 0.6:
                return Card.PROVISIONAL, None
            return Card.PROVISIONAL, self._date(FIRST_VISIT, date(2024, 12, 31))
        if tier == self.policy.tier_codes[0] and self.rng.random() < 0.55:
            return Card.FULL, self._date(date(2026, 1, 1), LAST_VISIT)
        return Card.FULL, self._date(FIRST_VISIT, LAST_VISIT)

    def _availability(self, card: Card, household_type: HouseholdType) -> Availability:
        if card is not Card.FULL:
            return Availability.UNKNOWN
        return AVAILABILITIES[self._share(AVAILABILITY_SHARES[household_type])]

    def _reasons(self, setting: str, household_type: HouseholdType) -> tuple[str, ...]:
        codes = []
        base, p = BASE_REASON[setting]
        if self.rng.random() < p:
            codes.append(base)
        if household_type is HouseholdType.ELDERLY and self.rng.random() < ELDERLY_H3:
            codes.append("H3")
        for code, q in EXTRA_REASONS:
            if self.rng.random() < q * EXTRA_FACTOR[setting]:
                codes.append(code)
        return tuple(sorted(set(codes), key=lambda c: int(c[1:])))

    def _common(self, beat: str, building: _Building, building_id: str) -> dict:
        lon, lat = lonlat_from_xy(building.lot.x, building.lot.y)
        return {
            "target_id": f"T{len(self.targets) + 1:05d}",
            "beat_id": beat,
            "lon": round(float(lon), 7),
            "lat": round(float(lat), 7),
            "building_id": building_id,
        }

    def household(self, beat: str, building: _Building, building_id: str, address: str) -> None:
        """One household of a house, farm or apartment building."""
        setting = building.kind
        household_type = HOUSEHOLD_TYPES[self._share(TYPE_SHARES[setting])]
        reasons = self._reasons(setting, household_type)
        tier = classify(TargetKind.HOUSEHOLD, reasons, self.policy)
        card, last_visit = self._card(setting, tier)
        self.targets.append(
            Target(
                **self._common(beat, building, building_id),
                kind=TargetKind.HOUSEHOLD,
                address=address,
                tier=tier,
                reasons=reasons,
                last_visit=last_visit,
                card=card,
                availability=self._availability(card, household_type),
                household_type=household_type,
                visit_minutes=int(self.rng.integers(5, 11)) if card is Card.FULL else 15,
                name=f"{self.names.surname()}方",
            )
        )

    def business(self, beat: str, building: _Building, building_id: str) -> None:
        """The business (or company dorm) standing on a lot."""
        reasons = CATEGORIES[building.kind][0]
        tier = classify(TargetKind.BUSINESS, reasons, self.policy)
        card, last_visit = self._card("business", tier)
        self.targets.append(
            Target(
                **self._common(beat, building, building_id),
                kind=TargetKind.BUSINESS,
                address=building.lot.address,
                tier=tier,
                reasons=reasons,
                last_visit=last_visit,
                card=card,
                availability=self._availability(card, HouseholdType.BUSINESS),
                household_type=HouseholdType.BUSINESS,
                visit_minutes=10,
                name=building.name,
            )
        )

    def building(self, beat: str, building: _Building) -> None:
        """All targets of one building: a household, a business, or units (and a dorm's company)."""
        self.buildings += 1
        building_id = f"BLD{self.buildings:05d}"
        if building.kind in ("house", "farm"):
            self.household(beat, building, building_id, building.lot.address)
            return
        if building.kind not in ("apartment", "condo", "public", "dorm"):
            self.business(beat, building, building_id)
            return
        if building.kind == "dorm":
            self.business(beat, building, building_id)
        for room in _rooms(building.units, building.floors):
            address = f"{building.lot.address} {building.name} {room}号室"
            self.household(beat, building, building_id, address)


def _rooms(units: int, floors: int) -> list[str]:
    """Room numbers 101, 102, …, 201, … for ``units`` units over ``floors`` floors."""
    per_floor = math.ceil(units / floors)
    return [f"{u // per_floor + 1}{u % per_floor + 1:02d}" for u in range(units)]


# --------------------------------------------------------------------------- posts, beats, people


def _posts(town: _Town) -> list[Post]:
    kx, ky = town.net.xy[town.grid[RAIL_AFTER_COL, STATION_ROW]]
    klon, klat = lonlat_from_xy(kx + 14.0, ky - 12.0)
    clon, clat = lonlat_from_xy(VILLAGE[0] + 15.0, VILLAGE[1] + 12.0)
    return [
        Post(
            KOBAN_ID,
            "緑ケ丘駅前交番",
            PostKind.KOBAN,
            round(float(klon), 7),
            round(float(klat), 7),
            STATION_NAME,
        ),
        Post(
            CHUZAISHO_ID,
            "上沢駐在所",
            PostKind.CHUZAISHO,
            round(float(clon), 7),
            round(float(clat), 7),
            STATION_NAME,
        ),
    ]


def _beat_polygon(targets: list[Target]) -> shapely.Polygon:
    xs = (np.array([t.lon for t in targets]) - LON0) * _M_PER_DEG_LON
    ys = (np.array([t.lat for t in targets]) - LAT0) * _M_PER_DEG_LAT
    hull = MultiPoint(np.column_stack([xs, ys])).convex_hull.buffer(40.0, quad_segs=4)
    return shapely.transform(hull, _to_lonlat)


def _beats(rng: np.random.Generator, targets: list[Target]) -> list[Beat]:
    beats = []
    for k, beat_id in enumerate((*KOBAN_BEATS, RURAL_BEAT)):
        mine = [t for t in targets if t.beat_id == beat_id]
        households = sum(t.kind is TargetKind.HOUSEHOLD for t in mine)
        registry = round(households * rng.uniform(1.03, 1.10))
        post = CHUZAISHO_ID if beat_id == RURAL_BEAT else KOBAN_ID
        name = (
            f"{BEAT_TOWNS[beat_id]} ("
            + ("駐在所受持区" if post == CHUZAISHO_ID else f"第{k + 1}受持区")
            + ")"
        )
        beats.append(Beat(beat_id, post, name, registry, None, _beat_polygon(mine)))
    return beats


def _officers(names: _Names) -> list[Officer]:
    officers = []
    for k, beat_id in enumerate(KOBAN_BEATS):
        name = f"{names.surname()} {names.pick(GIVEN_NAMES)}"
        officers.append(Officer(f"OF{k + 1:02d}", beat_id, name, "koban3", 2 * k, Mode.BIKE))
    name = f"{names.surname()} {names.pick(GIVEN_NAMES)}"
    officers.append(Officer("OF04", RURAL_BEAT, name, "chuzai", 0, Mode.CAR))
    return officers


def _officer_days(officers: list[Officer], year: int = DEMO_YEAR) -> list[OfficerDay]:
    """New-year and お盆 leave (staggered at the 交番) and one 専従日 a month per officer."""
    public = holidays.country_holidays("JP", years=year)
    days = []
    for k, officer in enumerate(officers):
        koban = officer.beat_id != RURAL_BEAT
        new_year = date(year, 1, 4 + 2 * k) if koban else date(year, 1, 2)
        obon = date(year, 8, 10 + 3 * k) if koban else date(year, 8, 13)
        leave = [new_year + timedelta(days=d) for d in range(2)]
        leave += [obon + timedelta(days=d) for d in range(3)]
        days += [OfficerDay(officer.officer_id, d, DutyType.LEAVE) for d in leave]
        for month in range(1, 13):
            day = date(year, month, 8 + 5 * k)
            while day.weekday() >= 5 or day in public or day in leave:
                day += timedelta(days=1)
            days.append(OfficerDay(officer.officer_id, day, DutyType.SENJU))
    return sorted(days, key=lambda d: (d.officer_id, d.date))


# --------------------------------------------------------------------------- entry point


def _targets(
    rng: np.random.Generator, lots: list[_Lot], policy: Policy, *, station: tuple[float, float]
) -> list[Target]:
    """The register: every building's targets, beat by beat in address order."""
    buildings = _buildings(rng, lots, station=station)
    maker = _TargetMaker(rng, policy, _Names(rng))
    for beat in (*KOBAN_BEATS, RURAL_BEAT):
        for building in buildings[beat]:
            maker.building(beat, building)
    return maker.targets


def build_demo(seed: int = 0) -> tuple[Station, nx.MultiDiGraph]:
    """Build the demo station 緑ケ丘警察署 and its street graph.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives identical objects.

    Returns
    -------
    tuple of (Station, networkx.MultiDiGraph)
        The station (posts, four beats, about 3,000 targets, officers and their leave and
        専従日 in :data:`DEMO_YEAR`, no visits) and its OSMnx-style street graph (EPSG:4326,
        both directions, ``length`` in metres; bridges ``bridge="yes"``, rail crossings
        ``railway="level_crossing"`` or ``"underpass"``).
    """
    rng = np.random.default_rng(seed)
    policy = load_policy(POLICY)
    town = _streets(rng)
    graph = _graph_from_net(town.net, seed=seed)
    lots = _lots_with_addresses(rng, town)
    targets = _targets(rng, lots, policy, station=town.station)
    officers = _officers(_Names(rng))
    station = Station(
        name=STATION_NAME,
        policy=POLICY,
        posts=_posts(town),
        beats=_beats(rng, targets),
        targets=targets,
        officers=officers,
        officer_days=_officer_days(officers),
    )
    return station, graph


def build_scaled_beat(
    n_targets: int, *, seed: int = 0, per_officer: int = 1000
) -> tuple[Station, nx.MultiDiGraph]:
    """One 交番 beat of about ``n_targets`` targets on the demo town's streets (benchmarks).

    The demo station's targets are pooled into one beat ``S1`` of the 交番; for fewer targets
    than the town holds, the ones nearest the post are kept (a compact beat); for more, apartment
    and house records are repeated with new ids at the same doors (a denser town).  One officer
    per ``per_officer`` targets, on staggered 当番 rotations.
    """
    base, graph = build_demo(seed)
    post = next(p for p in base.posts if p.kind is PostKind.KOBAN)
    pool = sorted(
        base.targets, key=lambda t: ((t.lon - post.lon) ** 2 + (t.lat - post.lat) ** 2, t.target_id)
    )
    targets: list[Target] = []
    copy = 0
    while len(targets) < n_targets:
        for t in pool[: n_targets - len(targets)]:
            suffix = f"-{copy}" if copy else ""
            targets.append(
                replace(
                    t,
                    target_id=t.target_id + suffix,
                    beat_id="S1",
                    building_id=t.building_id + suffix if t.building_id else "",
                    address=t.address + (f" 別棟{copy}" if copy else ""),
                )
            )
        copy += 1
    officers = [
        Officer(f"S{k + 1:02d}", "S1", f"巡査 {k + 1}", "koban3", (2 * k + k // 3) % 6, Mode.BIKE)
        for k in range(max(1, math.ceil(n_targets / per_officer)))
    ]
    beat = Beat("S1", post.post_id, "ベンチマーク受持区", registry_households=n_targets)
    station = Station(
        name=base.name,
        policy=base.policy,
        posts=[post],
        beats=[beat],
        targets=targets,
        officers=officers,
        officer_days=[],
    )
    return station, graph


# ----------------------------------------------------------------------------------------------
# the demo's field notes: opinions heard at the door, minutes spent, one exemption order

DEMO_OPINIONS: tuple[tuple[str, str, str], ...] = (
    ("request", "夜間のパトロールを増やしてほしい", "夜間警らの重点箇所に追加"),
    ("concern", "通学路の街灯が暗く不安", "市道路課へ連絡"),
    ("concern", "不審な訪問販売が来た", "防犯チラシを配布し注意喚起"),
    ("complaint", "交番が不在がちで相談できない", "地域課長へ報告"),
    ("other", "町内会の防犯講話を依頼したい", "日程調整中"),
)
"""(kind, what the resident said, action taken): made-up opinions the demo records."""


def annotate_outcomes(rows: list[dict[str, str]], seed: int = 0) -> list[dict[str, str]]:
    """Field notes for simulated outcomes: minutes at each door and a few residents' opinions.

    Each interview takes its card's usual minutes ± a little (an unanswered door 2); the first
    interviews of a few spread-out rows carry one opinion each of :data:`DEMO_OPINIONS`, one of
    them a complaint about police work (it must reach headquarters).  Returns new rows.
    """
    rng = np.random.default_rng(seed + 17)
    out = []
    for r in rows:
        busy = r["outcome"] in ("visited", "refused", "new")
        minutes = int(rng.integers(8, 20)) if busy else 2
        out.append(
            {**r, "minutes_spent": str(minutes), "opinion": "", "opinion_kind": "", "action": ""}
        )
    visited = [i for i, r in enumerate(out) if r["outcome"] == "visited"]
    if visited:
        picks = np.linspace(0, len(visited) - 1, len(DEMO_OPINIONS) + 2)[1:-1]
        for (kind, said, action), k in zip(DEMO_OPINIONS, picks, strict=True):
            out[visited[int(k)]].update(opinion=said, opinion_kind=kind, action=action)
    return out


def demo_exemption(station: Station, year: int) -> Exemption:
    """The chief's order for the first never-met household of the 駐在所 beat (in hospital)."""
    target = next(
        t
        for t in station.targets
        if t.beat_id == "C1" and t.kind is TargetKind.HOUSEHOLD and t.never_met
    )
    return Exemption(target.target_id, "署長", date(year - 1, 10, 1), "長期入院のため当面訪問不要")
