"""The station: read, changed under its lock and written, wherever it is kept.

A station is a GeoPackage file per 警察署 (:mod:`planner.store_gpkg`, opens in QGIS) or a schema
of a PostGIS database (:mod:`planner.store_pg`), with the same layers and columns
(:mod:`planner.store_schema`).  :func:`backend` is the one place that tells them apart (by
:func:`is_station_url`); every function here takes either and calls that store.  A file is
always whole (each write is renamed over it) and owner-only (0600), because a register holds
personal data; a PostGIS write is one transaction.

This module also parses and validates the user's CSV / GeoPackage / GeoJSON inputs: every problem
is reported with file, row and column, and nothing is written when any row is bad.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx
import pyogrio
from shapely import wkt

from planner import _validate as v
from planner import geo, store_gpkg, store_pg
from planner._errors import InputError, RowError
from planner.model import (
    AccessEntry,
    Availability,
    Beat,
    Card,
    DutyType,
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
from planner.policy import Policy, classify, known_tiers, map_tiers, mapped_tier
from planner.records import merge_targets
from planner.store_gpkg import access_file as access_file
from planner.store_gpkg import append_access_file as append_access_file
from planner.store_gpkg import targets_to_frame as targets_to_frame
from planner.store_gpkg import with_exemptions as with_exemptions
from planner.store_schema import CRS as CRS
from planner.store_schema import LOCK_TIMEOUT_S, hours_from_text
from planner.store_schema import TARGET_COLUMNS as TARGET_COLUMNS
from planner.store_schema import cell_text as _s
from planner.store_schema import is_station_url as is_station_url

log = logging.getLogger(__name__)

MAX_DISTANCE_KM = 50.0  # a target farther than this from every post is "far outside the station"


# --------------------------------------------------------------------------------------------
# the two stores


def backend(db: str | Path) -> ModuleType:
    """The store of the station ``db``: :mod:`planner.store_pg` for a PostGIS station URL
    (:func:`is_station_url`), :mod:`planner.store_gpkg` for a station file.

    The one place that chooses.  Both modules have the same operations over the same layers
    (:mod:`planner.store_schema`): ``station_lock``, ``station_exists``, ``read_station``,
    ``write_station``, ``read_streets``, ``read_street_source``, ``keep_access``, ``describe``
    and ``same_station``.
    """
    return store_pg if is_station_url(db) else store_gpkg


def describe(db: str | Path) -> str:
    """A station file's path, or a station URL without its password, for messages."""
    return backend(db).describe(db)


def same_station(a: str | Path, b: str | Path) -> bool:
    """Whether two station files or URLs name the same station (paths resolved, URLs parsed)."""
    store = backend(a)
    return store is backend(b) and store.same_station(a, b)


# --------------------------------------------------------------------------------------------
# locks and the access log


def station_lock(
    db: str | Path, *, timeout_s: float = LOCK_TIMEOUT_S
) -> contextlib.AbstractContextManager[None]:
    """Hold the station's exclusive lock for a change: the lock file beside a station file
    (``.<name>.lock``), an advisory lock in PostGIS.

    Two planner runs changing one station (two officers of a 交番 recording at once) take
    turns: the second waits up to ``timeout_s`` seconds, then fails with a clear message.  While
    a file's lock is held, temporary files left by a run that was killed mid-write are removed.

    Raises
    ------
    InputError
        If another run still holds the lock after ``timeout_s`` seconds.
    """
    return backend(db).station_lock(db, timeout_s=timeout_s)


