"""Many station files cut into one task per beat, run by :mod:`planner.executor`.

How a run goes: the parent reads one station file at a time and cuts it into one-beat stations
(:func:`split_station`: the beat, its post, targets, officers, their leave and 専従日, its visits
and exemption orders) with the beat's streets (:class:`StreetIndex`): a task gets only its
beat's inputs and returns its result; workers never touch a file.  When the last beat of a
station is in (:func:`drive`), the parent merges the beats in the station's beat order and
writes that station's files in one step with the usual writers; a failed beat is listed in
``failed_beats.csv`` (station, beat, attempts, error) beside them, and never missing silently.
The use cases :mod:`planner.app.plan`, :mod:`planner.app.compare` and
:mod:`planner.app.simulate` are built on it.
"""

from __future__ import annotations

import contextlib
import csv
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import numpy as np

from planner._errors import InputError, PlannerError
from planner.app.common import Db, Line, Opened, open_station, warn
from planner.executor import ExecutorSpec, Progress, Task, TaskResult, run_tasks
from planner.files import atomic_path
from planner.geo import box_around
from planner.model import Station
from planner.policy import Policy
from planner.store import beat_ids, is_station_url

STREET_MARGIN_M = 1500.0
"""Streets kept around a beat's doors and post for its task (paths rarely leave that box)."""


FAILED_COLUMNS = ("station", "beat_id", "task", "attempts", "error")


def split_station(station: Station, beats: Sequence[str] | None = None) -> list[Station]:
    """One-beat stations, in the station's beat order (``beats`` keeps only those ids).

    Each holds the beat, its post, its targets, its officers with their leave and 専従日, the
    visits and exemption orders of its targets; the station's name and policy; no access log.
    """
    wanted = set(beats) if beats else None
    ids = [b.beat_id for b in station.beats if wanted is None or b.beat_id in wanted]
    targets: dict[str, list] = {b: [] for b in ids}
    for t in station.targets:
        if t.beat_id in targets:
            targets[t.beat_id].append(t)
    beat_of_target = {t.target_id: t.beat_id for b in ids for t in targets[b]}
    officers: dict[str, list] = {b: [] for b in ids}
    for o in station.officers:
        if o.beat_id in officers:
            officers[o.beat_id].append(o)
    beat_of_officer = {o.officer_id: o.beat_id for b in ids for o in officers[b]}
    days: dict[str, list] = {b: [] for b in ids}
    for d in station.officer_days:
        if d.officer_id in beat_of_officer:
            days[beat_of_officer[d.officer_id]].append(d)
    visits: dict[str, list] = {b: [] for b in ids}
    for x in station.visits:
        if x.target_id in beat_of_target:
            visits[beat_of_target[x.target_id]].append(x)
    orders: dict[str, list] = {b: [] for b in ids}
    for e in station.exemptions:
        if e.target_id in beat_of_target:
            orders[beat_of_target[e.target_id]].append(e)
    out = []
    for b in ids:
        beat = station.beat(b)
        posts = [p for p in station.posts if p.post_id == beat.post_id]
        out.append(
            Station(
                station.name,
                station.policy,
                posts,
                [beat],
                targets[b],
                officers[b],
                days[b],
                visits[b],
                orders[b],
            )
        )
    return out


class StreetIndex:
    """A station's street nodes as arrays, to cut each beat's streets out quickly."""

    def __init__(self, graph: nx.MultiDiGraph):
        self.graph = graph
        nodes = list(graph.nodes(data=True))
        self.ids = [n for n, _ in nodes]
        self.x = np.array([float(d["x"]) for _, d in nodes])
        self.y = np.array([float(d["y"]) for _, d in nodes])

    def around(self, beat: Station, margin_m: float = STREET_MARGIN_M) -> nx.MultiDiGraph | None:
        """The streets within ``margin_m`` of the box around the beat's doors, post and
        polygon (``None`` when fewer than two street nodes lie there)."""
        lons = [t.lon for t in beat.targets] + [p.lon for p in beat.posts]
        lats = [t.lat for t in beat.targets] + [p.lat for p in beat.posts]
        for b in beat.beats:
            if b.polygon is not None and not b.polygon.is_empty:
                x0, y0, x1, y1 = b.polygon.bounds
                lons += [x0, x1]
                lats += [y0, y1]
        if not lons:
            return None
        x0, y0, x1, y1 = box_around(lons, lats, margin_m)
        keep = (self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1)
        if keep.sum() < 2:
            return None
        return self.graph.subgraph([self.ids[i] for i in np.flatnonzero(keep)]).copy()


