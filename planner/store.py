"""The station file: one GeoPackage per 警察署 (opens in QGIS), read and written with pyogrio.

Layers: ``posts`` (points), ``beats`` (polygons), ``targets`` (points), ``officers``,
``officer_days``, ``visits`` and ``exemptions`` (tables), ``meta`` (key/value table), and the
street network as ``street_nodes`` / ``street_edges``.  Every write goes to a temporary file beside
the target and is renamed over it, so a station file is always whole; files are created owner-only
(0600) because a register holds personal data.

This module also parses and validates the user's CSV / GeoPackage / GeoJSON inputs: every problem
is reported with file, row and column, and nothing is written when any row is bad.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import glob
import logging
import math
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import fields, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, get_type_hints

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
from shapely import wkt
from shapely.geometry import Point

from planner import _validate as v
from planner._errors import InputError, RowError
from planner.files import atomic_path
from planner.model import (
    AccessEntry,
    Approval,
    Availability,
    Beat,
    BeatMove,
    CampaignOrder,
    Card,
    CardLeft,
    DutyType,
    Exemption,
    Guidance,
    HouseholdType,
    Mode,
    Officer,
    OfficerDay,
    OpinionKind,
    Outcome,
    Post,
    PostKind,
    Review,
    Station,
    Target,
    TargetKind,
    Visit,
)
from planner.policy import Policy, classify, known_tiers, map_tiers, mapped_tier
from planner.records import merge_targets

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"
CRS = "EPSG:4326"
TARGET_COLUMNS = (
    "target_id",
    "beat_id",
    "kind",
    "tier",
    "reasons",
    "address",
    "building_id",
    "last_visit",
    "card",
    "availability",
    "household_type",
    "visit_minutes",
    "lon",
    "lat",
    "name",
    "moved_out",
    "registered",
)
STREET_FLAGS = ("walk", "bike", "car", "forward")
"""Edge columns of ``street_edges``: which modes may use the edge, and ``forward`` = 0 where a
car may not go that way on a one-way street (files without them: every mode, both ways)."""
STREET_META = ("streets_source", "streets_report")
"""``meta`` keys of the streets: ``openstreetmap`` (outputs credit OSM) and the import report."""
MAX_DISTANCE_KM = 50.0  # a target farther than this from every post is "far outside the station"


# --------------------------------------------------------------------------------------------
# locks and the access log


LOCK_TIMEOUT_S = 30.0


@contextlib.contextmanager
def station_lock(path: str | Path, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the station file's exclusive lock (``.<name>.lock`` beside it) for a change.

    Two planner runs changing one station file (two officers of a 交番 recording at once) take
    turns: the second waits up to ``timeout_s`` seconds, then fails with a clear message.  While
    the lock is held, temporary files left by a run that was killed mid-write are removed.

    Raises
    ------
    InputError
        If another run still holds the lock after ``timeout_s`` seconds.
    """
    if (pg := _postgis(path)) is not None:  # a PostGIS station: an advisory lock
        with pg.station_lock(path, timeout_s=timeout_s):
            yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError(
                        f"{path}: another planner run is changing this station file; "
                        f"waited {timeout_s:g} s — try again when it has finished"
                    ) from None
                time.sleep(0.05)
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*{path.suffix}"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()  # a temporary file of a killed run: never renamed, never valid
        yield
    finally:
        os.close(fd)  # closing releases the lock


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
    if _postgis(path) is None:
        append_access_file(path, entry)
    log.info("access log: %s by %s (%d records)", what, entry.who, records)
    return entry


def access_file(path: str | Path) -> Path:
    """The access log kept beside a station file, outside it: ``<station>.gpkg.access.log``."""
    path = Path(path)
    return path.with_name(path.name + ".access.log")


def append_access_file(path: str | Path, entry: AccessEntry) -> Path:
    """Append one line (tab-separated: when, who, records, what) to :func:`access_file`.

    The file is only ever opened for appending and is created owner-only, so a copy of the
    station file cannot take its own audit trail with it (an office may also make it
    append-only with ``chattr +a``).
    """
    log_path = access_file(path)
    line = f"{entry.when.isoformat(sep=' ')}\t{entry.who}\t{entry.records}\t{entry.what}\n"
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return log_path


