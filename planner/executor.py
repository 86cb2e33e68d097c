"""The task runner: many independent tasks on one machine's cores or on a Dask cluster.

A prefecture's 地域部 plans every beat of every station (Miyagi: ~600 beats), a staffing study
multiplies that by each scenario and the simulator by each seed.  One beat's year plan takes
10–60 s on one core and a few hundred MiB (``bench/RESULTS.md``: year plan scaling,
prefecture), so the application layer (:mod:`planner.app.beats`) makes **one task per beat**
(per beat × scenario, per beat × seed): coarse enough that scheduling costs nothing next to it
(milliseconds per task), fine enough that 600 beats spread over 64 workers.

* :func:`run_tasks` runs the tasks ``serial`` (in this process), on ``processes`` (a
  :class:`~concurrent.futures.ProcessPoolExecutor` on the local cores, the default) or on
  ``dask`` (a ``dask.distributed`` client on a ``LocalCluster`` of *n* one-thread workers, or
  on an existing cluster given by its scheduler's address).  At most a few tasks per worker
  are in flight, so a prefecture is never held in memory at once.
* A task that raises (or whose worker dies) is run again (``retries``, default 1); if it
  fails again its result carries the error, and the run goes on.
* Results come back in task order whatever order they finish in; :class:`Progress` shows
  tasks done / total.
* CP-SAT stops on deterministic limits only (:meth:`planner.cpsat.Model.solve`), so the same
  input, seed and parameters give byte-identical files whatever the executor, the worker count
  or the machine's load.  The wall-clock guard per beat (:func:`planner.schedule.wall_guard`)
  never changes a plan: a beat it stops fails (retried once, then named in
  ``failed_beats.csv``) and the run exits 1.

Nothing here reads a station, solves or writes a file: tasks are plain functions and arguments.
"""

from __future__ import annotations

import logging
import os
import pickle
import platform
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from planner._errors import InputError

log = logging.getLogger(__name__)

EXECUTORS = ("serial", "processes", "dask")
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


LOCAL = ExecutorSpec()
"""Local processes, one per core: the default of every multi-beat run."""
SERIAL = ExecutorSpec("serial")
"""Everything in this process (one station in a notebook, the demo)."""


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
        self.cluster: Any = None
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
        self.total, self.label, self.done, self.failed = total, label, 0, 0
        self.file = file or sys.stderr
        self.bar: Any = None
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


def by_name(results: Iterable[TaskResult]) -> Mapping[str, TaskResult]:
    """Results by task name (benchmarks, tests)."""
    return {r.name: r for r in results}
