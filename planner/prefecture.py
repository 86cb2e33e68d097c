"""A synthetic prefecture: many station files to try the planner at headquarters scale.

Everything is invented.  The default is about the size of Miyagi (``../shared/domain.md``: 25
stations, 78 交番 and 140 駐在所, ~981,000 households): 25 station files, ~600 beats, ~220 posts
and 1,000,000 targets.  Every post is a copy of the demo town (:func:`planner.demo.build_demo`,
one town per station, drawn from its own seed) moved to its own place: a 交番 takes the town's
streets and the doors nearest its post, cut into sectors, one beat each; a 駐在所 takes the
village 上沢 and its farms.  Where a beat needs more doors than the town has, apartment and
house records repeat at the same doors with new ids (a denser town), as
:func:`planner.demo.build_scaled_beat` does for the benchmarks.

Three kinds of station mix urban, suburban and rural beats (every fifth station urban, the
others alternately suburban and rural):

=========  ==============================  =============  =====================
kind       駐在所 share of the beats       beats a 交番   beat size (relative)
=========  ==============================  =============  =====================
urban      none                            8              1.2
suburban   15 %                            6              1.0
rural      40 %                            5              0.85 (駐在所 0.45)
=========  ==============================  =============  =====================

Officers: one per 1,000 targets of a 交番 beat (当番 rotation, bicycles, staggered), one per
駐在所 (day work, car), each with New Year and お盆 leave and one 専従日 a month.

:func:`prefecture_stations` yields one station at a time and :func:`write_prefecture` writes
each to its own GeoPackage (:func:`planner.store.write_station`) before building the next,
so a prefecture is never held in memory at once.  Same spec, same files.
"""

from __future__ import annotations

import csv
import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import holidays
import networkx as nx
import numpy as np
from shapely.geometry import MultiPoint

from planner import geo
from planner._errors import InputError
from planner.demo import DEMO_YEAR, LAT0, LON0, RURAL_BEAT, build_demo
from planner.model import (
    Beat,
    DutyType,
    Mode,
    Officer,
    OfficerDay,
    Post,
    PostKind,
    Station,
    Target,
)

MIYAGI_STATIONS = 25
MIYAGI_TARGETS = 1_000_000
MEAN_BEAT_TARGETS = 1650
"""Targets per beat on average (Miyagi: ~981,000 households over ~600 beats)."""

STATION_KINDS = ("urban", "suburban", "rural", "suburban", "rural")
"""Kind of station ``k`` is ``STATION_KINDS[k % 5]``."""
CHUZAISHO_SHARE = {"urban": 0.0, "suburban": 0.15, "rural": 0.40}
BEATS_PER_KOBAN = {"urban": 8, "suburban": 6, "rural": 5}
KOBAN_WEIGHT = {"urban": 1.2, "suburban": 1.0, "rural": 0.85}
CHUZAISHO_WEIGHT = 0.45
TARGETS_PER_OFFICER = 1000
STATION_SPACING_M = 40_000.0  # stations on a grid this far apart
POST_SPACING_M = 7_000.0  # a station's posts on a grid this far apart (a town and its village)
ORIGIN = (140.30, 37.95)  # south-west corner of the made-up prefecture (lon, lat)

_AREAS = ("北", "南", "東", "西", "中")
_TOWNS = ("緑ケ丘", "白鷺", "桜台", "青葉台", "若草")


@dataclass(frozen=True, slots=True)
class PrefectureSpec:
    """What to generate.

    Attributes
    ----------
    stations
        Station files (警察署).
    targets
        Households and businesses over the whole prefecture.
    beats
        Beats over the whole prefecture (default: ``targets / 1650``, at least one a station).
    seed
        Seed of the towns and of the beat sizes.
    year
        The year the officers' leave and 専従日 are set for (the demo's year).
    """

    stations: int = MIYAGI_STATIONS
    targets: int = MIYAGI_TARGETS
    beats: int | None = None
    seed: int = 0
    year: int = DEMO_YEAR

    def __post_init__(self) -> None:
        if self.stations < 1:
            raise InputError(f"--stations must be 1 or more, got {self.stations}")
        if self.beats is not None and self.beats < self.stations:
            raise InputError(
                f"--beats ({self.beats}) must be at least --stations "
                f"({self.stations}): every station has a beat"
            )
        if self.targets < self.total_beats:
            raise InputError(
                f"--households ({self.targets}) must be at least the number of "
                f"beats ({self.total_beats})"
            )

    @property
    def total_beats(self) -> int:
        """Beats over the prefecture."""
        if self.beats is not None:
            return self.beats
        return max(self.stations, round(self.targets / MEAN_BEAT_TARGETS))