def _snapshot(station: Station) -> tuple:
    """The station's content (records are frozen, so shallow list copies suffice)."""
    return tuple(
        list(value) if isinstance(value, list) else value
        for value in (getattr(station, f.name) for f in fields(station))
    )


# --------------------------------------------------------------------------------------------
# model <-> frames


def targets_to_frame(targets: Sequence[Target]) -> gpd.GeoDataFrame:
    """Targets as a GeoDataFrame with the documented column names (see docs/formats.md)."""
    rows = [
        {
            "target_id": t.target_id,
            "beat_id": t.beat_id,
            "kind": t.kind.value,
            "tier": t.tier,
            "reasons": ",".join(t.reasons),
            "address": t.address,
            "building_id": t.building_id,
            "last_visit": t.last_visit.isoformat() if t.last_visit else "",
            "card": t.card.value,
            "availability": t.availability.value,
            "household_type": t.household_type.value,
            "visit_minutes": t.visit_minutes,
            "lon": t.lon,
            "lat": t.lat,
            "name": t.name,
            "moved_out": t.moved_out.isoformat() if t.moved_out else "",
            "registered": t.registered.isoformat() if t.registered else "",
        }
        for t in targets
    ]
    frame = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def _targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    out = []
    for r in frame.itertuples(index=False):
        out.append(
            Target(
                target_id=str(r.target_id),
                beat_id=str(r.beat_id),
                kind=TargetKind(r.kind),
                address=_s(r.address),
                lon=float(r.lon),
                lat=float(r.lat),
                tier=str(r.tier),
                reasons=tuple(c for c in _s(r.reasons).split(",") if c),
                building_id=_s(r.building_id),
                last_visit=date.fromisoformat(r.last_visit) if _s(r.last_visit) else None,
                card=Card(r.card),
                availability=Availability(r.availability),
                household_type=HouseholdType(r.household_type),
                visit_minutes=int(r.visit_minutes),
                name=_s(getattr(r, "name", "")),
                moved_out=_opt_date(getattr(r, "moved_out", "")),
                registered=_opt_date(getattr(r, "registered", "")),
            )
        )
    return out


def _opt_date(value: Any) -> date | None:
    return date.fromisoformat(_s(value)) if _s(value) else None


