"""Large inputs: importing a 100,000-target beat, and what planning one does (time, peak memory).

Run from the repository root::

    python bench/bench_large.py                # 100,000 targets; plans the 20,000 limit too
    python bench/bench_large.py --targets 20000 --plan-size 4000 --no-write

Each step runs in a fresh process, so its peak memory is its own:

1. ``import``: the register of a beat built from the demo town
   (:func:`planner.demo.build_scaled_beat`) written as the user's CSV files, then imported with
   full row checks
   (:func:`planner.store.import_files`) into a new station file;
2. ``plan (refused)``: :func:`planner.schedule.plan_year` on that station: a beat above
   ``YearParams.max_beat_targets`` is refused with a message saying why and what to do;
3. ``plan``: a beat of ``--plan-size`` targets (default the limit) planned in full.

Goal (issue: hardening): a 100,000-target beat imports and plans, or says clearly why not, within
the memory of a 2-core, 24 GiB machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write


def _peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def write_inputs(n: int, folder: Path) -> None:
    """The beat's posts, beats, officers and targets as the CSV files an office would import."""
    import pandas as pd

    from planner.demo import build_scaled_beat
    from planner.store import targets_to_frame

    station, _graph = build_scaled_beat(n)
    pd.DataFrame(
        [
            {"post_id": p.post_id, "name": p.name, "kind": p.kind.value, "lon": p.lon, "lat": p.lat}
            for p in station.posts
        ]
    ).to_csv(folder / "posts.csv", index=False)
    pd.DataFrame(
        [{"beat_id": b.beat_id, "post_id": b.post_id, "name": b.name} for b in station.beats]
    ).to_csv(folder / "beats.csv", index=False)
    pd.DataFrame(
        [
            {
                "officer_id": o.officer_id,
                "beat_id": o.beat_id,
                "name": o.name,
                "pattern": o.pattern,
                "phase": o.phase,
                "mode": o.mode.value,
            }
            for o in station.officers
        ]
    ).to_csv(folder / "officers.csv", index=False)
    frame = targets_to_frame(station.targets).drop(columns="geometry")
    frame.to_csv(folder / "targets.csv", index=False)


def step(name: str, folder: Path, size: int, time_limit: float) -> dict:
    """One measured step (runs in its own process)."""
    from planner import InputError
    from planner.demo import DEMO_YEAR, build_scaled_beat
    from planner.policy import load_policy
    from planner.roster import PATTERNS
    from planner.schedule import YearParams, plan_year
    from planner.store import import_files, read_station

    policy = load_policy("miyagi")
    t0 = time.perf_counter()
    if name == "import":
        station = import_files(
            folder / "station.gpkg",
            station_name="大規模テスト署",
            policy_name="miyagi",
            posts=folder / "posts.csv",
            beats=folder / "beats.csv",
            officers=folder / "officers.csv",
            targets=[folder / "targets.csv"],
            patterns=set(PATTERNS),
            today=date(DEMO_YEAR - 1, 12, 31),  # the demo's "now"
        )
        outcome = f"{len(station.targets):,} targets written"
    elif name == "plan (refused)":
        station = read_station(folder / "station.gpkg")
        try:
            plan_year(station, policy, DEMO_YEAR, params=YearParams(time_limit_s=time_limit))
            outcome = "planned"
        except InputError as exc:
            outcome = f"refused: {str(exc)[:90]}…"
    else:
        station, graph = build_scaled_beat(size)
        plan = plan_year(
            station, policy, DEMO_YEAR, graph=graph, params=YearParams(time_limit_s=time_limit)
        )
        outcome = f"{len(plan.visits):,} of {plan.stats['due']:,} due planned"
    return {
        "step": name,
        "targets": size if name == "plan" else len(station.targets),
        "seconds": round(time.perf_counter() - t0, 1),
        "peak_mib": _peak_mib(),
        "outcome": outcome,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--plan-size", type=int, default=20_000)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args.step, Path(args.folder), args.plan_size, args.time_limit)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"writing a {args.targets:,}-target register ...", file=sys.stderr, flush=True)
        write_inputs(args.targets, folder)
        megabytes = (folder / "targets.csv").stat().st_size / 2**20
        for name in ("import", "plan (refused)", "plan"):
            print(f"{name} ...", file=sys.stderr, flush=True)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--step",
                    name,
                    "--folder",
                    str(folder),
                    "--plan-size",
                    str(args.plan_size),
                    "--time-limit",
                    str(args.time_limit),
                ],
                capture_output=True,
                text=True,
            )
            if out.returncode:
                sys.exit(f"{name} failed:\n{out.stderr[-3000:]}")
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    lines = ["| step | targets | s | peak MiB | outcome |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['step']} | {r['targets']:,} | {r['seconds']} | {r['peak_mib']} | {r['outcome']} |"
        for r in rows
    ]
    section = (
        f"## Large inputs\n\n{machine()}; `python bench/bench_large.py`; targets.csv "
        f"{megabytes:.0f} MB; time limit {args.time_limit:g} s per beat.\n\n" + "\n".join(lines)
    )
    print(section)
    if not args.no_write:
        write(section, "bench_large")


if __name__ == "__main__":
    main()
