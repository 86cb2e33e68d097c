"""Prefecture benchmark: beats per minute by executor, per-beat times, overhead, memory, projection.

Run from the repository root::

    python bench/bench_prefecture.py            # 40 beats, ~20 min on 2 cores; writes RESULTS.md
    python bench/bench_prefecture.py --quick --no-write     # 10 beats, a smoke run

On a sample of a generated prefecture (:mod:`planner.prefecture`: 5 stations × 8 beats of Miyagi
size, urban / suburban / rural) it plans every beat with :func:`planner.app.plan.plan_stations`
three times — ``serial``, ``processes`` (2 workers) and ``dask`` (a LocalCluster of 2 one-thread
workers) — at a short time limit, and checks that the three runs wrote the same plan files.
Then it measures what a projection needs:

* per-beat times at the production limit (``planner plan``'s default 20 s) on a stratified
  sub-sample, with ``processes``;
* scheduler overhead per task: tasks that carry a real beat's inputs (one-beat station and its
  streets) to a worker and do nothing (``len``), so the time is serialising, sending, scheduling
  and answering;
* the parent's share per beat: reading and cutting the station file, writing the plan files;
* the Dask LocalCluster's start-up.

Projection model (wall time of N beats on W workers)::

    T = start + max(longest beat, N × (mean beat + overhead) / W, N × parent share)

the first term is the longest-task bound, the second the work spread evenly, the third the
parent, which reads and writes every station file itself (overlapping the workers).
Goals (issue: prefecture scale): Dask within 10 % of processes(2) in beats per minute; a
Miyagi-size prefecture (~600 beats) under 10 minutes on 64 workers.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

YEAR = 2027
MIYAGI_BEATS = 606  # planner.prefecture default: 1,000,000 targets / 1,650 a beat
JAPAN_BEATS = 12_100  # ../shared/domain.md: 6,215 交番 (~1 beat each … several) and 5,923 駐在所
WORKERS = (8, 64, 512)


def generate(out: Path, stations: int, beats: int) -> tuple[list[Path], float, int]:
    """The sample prefecture: ``beats`` beats of Miyagi's mean size over ``stations`` files."""
    from planner.prefecture import MEAN_BEAT_TARGETS, PrefectureSpec, write_prefecture

    t0 = time.perf_counter()
    spec = PrefectureSpec(stations=stations, targets=beats * MEAN_BEAT_TARGETS, beats=beats)
    infos = write_prefecture(out, spec)
    return [i.path for i in infos], time.perf_counter() - t0, spec.targets


def run(dbs: list[Path], out: Path, spec, time_limit: float, beats=()) -> tuple:
    """One plan_stations run: (summary, wall s, plans by station file)."""
    from planner.app.plan import plan_stations
    from planner.schedule import YearParams

    plans = {}
    t0 = time.perf_counter()
    summary = plan_stations(
        dbs,
        out,
        year=YEAR,
        params=YearParams(time_limit_s=time_limit),
        spec=spec,
        beats=beats,
        progress=True,
        on_station=lambda sp: plans.__setitem__(sp.db, sp),
    )
    return summary, time.perf_counter() - t0, plans


def parent_share(dbs: list[Path], plans: dict, tmp: Path) -> tuple[float, int]:
    """Seconds the parent spends per beat: read and cut each station, write its plan files."""
    from planner.app.beats import StreetIndex, split_station
    from planner.planfiles import write_plan_outputs
    from planner.store import read_station, read_streets

    t0 = time.perf_counter()
    n = 0
    for db in dbs:
        station, graph = read_station(db), read_streets(db)
        index = StreetIndex(graph) if graph is not None else None
        for one in split_station(station):
            if index is not None:
                index.around(one)
            n += 1
        sp = plans[db]
        write_plan_outputs(tmp / db.stem, sp.plan, sp.station, sp.policy)
    return (time.perf_counter() - t0) / n, n


def overhead(dbs: list[Path], spec, n_tasks: int) -> tuple[float, float]:
    """(seconds per task of do-nothing tasks carrying real beat inputs, start-up seconds)."""
    from planner.app.beats import StreetIndex, split_station
    from planner.executor import Task, run_tasks
    from planner.store import read_station, read_streets

    station, graph = read_station(dbs[0]), read_streets(dbs[0])
    index = StreetIndex(graph)
    inputs = [(one, index.around(one)) for one in split_station(station)]
    t0 = time.perf_counter()
    list(run_tasks([Task("start", len, ((),))], spec))
    start = time.perf_counter() - t0
    tasks = [Task(f"noop {k}", len, (inputs[k % len(inputs)],)) for k in range(n_tasks)]
    t0 = time.perf_counter()
    results = list(run_tasks(tasks, spec, total=len(tasks)))
    wall = time.perf_counter() - t0 - start  # the run again starts and stops its workers
    assert all(r.value == 2 for r in results)
    return max(0.0, wall) * spec.n_workers / n_tasks, start


