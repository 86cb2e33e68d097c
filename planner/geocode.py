"""Offline geocoding of register addresses against public reference data.

Reference data, as published (read by :func:`load_reference`):

- MLIT 位置参照情報 **街区レベル** — one row per 街区 (住居表示) or 地番: ``"都道府県名",
  "市区町村名","大字・丁目名","小字・通称名","街区符号・地番",…,"緯度","経度",…,"代表フラグ",…``;
- MLIT 位置参照情報 **大字・町丁目レベル** — one row per 大字・町丁目 with its representative point
  (``"都道府県名","市区町村名","大字町丁目名","緯度","経度",…``; Geolonia's ``latest.csv`` has
  the same columns);
- Geolonia 町丁目 JSON — ``[{"town": "桜台一丁目", "koaza": "", "lat": …, "lng": …}]``, one file
  per city named ``<都道府県>/<市区町村>.json``.

CSV files are CP932 (as MLIT publishes them) or UTF-8, zipped or not; a folder stands for every
such file in it.  Loading is the only I/O here: :class:`Geocoder` matches addresses against a
loaded :class:`Gazetteer` with pure functions.

Each address gets the finest level it reaches: ``街区`` (the 街区's or 地番's point), ``町丁目``
(the 町丁目's or 大字's representative point, or the centre of its 街区 when the reference has
only 街区) or ``none``; ``号`` is the level of a point placed on the 号 itself, which none of
these references holds.  Every result carries a note saying why it is not finer.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from planner import geo
from planner._errors import InputError, RowError
from planner._validate import decode_text
from planner.address import Tail, normalize, parse_tail, split_town

LEVEL_GO = "号"
LEVEL_BLOCK = "街区"
LEVEL_CHOME = "町丁目"
LEVEL_NONE = "none"
LEVELS: tuple[str, ...] = (LEVEL_GO, LEVEL_BLOCK, LEVEL_CHOME, LEVEL_NONE)
"""Geocoding levels, finest first (``geocode_level``)."""
_RANK = {LEVEL_GO: 3, LEVEL_BLOCK: 2, LEVEL_CHOME: 1, LEVEL_NONE: 0}
_DIGIT = re.compile(r"[0-9]")
_POSTCODE = re.compile(r"^(?:〒\s*)?[0-9]{3}-?[0-9]{4}\s*")

NOTE_NO_BUILDINGS = "at the 街区 point (no OSM buildings in the station to spread over)"
MAX_PROBLEMS = 50

BlockKey = tuple[int, str, str, "int | None", str]
TownKey = tuple[int, str, str, "int | None"]


@dataclass(frozen=True, slots=True)
class Geocoded:
    """Where one address was placed.

    ``lon``/``lat`` are ``None`` at level ``none``; ``town`` is the matched 都道府県・市区町村・
    町丁目 (empty when none matched); ``building`` and ``room`` the parts split off the address.
    """

    lon: float | None
    lat: float | None
    level: str
    note: str
    town: str = ""
    block: str = ""
    building: str = ""
    room: str = ""


@dataclass
class Gazetteer:
    """Reference points indexed for matching (build with :func:`load_reference` or
    :class:`GazetteerBuilder`)."""

    cities: list[tuple[str, str]] = field(default_factory=list)
    city_names: dict[str, list[int]] = field(default_factory=dict)
    prefs: set[str] = field(default_factory=set)
    oaza: dict[str, list[int]] = field(default_factory=dict)
    koaza: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    has_chome: set[tuple[int, str]] = field(default_factory=set)
    town_points: dict[TownKey, tuple[float, float]] = field(default_factory=dict)
    block_points: dict[BlockKey, tuple[float, float]] = field(default_factory=dict)
    block_towns: set[TownKey] = field(default_factory=set)
    city_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    digit_names: bool = False
    max_city: int = 0
    max_oaza: int = 0
    max_koaza: int = 0

    @property
    def size(self) -> tuple[int, int]:
        """``(町丁目 points, 街区 points)``."""
        return len(self.town_points), len(self.block_points)


class GazetteerBuilder:
    """Collects reference rows; :meth:`build` makes the :class:`Gazetteer`."""

    def __init__(self) -> None:
        self.g = Gazetteer()
        self._city_ids: dict[tuple[str, str], int] = {}
        self._norm: dict[str, str] = {}
        self._town_split: dict[str, tuple[str, int | None]] = {}
        self._rep: set[BlockKey] = set()
        self._block_sums: dict[TownKey, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])

    def _n(self, text: str) -> str:
        hit = self._norm.get(text)
        if hit is None:
            hit = self._norm[text] = normalize(text).replace(" ", "")
        return hit

    def city(self, pref: str, city: str) -> int:
        """The id of a city (市区町村), added when new."""
        key = (self._n(pref), self._n(city))
        cid = self._city_ids.get(key)
        if cid is None:
            cid = self._city_ids[key] = len(self.g.cities)
            self.g.cities.append(key)
            self.g.city_boxes.append((math.inf, math.inf, -math.inf, -math.inf))
        return cid

    def _town(self, cid: int, town: str, koaza: str) -> tuple[str, str, int | None]:
        name = self._n(town)
        split = self._town_split.get(name)
        if split is None:
            base = name[2:] if name.startswith("大字") and len(name) > 2 else name
            split = self._town_split[name] = split_town(base)
        oaza, chome = split
        ko = self._n(koaza)
        ko = ko[1:] if ko.startswith("字") and len(ko) > 1 else ko
        if chome is not None:
            self.g.has_chome.add((cid, oaza))
        if ko:
            self.g.koaza.setdefault((cid, oaza), set()).add(ko)
        ids = self.g.oaza.setdefault(oaza, [])
        if cid not in ids:
            ids.append(cid)
        return oaza, ko, chome

    def _box(self, cid: int, lon: float, lat: float) -> None:
        x0, y0, x1, y1 = self.g.city_boxes[cid]
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            self.g.city_boxes[cid] = (min(x0, lon), min(y0, lat), max(x1, lon), max(y1, lat))

    def add_name(self, pref: str, city: str, town: str, koaza: str) -> None:
        """A town the reference names without a point (matched, then reported as such)."""
        self._town(self.city(pref, city), town, koaza)

    def add_town(self, pref: str, city: str, town: str, koaza: str, lon: float, lat: float) -> None:
        """A 大字・町丁目 (or 小字) representative point; the first given for a town is kept."""
        cid = self.city(pref, city)
        oaza, ko, chome = self._town(cid, town, koaza)
        self.g.town_points.setdefault((cid, oaza, ko, chome), (lon, lat))
        self._box(cid, lon, lat)

    def add_block(
        self,
        pref: str,
        city: str,
        town: str,
        koaza: str,
        block: str,
        lon: float,
        lat: float,
        *,
        representative: bool = True,
    ) -> None:
        """A 街区 (or 地番) point; of several rows for one key, a representative one wins."""
        cid = self.city(pref, city)
        oaza, ko, chome = self._town(cid, town, koaza)
        key = (cid, oaza, ko, chome, block_key(block))
        known = self.g.block_points.get(key)
        if known is not None and (key in self._rep or not representative):
            return
        if known is None:
            sums = self._block_sums[(cid, oaza, ko, chome)]
            sums[0] += lon
            sums[1] += lat
            sums[2] += 1
        self.g.block_points[key] = (lon, lat)
        if representative:
            self._rep.add(key)
        self._box(cid, lon, lat)

    def build(self) -> Gazetteer:
        """The finished :class:`Gazetteer`: name indexes, and a 町丁目 point (the centre of its
        街区) for every 町丁目 that only the 街区 file has."""
        g = self.g
        for key, (sx, sy, n) in self._block_sums.items():
            g.town_points.setdefault(key, (sx / n, sy / n))
        g.block_towns = set(self._block_sums)
        names: dict[str, list[int]] = defaultdict(list)
        for cid, (pref, city) in enumerate(g.cities):
            g.prefs.add(pref)
            for alias in _city_aliases(city):
                names[alias].append(cid)
        g.city_names = dict(names)
        g.max_city = max((len(n) for n in g.city_names), default=0)
        g.max_oaza = max((len(n) for n in g.oaza), default=0)
        g.max_koaza = max((len(k) for ks in g.koaza.values() for k in ks), default=0)
        g.digit_names = any(
            c.isdigit() for names in (g.city_names, g.oaza) for n in names for c in n
        ) or any(c.isdigit() for ks in g.koaza.values() for k in ks for c in k)
        return g


def block_key(text: str) -> str:
    """The key of a 街区符号・地番 as written in the reference (``"３"`` → ``"3"``)."""
    value = normalize(str(text)).replace(" ", "")
    return str(int(value)) if value.isdigit() else value


def _city_aliases(city: str) -> list[str]:
    """Names a city goes by in addresses: ``仙台市青葉区`` also as ``青葉区`` and ``仙台市``
    (all its wards), ``宮城郡利府町`` also as ``利府町``."""
    out = [city]
    if "郡" in city[:-1]:
        out.append(city.split("郡", 1)[1])
    i = city.find("市")
    if 0 < i < len(city) - 1 and city.endswith("区"):
        out.extend([city[: i + 1], city[i + 1 :]])
    return [a for a in dict.fromkeys(out) if a]


# --------------------------------------------------------------------------------------------
# matching (pure)


class Geocoder:
    """Match addresses against a :class:`Gazetteer`.

    Parameters
    ----------
    gazetteer
        The loaded reference.
    near
        ``(lon, lat)`` of the station's posts: when an address names no city and its town exists
        in several, the cities within ``km`` of a post are preferred (prefecture and city are
        then optional).
    km
        Radius of the station's area around its posts.
    buildings
        Whether the station has OSM buildings to spread the households of one 街区 over; without
        them a 街区-level row keeps the 街区 point with a note.
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        near: Sequence[tuple[float, float]] = (),
        km: float = 20.0,
        buildings: bool = False,
    ) -> None:
        self.g = gazetteer
        self.near = list(near)
        self.buildings = buildings
        self.km = km
        self._towns: dict[str, Geocoded | tuple[list[int], str, int, list[int]]] = {}
        self._labels: dict[tuple[int, str, str], str] = {}
        self.local: set[int] | None = None
        if near:
            self.local = {
                cid
                for cid, box in enumerate(gazetteer.city_boxes)
                if any(geo.to_box_m(lon, lat, box) <= km * 1000 for lon, lat in near)
            }

    def geocode(self, address: str) -> Geocoded:
        """Place one address (see the module text for the levels).

        Returns
        -------
        Geocoded
            Never raises for a bad address: an address that matches nothing is level ``none``
            with the reason in ``note``.
        """
        s = normalize(address)
        if not s:
            return Geocoded(None, None, LEVEL_NONE, "empty address")
        g = self.g
        s = _POSTCODE.sub("", s)
        # the town is matched on the text before the first digit (cached: a register repeats
        # its towns), unless the reference has names with digits in them
        head = s if g.digit_names else _DIGIT.split(s, maxsplit=1)[0]
        if " " in head:  # 仙台市 青葉区 一番町: no space inside the names
            s = head.replace(" ", "") + s[len(head) :]
            head = head.replace(" ", "")
        town = self._towns.get(head)
        if town is None:
            if len(self._towns) > 100_000:
                self._towns.clear()
            town = self._towns[head] = self._find_town(head)
        if isinstance(town, Geocoded):
            return town
        hits, oaza, start, outside = town
        tail = s[start:]
        results = [self._in_town(cid, oaza, tail) for cid in hits]
        # a town in several cities: the one clearly nearest the station, or the only one with a
        # point; never the one whose numbers happen to match best (2-3-4 may be 丁目 in one
        # and 地番 in another)
        placed = [r for r in results if r.lon is not None]
        top = placed or results
        if len(placed) > 1 and self.near:  # unplaced results have no distance to compare
            top = self._nearest(placed)
        if len(top) > 1:
            names = ", ".join(r.town.split(oaza)[0] for r in top[:4])
            return Geocoded(
                None, None, LEVEL_NONE, f"ambiguous: {oaza} is in {names}; write the city"
            )
        if outside and top[0].lon is not None:
            also = ", ".join("".join(g.cities[c]) for c in outside[:3])
            note = f"{top[0].note}; " if top[0].note else ""
            return replace(top[0], note=f"{note}in the station's area (also {also}{oaza})")
        return top[0]

    def _find_town(self, s: str) -> Geocoded | tuple[list[int], str, int, list[int]]:
        """``(city ids, 大字・町, where the rest starts, cities left out as outside the
        station's area)`` for the text before an address's first digit, or a ``none`` result."""
        g = self.g
        pos, pref = 0, ""
        for n in (3, 4):
            if s[:n] in g.prefs:
                pref, pos = s[:n], n
                break
        cities: list[int] | None = None
        for size in range(min(g.max_city, len(s) - pos), 1, -1):
            ids = g.city_names.get(s[pos : pos + size])
            if ids:
                ids = [c for c in ids if not pref or g.cities[c][0] == pref]
                if ids:
                    cities, pos = ids, pos + size
                    break
        named = cities is not None
        while s[pos : pos + 1] == " ":
            pos += 1
        if s.startswith("大字", pos):
            pos += 2
        rest = s[pos:]
        hits: list[int] = []
        size = 0
        allowed = set(cities) if cities is not None else None
        for size in range(min(g.max_oaza, len(rest)), 0, -1):
            ids = g.oaza.get(rest[:size])
            if ids:
                hits = [c for c in ids if allowed is None or c in allowed]
                if pref:
                    hits = [c for c in hits if g.cities[c][0] == pref]
                if hits:
                    break
        if not hits:
            where = "".join(g.cities[cities[0]]) if cities and len(cities) == 1 else ""
            note = f"town not in the reference{f' for {where}' if where else ''}"
            return Geocoded(None, None, LEVEL_NONE, note)
        outside: list[int] = []
        if len(hits) > 1 and not named and self.local is not None:
            inside = [c for c in hits if c in self.local]
            if inside:
                outside = [c for c in hits if c not in self.local]
                hits = inside
        return hits, rest[:size], pos + size, outside

    def _nearest(self, results: list[Geocoded]) -> list[Geocoded]:
        """The one result nearest the station's posts when it is within ``km`` and every other
        is at least twice as far; else all of them (every result placed)."""
        dist = sorted((self._km_to_posts(r), i) for i, r in enumerate(results))
        (d0, i0), (d1, _) = dist[0], dist[1]
        if d0 <= self.km and d1 >= 2 * max(d0, 0.5):
            r = results[i0]
            others = ", ".join(results[i].town for _, i in dist[1:3])
            note = f"{r.note}; " if r.note else ""
            return [replace(r, note=f"{note}nearest the station (also {others})")]
        return results

    def _km_to_posts(self, r: Geocoded) -> float:
        """Great-circle km from a placed result to the nearest of the station's posts."""
        if r.lon is None or r.lat is None:
            raise ValueError(f"{r.town or r.note}: a result without a point has no distance")
        lon, lat = r.lon, r.lat
        return min(geo.great_circle_m(lon, lat, x, y) for x, y in self.near) / 1000

    def _in_town(self, cid: int, oaza: str, tail: str) -> Geocoded:
        g = self.g
        ko = ""
        kset = g.koaza.get((cid, oaza))
        if kset:
            t2 = tail[1:] if tail.startswith("字") else tail
            for size in range(min(g.max_koaza, len(t2)), 0, -1):
                if t2[:size] in kset:
                    ko, tail = t2[:size], t2[size:]
                    break
        parts = parse_tail(tail, has_chome=(cid, oaza) in g.has_chome)
        town = self._labels.get((cid, oaza, ko))
        if town is None:
            town = self._labels[(cid, oaza, ko)] = "".join(g.cities[cid]) + oaza + ko
        label = town + (f"{parts.chome}丁目" if parts.chome is not None else "")
        if parts.block is not None:
            p = g.block_points.get((cid, oaza, ko, parts.chome, str(parts.block)))
            if p is not None:
                note = "" if self.buildings else NOTE_NO_BUILDINGS
                return _result(p, LEVEL_BLOCK, note, label, parts)
        p = g.town_points.get((cid, oaza, ko, parts.chome))
        if p is None and ko:
            p = g.town_points.get((cid, oaza, "", parts.chome))
        if p is None:
            why = (
                (
                    f"{parts.chome}丁目 not in the reference"
                    if parts.chome is not None
                    else "no 丁目 in the address"
                )
                if (cid, oaza) in g.has_chome
                else "no point for the town"
            )
            return Geocoded(None, None, LEVEL_NONE, why, label, "", parts.building, parts.room)
        if parts.block is None:
            why = "no 街区 or 地番 number in the address"
        elif (cid, oaza, ko, parts.chome) not in g.block_towns:
            why = "the reference has no 街区 for this town"
        else:
            why = f"街区 {parts.block} not in the reference"
        return _result(p, LEVEL_CHOME, why, label, parts)


