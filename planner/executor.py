"""One engine for many beats: plan, compare and simulate every beat of many station files.

A prefecture's 地域部 plans every beat of every station (Miyagi: ~600 beats), a staffing study
multiplies that by each scenario and the simulator by each seed.  One beat's year plan takes
10–60 s on one core and a few hundred MiB (``bench/RESULTS.md``: year plan scaling,
prefecture), so the unit of work is **one task per beat** (per beat × scenario, per beat ×
seed): coarse enough that scheduling costs nothing next to it (milliseconds per task), fine
enough that 600 beats spread over 64 workers.

How a run goes
--------------
* The parent reads one station file at a time and cuts it into one-beat stations
  (:func:`split_station`: the beat, its post, targets, officers, their leave and 専従日, its
  visits and exemption orders) with the beat's streets (:func:`beat_streets`): a task gets
  only its beat's inputs and returns its result; workers never touch a file.
* :func:`run_tasks` runs the tasks ``serial`` (in this process), on ``processes`` (a
  :class:`~concurrent.futures.ProcessPoolExecutor` on the local cores, the default) or on
  ``dask`` (a ``dask.distributed`` client on a ``LocalCluster`` of *n* one-thread workers, or
  on an existing cluster given by its scheduler's address).  At most a few tasks per worker
  are in flight, so a prefecture is never held in memory at once.
* A task that raises (or whose worker dies) is run again (``retries``, default 1); if it
  fails again its result carries the error, and the run goes on.
* Results come back in task order whatever order they finish in.  When the last beat of a
  station is in, the parent merges the beats in the station's beat order and writes that
  station's files in one step with the usual writers (:func:`planner.planfiles.
  write_plan_outputs`, :func:`planner.reports.write_comparison`); a failed beat is listed
  in ``failed_beats.csv`` (station, beat, attempts, error) beside them, and never missing
  silently.
* CP-SAT stops on deterministic limits only (:meth:`planner._cpsat.Model.solve`), so the same
  input, seed and parameters give byte-identical files whatever the executor, the worker count
  or the machine's load.  Under load on a 2-core machine the old wall-clock stop (10 s, or ten
  times a day model's 1 s) cut searches short at different points: that is why ``dask`` and
  ``serial`` once wrote different plans.  The wall-clock guard per beat
  (:func:`planner.schedule.wall_guard`) never changes a plan: a beat it stops fails (retried
  once, then named in ``failed_beats.csv``) and the run exits 1.

Only the merging and the writing happen in the parent; nothing here solves anything.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import os
import pickle
import platform
import resource
import sys
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from planner._errors import InputError, PlannerError
from planner.model import Station
from planner.plan import YearPlan
from planner.policy import Policy
from planner.schedule import YearParams, plan_year

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "processes", "dask")
STREET_MARGIN_M = 1500.0
"""Streets kept around a beat's doors and post for its task (paths rarely leave that box)."""
FAILED_COLUMNS = ("station", "beat_id", "task", "attempts", "error")
Db = Path | str
"""A station file, or a PostGIS station URL (``postgresql://…``, kept as text)."""