@contextlib.contextmanager
def station_update(path: str | Path, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[Station]:
    """Read a station under its lock, let the caller change it, write it back if it changed.

    This is the one path for read–change–write: the station is re-read after the lock is
    taken, so a concurrent run's rows are never lost, and nothing is written when the block
    raises or leaves the station as it was (the file stays byte-identical).
    """
    with station_lock(path, timeout_s=timeout_s):
        station = read_station(path)
        before = _snapshot(station)
        yield station
        if _snapshot(station) != before:
            write_station(station, path)


def log_access(path: str | Path, what: str, records: int) -> AccessEntry:
    """Append a line to the station's access log: who (OS login), when, what, how many records.

    Called by every export that includes residents' names (``--with-names``), so that the
    chain of custody the directives ask for can be shown.
    """
    entry = AccessEntry(datetime.now().replace(microsecond=0), getpass.getuser(), what, records)
    with station_update(path) as station:
        station.access_log.append(entry)
    backend(path).keep_access(path, entry)
    log.info("access log: %s by %s (%d records)", what, entry.who, records)
    return entry


def _snapshot(station: Station) -> tuple:
    """The station's content (records are frozen, so shallow list copies suffice)."""
    return tuple(
        list(value) if isinstance(value, list) else value
        for value in (getattr(station, f.name) for f in fields(station))
    )


# --------------------------------------------------------------------------------------------
# read / write the station file


def beat_ids(db: str | Path) -> list[str]:
    """A station's beat ids in its order, reading as little as its store allows."""
    return backend(db).beat_ids(db)


def read_station(path: str | Path) -> Station:
    """Read a station GeoPackage (or a PostGIS station URL) into a :class:`Station`.

    Raises
    ------
    InputError
        If the file is missing or is not a station file.
    """
    return backend(path).read_station(path)


def read_streets(path: str | Path) -> nx.MultiDiGraph | None:
    """The street network stored with a station, or ``None`` if it has none.

    Edges carry ``walk`` / ``bike`` / ``car`` / ``forward``
    (:data:`~planner.store_schema.STREET_FLAGS`); the graph's
    ``source`` and ``street_report`` attributes say where the streets came from and what their
    import kept, dropped and linked (:func:`planner.streets.street_report`).
    """
    return backend(path).read_streets(path)


def read_street_report(path: str | Path) -> list[str] | None:
    """What the import of the stored streets kept, dropped and linked, as printable lines.

    ``None`` when the station has no streets; a note when they were not read from OSM by this
    version (a GraphML file, a made-up town, an older import).
    """
    from planner.streets import StreetReport

    stored = backend(path).read_street_source(path)
    if stored is None:
        return None
    source, report = stored
    if report:
        return StreetReport.from_json(report).lines()
    return [f"streets: stored without an import report (source: {source or 'not recorded'})"]


def write_station(
    station: Station, path: str | Path, *, streets: nx.MultiDiGraph | None = None
) -> None:
    """Write a whole station (and optionally its street network) atomically, owner-only (a
    file) or in one transaction (PostGIS).

    When ``streets`` is ``None`` the network already stored (if any) is kept.
    """
    backend(path).write_station(station, path, streets=streets)


# --------------------------------------------------------------------------------------------
# user inputs: parse and validate


def _read_rows(path: Path) -> Sequence[dict[str, str]]:
    """Rows of text from a CSV, GeoPackage or GeoJSON file (lon/lat taken from point geometry)."""
    suffix = path.suffix.lower()
    rows: Sequence[dict[str, str]]
    if suffix in {".csv", ".txt"}:
        rows = v.read_table(path)
    elif suffix in {".gpkg", ".geojson", ".json"}:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        try:
            with warnings.catch_warnings():
                # a column of numbers and text makes pyogrio warn (it cannot parse it as
                # JSON) and GDAL may warn too; every cell is checked, with its row, below
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(path)
        except Exception as exc:  # GDAL's errors are many
            raise InputError(f"{path}: cannot read: {exc}") from exc
        features: list[dict[str, str]] = []
        for rec in frame.to_dict("records"):
            geom = rec.pop("geometry", None)
            row = {k: _s(val) for k, val in rec.items()}
            if geom is not None and not geom.is_empty and geom.geom_type == "Point":
                row.setdefault("lon", repr(geom.x))
                row.setdefault("lat", repr(geom.y))
                if not row["lon"]:
                    row["lon"] = repr(geom.x)
                if not row["lat"]:
                    row["lat"] = repr(geom.y)
            features.append(row)
        rows = features
    else:
        raise InputError(f"{path}: unsupported file type {suffix!r} (use .csv, .gpkg or .geojson)")
    if not rows:
        raise InputError(f"{path}: no data rows")
    return rows


def _unique_ids(path: Path, rows: Sequence[dict[str, Any]], key: str) -> None:
    """Refuse a ``key`` given on two rows, naming both by their spreadsheet row numbers."""
    problems = v.duplicate_ids(rows, key)
    if problems:
        raise RowError(str(path), problems)


def posts_from_file(path: str | Path) -> list[Post]:
    """Parse a posts CSV: post_id, name, kind (koban|chuzaisho), lon, lat[, station]."""
    path = Path(path)
    cols = [
        v.Column("post_id", v.nonempty),
        v.Column("name", v.nonempty),
        v.Column("kind", v.choice(PostKind)),
        v.Column("lon", v.number(-180, 180, "longitude")),
        v.Column("lat", v.number(-90, 90, "latitude")),
        v.Column("station", v.text, required=False, default=""),
    ]
    rows = v.check_rows(path, _read_rows(path), cols)
    _unique_ids(path, rows, "post_id")
    return [Post(**r) for r in rows]


def beats_from_file(path: str | Path, *, post_ids: set[str]) -> list[Beat]:
    """Parse a beats CSV: beat_id, post_id[, name, registry_households, frequency_years,
    polygon_wkt, incident_hours]."""
    path = Path(path)

    def polygon(raw: str):
        try:
            geom = wkt.loads(raw)
        except Exception:  # shapely raises GEOSException or ValueError
            raise ValueError("not a WKT polygon") from None
        if geom.geom_type not in {"Polygon", "MultiPolygon"}:
            raise ValueError(f"a {geom.geom_type}, not a polygon")
        return geom

    cols = [
        v.Column("beat_id", v.nonempty),
        v.Column("post_id", v.nonempty),
        v.Column("name", v.text, required=False, default=""),
        v.Column("registry_households", v.integer(0), required=False),
        v.Column("frequency_years", v.integer(1, 20), required=False),
        v.Column("polygon_wkt", polygon, required=False),
        v.Column("incident_hours", v.number(0, 24, "hours"), required=False, default=0.0),
    ]

    def known_post(r: dict) -> list[tuple[str, str]]:
        if r["post_id"] not in post_ids:
            return [("post_id", f"unknown post {r['post_id']!r}")]
        return []

    rows = v.check_rows(path, _read_rows(path), cols, row_checks=[known_post])
    _unique_ids(path, rows, "beat_id")
    return [
        Beat(
            r["beat_id"],
            r["post_id"],
            r["name"],
            r["registry_households"],
            r["frequency_years"],
            r["polygon_wkt"],
            r["incident_hours"],
        )
        for r in rows
    ]


def officers_from_file(
    path: str | Path, *, beat_ids: set[str], patterns: set[str]
) -> list[Officer]:
    """Parse an officers CSV: officer_id, beat_id, name, pattern[, phase, mode, visit_hours]."""
    path = Path(path)
    cols = [
        v.Column("officer_id", v.nonempty),
        v.Column("beat_id", v.nonempty),
        v.Column("name", v.text, required=False, default=""),
        v.Column("pattern", v.nonempty),
        v.Column("phase", v.integer(0, 30), required=False, default=0),
        v.Column("mode", v.choice(Mode), required=False, default=Mode.WALK),
        v.Column("visit_hours", hours_from_text, required=False, default={}),
    ]

    def known(r: dict) -> list[tuple[str, str]]:
        out = []
        if r["beat_id"] not in beat_ids:
            out.append(("beat_id", f"unknown beat {r['beat_id']!r}"))
        if r["pattern"] not in patterns:
            names = ", ".join(sorted(patterns))
            out.append(("pattern", f"unknown pattern {r['pattern']!r} ({names})"))
        return out

    rows = v.check_rows(path, _read_rows(path), cols, row_checks=[known])
    _unique_ids(path, rows, "officer_id")
    return [Officer(**r) for r in rows]


def officer_days_from_file(path: str | Path, *, officer_ids: set[str]) -> list[OfficerDay]:
    """Parse leave days and 専従日: officer_id, date, kind (leave|senju).

    Raises
    ------
    RowError
        Naming row and column of every bad cell, unknown officer, and officer and day given
        once as leave and once as 専従日 (a row repeated as it is does no harm).
    """
    path = Path(path)

    def kind(raw: str) -> DutyType:
        value = raw.strip().lower()
        if value not in {"leave", "senju"}:
            raise ValueError(f"{raw.strip()!r} is not leave or senju")
        return DutyType(value)

    cols = [
        v.Column("officer_id", v.nonempty),
        v.Column("date", v.iso_date()),
        v.Column("kind", kind),
    ]

    def known(r: dict) -> list[tuple[str, str]]:
        if r["officer_id"] not in officer_ids:
            return [("officer_id", f"unknown officer {r['officer_id']!r}")]
        return []

    rows = v.check_rows(path, _read_rows(path), cols, row_checks=[known])
    numbers = v.row_numbers(rows)
    first: dict[tuple[str, date], int] = {}
    problems = []
    for i, r in enumerate(rows):
        j = first.setdefault((r["officer_id"], r["date"]), i)
        if rows[j]["kind"] is not r["kind"]:
            problems.append(
                (
                    numbers[i],
                    "date",
                    f"{r['officer_id']} has {rows[j]['kind'].value} "
                    f"on {r['date']} (row {numbers[j]}) and {r['kind'].value} here: one "
                    "kind a day",
                )
            )
    if problems:
        raise RowError(str(path), problems)
    return [OfficerDay(r["officer_id"], r["date"], r["kind"]) for r in rows]


def targets_from_file(
    path: str | Path | v.Table,
    *,
    policy: Policy,
    beat_ids: set[str],
    posts: Sequence[Post] = (),
    today: date | None = None,
) -> list[Target]:
    """Parse and validate a targets file (CSV, GeoPackage or GeoJSON; columns in docs/formats.md).

    Every row is checked: coordinates present and in range (and within ``MAX_DISTANCE_KM`` of a
    post when posts are known, with a hint when lon/lat look swapped), unique ids, known beat,
    reason codes in the policy's 別表 and of the target's kind, tier valid, last visit not in the
    future, and card / availability / household_type / kind values.  The tier is derived from
    the reasons when the column is empty.

    Raises
    ------
    RowError
        Naming file, row and column of every problem; nothing is returned in part.
    """
    table = path if isinstance(path, v.Table) else None  # a register (planner.registers)
    path = Path(path.path if isinstance(path, v.Table) else path)
    today = today or date.today()
    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("beat_id", v.nonempty),
        v.Column("kind", v.choice(TargetKind)),
        v.Column("address", v.nonempty),
        v.Column("lon", v.number(-180, 180, "longitude")),
        v.Column("lat", v.number(-180, 180, "latitude")),  # range checked with lon below
        v.Column("tier", v.text, required=False, default=""),
        v.Column("reasons", v.codes, required=False, default=()),
        v.Column("building_id", v.text, required=False, default=""),
        v.Column("last_visit", v.iso_date(not_after=today), required=False),
        v.Column("card", v.choice(Card), required=False),
        v.Column(
            "availability", v.choice(Availability), required=False, default=Availability.UNKNOWN
        ),
        v.Column("household_type", v.choice(HouseholdType), required=False),
        v.Column("visit_minutes", v.integer(1, 240), required=False),
        v.Column("name", v.text, required=False, default=""),
        v.Column("moved_out", v.iso_date(not_after=today), required=False),
    ]

    def semantic(r: dict) -> list[tuple[str, str]]:
        out = []
        if r["beat_id"] not in beat_ids:
            out.append(("beat_id", f"unknown beat {r['beat_id']!r}"))
        try:
            derived = classify(r["kind"], r["reasons"], policy)
        except InputError as exc:
            out.append(("reasons", str(exc)))
            derived = policy.default_tier
        if r["tier"] and r["tier"] not in policy.tier_codes:
            if r["tier"] in known_tiers():  # the other prefecture's tier: mapped, not refused
                r["tier"] = mapped_tier(r["kind"], r["reasons"], r["tier"], policy)
            else:
                out.append(
                    (
                        "tier",
                        f"{r['tier']!r} is not a tier of {policy.name} "
                        f"({', '.join(policy.tier_codes)})",
                    )
                )
        r["tier"] = r["tier"] or derived
        if abs(r["lat"]) > 90:
            hint = "lon and lat look swapped" if abs(r["lon"]) <= 90 else "out of range"
            out.append(("lat", f"latitude {r['lat']} is {hint}"))
        else:
            out.extend(far_from_posts(r["lon"], r["lat"], posts))
        return out

    rows_in = table if table is not None else _read_rows(path)
    rows = v.check_rows(path, rows_in, cols, row_checks=[semantic])
    _unique_ids(path, rows, "target_id")
    return [_target_from_row(r) for r in rows]