def _s(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _hours_to_text(hours: dict[str, float]) -> str:
    return ";".join(f"{k}={hours[k]:g}" for k in sorted(hours))


def _hours_from_text(raw: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in raw.replace(" ", "").split(";"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not duty=hours (e.g. toban=1.5;toban.evening=1)")
        duty = key.split(".")[0]
        if (
            duty not in {d.value for d in DutyType}
            or key.count(".") > 1
            or ("." in key and not key.endswith(".evening"))
        ):
            raise ValueError(f"{key!r} is not a duty type (optionally with .evening)")
        try:
            hours = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number of hours") from None
        if not 0 <= hours <= 24:
            raise ValueError(f"{hours} hours is out of range [0, 24]")
        out[key] = hours
    return out


# --------------------------------------------------------------------------------------------
# read / write the station file


def _describe(path: str | Path) -> str:
    """A station's path, or its URL without the password, for messages."""
    from planner.store_pg import describe

    return describe(path)


def _postgis(path: str | Path):
    """:mod:`planner.store_pg` when ``path`` is a ``postgresql://`` URL (a str), else ``None``."""
    from planner import store_pg

    return store_pg if store_pg.is_url(path) else None


def read_station(path: str | Path) -> Station:
    """Read a station GeoPackage (or a PostGIS station URL) into a :class:`Station`.

    Raises
    ------
    InputError
        If the file is missing or is not a station file.
    """
    if (pg := _postgis(path)) is not None:
        return pg.read_station(path)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such station file")
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # GDAL raises several kinds of errors for garbage files
        raise InputError(f"{path}: not a GeoPackage: {exc}") from exc
    if "meta" not in layers:
        raise InputError(f"{path}: not a station file (no 'meta' layer)")
    meta = _read_table(path, "meta")
    info = dict(zip(meta["key"], meta["value"], strict=True))
    station = Station(name=info.get("station", ""), policy=info.get("policy", "miyagi"))
    if "posts" in layers:
        for r in _read_table(path, "posts").itertuples(index=False):
            station.posts.append(
                Post(
                    str(r.post_id),
                    _s(r.name),
                    PostKind(r.kind),
                    float(r.lon),
                    float(r.lat),
                    _s(r.station),
                )
            )
    if "beats" in layers:
        beats = pyogrio.read_dataframe(path, layer="beats")
        for r in beats.itertuples(index=False):
            station.beats.append(
                Beat(
                    beat_id=str(r.beat_id),
                    post_id=str(r.post_id),
                    name=_s(r.name),
                    registry_households=_opt_int(r.registry_households),
                    frequency_years=_opt_int(r.frequency_years),
                    polygon=r.geometry,
                    incident_hours=_opt_float(getattr(r, "incident_hours", None)),
                )
            )
    if "targets" in layers:
        station.targets = _targets_from_frame(_read_table(path, "targets"))
    if "officers" in layers:
        for r in _read_table(path, "officers").itertuples(index=False):
            station.officers.append(
                Officer(
                    str(r.officer_id),
                    str(r.beat_id),
                    _s(r.name),
                    str(r.pattern),
                    int(r.phase),
                    Mode(r.mode),
                    _hours_from_text(_s(r.visit_hours)),
                )
            )
    if "officer_days" in layers:
        for r in _read_table(path, "officer_days").itertuples(index=False):
            station.officer_days.append(
                OfficerDay(str(r.officer_id), date.fromisoformat(r.date), DutyType(r.kind))
            )
    if "visits" in layers:
        for r in _read_table(path, "visits").itertuples(index=False):
            station.visits.append(
                Visit(
                    str(r.target_id),
                    date.fromisoformat(r.date),
                    str(r.officer_id),
                    Outcome(r.outcome),
                    _s(r.notes),
                    Card(r.card_before) if _s(getattr(r, "card_before", "")) else None,
                    _s(getattr(r, "opinion", "")),
                    OpinionKind(r.opinion_kind) if _s(getattr(r, "opinion_kind", "")) else None,
                    _s(getattr(r, "action", "")),
                    _opt_int(getattr(r, "minutes_spent", None)),
                    _s(getattr(r, "slot", "")),
                    CardLeft(r.card_left) if _s(getattr(r, "card_left", "")) else None,
                    _opt_date(getattr(r, "reported_on", "")),
                )
            )
    if "exemptions" in layers:
        for r in _read_table(path, "exemptions").itertuples(index=False):
            station.exemptions.append(
                Exemption(
                    str(r.target_id), _s(r.ordered_by), date.fromisoformat(r.date), _s(r.reason)
                )
            )
    for layer, kind in RECORD_LAYERS.items():
        if layer in layers:
            getattr(station, layer).extend(_records_from_frame(_read_table(path, layer), kind))
    if "access_log" in layers:
        for r in _read_table(path, "access_log").itertuples(index=False):
            station.access_log.append(
                AccessEntry(datetime.fromisoformat(r.when), _s(r.who), _s(r.what), int(r.records))
            )
    return with_exemptions(station)


def with_exemptions(station: Station) -> Station:
    """Set each target's ``exempted`` date from the station's exemption orders (earliest wins).

    The ``exemptions`` layer is the one record of an exemption; targets carry the date only in
    memory, so re-importing a register never drops an order.
    """
    first: dict[str, date] = {}
    for e in station.exemptions:
        first[e.target_id] = min(e.date, first.get(e.target_id, e.date))
    station.targets = [
        t if t.exempted == first.get(t.target_id) else replace(t, exempted=first.get(t.target_id))
        for t in station.targets
    ]
    return station


RECORD_LAYERS: dict[str, type] = {
    "approvals": Approval,
    "reviews": Review,
    "guidance": Guidance,
    "beat_moves": BeatMove,
    "campaign_orders": CampaignOrder,
}
"""Station lists of flat records kept as tables of the same name, one column per field in
field order (dates as ISO text, enums as their values)."""


def _records_to_rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of a record layer: each field by name, dates as ISO text, enums as values."""

    def cell(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return value.value if isinstance(value, StrEnum) else value

    return [{f.name: cell(getattr(x, f.name)) for f in fields(x)} for x in records]


def _records_from_frame(frame: pd.DataFrame, kind: type) -> list[Any]:
    """Records of ``kind`` (a flat dataclass of str, int, float, date and enum fields) from the
    rows :func:`_records_to_rows` wrote."""
    hints = get_type_hints(kind)
    parse: dict[type, Any] = {str: _s, int: int, float: float, date: date.fromisoformat}
    names = [f.name for f in fields(kind)]
    convert = [parse.get(hints[n], hints[n]) for n in names]  # an enum class parses itself
    return [
        kind(*(fn(value) for fn, value in zip(convert, row, strict=True)))
        for row in frame[names].itertuples(index=False)
    ]


def _read_table(path: Path, layer: str) -> pd.DataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    return pd.DataFrame(frame)


def _opt_int(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return int(value)


def _opt_float(value: Any, default: float = 0.0) -> float:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return default
    return float(value)


def read_streets(path: str | Path) -> nx.MultiDiGraph | None:
    """The street network stored in a station file, or ``None`` if it has none.

    Edges carry ``walk`` / ``bike`` / ``car`` / ``forward`` (:data:`STREET_FLAGS`); the graph's
    ``source`` and ``street_report`` attributes say where the streets came from and what their
    import kept, dropped and linked (:func:`planner.streets.street_report`).
    """
    if (pg := _postgis(path)) is not None:
        return pg.read_streets(path)
    path = Path(path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    if "street_nodes" not in layers or "street_edges" not in layers:
        return None
    nodes = pyogrio.read_dataframe(path, layer="street_nodes", read_geometry=False)
    edges = pyogrio.read_dataframe(path, layer="street_edges")
    graph = nx.MultiDiGraph(crs=CRS)
    if "meta" in layers:  # where the streets came from, and the import's report
        meta = _read_table(path, "meta")
        info = dict(zip(meta["key"], meta["value"], strict=True))
        for key, attr in zip(STREET_META, ("source", "street_report"), strict=True):
            if _s(info.get(key)):
                graph.graph[attr] = _s(info[key])
    for r in nodes.itertuples(index=False):
        graph.add_node(int(r.osmid), x=float(r.x), y=float(r.y))
    flags = [c for c in STREET_FLAGS if c in edges.columns]  # older files: every mode, two-way
    for r in edges.itertuples(index=False):
        attrs = {"length": float(r.length), "highway": _s(r.highway), "geometry": r.geometry}
        if _s(r.name):
            attrs["name"] = _s(r.name)
        for c in flags:
            value = getattr(r, c)
            attrs[c] = True if value is None or pd.isna(value) else bool(value)
        graph.add_edge(int(r.u), int(r.v), key=int(r.key), **attrs)
    return graph


def read_street_report(path: str | Path) -> list[str] | None:
    """What the import of the stored streets kept, dropped and linked, as printable lines.

    ``None`` when the station has no streets; a note when they were not read from OSM by this
    version (a GraphML file, a made-up town, an older import).
    """
    from planner.streets import StreetReport

    if _postgis(path) is None:
        path = Path(path)
        layers = {name for name, _ in pyogrio.list_layers(path)}
        if "street_edges" not in layers:
            return None
        meta = _read_table(path, "meta")
        info = {k: _s(val) for k, val in zip(meta["key"], meta["value"], strict=True)}
        source, report = info.get("streets_source", ""), info.get("streets_report", "")
    else:
        graph = read_streets(path)
        if graph is None:
            return None
        source = str(graph.graph.get("source", ""))
        report = str(graph.graph.get("street_report", ""))
    if report:
        return StreetReport.from_json(report).lines()
    return [f"streets: stored without an import report (source: {source or 'not recorded'})"]


def write_station(
    station: Station, path: str | Path, *, streets: nx.MultiDiGraph | None = None
) -> None:
    """Write a whole station (and optionally its street network) atomically, owner-only.

    When ``streets`` is ``None`` the network already in the file (if any) is kept.
    """
    if (pg := _postgis(path)) is not None:
        pg.write_station(station, path, streets=streets)
        return
    path = Path(path)
    if streets is None and path.is_file():
        streets = read_streets(path)
    with atomic_path(path) as tmp:
        _write_layers(station, tmp, streets)
    log.info("wrote %s: %d targets in %d beats", path, len(station.targets), len(station.beats))


def _write_layers(station: Station, tmp: Path, streets: nx.MultiDiGraph | None) -> None:
    def table(name: str, rows: list[dict], columns: Sequence[str]) -> None:
        frame = pd.DataFrame(rows, columns=list(columns))
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")

    table(
        "meta",
        [
            {"key": k, "value": val}
            for k, val in (
                ("format_version", FORMAT_VERSION),
                ("station", station.name),
                ("policy", station.policy),
                *_street_meta(streets),
            )
        ],
        ("key", "value"),
    )
    posts = gpd.GeoDataFrame(
        [
            {
                "post_id": p.post_id,
                "name": p.name,
                "kind": p.kind.value,
                "lon": p.lon,
                "lat": p.lat,
                "station": p.station,
            }
            for p in station.posts
        ],
        columns=["post_id", "name", "kind", "lon", "lat", "station"],
        geometry=[Point(p.lon, p.lat) for p in station.posts],
        crs=CRS,
    )
    pyogrio.write_dataframe(posts, tmp, layer="posts", driver="GPKG", geometry_type="Point")
    beats = gpd.GeoDataFrame(
        [
            {
                "beat_id": b.beat_id,
                "post_id": b.post_id,
                "name": b.name,
                "registry_households": b.registry_households,
                "frequency_years": b.frequency_years,
                "incident_hours": b.incident_hours,
            }
            for b in station.beats
        ],
        columns=[
            "beat_id",
            "post_id",
            "name",
            "registry_households",
            "frequency_years",
            "incident_hours",
        ],
        geometry=[b.polygon for b in station.beats],
        crs=CRS,
    )
    for col in ("registry_households", "frequency_years"):
        beats[col] = beats[col].astype("Int64")
    pyogrio.write_dataframe(beats, tmp, layer="beats", driver="GPKG", geometry_type="Unknown")
    pyogrio.write_dataframe(
        targets_to_frame(station.targets),
        tmp,
        layer="targets",
        driver="GPKG",
        geometry_type="Point",
    )
    table(
        "officers",
        [
            {
                "officer_id": o.officer_id,
                "beat_id": o.beat_id,
                "name": o.name,
                "pattern": o.pattern,
                "phase": o.phase,
                "mode": o.mode.value,
                "visit_hours": _hours_to_text(o.visit_hours),
            }
            for o in station.officers
        ],
        ("officer_id", "beat_id", "name", "pattern", "phase", "mode", "visit_hours"),
    )
    table(
        "officer_days",
        [
            {"officer_id": d.officer_id, "date": d.date.isoformat(), "kind": d.kind.value}
            for d in station.officer_days
        ],
        ("officer_id", "date", "kind"),
    )
    table(
        "visits",
        [
            {
                "target_id": x.target_id,
                "date": x.date.isoformat(),
                "officer_id": x.officer_id,
                "outcome": x.outcome.value,
                "notes": x.notes,
                "card_before": x.card_before.value if x.card_before else "",
                "opinion": x.opinion,
                "opinion_kind": x.opinion_kind.value if x.opinion_kind else "",
                "action": x.action,
                "minutes_spent": x.minutes_spent,
                "slot": x.slot,
                "card_left": x.card_left.value if x.card_left else "",
                "reported_on": x.reported_on.isoformat() if x.reported_on else "",
            }
            for x in station.visits
        ],
        (
            "target_id",
            "date",
            "officer_id",
            "outcome",
            "notes",
            "card_before",
            "opinion",
            "opinion_kind",
            "action",
            "minutes_spent",
            "slot",
            "card_left",
            "reported_on",
        ),
    )
    for layer, kind in RECORD_LAYERS.items():
        table(layer, _records_to_rows(getattr(station, layer)), [f.name for f in fields(kind)])
    table(
        "access_log",
        [
            {
                "when": a.when.isoformat(timespec="seconds"),
                "who": a.who,
                "what": a.what,
                "records": a.records,
            }
            for a in station.access_log
        ],
        ("when", "who", "what", "records"),
    )
    table(
        "exemptions",
        [
            {
                "target_id": e.target_id,
                "ordered_by": e.ordered_by,
                "date": e.date.isoformat(),
                "reason": e.reason,
            }
            for e in station.exemptions
        ],
        ("target_id", "ordered_by", "date", "reason"),
    )
    if streets is not None:
        _write_streets(streets, tmp)


def _street_meta(streets: nx.MultiDiGraph | None) -> list[tuple[str, str]]:
    """``meta`` rows saying where the streets came from and what their import kept and linked."""
    if streets is None:
        return []
    from planner.streets import street_report

    report = street_report(streets)
    rows = [
        ("streets_source", str(streets.graph.get("source", ""))),
        ("streets_report", report.to_json() if report is not None else ""),
    ]
    return [(k, v) for k, v in rows if v]


def _write_streets(graph: nx.MultiDiGraph, tmp: Path) -> None:
    nodes = gpd.GeoDataFrame(
        [
            {"osmid": int(n), "x": float(d["x"]), "y": float(d["y"])}
            for n, d in graph.nodes(data=True)
        ],
        columns=["osmid", "x", "y"],
        geometry=[Point(d["x"], d["y"]) for _, d in graph.nodes(data=True)],
        crs=CRS,
    )
    pyogrio.write_dataframe(nodes, tmp, layer="street_nodes", driver="GPKG", geometry_type="Point")
    rows, geoms = [], []
    for u, w, k, d in graph.edges(keys=True, data=True):
        geom = d.get("geometry")
        if geom is None:
            from shapely.geometry import LineString

            a, b = graph.nodes[u], graph.nodes[w]
            geom = LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        rows.append(
            {
                "u": int(u),
                "v": int(w),
                "key": int(k),
                "length": float(d["length"]),
                "highway": _flat(d.get("highway")),
                "name": _flat(d.get("name")),
                **{c: int(bool(d.get(c, True))) for c in STREET_FLAGS},
            }
        )
        geoms.append(geom)
    edges = gpd.GeoDataFrame(
        rows,
        columns=["u", "v", "key", "length", "highway", "name", *STREET_FLAGS],
        geometry=geoms,
        crs=CRS,
    )
    pyogrio.write_dataframe(
        edges, tmp, layer="street_edges", driver="GPKG", geometry_type="LineString"
    )


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ",".join(sorted(str(x) for x in value))
    return str(value)


# --------------------------------------------------------------------------------------------
# user inputs: parse and validate


def _read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of text from a CSV, GeoPackage or GeoJSON file (lon/lat taken from point geometry)."""
    suffix = path.suffix.lower()
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
        rows = []
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
            rows.append(row)
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
        v.Column("visit_hours", _hours_from_text, required=False, default={}),
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
    path = Path(table.path if table is not None else path)
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
            out.extend(_far_from_posts(r["lon"], r["lat"], posts))
        return out

    rows_in = table if table is not None else _read_rows(path)
    rows = v.check_rows(path, rows_in, cols, row_checks=[semantic])
    _unique_ids(path, rows, "target_id")
    return [_target_from_row(r) for r in rows]


def _far_from_posts(lon: float, lat: float, posts: Sequence[Post]) -> list[tuple[str, str]]:
    """``("lon/lat", why)`` when a point is farther than :data:`MAX_DISTANCE_KM` from every
    post (saying so when lon and lat look swapped); nothing to say without posts."""
    if not posts:
        return []
    nearest = min(_km(lon, lat, p.lon, p.lat) for p in posts)
    if nearest <= MAX_DISTANCE_KM:
        return []
    if min(_km(lat, lon, p.lon, p.lat) for p in posts) <= MAX_DISTANCE_KM:
        return [("lon/lat", "lon and lat look swapped")]
    limit = f"limit {MAX_DISTANCE_KM:g} km"
    return [("lon/lat", f"point is {nearest:.0f} km from the nearest post ({limit})")]


def _km_to_posts(lons: Any, lats: Any, posts: Sequence[Post]) -> np.ndarray:
    """Great-circle km from each point to its nearest post, for many points at once (street
    nodes); the formula of :func:`_km`."""
    lat = np.radians(np.asarray(lats, dtype=float))
    lon = np.radians(np.asarray(lons, dtype=float))
    nearest = np.full(lon.shape, np.inf)
    for p in posts:
        p_lat, p_lon = math.radians(p.lat), math.radians(p.lon)
        a = (
            np.sin((p_lat - lat) / 2) ** 2
            + np.cos(lat) * math.cos(p_lat) * np.sin((p_lon - lon) / 2) ** 2
        )
        nearest = np.minimum(nearest, 12742.0 * np.arcsin(np.minimum(1.0, np.sqrt(a))))
    return nearest


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


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

    pg = _postgis(db)
    db = db if pg else Path(db)
    with station_lock(db):
        if pg.station_exists(db) if pg else db.is_file():
            station = read_station(db)
            if station_name:
                station.name = station_name
            if policy_name:
                station.policy = policy_name
        else:
            if not station_name:
                raise InputError(
                    f"{_describe(db)}: new station file: give the station's name (--station)"
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