# --------------------------------------------------------------------------------------------
# the engine


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """Where the tasks run.

    Attributes
    ----------
    kind
        ``serial`` (this process, one task after another), ``processes`` (local processes) or
        ``dask`` (a Dask cluster).
    workers
        Processes, or the workers of the Dask ``LocalCluster`` (one thread each); default the
        machine's cores.  Ignored with ``scheduler`` (the cluster has its own).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); without one ``dask`` starts
        a ``LocalCluster`` on this machine for the run (its workers' profiler off).  A cluster's
        workers need the same planner installed, one thread each and the profiler off
        (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False dask worker ADDRESS --nthreads 1``).
    retries
        Runs of a failed task after the first.
    """

    kind: str = "processes"
    workers: int | None = None
    scheduler: str | None = None
    retries: int = 1

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise InputError(f"unknown executor {self.kind!r}: one of {', '.join(EXECUTORS)}")
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers must be 1 or more, got {self.workers}")
        if self.scheduler and self.kind != "dask":
            raise InputError("--scheduler needs --executor dask")
        if self.retries < 0:
            raise InputError(f"retries must be 0 or more, got {self.retries}")

    @property
    def n_workers(self) -> int:
        """Workers this machine would run (cores unless ``workers`` says otherwise)."""
        return self.workers or os.cpu_count() or 1

    def label(self) -> str:
        """``processes × 2``, ``dask LocalCluster × 2``, ``dask tcp://…``, ``serial``."""
        if self.kind == "serial":
            return "serial"
        if self.kind == "dask":
            return (
                f"dask {self.scheduler}"
                if self.scheduler
                else f"dask LocalCluster × {self.n_workers}"
            )
        return f"processes × {self.n_workers}"


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a module-level function, its arguments, a name for the reports.

    ``key`` is the caller's (e.g. station index and beat id); the engine only carries it.
    """

    name: str
    fn: Callable[..., Any]
    args: tuple = ()
    key: Any = None


@dataclass(frozen=True, slots=True)
class TaskResult:
    """A task's value, or its error after the last attempt, and what the worker measured.

    ``seconds`` and ``cpu_seconds`` are the last attempt's wall time inside the worker and the
    CPU time of the thread that ran it; ``peak_mib`` the worker process's peak resident memory
    so far.
    """

    name: str
    key: Any
    value: Any = None
    error: str | None = None
    attempts: int = 1
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mib: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        """True when the task returned a value."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Done:
    """What :func:`_execute` sends back from a worker."""

    value: Any
    error: str | None
    seconds: float
    cpu_seconds: float
    peak_mib: float
    worker: str


def _execute(fn: Callable[..., Any], args: tuple) -> _Done:
    """Run one task in a worker: its value or its error, with wall, CPU and peak memory."""
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        value, error = fn(*args), None
    except Exception as exc:  # a failing beat is reported by name, it does not stop the run
        value, error = None, _describe(exc)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return _Done(
        value,
        error,
        time.perf_counter() - t0,
        time.thread_time() - c0,
        peak,
        f"{platform.node()}:{os.getpid()}",
    )


def _execute_pickled(blob: bytes) -> bytes:
    """:func:`_execute` on pickled ``(fn, args)``, its report pickled: Dask then ships opaque
    bytes instead of walking every target of a beat (10× less overhead per task)."""
    fn, args = pickle.loads(blob)
    return pickle.dumps(_execute(fn, args), protocol=pickle.HIGHEST_PROTOCOL)


def _describe(exc: BaseException) -> str:
    """``Type: message (at file.py:line in function)`` — where the task failed, in one line."""
    text = f"{type(exc).__name__}: {exc}".strip().replace("\n", " ")
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        f = frames[-1]
        text += f" (at {Path(f.filename).name}:{f.lineno} in {f.name})"
    return text


class _Backend:
    """Submit tasks and wait for some to finish; futures answer ``result()``."""

    slots = 1

    def submit(self, task: Task) -> Any:
        raise NotImplementedError

    def wait(self, handles: Iterable[Any]) -> list[Any]:
        """Handles of the finished tasks (at least one)."""
        raise NotImplementedError

    def result(self, handle: Any) -> _Done:
        """The worker's report, or an error when the worker itself died."""
        try:
            return handle.result()
        except Exception as exc:  # BrokenProcessPool, KilledWorker, lost connection …
            return _Done(None, f"worker lost: {_describe(exc)}", 0.0, 0.0, 0.0, "")

    def close(self) -> None:
        """Stop the workers this backend started."""


class _Serial(_Backend):
    def submit(self, task: Task) -> Future:
        fut: Future = Future()
        fut.set_result(_execute(task.fn, task.args))
        return fut

    def wait(self, handles: Iterable[Any]) -> list[Any]:
        return list(handles)