def same_files(a: Path, b: Path) -> bool:
    """Every CSV byte for byte (xlsx forms carry the time they were saved)."""
    names = sorted(p.relative_to(a) for p in a.rglob("*.csv"))
    if names != sorted(p.relative_to(b) for p in b.rglob("*.csv")):
        return False
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def dist_row(label: str, secs: list[float]) -> str:
    return (
        f"| {label} | {len(secs)} | {min(secs):.1f} | {pct(secs, 0.1):.1f} | "
        f"{statistics.median(secs):.1f} | {pct(secs, 0.9):.1f} | {max(secs):.1f} | "
        f"{statistics.mean(secs):.1f} |"
    )


def project(
    n: int, w: int, mean: float, longest: float, over: float, parent: float, start: float
) -> float:
    """Wall seconds of ``n`` beats on ``w`` workers (module docstring)."""
    return start + max(longest, n * (mean + over) / w, n * parent)


def minutes(s: float) -> str:
    return f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.1f} h"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beats", type=int, default=40)
    ap.add_argument("--stations", type=int, default=5)
    ap.add_argument(
        "--time-limit",
        type=float,
        default=2.0,
        help="solver seconds per beat for the executor comparison",
    )
    ap.add_argument(
        "--production-limit",
        type=float,
        default=20.0,
        help="solver seconds per beat of the projection (planner plan's default)",
    )
    ap.add_argument(
        "--production-sample",
        type=int,
        default=8,
        help="beats timed at the production limit (every k-th of the sample)",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--overhead-tasks", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="10 beats, 1 s, 2 production beats")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    if args.quick:
        args.beats, args.stations, args.time_limit = 10, 2, 1.0
        args.production_sample, args.production_limit, args.overhead_tasks = 2, 5.0, 40

    from planner.executor import ExecutorSpec

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
        say(f"generating {args.beats} beats over {args.stations} station files ...")
        dbs, gen_s, n_targets = generate(tmp / "pref", args.stations, args.beats)
        w = args.workers
        specs = {
            "serial": ExecutorSpec("serial"),
            f"processes({w})": ExecutorSpec("processes", workers=w),
            f"dask LocalCluster({w})": ExecutorSpec("dask", workers=w),
        }
        runs = {}
        for label, spec in specs.items():
            say(f"== {label}: {args.beats} beats at {args.time_limit:g} s ==")
            runs[label] = run(dbs, tmp / label.split("(")[0].split()[0], spec, args.time_limit)
        serial_label, proc_label, dask_label = list(specs)
        identical = all(
            same_files(tmp / "serial", tmp / k.split("(")[0].split()[0]) for k in list(specs)[1:]
        )
        parent, _ = parent_share(dbs, runs[serial_label][2], tmp / "rewrite")
        say("== scheduler overhead ==")
        over = {
            label: overhead(dbs, spec, args.overhead_tasks)
            for label, spec in list(specs.items())[1:]
        }
        # production limit on a stratified sub-sample (every k-th beat)
        all_beats = [t.key[2] for t in runs[serial_label][0].tasks]
        step = max(1, len(all_beats) // args.production_sample)
        sample = all_beats[::step][: args.production_sample]
        say(f"== production limit {args.production_limit:g} s on {len(sample)} beats ==")
        prod, _, _ = run(
            dbs, tmp / "production", specs[proc_label], args.production_limit, beats=sample
        )
    total_min = (time.perf_counter() - started) / 60
    parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # ---- tables
    lines = [
        "| executor | beats | wall s | beats per minute | ratio to processes | "
        "mean task s | mean CPU s | overhead + idle per task s | peak MiB per worker | "
        "failed |",
        "|" + "---|" * 10,
    ]
    base = len(runs[proc_label][0].tasks) / runs[proc_label][1]
    for label, (summary, wall, _) in runs.items():
        tasks = summary.tasks
        workers = 1 if label == serial_label else args.workers
        mean = statistics.mean(t.seconds for t in tasks)
        cpu = statistics.mean(t.cpu_seconds for t in tasks)
        idle = (wall * workers - sum(t.seconds for t in tasks)) / len(tasks)
        peaks = defaultdict(float)
        for t in tasks:
            peaks[t.worker] = max(peaks[t.worker], t.peak_mib)
        peak = max(peaks.values()) if label != serial_label else parent_peak
        lines.append(
            f"| {label} | {len(tasks)} | {wall:.0f} | {60 * len(tasks) / wall:.2f} | "
            f"{len(tasks) / wall / base:.2f} | {mean:.1f} | {cpu:.1f} | {idle:.2f} | "
            f"{peak:.0f} | {len(summary.failed)} |"
        )
    dask_ratio = (len(runs[dask_label][0].tasks) / runs[dask_label][1]) / base

    kinds = defaultdict(list)
    for t in runs[serial_label][0].tasks:
        kinds["駐在所" if "-C" in t.key[2] else "交番"].append(t.seconds)
    prod_secs = [t.seconds for t in prod.tasks]
    dist = [
        "| beats | n | min s | p10 s | median s | p90 s | max s | mean s |",
        "|" + "---|" * 8,
        dist_row(
            f"all, {args.time_limit:g} s limit (serial)",
            [t.seconds for t in runs[serial_label][0].tasks],
        ),
        *(
            dist_row(f"{k}, {args.time_limit:g} s limit (serial)", v)
            for k, v in sorted(kinds.items())
        ),
        dist_row(f"sample, {args.production_limit:g} s limit ({proc_label})", prod_secs),
    ]

    dask_over, dask_start = over[dask_label]
    proc_over, proc_start = over[proc_label]
    mean_p, longest_p = statistics.mean(prod_secs), max(prod_secs)
    proj = [
        "| prefecture | beats | workers | longest beat s | N × (mean + overhead) / W s | "
        "N × parent s | projected wall |",
        "|" + "---|" * 7,
    ]
    miyagi_64 = None
    for name, n in (("Miyagi", MIYAGI_BEATS), ("all Japan", JAPAN_BEATS)):
        for w in WORKERS:
            t = project(n, w, mean_p, longest_p, dask_over, parent, dask_start)
            if name == "Miyagi" and w == 64:
                miyagi_64 = t
            proj.append(
                f"| {name} | {n:,} | {w} | {longest_p:.0f} | "
                f"{n * (mean_p + dask_over) / w:.0f} | {n * parent:.0f} | "
                f"{minutes(t)} |"
            )

    goal_dask = f"{'met' if dask_ratio >= 0.9 else '**not met**'} ({dask_ratio:.2f} × processes)"
    goal_miyagi = f"{'met' if miyagi_64 < 600 else '**not met**'} ({minutes(miyagi_64)})"
    gen_per_1000 = gen_s / n_targets * 1000
    section = "\n".join(
        [
            "## Prefecture scale: executors, per-beat times, projection",
            "",
            f"{machine()}; `python bench/bench_prefecture.py` ({total_min:.0f} min).",
            "",
            f"Goals: Dask LocalCluster within 10 % of processes({args.workers}): {goal_dask}; "
            f"Miyagi-size prefecture under 10 min on 64 workers: {goal_miyagi}. "
            f"Same plan files from all three executors: {'yes' if identical else '**NO**'}.",
            "",
            f"### {args.beats} beats, {args.time_limit:g} s solver limit per beat",
            "",
            *lines,
            "",
            f"Sample: `planner.prefecture` with {args.stations} station files, {args.beats} beats, "
            f"{n_targets:,} targets (urban, suburban and rural mixes; {gen_s:.0f} s to generate, "
            f"{gen_per_1000:.2f} s per 1,000 targets: Miyagi's 1,000,000 in about "
            f"{gen_per_1000 * 1000 / 60:.0f} min). *overhead + idle per task*: wall × workers − "
            "the tasks' own seconds, per task (scheduling, transfer, the tail of the run, the "
            "parent's reading and writing). *peak MiB per worker*: largest resident set of a "
            "worker process (serial: this process).",
            "",
            "### Per-beat solve time",
            "",
            *dist,
            "",
            "### Overhead",
            "",
            "| executor | per task, beat inputs and nothing else s | start-up and shut-down s |",
            "|---|---|---|",
            f"| {proc_label} | {proc_over:.4f} | {proc_start:.1f} |",
            f"| {dask_label} | {dask_over:.4f} | {dask_start:.1f} |",
            "",
            f"Per task: {args.overhead_tasks} tasks that take a real beat's inputs (one-beat "
            "station and streets) to a worker and return their length. The parent's share per "
            f"beat (read and cut the station file, write the plan files and forms): "
            f"{parent:.2f} s.",
            "",
            f"### Projection at the production limit ({args.production_limit:g} s per beat)",
            "",
            *proj,
            "",
            "Model: T = start-up + max(longest beat, N × (mean beat + overhead per task) / W, "
            "N × parent share per beat): the longest-task bound, the work spread evenly over W "
            "one-thread workers, and the parent, which reads and writes every station file itself "
            f"while the workers solve. Measured inputs: mean beat {mean_p:.1f} s and longest "
            f"{longest_p:.1f} s ({len(prod_secs)} beats at {args.production_limit:g} s, every "
            f"{step}th of the sample), Dask overhead {dask_over:.4f} s per task and start-up "
            f"{dask_start:.1f} s, parent {parent:.2f} s per beat. Miyagi {MIYAGI_BEATS} beats "
            f"(`planner demo --prefecture`), all Japan ~{JAPAN_BEATS:,}. Worker seconds were "
            "measured on this machine's 2 cores shared with other jobs (mean CPU s vs task s "
            "above); dedicated cores are faster.",
        ]
    )
    print(section)
    if not args.no_write:
        write(section, "bench_prefecture")


if __name__ == "__main__":
    main()
