"""The station as a GeoPackage file (opens in QGIS), read and written with pyogrio.

Layers (:data:`planner.store_schema.LAYERS`): ``posts`` (points), ``beats`` (polygons),
``targets`` (points), ``officers``, ``officer_days``, ``visits``, ``exemptions``, the record
layers and ``access_log`` (tables), ``meta`` (key/value table), and the street network as
``street_nodes`` / ``street_edges``.  Every write goes to a temporary file beside the target and
is renamed over it, so a station file is always whole; files are created owner-only (0600)
because a register holds personal data.

The conversion between a :class:`~planner.model.Station` and its layers lives here alone:
:mod:`planner.store_pg` goes through a temporary GeoPackage (:func:`write_layers`,
:func:`read_station`, :func:`read_streets`).  Callers use :mod:`planner.store`, which picks this
module or that one for a station.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import fields, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, get_type_hints

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyogrio
from shapely.geometry import Point

from planner._errors import InputError
from planner.files import atomic_path
from planner.model import (
    AccessEntry,
    Availability,
    Beat,
    Card,
    CardLeft,
    DutyType,
    Exemption,
    HouseholdType,
    Mode,
    Officer,
    OfficerDay,
    OpinionKind,
    Outcome,
    Post,
    PostKind,
    Station,
    Target,
    TargetKind,
    Visit,
)
from planner.store_schema import (
    CRS,
    FORMAT_VERSION,
    LOCK_TIMEOUT_S,
    RECORD_LAYERS,
    STREET_FLAGS,
    STREET_META,
    TARGET_COLUMNS,
    hours_from_text,
    hours_to_text,
)
from planner.store_schema import cell_text as _s

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# the file: lock, exists, name, the access log beside it


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


def station_exists(path: str | Path) -> bool:
    """Whether the station file exists (an import creates it when it does not)."""
    return Path(path).is_file()


def describe(path: str | Path) -> str:
    """The station file's path, for messages."""
    return str(Path(path))


def same_station(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same station file (resolved)."""
    return Path(a).resolve() == Path(b).resolve()


def keep_access(path: str | Path, entry: AccessEntry) -> None:
    """Keep an access-log entry outside the station file too (:func:`append_access_file`)."""
    append_access_file(path, entry)


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


# --------------------------------------------------------------------------------------------
# read


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


def read_station(path: str | Path) -> Station:
    """Read a station GeoPackage into a :class:`Station`.

    Raises
    ------
    InputError
        If the file is missing or is not a station file.
    """
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
                    hours_from_text(_s(r.visit_hours)),
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
                    str(r.target_id),
                    _s(r.ordered_by),
                    date.fromisoformat(r.date),
                    _s(r.reason),
                )
            )
    for layer, kind in RECORD_LAYERS.items():
        if layer in layers:
            getattr(station, layer).extend(_records_from_frame(_read_table(path, layer), kind))
    if "access_log" in layers:
        for r in _read_table(path, "access_log").itertuples(index=False):
            station.access_log.append(
                AccessEntry(
                    datetime.fromisoformat(r.when),
                    _s(r.who),
                    _s(r.what),
                    int(r.records),
                )
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


def beat_ids(path: str | Path) -> list[str]:
    """Beat ids in file order, reading only the ``beats`` layer (the whole station when that
    layer cannot be read alone, so that :func:`read_station` says what is wrong)."""
    if not Path(path).is_file():
        return [b.beat_id for b in read_station(path).beats]
    try:
        frame = pyogrio.read_dataframe(
            path, layer="beats", read_geometry=False, columns=["beat_id"]
        )
    except Exception:  # not a GeoPackage station file
        return [b.beat_id for b in read_station(path).beats]
    return [str(b) for b in frame["beat_id"]]


def read_street_source(path: str | Path) -> tuple[str, str] | None:
    """Where the stored streets came from and their import report (JSON) from ``meta``, each
    ``""`` when not recorded; ``None`` when the station has no streets."""
    path = Path(path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    if "street_edges" not in layers:
        return None
    meta = _read_table(path, "meta")
    info = {k: _s(val) for k, val in zip(meta["key"], meta["value"], strict=True)}
    return info.get("streets_source", ""), info.get("streets_report", "")


# --------------------------------------------------------------------------------------------
# write


def write_station(
    station: Station, path: str | Path, *, streets: nx.MultiDiGraph | None = None
) -> None:
    """Write a whole station (and optionally its street network) atomically, owner-only.

    When ``streets`` is ``None`` the network already in the file (if any) is kept.
    """
    path = Path(path)
    if streets is None and path.is_file():
        streets = read_streets(path)
    with atomic_path(path) as tmp:
        write_layers(station, tmp, streets)
    log.info("wrote %s: %d targets in %d beats", path, len(station.targets), len(station.beats))


def write_layers(station: Station, tmp: Path, streets: nx.MultiDiGraph | None) -> None:
    """Write every layer of ``station`` (and ``streets``, when given) into the new GeoPackage
    ``tmp``: the one conversion of a station to its layers, the PostGIS store's too."""

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
                "visit_hours": hours_to_text(o.visit_hours),
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