class _Processes(_Backend):
    """Local processes from a fork server (fresh, single-threaded: safe to fork)."""

    def __init__(self, workers: int):
        import multiprocessing

        self.slots = workers
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["planner.executor"])
        self.pool = self._pool()

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.slots, mp_context=self.context)

    def submit(self, task: Task) -> Future:
        try:
            return self.pool.submit(_execute, task.fn, task.args)
        except BrokenProcessPool:  # a worker died: start a fresh pool for what is left
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool()
            return self.pool.submit(_execute, task.fn, task.args)

    def wait(self, handles: Iterable[Any]) -> list[Any]:
        return list(wait_futures(list(handles), return_when=FIRST_COMPLETED).done)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Dask(_Backend):
    """A ``dask.distributed`` client: on a LocalCluster it starts, or on a running scheduler."""

    def __init__(self, spec: ExecutorSpec):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(
                "--executor dask needs dask.distributed: pip install 'junkai-planner[cluster]'"
            ) from None
        self.cluster = None
        # the scheduler's and nannies' INFO lines (workers joining, closing) are not ours to print
        self.quiet = logging.getLogger("distributed")
        self.level = self.quiet.level
        self.quiet.setLevel(logging.ERROR)
        try:
            self.client = self._connect(spec)
        except BaseException:
            self.close()
            raise
        self.slots = max(1, sum(self.client.nthreads().values()))

    def _connect(self, spec: ExecutorSpec) -> Any:
        import dask
        from distributed import Client, LocalCluster

        if spec.scheduler:
            try:
                return Client(spec.scheduler, timeout="20s")
            except OSError as exc:
                raise InputError(
                    f"cannot reach the Dask scheduler {spec.scheduler}: {exc}"
                ) from None
        # the workers' statistical profiler samples every thread's stack every 10 ms: on
        # pure-Python work such as building a beat's model it costs ~20 % (bench_prefecture)
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            self.cluster = LocalCluster(
                n_workers=spec.n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                silence_logs=logging.ERROR,
            )
        return Client(self.cluster)

    def submit(self, task: Task) -> Any:
        blob = pickle.dumps((task.fn, task.args), protocol=pickle.HIGHEST_PROTOCOL)
        return self.client.submit(_execute_pickled, blob, pure=False)

    def result(self, handle: Any) -> _Done:
        done = super().result(handle)
        return pickle.loads(done) if isinstance(done, bytes) else done

    def wait(self, handles: Iterable[Any]) -> list[Any]:
        from distributed import wait

        return list(wait(list(handles), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        try:
            if getattr(self, "client", None) is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self.quiet.setLevel(self.level)


def _backend(spec: ExecutorSpec, tasks_hint: int | None) -> _Backend:
    if spec.kind == "serial":
        return _Serial()
    if spec.kind == "processes":
        workers = spec.n_workers if tasks_hint is None else min(spec.n_workers, tasks_hint)
        return _Serial() if workers <= 1 else _Processes(workers)
    return _Dask(spec)


def run_tasks(
    tasks: Iterable[Task],
    spec: ExecutorSpec = ExecutorSpec(),
    *,
    total: int | None = None,
    on_done: Callable[[TaskResult], None] | None = None,
) -> Iterator[TaskResult]:
    """Run tasks on the executor ``spec`` names and yield their results in task order.

    Parameters
    ----------
    tasks
        Read lazily: at most about two tasks per worker are taken ahead of the oldest result
        not yet yielded, so the caller may produce them from files one station at a time.
    spec
        Executor, workers, scheduler address, retries.
    total
        Number of tasks, when known (a ``processes`` run uses no more processes than tasks).
    on_done
        Called in the parent as each task finishes (any order): progress bars.

    Yields
    ------
    TaskResult
        One per task, in the order of ``tasks``; a task that failed ``spec.retries + 1`` times
        carries its last error instead of a value.
    """
    backend = _backend(spec, total)
    try:
        yield from _ordered(iter(tasks), backend, spec.retries, on_done)
    finally:
        backend.close()


def _ordered(
    tasks: Iterator[Task],
    backend: _Backend,
    retries: int,
    on_done: Callable[[TaskResult], None] | None,
) -> Iterator[TaskResult]:
    window = 2 * backend.slots + 2
    pending: dict[Any, tuple[int, Task, int]] = {}  # handle -> (index, task, attempt)
    ready: dict[int, TaskResult] = {}
    taken = 0
    next_out = 0
    exhausted = False

    def fill() -> None:
        nonlocal taken, exhausted
        while not exhausted and len(pending) + len(ready) < window:
            task = next(tasks, None)
            if task is None:
                exhausted = True
                return
            pending[backend.submit(task)] = (taken, task, 1)
            taken += 1

    fill()
    while pending or ready:
        while next_out in ready:
            yield ready.pop(next_out)
            next_out += 1
            fill()
        if not pending:
            continue
        for handle in backend.wait(pending):
            index, task, attempt = pending.pop(handle)
            done = backend.result(handle)
            if done.error is not None and attempt <= retries:
                log.warning(
                    "task %s failed (attempt %d), retrying: %s", task.name, attempt, done.error
                )
                pending[backend.submit(task)] = (index, task, attempt + 1)
                continue
            result = TaskResult(
                task.name,
                task.key,
                done.value,
                done.error,
                attempt,
                done.seconds,
                done.cpu_seconds,
                done.peak_mib,
                done.worker,
            )
            ready[index] = result
            if on_done is not None:
                on_done(result)


# --------------------------------------------------------------------------------------------
# progress


class Progress:
    """Beats done / total on stderr: a bar on a terminal, else one line per finished task.

    Use as a context manager and pass :meth:`update` as ``on_done`` to :func:`run_tasks`.
    """

    def __init__(self, total: int, label: str = "beats", *, file: Any = None):
        import click

        self.total, self.label, self.done, self.failed = total, label, 0, 0
        self.file = file or sys.stderr
        self.bar = None
        if _isatty(self.file):
            self.bar = click.progressbar(
                length=total, label=label, file=self.file, show_pos=True, show_eta=True
            )

    def __enter__(self) -> Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def update(self, result: TaskResult) -> None:
        """Count one finished task."""
        import click

        self.done += 1
        self.failed += not result.ok
        if self.bar is not None:
            self.bar.update(1)
            return
        state = (
            f"FAILED after {result.attempts} attempts"
            if not result.ok
            else f"{result.seconds:.1f} s"
        )
        click.echo(
            f"{self.label} {self.done}/{self.total} done: {result.name} ({state})", file=self.file
        )


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# one beat's inputs


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
        lat0 = (min(lats) + max(lats)) / 2
        dlat = margin_m / 111_320.0
        dlon = margin_m / (111_320.0 * max(0.1, math.cos(math.radians(lat0))))
        keep = (
            (self.x >= min(lons) - dlon)
            & (self.x <= max(lons) + dlon)
            & (self.y >= min(lats) - dlat)
            & (self.y <= max(lats) + dlat)
        )
        if keep.sum() < 2:
            return None
        return self.graph.subgraph([self.ids[i] for i in np.flatnonzero(keep)]).copy()


def beat_streets(
    graph: nx.MultiDiGraph | None, beat: Station, margin_m: float = STREET_MARGIN_M
) -> nx.MultiDiGraph | None:
    """The station's streets around one beat (see :meth:`StreetIndex.around`), or ``None``."""
    return None if graph is None else StreetIndex(graph).around(beat, margin_m)


# --------------------------------------------------------------------------------------------
# station files in, tasks out


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
class _Open:
    """A station file whose beats are running: what its results are merged and written with."""

    db: Db
    out: Path
    station: Station
    policy: Policy
    expected: int
    results: list[TaskResult] = field(default_factory=list)
    extra: Any = None


def _is_url(db: Db) -> bool:
    return isinstance(db, str) and db.startswith("postgresql://")


def db_stem(db: Db) -> str:
    """A short name of a station file for folders and reports: the file's stem, or a PostGIS
    URL's ``station=`` value."""
    if _is_url(db):
        from urllib.parse import parse_qs, urlsplit

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
        if _is_url(raw):
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
        ident = p if _is_url(p) else Path(p).resolve()
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


def beat_ids_of(db: Db) -> list[str]:
    """Beat ids of a station file in file order, reading only its ``beats`` layer."""
    import pyogrio

    from planner.store import read_station

    if _is_url(db) or not Path(db).is_file():
        return [b.beat_id for b in read_station(db).beats]  # the store says what is wrong
    try:
        frame = pyogrio.read_dataframe(db, layer="beats", read_geometry=False, columns=["beat_id"])
        return [str(b) for b in frame["beat_id"]]
    except Exception:  # not a GeoPackage station file: let the store say what is wrong
        return [b.beat_id for b in read_station(db).beats]


def _wanted(dbs: Sequence[Db], beats: Sequence[str]) -> list[list[str]]:
    """Beat ids to run per station file; an unknown ``--beat`` is bad input."""
    per_db = [beat_ids_of(db) for db in dbs]
    if beats:
        known = {b for ids in per_db for b in ids}
        unknown = [b for b in beats if b not in known]
        if unknown:
            raise InputError(f"unknown beat(s): {', '.join(unknown)}")
        per_db = [[b for b in ids if b in set(beats)] for ids in per_db]
    return per_db


def _station_label(station: Station, db: Db, several: bool) -> str:
    return f"{db_stem(db)}:{station.name}" if several else station.name


def _beat_inputs(
    dbs: Sequence[Db],
    wanted: Sequence[Sequence[str]],
    policy_name: str | None,
    dirs: Sequence[Path],
    opened: dict[int, _Open],
) -> Iterator[tuple[int, str, Station, Policy, Station, nx.MultiDiGraph | None]]:
    """Each station file in turn, entered in ``opened`` for writing, cut into its wanted one-beat
    stations with their streets: ``(k, label, station, policy, one_beat, streets)``."""
    several = len(dbs) > 1
    for k, db in enumerate(dbs):
        if not wanted[k]:
            continue
        station, policy, graph = _read(db, policy_name)
        label = _station_label(station, db, several)
        opened[k] = _Open(db, dirs[k], station, policy, len(wanted[k]))
        index = StreetIndex(graph) if graph is not None else None
        for one in split_station(station, wanted[k]):
            yield k, label, station, policy, one, index.around(one) if index is not None else None


def _read(db: Db, policy_name: str | None) -> tuple[Station, Policy, nx.MultiDiGraph | None]:
    from planner.policy import load_policy, station_under
    from planner.store import read_station, read_streets

    station = read_station(db)
    policy = load_policy(policy_name or station.policy)
    station, mapping = station_under(station, policy)
    if mapping:  # once per station file, before its beats are cut
        print(f"{db_stem(db)}: {mapping.message()}", file=sys.stderr)
    return station, policy, read_streets(db)


def write_failures(path: Path, failed: Sequence[TaskResult]) -> Path:
    """``failed_beats.csv``: station, beat_id, task, attempts, error (header only when none)."""
    from planner.files import atomic_path

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


# --------------------------------------------------------------------------------------------
# planner plan


def _plan_beat(
    beat: Station, policy: Policy, year: int, graph: nx.MultiDiGraph | None, params: YearParams
) -> YearPlan:
    """The task of one beat: its year plan."""
    return plan_year(beat, policy, year, graph=graph, params=params)


def merge_plans(year: int, policy: str, parts: Sequence[YearPlan]) -> YearPlan:
    """One station's plan from its beats' plans (given in the station's beat order).

    Visits are sorted as :func:`planner.schedule.plan_year` sorts them; unplanned targets,
    loads and shortfalls follow the beat order, as a whole-station plan lists them.
    """
    plan = YearPlan(year, policy)
    due = 0
    for p in parts:
        plan.visits.extend(p.visits)
        plan.unplanned.extend(p.unplanned)
        plan.loads.extend(p.loads)
        plan.shortfalls.extend(p.shortfalls)
        plan.objective.update(p.objective)
        due += int(p.stats.get("due", 0))
    plan.visits.sort(key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id))
    plan.stats = {"due": due, "planned": len(plan.visits), "unplanned": len(plan.unplanned)}
    return plan


@dataclass(frozen=True, slots=True)
class StationPlan:
    """One station's merged plan as written (handed to ``on_station``)."""

    db: Db
    station: Station
    policy: Policy
    plan: YearPlan
    written: list[Path]
    failed: list[TaskResult]


def plan_stations(
    dbs: Sequence[Db],
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    spec: ExecutorSpec = ExecutorSpec(),
    beats: Sequence[str] = (),
    policy_name: str | None = None,
    progress: bool = True,
    on_station: Callable[[StationPlan], None] | None = None,
) -> RunSummary:
    """Plan the year of every beat of the station files, one task per beat, and write each
    station's plan files (:func:`planner.planfiles.write_plan_outputs`) as soon as its beats
    are in; ``failed_beats.csv`` goes to ``out_dir``.

    Parameters
    ----------
    dbs
        Station files; with one, its files go to ``out_dir``, with several to
        ``out_dir/<file stem>/``.
    out_dir
        Output folder.
    year, params, policy_name
        As for :func:`planner.schedule.plan_year` (``policy_name`` default: each station's).
    spec
        Where the beats run (:class:`ExecutorSpec`).
    beats
        Beat ids to plan (default all); an id in none of the files is bad input.
    progress
        Show beats done / total on stderr.
    on_station
        Called after each station's files are written, with the merged plan.

    Returns
    -------
    RunSummary
        Every task's result (without the plans, which are written), failed ones included:
        a beat that failed every attempt is named with its error there and in
        ``failed_beats.csv`` (:meth:`RunSummary.raise_failures` turns them into an error).

    Raises
    ------
    InputError
        Unknown beat, missing station file.
    """
    dbs = list(dbs)
    params = params or YearParams()
    dirs = station_dirs(dbs, out_dir)
    wanted = _wanted(dbs, beats)
    total = sum(len(ids) for ids in wanted)
    opened: dict[int, _Open] = {}

    def tasks() -> Iterator[Task]:
        for k, label, _station, policy, one, streets in _beat_inputs(
            dbs, wanted, policy_name, dirs, opened
        ):
            b = one.beats[0].beat_id
            yield Task(
                f"{label}/{b}", _plan_beat, (one, policy, year, streets, params), key=(k, label, b)
            )

    return _drive(
        tasks(),
        total,
        spec,
        progress,
        opened,
        out_dir,
        lambda st: _write_station_plan(st, year, on_station),
    )


def _drive(
    tasks: Iterable[Task],
    total: int,
    spec: ExecutorSpec,
    progress: bool,
    opened: dict[int, _Open],
    out_dir: Path,
    write: Callable[[_Open], None],
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


def _write_station_plan(st: _Open, year: int, on_station) -> None:
    from planner.planfiles import write_plan_outputs

    plan = merge_plans(year, st.policy.name, [r.value for r in st.results if r.ok])
    written = write_plan_outputs(st.out, plan, st.station, st.policy)
    if on_station is not None:
        failed = [r for r in st.results if not r.ok]
        on_station(StationPlan(st.db, st.station, st.policy, plan, written, failed))


@contextlib.contextmanager
def _progress(total: int, show: bool) -> Iterator[Progress | None]:
    if not show:
        yield None
        return
    with Progress(total) as bar:
        yield bar


# --------------------------------------------------------------------------------------------
# planner scenario compare


def _compare_beat(applied: Any, year: int, graph: nx.MultiDiGraph | None) -> Any:
    """The task of one beat under one scenario: its :class:`planner.scenarios.Outcome`."""
    from planner.scenarios import run_scenario

    return run_scenario(applied, year, graph)


def merge_outcomes(parts: Sequence[Any]) -> Any:
    """One scenario's :class:`planner.scenarios.Outcome` for a station from its beats'.

    Counts and hours add up; 実施率 is planned over due again; months follow the beat order;
    the campaign's targets are the scenario's (the same in every beat's outcome); officer
    hours are summed from the months' hours.  ``walk_km`` is the sum of the beats' (each
    rounded to 0.1 km by the scenario run).
    """
    from planner.scenarios import Outcome

    first = parts[0]
    codes = list(first.due)
    due = {c: sum(p.due.get(c, 0) for p in parts) for c in codes}
    planned = {c: sum(p.planned.get(c, 0) for p in parts) for c in codes}
    return Outcome(
        name=first.name,
        policy=first.policy,
        due=due,
        planned=planned,
        rate={c: planned[c] / due[c] if due[c] else 1.0 for c in codes},
        unplanned=sum(p.unplanned for p in parts),
        overdue_at_year_end=sum(p.overdue_at_year_end for p in parts),
        approvals=sum(p.approvals for p in parts),
        walk_km=round(sum(p.walk_km for p in parts), 1),
        officer_hours=round(sum(m.hours_available for p in parts for m in p.months), 1),
        months=[m for p in parts for m in p.months],
        campaign_targets=max(p.campaign_targets for p in parts),
        campaign_in_window=sum(p.campaign_in_window for p in parts),
    )


@dataclass(frozen=True, slots=True)
class StationComparison:
    """One station's merged scenario outcomes as written (handed to ``on_station``)."""

    db: Db
    station: Station
    policy: Policy
    outcomes: list[Any]
    written: list[Path]
    failed: list[TaskResult]


def compare_stations(
    dbs: Sequence[Db],
    scenarios: Sequence[Any],
    out_dir: Path,
    *,
    year: int,
    params: YearParams | None = None,
    spec: ExecutorSpec = ExecutorSpec(),
    progress: bool = True,
    on_station: Callable[[StationComparison], None] | None = None,
) -> RunSummary:
    """Plan every beat of the station files under every scenario (one task per beat ×
    scenario) and write each station's comparison (:func:`planner.reports.write_comparison`).

    Each scenario is applied to the whole station first (officers, leave, a boundary moving
    targets between beats …), then cut into beats.  Layout, failures and errors as for
    :func:`plan_stations`; ``scenarios`` are :class:`planner.scenarios.Scenario`.
    """
    from planner.scenarios import Applied, apply_scenario

    dbs = list(dbs)
    params = params or YearParams()
    dirs = station_dirs(dbs, out_dir)
    counts = [len(beat_ids_of(db)) for db in dbs]
    total = sum(counts) * len(scenarios)
    several = len(dbs) > 1
    opened: dict[int, _Open] = {}

    def tasks() -> Iterator[Task]:
        for k, db in enumerate(dbs):
            station, policy, graph = _read(db, None)
            label = _station_label(station, db, several)
            applied = [apply_scenario(s, station, policy, year, params) for s in scenarios]
            beats = [split_station(a.station) for a in applied]
            opened[k] = _Open(
                db, dirs[k], station, policy, sum(map(len, beats)), extra=[a.name for a in applied]
            )
            index = StreetIndex(graph) if graph is not None else None
            for j, (a, ones) in enumerate(zip(applied, beats, strict=True)):
                for one in ones:
                    b = one.beats[0].beat_id
                    streets = index.around(one) if index is not None else None
                    task = Applied(a.name, one, a.policy, a.params)
                    yield Task(
                        f"{label}/{b}/{a.name}",
                        _compare_beat,
                        (task, year, streets),
                        key=(k, label, b, j),
                    )

    return _drive(
        tasks(),
        total,
        spec,
        progress,
        opened,
        out_dir,
        lambda st: _write_station_comparison(st, year, on_station),
    )


def _write_station_comparison(st: _Open, year: int, on_station) -> None:
    from planner.reports import write_comparison

    by_scenario: dict[int, list[Any]] = {}
    for r in st.results:
        if r.ok:
            by_scenario.setdefault(r.key[3], []).append(r.value)
    outcomes = [merge_outcomes(by_scenario[j]) for j in sorted(by_scenario)]
    written = write_comparison(st.out, outcomes, st.policy, year, st.station.name)
    if on_station is not None:
        failed = [r for r in st.results if not r.ok]
        on_station(StationComparison(st.db, st.station, st.policy, outcomes, written, failed))


# --------------------------------------------------------------------------------------------
# planner simulate


def beat_seed(seed: int, station: str, beat_id: str) -> int:
    """The seed of one beat's simulation: from the run's seed and the beat (stable anywhere)."""
    mix = np.random.SeedSequence([seed, zlib.crc32(f"{station}/{beat_id}".encode())])
    return int(mix.generate_state(1, dtype=np.uint32)[0])


def _simulate_beat(
    beat: Station, policy: Policy, year: int, graph: nx.MultiDiGraph | None, params: Any
) -> Any:
    """The task of one beat: its simulated year (:class:`planner.simulator.SimResult`)."""
    from planner.simulator import simulate_year

    result = simulate_year(beat, policy, year, graph=graph, params=params)
    result.log = []  # every door of the year: not needed by the merged summary
    result.curve = []
    return result


def merge_sim_results(parts: Sequence[Any]) -> Any:
    """A station's simulated year from its beats' (:class:`planner.simulator.SimResult`).

    Minutes, metres and counts add up month by month; the year's 実施率 is met over due again.
    A month's cumulative 実施率 per tier is the beats' weighted by their due targets at the
    year's end (exact unless households join the due set during the year).
    """
    from planner.simulator import MonthStats, SimResult

    first = parts[0]
    tiers = first.tiers
    months = []
    numeric = [f for f in MonthStats.__dataclass_fields__ if f not in ("month", "rate")]
    for m in range(len(first.months)):
        stats = MonthStats(first.months[m].month)
        for name in numeric:
            setattr(stats, name, sum(getattr(p.months[m], name) for p in parts))
        stats.rate = {
            t: (
                sum(p.months[m].rate.get(t, 1.0) * p.due.get(t, 0) for p in parts)
                / sum(p.due.get(t, 0) for p in parts)
            )
            if sum(p.due.get(t, 0) for p in parts)
            else 1.0
            for t in tiers
        }
        months.append(stats)
    return SimResult(
        first.strategy,
        tiers,
        months,
        due={t: sum(p.due.get(t, 0) for p in parts) for t in tiers},
        met={t: sum(p.met.get(t, 0) for p in parts) for t in tiers},
        explained={t: sum(p.explained.get(t, 0) for p in parts) for t in tiers},
        overdue_left=sum(p.overdue_left for p in parts),
        never_met_left=sum(p.never_met_left for p in parts),
    )


@dataclass(frozen=True, slots=True)
class StationSimulation:
    """One station's merged simulated year (handed to ``on_station``; the caller writes)."""

    db: Db
    out: Path
    station: Station
    policy: Policy
    result: Any
    failed: list[TaskResult]


def simulate_stations(
    dbs: Sequence[Db],
    out_dir: Path,
    *,
    year: int,
    params: Any,
    spec: ExecutorSpec = ExecutorSpec(),
    policy_name: str | None = None,
    progress: bool = True,
    on_station: Callable[[StationSimulation], None],
) -> RunSummary:
    """Simulate the year of every beat of the station files, one task per beat, each beat with
    its own seed (:func:`beat_seed` of ``params.seed``), and hand each station's merged result
    to ``on_station`` to write.  Layout, failures and errors as for :func:`plan_stations`.

    A beat's doors then draw from the beat's own stream, so figures differ from a whole-station
    :func:`planner.simulator.simulate_year` with the same seed (one stream for all beats), but
    not between executors.
    """
    dbs = list(dbs)
    dirs = station_dirs(dbs, out_dir)
    wanted = _wanted(dbs, ())
    total = sum(len(ids) for ids in wanted)
    opened: dict[int, _Open] = {}

    def tasks() -> Iterator[Task]:
        for k, label, station, policy, one, streets in _beat_inputs(
            dbs, wanted, policy_name, dirs, opened
        ):
            b = one.beats[0].beat_id
            p = replace(params, seed=beat_seed(params.seed, station.name, b))
            yield Task(
                f"{label}/{b}", _simulate_beat, (one, policy, year, streets, p), key=(k, label, b)
            )

    def write(st: _Open) -> None:
        parts = [r.value for r in st.results if r.ok]
        merged = merge_sim_results(parts) if parts else None
        on_station(
            StationSimulation(
                st.db, st.out, st.station, st.policy, merged, [r for r in st.results if not r.ok]
            )
        )

    return _drive(tasks(), total, spec, progress, opened, out_dir, write)


def by_name(results: Iterable[TaskResult]) -> Mapping[str, TaskResult]:
    """Results by task name (benchmarks, tests)."""
    return {r.name: r for r in results}