def _result(p: tuple[float, float], level: str, note: str, town: str, parts: Tail) -> Geocoded:
    block = "" if parts.block is None else str(parts.block)
    return Geocoded(p[0], p[1], level, note, town, block, parts.building, parts.room)


def geocode_addresses(addresses: Iterable[str], geocoder: Geocoder) -> list[Geocoded]:
    """Place many addresses; repeated addresses are matched once."""
    seen: dict[str, Geocoded] = {}
    out = []
    for a in addresses:
        hit = seen.get(a)
        if hit is None:
            hit = seen[a] = geocoder.geocode(a)
        out.append(hit)
    return out


# --------------------------------------------------------------------------------------------
# loading reference files (the only I/O of this module)

_COLS = {
    "pref": ("都道府県名",),
    "city": ("市区町村名",),
    "town": ("大字・丁目名", "大字町丁目名", "大字・町丁目名"),
    "koaza": ("小字・通称名",),
    "block": ("街区符号・地番",),
    "lat": ("緯度",),
    "lon": ("経度",),
    "rep": ("代表フラグ",),
}


def load_reference(paths: Sequence[str | Path]) -> Gazetteer:
    """Load reference files into one :class:`Gazetteer`.

    Parameters
    ----------
    paths
        MLIT 街区 / 大字・町丁目 CSV files (CP932 or UTF-8, or ``.zip`` files holding them),
        Geolonia JSON files (``<都道府県>/<市区町村>.json``), or folders of any of these.

    Raises
    ------
    InputError
        If a file is missing, of an unknown kind, or has a bad row (file, row and column named).
    """
    b = GazetteerBuilder()
    if not paths:
        raise InputError("no reference file given (--ref)")
    for path in paths:
        for label, kind, data in _reference_files(Path(path)):
            if kind == "json":
                _read_geolonia(b, label, data)
            else:
                _read_csv(b, label, data)
            b.g.sources.append(label)
    g = b.build()
    if not g.town_points and not g.block_points:
        raise InputError(f"{', '.join(map(str, paths))}: no reference points found")
    return g


