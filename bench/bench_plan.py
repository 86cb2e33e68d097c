"""Year-plan benchmark: seconds and peak memory by beat size, walking per visit vs hand planning.

Run from the repository root::

    python bench/bench_plan.py                 # sizes 500 1000 2000 4000 8000, writes RESULTS.md
    python bench/bench_plan.py --sizes 500,1000 --time-limit 10 --no-write

Each size runs in a fresh process (so peak memory is that size's alone) on a beat built from the
demo town (:func:`planner.demo.build_scaled_beat`, one officer per 1,000 targets).  In the same
process the hand-planning baseline (:mod:`planner.baseline`: address order, fixed doors a day) is
scored by the same scorer (:func:`planner.verify.score_plan`), so the ratio is measured, not typed.
Goal (issue: year plan): 4,000 targets in <= 60 s and <= 1 GiB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

HERE = Path(__file__).resolve().parent


def one(n: int, time_limit: float) -> dict:
    """Plan one scaled beat and score it against the baseline (runs in its own process)."""
    from planner.baseline import baseline_plan
    from planner.demo import DEMO_YEAR, build_scaled_beat
    from planner.policy import load_policy
    from planner.routes import route_check
    from planner.schedule import YearParams, plan_year
    from planner.verify import score_plan, verify_plan

    station, graph = build_scaled_beat(n)
    policy = load_policy("miyagi")
    t0 = time.perf_counter()
    plan = plan_year(
        station, policy, DEMO_YEAR, graph=graph, params=YearParams(time_limit_s=time_limit)
    )
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = verify_plan(
        station,
        policy,
        DEMO_YEAR,
        plan.visits,
        unplanned=plan.unplanned,
        approvals=[v.target_id for v in plan.approvals(policy)],
        graph=graph,
        router=route_check,
    )
    hand = baseline_plan(station, policy, DEMO_YEAR)
    hand_score = score_plan(
        station, hand, graph=graph, year=DEMO_YEAR, month_factors=policy.month_factors
    )
    return {
        "targets": n,
        "officers": len(station.officers),
        "due": int(plan.stats["due"]),
        "planned": len(plan.visits),
        "seconds": round(seconds, 1),
        "peak_mib": round(peak),
        "verify_ok": report.ok,
        "walk_per_visit": round(report.score.walk_minutes_per_visit, 2),
        "baseline_planned": len(hand),
        "baseline_walk_per_visit": round(hand_score.walk_minutes_per_visit, 2),
    }


def table(rows: list[dict], time_limit: float) -> str:
    head = (
        "| targets | officers | due | planned | s | peak MiB | verify | walk min/visit "
        "| baseline planned | baseline walk min/visit | walk ratio planner/baseline |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        ratio = (
            r["walk_per_visit"] / r["baseline_walk_per_visit"]
            if r["baseline_walk_per_visit"]
            else float("nan")
        )
        lines.append(
            f"| {r['targets']:,} | {r['officers']} | {r['due']:,} | {r['planned']:,} | "
            f"{r['seconds']} | {r['peak_mib']} | {'ok' if r['verify_ok'] else 'FAIL'} | "
            f"{r['walk_per_visit']} | {r['baseline_planned']:,} | "
            f"{r['baseline_walk_per_visit']} | {ratio:.2f} |"
        )
    return "\n".join(lines) + f"\n\nTime limit {time_limit:g} s per beat (YearParams.time_limit_s)."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000,4000,8000")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.time_limit)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"planning {n} targets ...", file=sys.stderr, flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--time-limit", str(args.time_limit)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    section = f"## Year plan scaling\n\n{machine()}; `python bench/bench_plan.py`.\n\n" + table(
        rows, args.time_limit
    )
    print(section)
    if not args.no_write:
        write(section, "bench_plan")


if __name__ == "__main__":
    main()