def far_from_posts(lon: float, lat: float, posts: Sequence[Post]) -> list[tuple[str, str]]:
    """``("lon/lat", why)`` when a point is farther than :data:`MAX_DISTANCE_KM` from every
    post (great-circle, :func:`planner.geo.great_circle_m`), saying so when lon and lat look
    swapped; nothing to say without posts."""
    if not posts:
        return []
    nearest = min(geo.great_circle_m(lon, lat, p.lon, p.lat) for p in posts) / 1000
    if nearest <= MAX_DISTANCE_KM:
        return []
    if min(geo.great_circle_m(lat, lon, p.lon, p.lat) for p in posts) / 1000 <= MAX_DISTANCE_KM:
        return [("lon/lat", "lon and lat look swapped")]
    limit = f"limit {MAX_DISTANCE_KM:g} km"
    return [("lon/lat", f"point is {nearest:.0f} km from the nearest post ({limit})")]


def _target_from_row(r: dict[str, Any]) -> Target:
    kind: TargetKind = r["kind"]
    card = r["card"] or (Card.FULL if r["last_visit"] else Card.NONE)
    household_type = r["household_type"] or (
        HouseholdType.BUSINESS if kind is TargetKind.BUSINESS else HouseholdType.UNKNOWN
    )
    minutes = r["visit_minutes"] or (15 if card is not Card.FULL else 10)
    return Target(
        target_id=r["target_id"],
        beat_id=r["beat_id"],
        kind=kind,
        address=r["address"],
        lon=r["lon"],
        lat=r["lat"],
        tier=r["tier"],
        reasons=r["reasons"],
        building_id=r["building_id"],
        last_visit=r["last_visit"],
        card=card,
        availability=r["availability"],
        household_type=household_type,
        visit_minutes=minutes,
        name=r["name"],
        moved_out=r["moved_out"],
    )