def _reference_files(path: Path) -> Iterator[tuple[str, str, bytes]]:
    """``(label, "csv"|"json", bytes)`` of every reference file at ``path``."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in {".csv", ".json", ".zip"})
        if not found:
            raise InputError(f"{path}: no .csv, .zip or .json reference files in this folder")
        for p in found:
            yield from _reference_files(p)
        return
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                members = [m for m in z.namelist() if m.lower().endswith(".csv")]
                if not members:
                    raise InputError(f"{path}: no .csv file in this zip")
                for m in sorted(members):
                    yield f"{path}:{m}", "csv", z.read(m)
        except zipfile.BadZipFile as exc:
            raise InputError(f"{path}: not a readable zip file ({exc})") from None
    elif suffix in {".csv", ".txt"}:
        yield str(path), "csv", path.read_bytes()
    elif suffix == ".json":
        label = str(path)
        yield label, "json", path.read_bytes()
    else:
        raise InputError(f"{path}: unknown reference file type {suffix!r} (.csv, .zip or .json)")


def _read_csv(b: GazetteerBuilder, label: str, data: bytes) -> None:
    reader = csv.reader(io.StringIO(decode_text(data, label), newline=""))
    header = next(reader, None)
    if header is None:
        raise InputError(f"{label}: empty file")
    names = [unicodedata.normalize("NFKC", h).strip() for h in header]
    col: dict[str, int] = {}
    for key, options in _COLS.items():
        for i, n in enumerate(names):
            if any(n.startswith(o) for o in options):
                col[key] = i
                break
    missing = [_COLS[k][0] for k in ("pref", "city", "town", "lat", "lon") if k not in col]
    if missing:
        raise RowError(
            label,
            [
                (
                    1,
                    m,
                    "required column is missing (not an MLIT 位置参照情報 "
                    "街区 or 大字・町丁目 file?)",
                )
                for m in missing
            ],
        )
    problems: list[tuple[int, str, str]] = []
    i_pref, i_city, i_town, i_lat, i_lon = (col[k] for k in ("pref", "city", "town", "lat", "lon"))
    i_ko, i_block, i_rep = col.get("koaza"), col.get("block"), col.get("rep")
    width = max(col.values()) + 1
    for row, cells in enumerate(reader, start=2):
        if len(cells) < width:
            if any(c.strip() for c in cells):
                problems.append((row, "-", f"{len(cells)} cells, fewer than the header's"))
            continue
        try:
            lat = float(cells[i_lat])
        except ValueError:
            problems.append((row, names[i_lat], f"{cells[i_lat]!r} is not a number"))
            continue
        try:
            lon = float(cells[i_lon])
        except ValueError:
            problems.append((row, names[i_lon], f"{cells[i_lon]!r} is not a number"))
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append((row, names[i_lat], f"{lat}, {lon} is out of range"))
            continue
        koaza = cells[i_ko] if i_ko is not None else ""
        if i_block is not None:  # a 街区 file: one row per block
            rep = i_rep is None or cells[i_rep].strip() != "0"
            b.add_block(
                cells[i_pref],
                cells[i_city],
                cells[i_town],
                koaza,
                cells[i_block],
                lon,
                lat,
                representative=rep,
            )
        else:
            b.add_town(cells[i_pref], cells[i_city], cells[i_town], koaza, lon, lat)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise RowError(label, problems)


def _read_geolonia(b: GazetteerBuilder, label: str, data: bytes) -> None:
    path = Path(label)
    city, pref = path.stem, path.parent.name
    if not pref.endswith(("都", "道", "府", "県")):
        pref = ""
    try:
        items = json.loads(decode_text(data, label))
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: not JSON: {exc}") from None
    if not isinstance(items, list):
        raise InputError(f'{label}: not a Geolonia 町丁目 list ([{{"town", "lat", "lng"}}])')
    problems: list[tuple[int, str, str]] = []
    for i, item in enumerate(items, start=1):
        try:
            town = str(item["town"])
            koaza = str(item.get("koaza") or "")
            if item.get("lat") is None and item.get("lng") is None:  # a name without a point
                b.add_name(pref, city, town, koaza)
                continue
            lon, lat = float(item["lng"]), float(item["lat"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append((i, "town/lat/lng", f"item {i} is not a town with a point ({exc})"))
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        b.add_town(pref, city, town, koaza, lon, lat)
    if problems:
        raise RowError(label, problems)


# --------------------------------------------------------------------------------------------
# writing reference files in the published shape (tests, the bench and the demo make their own)

BLOCK_HEADER = (
    "都道府県名",
    "市区町村名",
    "大字・丁目名",
    "小字・通称名",
    "街区符号・地番",
    "座標系番号",
    "Ｘ座標",
    "Ｙ座標",
    "緯度",
    "経度",
    "住居表示フラグ",
    "代表フラグ",
    "更新前履歴フラグ",
    "更新後履歴フラグ",
)
"""Columns of MLIT 位置参照情報 街区レベル, as published."""
TOWN_HEADER = (
    "都道府県コード",
    "都道府県名",
    "市区町村コード",
    "市区町村名",
    "大字町丁目コード",
    "大字町丁目名",
    "緯度",
    "経度",
    "原典資料コード",
    "大字・字・丁目区分コード",
)
"""Columns of MLIT 位置参照情報 大字・町丁目レベル, as published."""


def block_csv(rows: Iterable[tuple[str, str, str, str, str, float, float]]) -> bytes:
    """CP932 bytes of a 街区レベル file, every cell quoted as MLIT writes it.

    ``rows`` are ``(都道府県名, 市区町村名, 大字・丁目名, 小字・通称名, 街区符号・地番, lon, lat)``;
    the plane coordinates are left at 0 (the planner reads 緯度・経度 only).
    """
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(BLOCK_HEADER)
    for pref, city, town, koaza, block, lon, lat in rows:
        w.writerow(
            [
                pref,
                city,
                town,
                koaza,
                block,
                "10",
                "0.0",
                "0.0",
                f"{lat:.6f}",
                f"{lon:.6f}",
                "1",
                "1",
                "0",
                "0",
            ]
        )
    return buf.getvalue().encode("cp932")


def town_csv(rows: Iterable[tuple[str, str, str, float, float]]) -> bytes:
    """CP932 bytes of a 大字・町丁目レベル file: ``(都道府県名, 市区町村名, 大字町丁目名, lon,
    lat)`` rows (codes left at 0)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(TOWN_HEADER)
    for pref, city, town, lon, lat in rows:
        w.writerow(["0", pref, "0", city, "0", town, f"{lat:.6f}", f"{lon:.6f}", "0", "0"])
    return buf.getvalue().encode("cp932")