def beat_streets(
    graph: nx.MultiDiGraph | None, beat: Station, margin_m: float = STREET_MARGIN_M
) -> nx.MultiDiGraph | None:
    """The station's streets around one beat (see :meth:`StreetIndex.around`), or ``None``."""
    return None if graph is None else StreetIndex(graph).around(beat, margin_m)


@dataclass(slots=True)
class RunSummary:
    """What a run over many beats came to (``failed`` names every beat that did not finish)."""

    executor: str
    tasks: list[TaskResult] = field(default_factory=list)
    seconds: float = 0.0
    failures_csv: Path | None = None

    @property
    def failed(self) -> list[TaskResult]:
        """Tasks that failed after every attempt, in task order."""
        return [t for t in self.tasks if not t.ok]

    def per_minute(self) -> float:
        """Tasks finished per minute of wall time."""
        return 60 * len(self.tasks) / self.seconds if self.seconds else 0.0

    def raise_failures(self) -> None:
        """Raise a :class:`PlannerError` naming every failed beat with its error, if any."""
        if not self.failed:
            return
        names = "; ".join(f"{t.name}: {t.error}" for t in self.failed[:10])
        more = f" and {len(self.failed) - 10} more" if len(self.failed) > 10 else ""
        raise PlannerError(
            f"{len(self.failed)} of {len(self.tasks)} beat tasks failed after "
            f"{self.failed[0].attempts} attempts (listed in {self.failures_csv}; "
            f"the other beats are written): {names}{more}"
        )

    def message(self) -> str:
        """One line: tasks done and failed, rate, executor."""
        ok = len(self.tasks) - len(self.failed)
        rate = f"{self.per_minute():.1f} a minute, {self.executor}"
        return (
            f"{ok} of {len(self.tasks)} beat tasks done, {len(self.failed)} failed, in "
            f"{self.seconds:.0f} s ({rate})"
        )


@dataclass(slots=True)
class OpenStation:
    """A station file whose beats are running: what its results are merged and written with."""

    db: Db
    out: Path
    station: Station
    policy: Policy
    expected: int
    results: list[TaskResult] = field(default_factory=list)
    notes: list[Line] = field(default_factory=list)


def db_stem(db: Db) -> str:
    """A short name of a station file for folders and reports: the file's stem, or a PostGIS
    URL's ``station=`` value."""
    if is_station_url(db):
        return parse_qs(urlsplit(str(db)).query).get("station", ["station"])[0]
    return Path(db).stem


def station_files(paths: Sequence[Db]) -> list[Db]:
    """Station files from ``--db`` values: files and PostGIS URLs as given, a folder as its
    ``*.gpkg`` files (sorted).

    Raises
    ------
    InputError
        For a folder without station files or the same file twice.
    """
    out: list[Db] = []
    for raw in paths:
        if is_station_url(raw):
            out.append(raw)
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.gpkg"))
            if not found:
                raise InputError(f"{path}: a folder without station files (*.gpkg)")
            out += found
        else:
            out.append(path)
    seen: set[Any] = set()
    for p in out:
        ident = p if is_station_url(p) else Path(p).resolve()
        if ident in seen:
            raise InputError(f"{p}: the same station file twice")
        seen.add(ident)
    return out


def station_dirs(dbs: Sequence[Db], out_dir: Path) -> list[Path]:
    """Output folder of each station: ``out_dir`` for one file, ``out_dir/<file stem>`` for
    several (stems must then differ)."""
    if len(dbs) == 1:
        return [out_dir]
    stems = [db_stem(p) for p in dbs]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise InputError(
            f"two station files are both called {dup[0]!r}: their outputs would "
            "share a folder; rename one"
        )
    return [out_dir / s for s in stems]