def station_places(
    db: str | Path, *, posts: str | Path | None = None, beats: str | Path | None = None
) -> list[tuple[float, float]]:
    """Lon/lat of the station's posts and its beats' corners (stored, and in the files about to
    be imported): what a street extract is clipped around.  Empty for a new file without them."""
    try:
        station = read_station(db)
    except InputError:
        station = Station(name="", policy="miyagi")
    known = station.posts
    if posts:
        known = merge_by_id(known, posts_from_file(posts), "post_id")
    places = [(p.lon, p.lat) for p in known]
    polygons = [b.polygon for b in station.beats]
    if beats:
        polygons += [b.polygon for b in beats_from_file(beats, post_ids={p.post_id for p in known})]
    for poly in polygons:
        if poly is not None and not poly.is_empty:
            x0, y0, x1, y1 = poly.bounds
            places += [(x0, y0), (x1, y1)]
    return places


def merge_by_id(existing: Sequence[Any], incoming: Sequence[Any], key: str) -> list[Any]:
    """Records after an import: incoming ones replace those with the same id, new ids are appended.

    ``key`` is the id attribute (``target_id``, ``post_id``, ...).  Order is kept: existing records
    first, in their order, then new ones in file order.
    """
    by_id = {getattr(x, key): x for x in incoming}
    merged = [by_id.pop(getattr(x, key), x) for x in existing]
    return merged + [x for x in incoming if getattr(x, key) in by_id]