@dataclass(frozen=True, slots=True)
class PostPlan:
    """One post to generate: its kind and the size of each of its beats."""

    kind: PostKind
    sizes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StationPlan:
    """One station to generate (index from 0)."""

    index: int
    kind: str  # urban | suburban | rural
    name: str
    posts: tuple[PostPlan, ...]

    @property
    def code(self) -> str:
        """``P01``, ``P02`` …: prefix of every id of the station."""
        return f"P{self.index + 1:02d}"

    @property
    def file_name(self) -> str:
        """``station_01.gpkg`` …"""
        return f"station_{self.index + 1:02d}.gpkg"


@dataclass(frozen=True, slots=True)
class StationInfo:
    """One written station file (a row of ``prefecture.csv``)."""

    path: Path
    name: str
    kind: str
    koban: int
    chuzaisho: int
    beats: int
    targets: int
    officers: int


def station_name(index: int) -> str:
    """An invented station name (北緑ケ丘警察署 …); numbered beyond the 25 combinations."""
    base = f"{_AREAS[index % 5]}{_TOWNS[(index // 5) % 5]}"
    return f"{base}{index // 25 + 1}警察署" if index >= 25 else f"{base}警察署"


def layout(spec: PrefectureSpec) -> list[StationPlan]:
    """Every station's posts and beat sizes, before any town is built (cheap: numbers only).

    Beats are shared out evenly among stations; a station's kind sets its 駐在所 share and how
    many beats a 交番 has; beat sizes follow the kinds' weights (± 15 %) and add up to
    ``spec.targets`` exactly.
    """
    rng = np.random.default_rng([spec.seed, 7])
    per_station = [
        spec.total_beats // spec.stations + (k < spec.total_beats % spec.stations)
        for k in range(spec.stations)
    ]
    shapes: list[tuple[str, list[tuple[PostKind, int]]]] = []
    weights: list[float] = []
    for k, n in enumerate(per_station):
        kind = STATION_KINDS[k % len(STATION_KINDS)]
        n_chu = min(n - 1, round(n * CHUZAISHO_SHARE[kind])) if n > 1 else 0
        n_kb = n - n_chu
        n_koban = math.ceil(n_kb / BEATS_PER_KOBAN[kind])
        posts = [(PostKind.KOBAN, n_kb // n_koban + (j < n_kb % n_koban)) for j in range(n_koban)]
        posts += [(PostKind.CHUZAISHO, 1)] * n_chu
        shapes.append((kind, posts))
        for post_kind, beats in posts:
            w = KOBAN_WEIGHT[kind] if post_kind is PostKind.KOBAN else CHUZAISHO_WEIGHT
            weights += [w * rng.uniform(0.85, 1.15) for _ in range(beats)]
    sizes = _share_out(spec.targets, np.array(weights))
    plans, at = [], 0
    for k, (kind, posts) in enumerate(shapes):
        made = []
        for post_kind, beats in posts:
            made.append(PostPlan(post_kind, tuple(int(s) for s in sizes[at : at + beats])))
            at += beats
        plans.append(StationPlan(k, kind, station_name(k), tuple(made)))
    return plans


def _share_out(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers >= 1 in proportion to ``weights`` that add up to ``total``."""
    n = len(weights)
    raw = 1 + (total - n) * weights / weights.sum()
    sizes = np.floor(raw).astype(int)
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[: total - int(sizes.sum())]] += 1
    return sizes


def prefecture_stations(
    spec: PrefectureSpec, plans: Sequence[StationPlan] | None = None
) -> Iterator[tuple[StationPlan, Station, nx.MultiDiGraph]]:
    """Build the stations one at a time: (plan, station, its streets), in station order."""
    for plan in plans if plans is not None else layout(spec):
        yield plan, *build_station(plan, spec)


def build_station(plan: StationPlan, spec: PrefectureSpec) -> tuple[Station, nx.MultiDiGraph]:
    """One station of the prefecture and its streets (every post a moved copy of a demo town)."""
    town, town_graph = build_demo(spec.seed * 1000 + plan.index)
    koban_post = next(p for p in town.posts if p.kind is PostKind.KOBAN)
    village_post = next(p for p in town.posts if p.kind is PostKind.CHUZAISHO)
    town_pool = _nearest(
        [t for t in town.targets if t.beat_id != RURAL_BEAT], koban_post.lon, koban_post.lat
    )
    village_pool = _nearest(
        [t for t in town.targets if t.beat_id == RURAL_BEAT], village_post.lon, village_post.lat
    )
    station = Station(name=plan.name, policy=town.policy)
    graph = nx.MultiDiGraph(
        crs=town_graph.graph.get("crs", "EPSG:4326"), name=f"{plan.name} (synthetic)"
    )
    columns = math.ceil(math.sqrt(len(plan.posts)))
    n_koban = n_chu = 0
    for j, post_plan in enumerate(plan.posts):
        dlon, dlat = _offset(plan.index, j, columns, spec.stations)
        _add_streets(graph, town_graph, dlon, dlat, node_base=(j + 1) * 100_000)
        if post_plan.kind is PostKind.KOBAN:
            n_koban += 1
            post_id = f"{plan.code}-K{n_koban}"
            base, pool = koban_post, town_pool
            name = f"{plan.name.removesuffix('警察署')}第{n_koban}交番"
        else:
            n_chu += 1
            post_id = f"{plan.code}-C{n_chu}"
            base, pool = village_post, village_pool
            name = f"{plan.name.removesuffix('警察署')}第{n_chu}駐在所"
        post = Post(
            post_id,
            name,
            post_plan.kind,
            round(base.lon + dlon, 7),
            round(base.lat + dlat, 7),
            plan.name,
        )
        station.posts.append(post)
        _add_beats(station, post, post_plan, pool, dlon, dlat, spec)
    return station, graph


def _nearest(targets: list[Target], lon: float, lat: float) -> list[Target]:
    return sorted(targets, key=lambda t: ((t.lon - lon) ** 2 + (t.lat - lat) ** 2, t.target_id))


def _offset(station: int, post: int, columns: int, stations: int) -> tuple[float, float]:
    """Degrees to move the demo town by for one post of one station (grids of stations and
    posts, so that no two posts' towns overlap)."""
    per_row = math.ceil(math.sqrt(stations))
    sx, sy = station % per_row, station // per_row
    px, py = post % columns, post // columns
    x = sx * STATION_SPACING_M + px * POST_SPACING_M
    y = sy * STATION_SPACING_M + py * POST_SPACING_M
    lon, lat = geo.offset_lonlat(*ORIGIN, east_m=x, north_m=y)
    return lon - LON0, lat - LAT0


def _add_streets(
    graph: nx.MultiDiGraph, town: nx.MultiDiGraph, dlon: float, dlat: float, node_base: int
) -> None:
    for n, d in town.nodes(data=True):
        graph.add_node(node_base + int(n), x=round(d["x"] + dlon, 7), y=round(d["y"] + dlat, 7))
    for u, v, k, d in town.edges(keys=True, data=True):
        graph.add_edge(node_base + int(u), node_base + int(v), key=k, **d)


def _add_beats(
    station: Station,
    post: Post,
    plan: PostPlan,
    pool: list[Target],
    dlon: float,
    dlat: float,
    spec: PrefectureSpec,
) -> None:
    """The post's beats: the ``sum(plan.sizes)`` doors nearest it (repeated where the pool is
    short), in sectors around the post, one beat each."""
    need = sum(plan.sizes)
    picked: list[tuple[Target, int]] = []
    copy = 0
    while len(picked) < need:
        picked += [(t, copy) for t in pool[: need - len(picked)]]
        copy += 1

    # sectors by angle around the post (copies share their door's angle and stay together)
    def sector(tc: tuple[Target, int]) -> tuple[float, str, int]:
        t, c = tc
        return math.atan2(t.lat + dlat - post.lat, t.lon + dlon - post.lon), t.target_id, c

    picked.sort(key=sector)
    rng = np.random.default_rng([spec.seed, zlib.crc32(post.post_id.encode())])
    at = 0
    koban = post.kind is PostKind.KOBAN
    for j, size in enumerate(plan.sizes):
        beat_id = f"{post.post_id}-{j + 1}" if koban else post.post_id
        targets = [_moved(t, c, beat_id, dlon, dlat) for t, c in picked[at : at + size]]
        at += size
        households = sum(t.kind.value == "household" for t in targets)
        hull = MultiPoint([(t.lon, t.lat) for t in targets]).convex_hull.buffer(0.0005, quad_segs=4)
        label = f"第{j + 1}受持区" if koban else "駐在所受持区"
        registry = round(households * rng.uniform(1.03, 1.10))
        station.beats.append(
            Beat(beat_id, post.post_id, f"{post.name} {label}", registry, None, hull)
        )
        station.targets += targets
        officers = _officers(beat_id, len(targets), koban)
        station.officers += officers
        station.officer_days += _officer_days(officers, spec.year, koban)


def _moved(t: Target, copy: int, beat_id: str, dlon: float, dlat: float) -> Target:
    suffix = f"-{copy}" if copy else ""
    return replace(
        t,
        target_id=f"{beat_id}-{t.target_id}{suffix}",
        beat_id=beat_id,
        lon=round(t.lon + dlon, 7),
        lat=round(t.lat + dlat, 7),
        building_id=f"{beat_id}-{t.building_id}{suffix}" if t.building_id else "",
        address=t.address + (f" 別棟{copy}" if copy else ""),
    )


def _officers(beat_id: str, n_targets: int, koban: bool) -> list[Officer]:
    if not koban:
        return [Officer(f"{beat_id}-O1", beat_id, f"巡査 {beat_id}-1", "chuzai", 0, Mode.CAR)]
    return [
        Officer(
            f"{beat_id}-O{k + 1}",
            beat_id,
            f"巡査 {beat_id}-{k + 1}",
            "koban3",
            (2 * k + k // 3) % 6,
            Mode.BIKE,
        )
        for k in range(max(1, math.ceil(n_targets / TARGETS_PER_OFFICER)))
    ]


def _officer_days(officers: Sequence[Officer], year: int, koban: bool) -> list[OfficerDay]:
    """New Year and お盆 leave (staggered at a 交番) and one 専従日 a month, as in the demo."""
    public = holidays.country_holidays("JP", years=year)
    days = []
    for k, officer in enumerate(officers):
        new_year = date(year, 1, 4 + 2 * (k % 5)) if koban else date(year, 1, 2)
        obon = date(year, 8, 10 + 3 * (k % 5)) if koban else date(year, 8, 13)
        leave = [new_year + timedelta(days=d) for d in range(2)]
        leave += [obon + timedelta(days=d) for d in range(3)]
        days += [OfficerDay(officer.officer_id, d, DutyType.LEAVE) for d in leave]
        for month in range(1, 13):
            day = date(year, month, 8 + 5 * (k % 4))
            while day.weekday() >= 5 or day in public or day in leave:
                day += timedelta(days=1)
            days.append(OfficerDay(officer.officer_id, day, DutyType.SENJU))
    return sorted(days, key=lambda d: (d.officer_id, d.date))


INDEX_COLUMNS = ("file", "station", "kind", "koban", "chuzaisho", "beats", "targets", "officers")


def write_prefecture(
    out_dir: str | Path,
    spec: PrefectureSpec = PrefectureSpec(),
    *,
    progress: Callable[[StationInfo], None] | None = None,
) -> list[StationInfo]:
    """Generate the prefecture into ``out_dir``: one ``station_NN.gpkg`` per station (written
    and let go before the next is built) and ``prefecture.csv`` listing them.

    Parameters
    ----------
    out_dir
        Folder for the station files (created).
    spec
        Size and seed (:class:`PrefectureSpec`).
    progress
        Called after each station file is written.

    Returns
    -------
    list of StationInfo
        One per station file, in order.
    """
    from planner.files import atomic_path
    from planner.store import write_station

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    infos = []
    for plan, station, graph in prefecture_stations(spec):
        path = out / plan.file_name
        write_station(station, path, streets=graph)
        info = StationInfo(
            path,
            station.name,
            plan.kind,
            sum(p.kind is PostKind.KOBAN for p in station.posts),
            sum(p.kind is PostKind.CHUZAISHO for p in station.posts),
            len(station.beats),
            len(station.targets),
            len(station.officers),
        )
        infos.append(info)
        if progress is not None:
            progress(info)
        del station, graph
    with (
        atomic_path(out / "prefecture.csv", private=False) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(INDEX_COLUMNS)
        for i in infos:
            w.writerow(
                [i.path.name, i.name, i.kind, i.koban, i.chuzaisho, i.beats, i.targets, i.officers]
            )
    return infos
