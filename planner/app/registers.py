"""Registers in and out: ``import``, ``export``, ``geocode`` and ``info``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from planner._errors import InputError
from planner.app.common import Db, Line, say, warn
from planner.model import AccessEntry, Station
from planner.network import check_near_posts, far_from_street, load_streets
from planner.policy import TierMapping, collect_tier_mapping, load_policy
from planner.redact import beat_copy, named_records, redacted
from planner.registers import export_register, geocode_file, import_registers
from planner.roster import PATTERNS
from planner.store import (
    describe,
    log_access,
    posts_from_file,
    read_station,
    read_street_report,
    read_streets,
    same_station,
    station_places,
    write_station,
)
from planner.streets import street_report
from planner.summary import format_summary, summarize

FAR_FROM_STREET_M = 60.0
"""A target farther than this from every street is named after an import."""


@dataclass(frozen=True, slots=True)
class Info:
    """A station's summary per beat, its streets' report, or its access log."""

    message: tuple[Line, ...]
    access_log: tuple[AccessEntry, ...] = ()

    def lines(self) -> list[Line]:
        """The lines to show."""
        return list(self.message)


def station_info(db: Db, year: int, *, access_log: bool = False) -> Info:
    """Targets by tier and kind, due this year and officer hours per beat, and the streets'
    import report; or (``access_log``) every export that held names."""
    station = read_station(db)
    if access_log:
        lines = [say(f"{station.name}: {len(station.access_log)} exports with names")]
        lines += [
            say(f"{a.when.isoformat(sep=' ')}  {a.who}  {a.records:6d}  {a.what}")
            for a in station.access_log
        ]
        return Info(tuple(lines), tuple(station.access_log))
    lines = summary_lines(station, year)
    lines += [say(x) for x in read_street_report(db) or ()]
    return Info(tuple(lines))


def summary_lines(station: Station, year: int) -> list[Line]:
    """The station's name, policy and year, and its summary table."""
    policy = load_policy(station.policy)
    return [
        say(f"{station.name} — {policy.label} — {year}年"),
        say(format_summary(summarize(station, policy, year), policy, year)),
    ]


@dataclass(frozen=True, slots=True)
class Exported:
    """A copy written: where, how many targets, how many named records (logged)."""

    message: str

    def lines(self) -> list[Line]:
        """The line to show."""
        return [say(self.message)]


def export_station(
    db: Db,
    out: Db,
    *,
    redact: bool = False,
    beat_id: str | None = None,
    fmt: str | None = None,
) -> Exported:
    """Write a copy of the station (``fmt`` ``station``) or its register as an office workbook
    (``xlsx``; default from the file name).  A copy with names is logged in the access log.

    Raises
    ------
    InputError
        When the copy would overwrite the station, or for an unknown beat.
    """
    if fmt == "xlsx" or (fmt is None and str(out).lower().endswith(".xlsx")):
        rows, records = export_register(db, out, redact=redact)
        named = f"{records} named records, logged" if records else "no names"
        return Exported(f"wrote {out}: 案内簿, {rows} targets ({named})")
    where = describe(out)  # a URL without its password
    if same_station(out, db):
        raise InputError(f"{where}: the copy must not overwrite the station file")
    station = read_station(db)
    if beat_id is not None:
        if beat_id not in {b.beat_id for b in station.beats}:
            raise InputError(f"--beat: unknown beat {beat_id!r}")
        station = beat_copy(station, beat_id)
    sensitive = load_policy(station.policy).sensitive_reasons
    copy = redacted(station, sensitive) if redact else station
    write_station(copy, out, streets=read_streets(db))
    records = named_records(copy)
    what = f" --beat {beat_id}" if beat_id else ""
    if records:
        log_access(db, f"export{what} → {where}", records)
    kind = "redacted copy (no names)" if redact else f"full copy ({records} named records, logged)"
    scope = f"beat {beat_id} alone, " if beat_id else ""
    return Exported(f"wrote {where}: {kind}, {scope}{len(copy.targets)} targets")


@dataclass(frozen=True, slots=True)
class Imported:
    """A station after an import, the geocoding of each register and the streets' report."""

    station: Station
    message: tuple[Line, ...] = ()

    def lines(self) -> list[Line]:
        """The lines to show."""
        return list(self.message)


