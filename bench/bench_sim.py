"""Field simulation benchmark: the planner against hand planning, in officer-hours.

Run from the repository root::

    python bench/bench_sim.py            # demo town + three town shapes, writes RESULTS.md
    python bench/bench_sim.py --quick    # the rural beat only, short solver limits

Each town is simulated for a year with both strategies and the same seed
(:func:`planner.simulator.simulate_year`): the planner (CP-SAT year plan, monthly re-plans,
optional doors while time lasts) and the baseline (:mod:`planner.baseline`: address order, a
fixed number of doors a day, by day only, absent doors on the next pass).  Towns: the demo station
(seed 0), and three shapes from a differently seeded town (seed 1): its dense apartment beat
(K1-1), its suburban beat (K1-3) and its rural 駐在所 beat (C1).  The ratios are computed here.
Goal (issue: simulator): >= 30 % fewer officer-hours per completed first interview than the
baseline at equal or higher 実施率.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write


def towns(quick: bool):
    """(name, station, graph) of the towns to simulate."""
    from planner.demo import build_demo
    from planner.model import Station

    def only(station: Station, beat: str) -> Station:
        post = station.beat(beat).post_id
        return Station(station.name, station.policy,
                       [p for p in station.posts if p.post_id == post],
                       [b for b in station.beats if b.beat_id == beat],
                       [t for t in station.targets if t.beat_id == beat],
                       [o for o in station.officers if o.beat_id == beat],
                       list(station.officer_days), [])  # fmt: skip

    other, g1 = build_demo(1)
    if quick:
        return [("rural 駐在所 (seed 1, C1)", only(other, "C1"), g1)]
    demo, g0 = build_demo(0)
    return [
        ("demo station (seed 0)", demo, g0),
        ("dense apartments (seed 1, K1-1)", only(other, "K1-1"), g1),
        ("suburb (seed 1, K1-3)", only(other, "K1-3"), g1),
        ("rural 駐在所 (seed 1, C1)", only(other, "C1"), g1),
    ]


def main() -> None:
    from planner.demo import DEMO_YEAR
    from planner.policy import load_policy
    from planner.schedule import YearParams
    from planner.simulator import SimParams, simulate_year

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=2.0, help="solver seconds per re-plan")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    policy = load_policy("miyagi")
    lines = ["| town | strategy | officer h | first interviews | h per interview | km | "
             "重点 実施率 | 一般 実施率 | overdue left | s |", "|" + "---|" * 10]  # fmt: skip
    ratios = []
    for name, station, graph in towns(args.quick):
        res = {}
        for strategy in ("baseline", "planner"):
            t0 = time.perf_counter()
            params = SimParams(strategy=strategy, seed=args.seed,
                               plan=YearParams(time_limit_s=args.time_limit))  # fmt: skip
            res[strategy] = simulate_year(station, policy, DEMO_YEAR, graph=graph,
                                          params=params).summary()  # fmt: skip
            r = res[strategy]
            lines.append(
                f"| {name} | {strategy} | {r['officer_hours']} | {r['first_interviews']} | "
                f"{r['hours_per_interview']} | {r['km']} | {100 * r['rate']['priority']:.0f} % | "
                f"{100 * r['rate']['general']:.0f} % | {r['overdue_left']} | "
                f"{time.perf_counter() - t0:.0f} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
        p, b = res["planner"], res["baseline"]
        ratios.append((name, p["hours_per_interview"] / b["hours_per_interview"],
                       p["first_interviews"] / max(1, b["first_interviews"]),
                       p["rate"]["priority"] - b["rate"]["priority"]))  # fmt: skip
    lines += ["", "| town | h per interview planner/baseline | first interviews planner/baseline "
              "| 重点 実施率 planner − baseline |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {n} | {h:.2f} | {f:.2f} | {100 * d:+.0f} pts |" for n, h, f, d in ratios]
    section = (f"## Field simulation: planner vs hand planning\n\n{machine()}; "
               f"`python bench/bench_sim.py{' --quick' if args.quick else ''}`, seed {args.seed}, "
               f"{args.time_limit:g} s per re-plan.\n\n" + "\n".join(lines))  # fmt: skip
    print(section)
    if not args.no_write:
        write(section, "bench_sim")


if __name__ == "__main__":
    main()