def wanted_beats(dbs: Sequence[Db], beats: Sequence[str]) -> list[list[str]]:
    """Beat ids to run per station file; an unknown ``--beat`` is bad input."""
    per_db = [beat_ids(db) for db in dbs]
    if beats:
        known = {b for ids in per_db for b in ids}
        unknown = [b for b in beats if b not in known]
        if unknown:
            raise InputError(f"unknown beat(s): {', '.join(unknown)}")
        per_db = [[b for b in ids if b in set(beats)] for ids in per_db]
    return per_db


def station_label(station: Station, db: Db, several: bool) -> str:
    return f"{db_stem(db)}:{station.name}" if several else station.name


def beat_inputs(
    dbs: Sequence[Db],
    wanted: Sequence[Sequence[str]],
    policy_name: str | None,
    dirs: Sequence[Path],
    opened: dict[int, OpenStation],
) -> Iterator[tuple[int, str, Station, Policy, Station, nx.MultiDiGraph | None]]:
    """Each station file in turn, entered in ``opened`` for writing, cut into its wanted one-beat
    stations with their streets: ``(k, label, station, policy, one_beat, streets)``."""
    several = len(dbs) > 1
    for k, db in enumerate(dbs):
        if not wanted[k]:
            continue
        o = open_for_beats(db, policy_name)
        station, policy, graph = o.station, o.policy, o.graph
        label = station_label(station, db, several)
        opened[k] = OpenStation(db, dirs[k], station, policy, len(wanted[k]), notes=o.notes)
        index = StreetIndex(graph) if graph is not None else None
        for one in split_station(station, wanted[k]):
            yield k, label, station, policy, one, index.around(one) if index is not None else None


def open_for_beats(db: Db, policy_name: str | None) -> Opened:
    """A station file opened for its beats' tasks; a tier mapping is noted with the file's name."""
    opened = open_station(db, policy_name)
    opened.notes = [warn(f"{db_stem(db)}: {n.text}") for n in opened.notes]
    return opened


def failed_lines(failed: Sequence[TaskResult]) -> list[Line]:
    """One error line per beat that failed every attempt."""
    return [
        warn(f"error: beat {r.name} failed after {r.attempts} attempts: {r.error}") for r in failed
    ]


def write_failures(path: Path, failed: Sequence[TaskResult]) -> Path:
    """``failed_beats.csv``: station, beat_id, task, attempts, error (header only when none)."""
    with atomic_path(path, private=False) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(FAILED_COLUMNS)
        for t in failed:
            station, beat_id = t.key[1], t.key[2]
            w.writerow([station, beat_id, t.name, t.attempts, t.error])
    return path


def _finish(summary: RunSummary, out_dir: Path) -> None:
    """Write ``failed_beats.csv`` into ``out_dir`` (header only when every beat finished)."""
    summary.failures_csv = write_failures(out_dir / "failed_beats.csv", summary.failed)


def drive(
    tasks: Iterable[Task],
    total: int,
    spec: ExecutorSpec,
    progress: bool,
    opened: dict[int, OpenStation],
    out_dir: Path,
    write: Callable[[OpenStation], None],
) -> RunSummary:
    """Run the tasks; when the last beat of a station is in, ``write`` that station; sum up."""
    summary = RunSummary(spec.label())
    start = time.perf_counter()
    with _progress(total, progress) as bar:
        for result in run_tasks(tasks, spec, total=total, on_done=bar.update if bar else None):
            k = result.key[0]
            st = opened[k]
            st.results.append(result)
            summary.tasks.append(replace(result, value=None))
            if len(st.results) == st.expected:
                write(st)
                del opened[k]
    summary.seconds = time.perf_counter() - start
    _finish(summary, out_dir)
    return summary


@contextlib.contextmanager
def _progress(total: int, show: bool) -> Iterator[Progress | None]:
    if not show:
        yield None
        return
    with Progress(total) as bar:
        yield bar
