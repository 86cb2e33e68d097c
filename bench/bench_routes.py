"""Routing benchmark: TSPLIB gaps (our engine vs elkai/LKH), Solomon VRPTW, day-route speed.

Run from the repository root::

    python bench/bench_routes.py            # full: about 8 minutes on 2 cores, writes RESULTS.md
    python bench/bench_routes.py --quick    # about 1 minute
    python bench/bench_routes.py --no-write --solomon C101,R101 --solomon-limit 10

Everything goes through the planner's own routing seam (:func:`planner.routes.solve_tsp`,
:func:`planner.routes.solve_vrptw`, :func:`planner.routes.route_day`), so the figures are those
of the code the planner runs.  Instances come from ``../shared/benchmarks`` (TSPLIB with proven
optima, Solomon with best-known solutions); without that folder the script says so and exits 0.

Goals: daily routes (<= 60 stops) <= 1 s; TSP gap <= 1 %; Solomon within 3 % of the best known
distance in <= 30 s each.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"

SOLOMON_FULL = ("C101", "C105", "C201", "C205", "R101", "R105", "R109", "R201", "R205",
                "RC101", "RC105", "RC201")  # fmt: skip
SOLOMON_QUICK = ("C101", "R101", "RC101")
TSP_QUICK = ("eil51", "berlin52", "st70", "eil76", "kroA100", "ch130")
SCALE = 1000  # Solomon: integer travel times in thousandths (rounded up, so routes stay feasible)
DAY_SEEDS_FULL = (0, 1, 2, 3, 4)
DAY_SEEDS_QUICK = (0, 1)
DAY_SPREAD_FULL = (("K1-1", 11), ("K1-2", 7), ("K1-3", 8))
DAY_SPREAD_QUICK = (("K1-1", 11),)


# --------------------------------------------------------------------------- readers


def read_tsplib(path: Path) -> np.ndarray:
    """Coordinates of a TSPLIB EUC_2D instance, in node order."""
    coords, inside = [], False
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("NODE_COORD_SECTION"):
            inside = True
        elif line == "EOF":
            break
        elif inside and line:
            _, x, y = line.split()[:3]
            coords.append((float(x), float(y)))
    return np.array(coords)


def tsplib_matrix(xy: np.ndarray) -> np.ndarray:
    """TSPLIB EUC_2D distances: Euclidean rounded to the nearest integer."""
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return (d + 0.5).astype(np.int64)


@dataclass(frozen=True)
class Solomon:
    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray


def read_solomon(path: Path) -> Solomon:
    lines = [ln.split() for ln in path.read_text().splitlines()]
    vehicles, capacity = next(
        (int(a[0]), int(a[1])) for a in lines if len(a) == 2 and all(x.isdigit() for x in a)
    )
    rows = [list(map(float, a)) for a in lines if len(a) == 7 and a[0].isdigit()]
    arr = np.array(rows)
    return Solomon(path.stem, vehicles, capacity, arr[:, 1:3], arr[:, 3].astype(int),
                   arr[:, 4], arr[:, 5], arr[:, 6])  # fmt: skip


def read_bks(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


# --------------------------------------------------------------------------- TSP


def tour_length(D: np.ndarray, tour: Sequence[int]) -> int:
    return int(sum(D[a, b] for a, b in zip(tour, [*tour[1:], tour[0]], strict=True)))


def run_tsp(names: Sequence[str], limits: Sequence[float]) -> list[dict]:
    from planner.routes import solve_tsp

    try:
        import elkai
    except ImportError:  # optional reference solver
        elkai = None
    bks = read_bks(SHARED / "tsp" / "bks.csv")
    rows = []
    for name in names:
        D = tsplib_matrix(read_tsplib(SHARED / "tsp" / "instances" / f"{name}.tsp"))
        opt = int(bks[name]["bks_cost"])
        row: dict = {"instance": name, "n": len(D), "optimum": opt}
        for limit in limits:
            t0 = time.perf_counter()
            tour = solve_tsp(D, time_limit_s=limit)
            row[f"ours_{limit:g}"] = (100 * (tour_length(D, tour) / opt - 1),
                                      time.perf_counter() - t0)  # fmt: skip
        if elkai is not None:
            t0 = time.perf_counter()
            tour = elkai.DistanceMatrix(D.tolist()).solve_tsp()[:-1]
            row["elkai"] = (100 * (tour_length(D, tour) / opt - 1), time.perf_counter() - t0)
        rows.append(row)
        print(f"  tsp {name}: " + ", ".join(
            f"{k} {v[0]:.2f} % {v[1]:.1f} s" for k, v in row.items() if isinstance(v, tuple)
        ), file=sys.stderr, flush=True)  # fmt: skip
    return rows


def tsp_table(rows: list[dict], limits: Sequence[float]) -> str:
    cols = [f"ours_{x:g}" for x in limits] + (["elkai"] if rows and "elkai" in rows[0] else [])
    head = ["instance", "n", "optimum"] + [
        f"{'OR-Tools ' + c[5:] + ' s' if c.startswith('ours') else 'elkai (LKH)'} gap % / s"
        for c in cols
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["instance"], str(r["n"]), f"{r['optimum']:,}"]
        cells += [f"{r[c][0]:.2f} / {r[c][1]:.1f}" for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    means = [
        f"{statistics.mean(r[c][0] for r in rows):.2f} / "
        f"{statistics.mean(r[c][1] for r in rows):.1f}"
        for c in cols
    ]  # fmt: skip
    lines.append("| **mean** | | | " + " | ".join(f"**{m}**" for m in means) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Solomon


def check_vrptw(inst: Solomon, routes: list[list[int]]) -> bool:
    """Feasible in double precision: every customer once, capacity, windows, depot horizon."""
    seen = sorted(i for r in routes for i in r)
    if seen != list(range(1, len(inst.xy))):
        return False
    for r in routes:
        if inst.demand[r].sum() > inst.capacity:
            return False
        t, here = 0.0, 0
        for i in r:
            t = max(t + math.dist(inst.xy[here], inst.xy[i]), inst.ready[i])
            if t > inst.due[i] + 1e-6:
                return False
            t, here = t + inst.service[i], i
        if t + math.dist(inst.xy[here], inst.xy[0]) > inst.due[0] + 1e-6:
            return False
    return True


def run_solomon(names: Sequence[str], limit: float) -> list[dict]:
    from planner.routes import solve_vrptw

    bks = read_bks(SHARED / "vrptw" / "bks.csv")
    rows = []
    for name in names:
        inst = read_solomon(SHARED / "vrptw" / "solomon" / f"{name}.txt")
        d = np.hypot(inst.xy[:, None, 0] - inst.xy[None, :, 0],
                     inst.xy[:, None, 1] - inst.xy[None, :, 1])  # fmt: skip
        M = np.ceil(d * SCALE - 1e-9).astype(np.int64)
        ready, due = inst.ready.tolist(), inst.due.tolist()
        windows = [(round(a * SCALE), round(b * SCALE)) for a, b in zip(ready, due, strict=True)]
        service = [round(s * SCALE) for s in inst.service.tolist()]
        t0 = time.perf_counter()
        try:
            routes, _ = solve_vrptw(inst.vehicles, inst.capacity, inst.demand.tolist(), windows,
                                    service, M, time_limit_s=limit)  # fmt: skip
        except RuntimeError:
            routes = []
        seconds = time.perf_counter() - t0
        distance = sum(
            math.dist(inst.xy[a], inst.xy[b]) for r in routes for a, b in
            zip([0, *r], [*r, 0], strict=True)
        )  # fmt: skip
        b = bks[name]
        row = {
            "instance": name,
            "vehicles": len(routes),
            "distance": distance,
            "ok": bool(routes) and check_vrptw(inst, routes),
            "seconds": seconds,
            "bks_vehicles": int(b["bks_vehicles"]),
            "bks_cost": float(b["bks_cost"]),
            "dist_vehicles": int(b["dist_min_vehicles"]),
            "dist_cost": float(b["dist_min_cost"]),
        }
        row["gap"] = 100 * (distance / row["dist_cost"] - 1) if routes else float("nan")
        same = None
        if len(routes) == row["bks_vehicles"]:
            same = row["bks_cost"]
        elif len(routes) == row["dist_vehicles"]:
            same = row["dist_cost"]
        row["gap_same"] = 100 * (distance / same - 1) if same and routes else None
        rows.append(row)
        print(f"  vrptw {name}: {len(routes)} vehicles, {distance:.2f} ({row['gap']:+.2f} %), "
              f"{seconds:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
    return rows


def solomon_table(rows: list[dict], limit: float) -> str:
    head = (
        "| instance | vehicles (ours) | vehicles best known (fewest / at min distance) "
        "| distance (ours) | best known distance | gap % | gap % at same vehicle count "
        "| feasible | s |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        same = f"{r['gap_same']:.2f}" if r["gap_same"] is not None else "–"
        lines.append(
            f"| {r['instance']} | {r['vehicles']} | {r['bks_vehicles']} / {r['dist_vehicles']} "
            f"| {r['distance']:.2f} | {r['dist_cost']:.2f} | {r['gap']:.2f} | {same} "
            f"| {'yes' if r['ok'] else 'NO'} | {r['seconds']:.1f} |"
        )
    gaps = [r["gap"] for r in rows if r["ok"]]
    extra = sum(r["vehicles"] - r["bks_vehicles"] for r in rows if r["ok"])
    if gaps:
        lines.append(
            f"| **mean** | | {extra:+d} vs fewest | | | **{statistics.mean(gaps):.2f}** | "
            f"| {sum(r['ok'] for r in rows)}/{len(rows)} | "
            f"{statistics.mean(r['seconds'] for r in rows):.1f} |"
        )
    return "\n".join(lines) + (
        f"\n\nTime limit {limit:g} s per instance; objective: total distance (no vehicle "
        "cost), so the reference is the best known *distance* (`dist_min_cost` of `bks.csv`, "
        "any vehicle count); the gap at the same vehicle count uses the best known solution "
        "with our vehicle count where `bks.csv` has one. Distances recomputed in double "
        "precision; travel times for the solver in thousandths, rounded up."
    )


# --------------------------------------------------------------------------- day routes


def day_cases(seeds: Sequence[int], spread: Sequence[tuple[str, int]], n: int = 60):
    """60-stop days on the demo town: the n targets nearest a random door of a 交番 beat (one
    case per seed), and n targets spread over a whole beat (every k-th of its register)."""
    from planner.demo import KOBAN_BEATS, build_demo
    from planner.policy import load_policy
    from planner.routes import RouteParams, route_from_ids

    station, graph = build_demo(0)
    policy = load_policy("miyagi")
    chosen: list[tuple[str, str, list[str]]] = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        beat = KOBAN_BEATS[seed % len(KOBAN_BEATS)]
        pool = station.targets_of(beat)
        c = pool[int(rng.integers(len(pool)))]
        pool = sorted(pool, key=lambda t: ((t.lon - c.lon) ** 2 + (t.lat - c.lat) ** 2,
                                           t.target_id))  # fmt: skip
        chosen.append((f"{beat} nearest #{seed}", beat, [t.target_id for t in pool[:n]]))
    for beat, k in spread:
        ids = [t.target_id for t in station.targets_of(beat)[::k][:n]]
        chosen.append((f"{beat} every {k}th", beat, ids))
    out = []
    for label, beat, ids in chosen:
        params = RouteParams(max_optional=0)
        stops, officer, _ = route_from_ids(station, ids, date(2027, 5, 12), beat, policy,
                                           params=params)  # fmt: skip
        post = station.post_of(beat)
        out.append((label, beat, stops, (post.lon, post.lat), officer))
    return out, graph


def run_days(
    seeds: Sequence[int], spread: Sequence[tuple[str, int]], reference_s: float | None
) -> list[dict]:
    from planner.routes import RouteParams, route_day

    cases, graph = day_cases(seeds, spread)
    shift = (9 * 60, 21 * 60)  # a 60-stop day needs the whole visiting day (専従日)
    rows = []
    for label, _beat, stops, post, officer in cases:
        params = RouteParams(max_optional=0)
        timings, route = [], None
        for _ in range(2):
            t0 = time.perf_counter()
            again = route_day(stops, post, shift=shift, graph=graph, mode="bike", params=params,
                              officer_id=officer)  # fmt: skip
            timings.append(time.perf_counter() - t0)
            same = route is None or [s.target_id for s in again.stops] == [
                s.target_id for s in route.stops
            ]
            route = again
        assert route is not None
        row = {
            "case": label,
            "stops": len(stops),
            "visited": len(route.stops),
            "dropped": len(route.dropped_mandatory),
            "overrun": route.overrun_min,
            "km": route.total_m / 1000,
            "minutes": route.total_min,
            "seconds": min(timings),
            "repeatable": same,
        }
        if reference_s:
            long = replace(params, solution_limit=None, time_limit_s=reference_s)
            ref = route_day(stops, post, shift=shift, graph=graph, mode="bike", params=long)
            row["ref"] = (len(ref.stops), ref.total_m / 1000)
        rows.append(row)
        print(f"  day {row['case']}: {row['visited']}/{row['stops']} stops, {row['km']:.2f} km, "
              f"{row['seconds']:.2f} s", file=sys.stderr, flush=True)  # fmt: skip
    return rows


def day_table(rows: list[dict], reference_s: float | None) -> str:
    ref = reference_s is not None and rows and "ref" in rows[0]
    head = ("| day | stops | visited | dropped | overrun min | km | route min | s | repeatable |"
            + (f" {reference_s:g} s run: visited / km |" if ref else ""))  # fmt: skip
    lines = [head, "|" + "---|" * (9 + bool(ref))]
    for r in rows:
        line = (
            f"| {r['case']} | {r['stops']} | {r['visited']} | {r['dropped']} | {r['overrun']} "
            f"| {r['km']:.2f} | {r['minutes']} | {r['seconds']:.2f} "
            f"| {'yes' if r['repeatable'] else 'NO'} |"
        )
        if ref:
            line += f" {r['ref'][0]} / {r['ref'][1]:.2f} |"
        lines.append(line)
    return "\n".join(lines) + (
        "\n\nDemo town (seed 0): the 60 targets nearest a random door of a 交番 beat (a "
        "day's doors), or every k-th target of a beat's register (60 doors scattered over the "
        "whole beat: a harder case); bicycle, "
        "shift 09:00–21:00 with each card's availability window, default `RouteParams` "
        "(PARALLEL_CHEAPEST_INSERTION + GLS, solution limit 250, 3 s guard); seconds are the "
        "whole `route_day` call (street matrices, solve, street polyline), best of two runs; "
        "*repeatable*: both runs gave the same order."
    )


# --------------------------------------------------------------------------- output


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer instances, shorter limits")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--tsp", help="comma-separated TSPLIB names (default: all of bks.csv)")
    ap.add_argument("--tsp-limits", help="seconds, comma-separated (default 1,5; quick 1)")
    ap.add_argument("--solomon", help="comma-separated Solomon names")
    ap.add_argument("--solomon-limit", type=float, help="seconds per instance (30; quick 10)")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no benchmark instances at {SHARED}: nothing to run")
        return
    tsp_names = (args.tsp.split(",") if args.tsp
                 else list(TSP_QUICK) if args.quick
                 else list(read_bks(SHARED / "tsp" / "bks.csv")))  # fmt: skip
    limits = ([float(x) for x in args.tsp_limits.split(",")] if args.tsp_limits
              else [1.0] if args.quick else [1.0, 5.0])  # fmt: skip
    solomon = (args.solomon.split(",") if args.solomon
               else SOLOMON_QUICK if args.quick else SOLOMON_FULL)  # fmt: skip
    solomon_limit = args.solomon_limit or (10.0 if args.quick else 30.0)
    seeds = DAY_SEEDS_QUICK if args.quick else DAY_SEEDS_FULL
    spread = DAY_SPREAD_QUICK if args.quick else DAY_SPREAD_FULL
    reference_s = None if args.quick else 10.0

    t0 = time.perf_counter()
    print("day routes ...", file=sys.stderr, flush=True)
    days = run_days(seeds, spread, reference_s)
    print("TSPLIB ...", file=sys.stderr, flush=True)
    tsp = run_tsp(tsp_names, limits)
    print("Solomon ...", file=sys.stderr, flush=True)
    vrp = run_solomon(solomon, solomon_limit)
    total = time.perf_counter() - t0

    day_ok = all(r["seconds"] <= 1.0 for r in days)
    best_limit = max(limits)
    tsp_gap = statistics.mean(r[f"ours_{best_limit:g}"][0] for r in tsp)
    vrp_ok = [r for r in vrp if r["ok"]]
    vrp_gap = statistics.mean(r["gap"] for r in vrp_ok) if vrp_ok else float("nan")
    within = sum(r["gap"] <= 3.0 for r in vrp_ok)
    command = "python bench/bench_routes.py" + (" --quick" if args.quick else "")
    section = "\n".join([
        "## Routing: day routes, TSPLIB, Solomon VRPTW",
        "",
        f"{machine()}; `{command}` ({total / 60:.1f} min).",
        "",
        "Goals: "
        f"day routes (<= 60 stops) <= 1 s: {verdict(day_ok)} "
        f"(slowest {max(r['seconds'] for r in days):.2f} s); "
        f"TSP gap <= 1 %: {verdict(tsp_gap <= 1.0)} (mean {tsp_gap:.2f} % at {best_limit:g} s); "
        f"Solomon within 3 % of the best known distance in <= {solomon_limit:g} s: "
        f"{within}/{len(vrp)} instances (mean gap {vrp_gap:.2f} %).",
        "",
        "### Day routes (60 stops, demo town)",
        "",
        day_table(days, reference_s),
        "",
        "### TSPLIB (proven optima)",
        "",
        tsp_table(tsp, limits),
        "",
        "OR-Tools: `planner.routes.solve_tsp` (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, matrix "
        "registered C++-side, wall-clock limit only); elkai 2.0.1 (LKH, 10 runs) as reference.",
        "",
        "### Solomon VRPTW (100 customers)",
        "",
        solomon_table(vrp, solomon_limit),
    ])  # fmt: skip
    print(section)
    if not args.no_write:
        write(section, "bench_routes")


if __name__ == "__main__":
    main()