def import_files(
    db: str | Path,
    *,
    station_name: str | None = None,
    policy_name: str | None = None,
    posts: str | Path | None = None,
    beats: str | Path | None = None,
    officers: str | Path | None = None,
    officer_days: str | Path | None = None,
    targets: Sequence[str | Path | v.Table] = (),
    streets: nx.MultiDiGraph | None = None,
    patterns: set[str],
    today: date | None = None,
) -> Station:
    """Import user files into a station file (created if absent) in one atomic write.

    Files are applied in dependency order (posts, beats, officers, officer days, targets), each
    validated against what precedes it; records with a known id replace the stored ones (a
    target keeps what its recorded visits gave it, and a move to another beat is kept:
    :func:`planner.records.merge_targets`).  When
    any file has a bad row nothing is written and the :class:`RowError` names every problem.

    Returns
    -------
    Station
        The station as written.
    """
    from planner.policy import load_policy

    store = backend(db)
    db = db if store is store_pg else Path(db)
    with station_lock(db):
        if store.station_exists(db):
            station = read_station(db)
            if station_name:
                station.name = station_name
            if policy_name:
                station.policy = policy_name
        else:
            if not station_name:
                raise InputError(
                    f"{describe(db)}: new station file: give the station's name (--station)"
                )
            station = Station(name=station_name, policy=policy_name or "miyagi")
        policy = load_policy(station.policy)
        station.targets, _ = map_tiers(station.targets, policy)  # stored under other rules
        if posts:
            station.posts = merge_by_id(station.posts, posts_from_file(posts), "post_id")
        if beats:
            new_beats = beats_from_file(beats, post_ids={p.post_id for p in station.posts})
            station.beats = merge_by_id(station.beats, new_beats, "beat_id")
        beat_ids = {b.beat_id for b in station.beats}
        if officers:
            new_officers = officers_from_file(officers, beat_ids=beat_ids, patterns=patterns)
            station.officers = merge_by_id(station.officers, new_officers, "officer_id")
        if officer_days:
            days = officer_days_from_file(
                officer_days, officer_ids={o.officer_id for o in station.officers}
            )
            known = {(d.officer_id, d.date) for d in days}
            station.officer_days = [
                d for d in station.officer_days if (d.officer_id, d.date) not in known
            ] + days
        for path in targets:
            new_targets = targets_from_file(
                path, policy=policy, beat_ids=beat_ids, posts=station.posts, today=today
            )
            station.targets, moves = merge_targets(
                station.targets, new_targets, today or date.today(), station.visits
            )
            station.beat_moves += moves
        write_station(station, db, streets=streets)
    return station