def import_station(
    db: Db,
    *,
    station_name: str | None = None,
    policy_name: str | None = None,
    posts: Path | None = None,
    beats: Path | None = None,
    officers: Path | None = None,
    officer_days: Path | None = None,
    streets: Path | None = None,
    targets: Sequence[Path] = (),
    sheet: str | None = None,
    columns_file: Path | None = None,
    geocode_refs: Sequence[Path] = (),
    review_dir: Path | None = None,
) -> Imported:
    """Import registers (targets CSV / GeoPackage / GeoJSON / 案内簿 workbook), posts, beats,
    officers, their days and the streets into a station (created when absent).

    Every row is checked first; on any bad row nothing is written.  Streets far from every post
    are refused before anything is written.  Rows without coordinates are placed offline from
    ``geocode_refs``.

    Raises
    ------
    InputError
        Listing each bad row with file, row and column.
    """
    graph = _streets_for(db, streets, posts, beats) if streets else None
    with collect_tier_mapping() as mapped:
        station, registers = import_registers(
            db,
            station_name=station_name,
            policy_name=policy_name,
            posts=posts,
            beats=beats,
            officers=officers,
            officer_days=officer_days,
            targets=list(targets),
            streets=graph,
            patterns=set(PATTERNS),
            sheet=sheet,
            columns_file=columns_file,
            refs=list(geocode_refs),
            review_dir=review_dir,
        )
    lines = [warn(TierMapping(station.policy, dict(mapped)).message())] if mapped else []
    lines += [say(geocode_summary(str(run.table.path), run.counts())) for run in registers.runs]
    lines.append(
        say(
            f"{describe(db)}: {len(station.posts)} posts, {len(station.beats)} beats, "
            f"{len(station.officers)} officers, {len(station.targets)} targets"
        )
    )
    if graph is not None:
        report = street_report(graph)
        lines += [say(x) for x in (report.lines() if report is not None else ())]
        lines += _far_from_streets(station, graph)
    return Imported(station, tuple(lines))


def _streets_for(db: Db, path: Path, posts: Path | None, beats: Path | None) -> nx.MultiDiGraph:
    """The street file clipped around the station's places, refused when far from every post."""
    graph = load_streets(path, around=station_places(db, posts=posts, beats=beats))
    try:
        known = read_station(db).posts
    except InputError:  # a new station file (the import says why when it is bad)
        known = []
    check_near_posts(graph, [*known, *(posts_from_file(posts) if posts else [])], source=str(path))
    return graph


def _far_from_streets(station: Station, graph: nx.MultiDiGraph) -> list[Line]:
    if not station.targets:
        return []
    far = far_from_street(
        graph,
        [t.lon for t in station.targets],
        [t.lat for t in station.targets],
        threshold_m=FAR_FROM_STREET_M,
    )
    if not far:
        return []
    ids = ", ".join(station.targets[i].target_id for i in far[:20])
    more = f" and {len(far) - 20} more" if len(far) > 20 else ""
    return [
        warn(
            f"warning: {len(far)} targets are over {FAR_FROM_STREET_M:g} m from any street: "
            f"{ids}{more}"
        )
    ]


def geocode_summary(label: str, counts: dict[str, int]) -> str:
    """One line: rows placed at each level, and the share at 街区 or finer."""
    placed = counts["号"] + counts["街区"]
    total = sum(counts.values()) - counts["given"]
    share = f" ({100 * placed / total:.1f} % at 街区 or finer)" if total else ""
    return (
        f"{label}: placed {total} rows{share}: 号 {counts['号']}, 街区 {counts['街区']}, "
        f"町丁目 {counts['町丁目']}, none {counts['none']}; {counts['given']} had coordinates"
    )


@dataclass(frozen=True, slots=True)
class Geocoded:
    """A register placed offline: counts per level and the files written."""

    register: Path
    counts: dict[str, int]
    written: list[Path] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """The counts and each file written."""
        out = [say(geocode_summary(str(self.register), self.counts))]
        return out + [say(f"wrote {p}") for p in self.written]


def geocode_register(
    register: Path,
    out: Path,
    *,
    refs: Sequence[Path],
    sheet: str | None = None,
    columns_file: Path | None = None,
    near: Sequence[str] = (),
) -> Geocoded:
    """Place a register's addresses offline (lon, lat, geocode_level, geocode_note); rows that
    reach only the 町丁目 or nothing go to geocode_review.csv / .html beside ``out``."""
    counts, written = geocode_file(
        register, refs=refs, out=out, sheet=sheet, columns_file=columns_file, near=near
    )
    return Geocoded(register, counts, list(written))
