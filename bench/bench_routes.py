"""Routing benchmark: every engine of the route seam side by side, in one run.

Run from the repository root::

    python bench/bench_routes.py            # full: about 35 minutes on 2 cores, writes RESULTS.md
    python bench/bench_routes.py --quick    # about 4 minutes (on a loaded machine)
    python bench/bench_routes.py --no-write --solomon C101,R101 --solomon-limit 10

Everything goes through the planner's own seam (:func:`planner.routes.solve_tsp`,
:func:`planner.routes.solve_vrptw`, :func:`planner.routes.route_day` with ``engine=``), so the
figures are those of the code the planner runs; OR-Tools (the engine before issue 17) is the
baseline the ratios are taken against, measured in the same run.  Instances come from
``../shared/benchmarks`` (TSPLIB with proven optima, Solomon with best-known solutions); the
real-streets days from ``../shared/realdata`` (an OpenStreetMap extract of 練馬区).  Without
``../shared/benchmarks`` the script says so and exits 0.

Every answer is checked apart from the solver: tours are permutations, Solomon routes are
re-timed in double precision (:func:`check_vrptw`), day routes are re-timed on the street
matrix recomputed here (:func:`check_day`).

Goals (issue 17, 2 cores): TSPLIB mean gap <= 0.5 % with <= 1 s per instance; Solomon 12
instances mean gap <= 0.5 % at the best known vehicle count within 30 s; day routes of <= 60
stops <= 0.3 s at the 95th percentile including street matrices.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = SHARED / "benchmarks"
REAL_OSM = SHARED / "realdata" / "nerima_sakuradai_2011.osm"

ENGINES = ("ortools", "pyvrp", "lkh", "auto")
VRP_ENGINES = ("ortools", "pyvrp")  # lkh and auto hand several vehicles to PyVRP
SOLOMON_FULL = (
    "C101",
    "C105",
    "C201",
    "C205",
    "R101",
    "R105",
    "R109",
    "R201",
    "R205",
    "RC101",
    "RC105",
    "RC201",
)
SOLOMON_QUICK = ("C101", "R101", "RC105")
TSP_QUICK = ("eil51", "berlin52", "st70", "eil76", "kroA100", "ch130")
SCALE = 1000  # Solomon: integer travel times in thousandths (rounded up, so routes stay feasible)
DAY_SEEDS_FULL = (0, 1, 2, 3, 4)
DAY_SEEDS_QUICK = (0, 1)
DAY_SPREAD_FULL = (("K1-1", 11), ("K1-2", 7), ("K1-3", 8))
DAY_SPREAD_QUICK = (("K1-1", 11),)
REAL_SEEDS_FULL = (0, 1, 2, 3)
REAL_SEEDS_QUICK = (0,)
DAY_STOPS = 60
H = 60


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
    return Solomon(
        path.stem,
        vehicles,
        capacity,
        arr[:, 1:3],
        arr[:, 3].astype(int),
        arr[:, 4],
        arr[:, 5],
        arr[:, 6],
    )


def read_bks(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("pyvrp", "elkai"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} missing")
    return ", ".join(out)


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def p95(values: Sequence[float]) -> float:
    """95th percentile (nearest rank)."""
    v = sorted(values)
    return v[max(0, math.ceil(0.95 * len(v)) - 1)]


# --------------------------------------------------------------------------- TSP


def tour_length(D: np.ndarray, tour: Sequence[int]) -> int:
    return int(sum(D[a, b] for a, b in zip(tour, [*tour[1:], tour[0]], strict=True)))


def run_tsp(names: Sequence[str], limit: float) -> list[dict]:
    """Every engine on each instance: OR-Tools and PyVRP stopped by the clock at ``limit``
    seconds, LKH by its runs (10), auto as it picks."""
    from planner.routes import solve_tsp

    bks = read_bks(BENCH / "tsp" / "bks.csv")
    rows = []
    for name in names:
        D = tsplib_matrix(read_tsplib(BENCH / "tsp" / "instances" / f"{name}.tsp"))
        opt = int(bks[name]["bks_cost"])
        row: dict = {"instance": name, "n": len(D), "optimum": opt}
        for engine in ENGINES:
            t0 = time.perf_counter()
            tour = solve_tsp(D, time_limit_s=limit, engine=engine)
            seconds = time.perf_counter() - t0
            assert sorted(tour) == list(range(len(D))), f"{engine} {name}: not a tour"
            row[engine] = (100 * (tour_length(D, tour) / opt - 1), seconds)
        rows.append(row)
        print(
            f"  tsp {name}: "
            + ", ".join(f"{e} {row[e][0]:.2f} % {row[e][1]:.2f} s" for e in ENGINES),
            file=sys.stderr,
            flush=True,
        )
    return rows


def tsp_table(rows: list[dict], limit: float) -> str:
    head = ["instance", "n", "optimum", *(f"{e} gap % / s" for e in ENGINES)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["instance"], str(r["n"]), f"{r['optimum']:,}"]
        cells += [f"{r[e][0]:.2f} / {r[e][1]:.2f}" for e in ENGINES]
        lines.append("| " + " | ".join(cells) + " |")
    means = [
        f"**{statistics.mean(r[e][0] for r in rows):.2f} / "
        f"{statistics.mean(r[e][1] for r in rows):.2f}**"
        for e in ENGINES
    ]
    lines.append("| **mean** | | | " + " | ".join(means) + " |")
    return "\n".join(lines) + (
        f"\n\nOR-Tools: PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, stopped at {limit:g} s (the "
        f"baseline); PyVRP: iterated local search stopped at {limit:g} s (checked between "
        "iterations, after its first local search); LKH: elkai (LKH-3), 1 run (the seam's "
        "default); auto: LKH (a plain tour)."
    )


# --------------------------------------------------------------------------- Solomon


def check_vrptw(inst: Solomon, routes: list[list[int]], vehicles: int) -> bool:
    """Feasible in double precision: every customer once, at most ``vehicles`` routes,
    capacity, windows, depot horizon."""
    seen = sorted(i for r in routes for i in r)
    if seen != list(range(1, len(inst.xy))) or len(routes) > vehicles:
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


def run_solomon(
    names: Sequence[str], limit: float, engines: Sequence[str], fleets: Sequence[str]
) -> list[dict]:
    """Each instance with each engine at each fleet: ``bks`` (the best known vehicle count:
    reference ``bks_cost``) and ``free`` (the file's fleet: reference ``dist_min_cost``, the
    best known distance at any vehicle count).  Objective: distance only."""
    from planner.routes import solve_vrptw

    bks = read_bks(BENCH / "vrptw" / "bks.csv")
    rows = []
    for name in names:
        inst = read_solomon(BENCH / "vrptw" / "solomon" / f"{name}.txt")
        d = np.hypot(
            inst.xy[:, None, 0] - inst.xy[None, :, 0], inst.xy[:, None, 1] - inst.xy[None, :, 1]
        )
        M = np.ceil(d * SCALE - 1e-9).astype(np.int64)
        ready, due = inst.ready.tolist(), inst.due.tolist()
        windows = [(round(a * SCALE), round(b * SCALE)) for a, b in zip(ready, due, strict=True)]
        service = [round(s * SCALE) for s in inst.service.tolist()]
        b = bks[name]
        for fleet in fleets:
            vehicles = int(b["bks_vehicles"]) if fleet == "bks" else inst.vehicles
            ref = float(b["bks_cost"]) if fleet == "bks" else float(b["dist_min_cost"])
            for engine in engines:
                t0 = time.perf_counter()
                try:
                    routes, _ = solve_vrptw(
                        vehicles,
                        inst.capacity,
                        inst.demand.tolist(),
                        windows,
                        service,
                        M,
                        time_limit_s=limit,
                        engine=engine,
                    )
                except RuntimeError:
                    routes = []
                seconds = time.perf_counter() - t0
                distance = sum(
                    math.dist(inst.xy[a], inst.xy[b])
                    for r in routes
                    for a, b in zip([0, *r], [*r, 0], strict=True)
                )
                ok = bool(routes) and check_vrptw(inst, routes, vehicles)
                rows.append(
                    {
                        "instance": name,
                        "fleet": fleet,
                        "engine": engine,
                        "vehicles": len(routes),
                        "fleet_size": vehicles,
                        "distance": distance,
                        "reference": ref,
                        "bks_vehicles": int(b["bks_vehicles"]),
                        "ok": ok,
                        "seconds": seconds,
                        "gap": 100 * (distance / ref - 1) if ok else float("nan"),
                    }
                )
                print(
                    f"  vrptw {name} {fleet} {engine}: {len(routes)} vehicles, "
                    f"{distance:.2f} ({rows[-1]['gap']:+.2f} %), {seconds:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def solomon_table(rows: list[dict], fleet: str, engines: Sequence[str]) -> str:
    mine = [r for r in rows if r["fleet"] == fleet]
    names = list(dict.fromkeys(r["instance"] for r in mine))
    by = {(r["instance"], r["engine"]): r for r in mine}
    head = ["instance", "vehicles allowed", "reference"] + [
        f"{e}: vehicles / gap % / s" for e in engines
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in names:
        first = by[(n, engines[0])]
        cells = [n, str(first["fleet_size"]), f"{first['reference']:.2f}"]
        for e in engines:
            r = by[(n, e)]
            gap = f"{round(r['gap'], 2) + 0.0:.2f}" if r["ok"] else "infeasible / none"
            cells.append(f"{r['vehicles']} / {gap} / {r['seconds']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    means = []
    for e in engines:
        ok = [by[(n, e)] for n in names if by[(n, e)]["ok"]]
        gap = f"{statistics.mean(r['gap'] for r in ok):.2f}" if ok else "–"
        extra = sum(r["vehicles"] - r["bks_vehicles"] for r in ok)
        means.append(f"**{len(ok)}/{len(names)} solved, {gap}**, {extra:+d} vehicles vs best")
    lines.append("| **mean** | | | " + " | ".join(means) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- day routes


@dataclass
class DayCase:
    label: str
    stops: list
    post: tuple[float, float]
    graph: object
    mode: str
    shift: tuple[int, int]


def demo_cases(seeds: Sequence[int], spread: Sequence[tuple[str, int]]) -> list[DayCase]:
    """60-stop days on the demo town: the 60 targets nearest a random door of a 交番 beat (one
    case per seed) or 60 spread over a whole beat (every k-th of its register), mandatory only;
    and the same doors with up to 25 optional stops (due targets nearby, by tier)."""
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
        pool = sorted(
            pool, key=lambda t: ((t.lon - c.lon) ** 2 + (t.lat - c.lat) ** 2, t.target_id)
        )
        chosen.append((f"{beat} nearest #{seed}", beat, [t.target_id for t in pool[:DAY_STOPS]]))
    for beat, k in spread:
        ids = [t.target_id for t in station.targets_of(beat)[::k][:DAY_STOPS]]
        chosen.append((f"{beat} every {k}th", beat, ids))
    out = []
    for optional in (0, 25):
        for label, beat, ids in chosen:
            n = DAY_STOPS - optional  # at most 60 stops in all
            params = RouteParams(max_optional=optional)
            stops, _, _ = route_from_ids(
                station, ids[:n], date(2027, 5, 12), beat, policy, params=params
            )
            post = station.post_of(beat)
            tag = f" + {sum(not s.mandatory for s in stops)} optional" if optional else ""
            out.append(
                DayCase(
                    f"demo {label}{tag}",
                    stops,
                    (post.lon, post.lat),
                    graph,
                    "bike",
                    (9 * H, 21 * H),
                )
            )
    return out


def real_cases(seeds: Sequence[int]) -> list[DayCase]:
    """60 doors at random street corners of a real OSM extract (練馬区 桜台, ~2 x 2 km), the
    post at the corner nearest its middle, by bicycle 09:00-21:00: all-day doors; and the same
    with a third of the doors day-only (09:00-17:00) and a sixth evening-only (17:00-21:00)."""
    from planner import network
    from planner.routes import Stop

    if not REAL_OSM.is_file():
        return []
    graph = network.load_streets(REAL_OSM)
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    mid = xy.mean(axis=0)
    post = tuple(xy[int(np.argmin(((xy - mid) ** 2).sum(axis=1)))])
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(xy), DAY_STOPS, replace=False)
        for windows in (False, True):
            stops = []
            for k, i in enumerate(pick):
                w = (9 * H, 21 * H)
                if windows and k % 6 in (1, 3):
                    w = (9 * H, 17 * H)
                elif windows and k % 6 == 5:
                    w = (17 * H, 21 * H)
                stops.append(Stop(f"R{seed}-{k:02d}", float(xy[i, 0]), float(xy[i, 1]), 5, w))
            tag = " windows" if windows else ""
            out.append(DayCase(f"練馬 #{seed}{tag}", stops, post, graph, "bike", (9 * H, 21 * H)))
    return out


def check_day(case: DayCase, r) -> list[str]:
    """Problems of a day route, re-timed on the street matrix recomputed here: each door once,
    every mandatory door visited or reported dropped, each visit inside its own window and the
    shift, every leg at least the street travel time (in whole seconds; times shown in whole
    minutes), back at the post in time."""
    from planner import network

    out = []
    by_id = {s.target_id: s for s in case.stops}
    ids = [s.target_id for s in r.stops]
    if len(ids) != len(set(ids)):
        out.append("a door twice")
    missing = {s.target_id for s in case.stops if s.mandatory} - set(ids)
    if missing - set(r.dropped_mandatory):
        out.append("a mandatory door neither visited nor reported")
    pts = [case.post, *((by_id[i].lon, by_id[i].lat) for i in ids), case.post]
    T = network.travel_matrix(case.graph, [p[0] for p in pts], [p[1] for p in pts], mode=case.mode)
    left = r.depart * 60
    for k, s in enumerate(r.stops, start=1):
        src = by_id[s.target_id]
        if not (src.window[0] <= s.arrive <= src.window[1]):
            out.append(f"{s.target_id} outside its window")
        if s.arrive < case.shift[0] or s.depart > case.shift[1]:
            out.append(f"{s.target_id} outside the shift")
        if (s.arrive + 1) * 60 <= left + T[k - 1, k]:
            out.append(f"{s.target_id} reached too early")
        left = s.depart * 60
    if r.stops and r.back * 60 < left + T[len(ids), len(ids) + 1]:
        out.append("back too early")
    if r.back > case.shift[1]:
        out.append("back after the shift")
    return out


def run_days(cases: Sequence[DayCase]) -> list[dict]:
    """Every case with every engine, twice (seconds of both calls; repeatable: same order)."""
    from planner import network
    from planner.routes import RouteParams, route_day

    rows = []
    for case in cases:
        row: dict = {
            "case": case.label,
            "stops": len(case.stops),
            "mandatory": sum(s.mandatory for s in case.stops),
        }
        pts = [case.post, *((s.lon, s.lat) for s in case.stops)]
        t0 = time.perf_counter()
        network.travel_and_distance_matrix(
            case.graph, [p[0] for p in pts], [p[1] for p in pts], mode=case.mode
        )
        row["matrix_s"] = time.perf_counter() - t0
        for engine in ENGINES:
            params = RouteParams(engine=engine, max_optional=0)
            timings, routes = [], []
            for _ in range(2):
                t0 = time.perf_counter()
                routes.append(
                    route_day(
                        case.stops,
                        case.post,
                        shift=case.shift,
                        graph=case.graph,
                        mode=case.mode,
                        params=params,
                    )
                )
                timings.append(time.perf_counter() - t0)
            r = routes[-1]
            row[engine] = {
                "visited": len(r.stops),
                "optional": sum(s.optional for s in r.stops),
                "dropped": len(r.dropped_mandatory),
                "km": r.total_m / 1000,
                "seconds": timings,
                "repeatable": [s.target_id for s in routes[0].stops]
                == [s.target_id for s in r.stops],
                "problems": check_day(case, r),
                "answered": r.engine,
                "guard": any("guard" in n for n in r.notes),
            }
        rows.append(row)
        print(
            f"  day {case.label}: "
            + ", ".join(
                f"{e} {row[e]['visited']} {row[e]['km']:.2f} km {max(row[e]['seconds']):.2f} s"
                for e in ENGINES
            ),
            file=sys.stderr,
            flush=True,
        )
    return rows


def day_table(rows: list[dict]) -> str:
    head = [
        "day",
        "stops (mandatory)",
        "street matrices s",
        *(f"{e}: visited / km / s" for e in ENGINES),
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["case"], f"{r['stops']} ({r['mandatory']})", f"{r['matrix_s']:.2f}"]
        for e in ENGINES:
            x = r[e]
            flag = "" if not x["problems"] else " **INVALID**"
            flag += "" if x["repeatable"] else " (not repeatable)"
            flag += f" ({x['dropped']} dropped)" if x["dropped"] else ""
            who = f" [{x['answered']}]" if e == "auto" else ""
            cells.append(f"{x['visited']} / {x['km']:.2f} / {max(x['seconds']):.2f}{who}{flag}")
        lines.append("| " + " | ".join(cells) + " |")
    summary = []
    base_km = sum(r["ortools"]["km"] for r in rows)
    for e in ENGINES:
        secs = [s for r in rows for s in r[e]["seconds"]]
        km = sum(r[e]["km"] for r in rows)
        visited = sum(r[e]["visited"] for r in rows)
        summary.append(f"**{visited} / {km:.1f} (x{km / base_km:.3f}) / p95 {p95(secs):.2f}**")
    mat = p95([r["matrix_s"] for r in rows])
    lines.append(f"| **all** | | p95 {mat:.2f} | " + " | ".join(summary) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- output


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer instances, shorter limits")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--tsp", help="comma-separated TSPLIB names (default: all of bks.csv)")
    ap.add_argument("--tsp-limit", type=float, default=1.0, help="seconds (OR-Tools, PyVRP)")
    ap.add_argument("--solomon", help="comma-separated Solomon names")
    ap.add_argument("--solomon-limit", type=float, help="seconds per solve (30; quick 10)")
    ap.add_argument("--solomon-engines", default=",".join(VRP_ENGINES))
    ap.add_argument("--fleets", default="bks,free", help="bks (best known count), free")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: days,tsp,solomon")
    args = ap.parse_args()
    if not BENCH.is_dir():
        print(f"no benchmark instances at {BENCH}: nothing to run")
        return
    skip = set(filter(None, args.skip.split(",")))
    tsp_names = (
        args.tsp.split(",")
        if args.tsp
        else list(TSP_QUICK)
        if args.quick
        else list(read_bks(BENCH / "tsp" / "bks.csv"))
    )
    solomon = (
        args.solomon.split(",") if args.solomon else SOLOMON_QUICK if args.quick else SOLOMON_FULL
    )
    solomon_limit = args.solomon_limit or (10.0 if args.quick else 30.0)
    vrp_engines = args.solomon_engines.split(",")
    fleets = args.fleets.split(",")

    t0 = time.perf_counter()
    parts = ["## Routing engines side by side: day routes, TSPLIB, Solomon VRPTW", ""]
    goals, body = [], []
    if "days" not in skip:
        print("day routes ...", file=sys.stderr, flush=True)
        quick = args.quick
        cases = demo_cases(
            DAY_SEEDS_QUICK if quick else DAY_SEEDS_FULL,
            DAY_SPREAD_QUICK if quick else DAY_SPREAD_FULL,
        )
        cases += real_cases(REAL_SEEDS_QUICK if quick else REAL_SEEDS_FULL)
        days = run_days(cases)
        auto_p95 = p95([s for r in days for s in r["auto"]["seconds"]])
        auto_solve = p95([s - r["matrix_s"] for r in days for s in r["auto"]["seconds"]])
        valid = all(not r[e]["problems"] for r in days for e in ENGINES)
        answered = Counter(r["auto"]["answered"] for r in days)
        goals.append(
            f"day routes (<= 60 stops) <= 0.3 s at the 95th percentile with auto: "
            f"{verdict(auto_p95 <= 0.3)} (p95 {auto_p95:.2f} s; without the street matrices, "
            f"measured apart, {auto_solve:.2f} s); every route of every engine valid: "
            f"{verdict(valid)}"
        )
        body += [
            "### Day routes (<= 60 stops; demo town and real streets)",
            "",
            day_table(days),
            "",
            "Demo town (seed 0): the 60 targets nearest a random door of a 交番 beat, or 60 "
            "spread over a whole beat (every k-th of its register), each card's availability "
            "window; then the same days with their first 35 doors and up to 25 optional stops "
            "(due targets within 400 m, by tier; the prize-collecting case). Real streets: 60 "
            "random corners of the OpenStreetMap extract of 練馬区 桜台 (© OpenStreetMap "
            "contributors, ODbL), 5 minutes a door, all-day doors, then a third day-only and a "
            "sixth evening-only. Bicycle, shift 09:00–21:00, default `RouteParams` but the "
            "engine. Seconds: the whole `route_day` call (street matrices, solve, street "
            "polyline), the slower of two calls; *all*: doors visited / km (ratio to OR-Tools) "
            "/ 95th percentile of all calls. auto answered with "
            + ", ".join(f"{k} {v}x" for k, v in sorted(answered.items()))
            + ". Every route re-timed on the street matrix by `check_day`.",
            "",
        ]
    if "tsp" not in skip:
        print("TSPLIB ...", file=sys.stderr, flush=True)
        tsp = run_tsp(tsp_names, args.tsp_limit)
        gap = statistics.mean(r["auto"][0] for r in tsp)
        slowest = max(r["auto"][1] for r in tsp)
        goals.append(
            f"TSPLIB mean gap <= 0.5 % with <= 1 s per instance (auto): "
            f"{verdict(gap <= 0.5 and slowest <= 1.0)} (mean {gap:.2f} %, slowest {slowest:.2f} s)"
        )
        body += ["### TSPLIB (proven optima)", "", tsp_table(tsp, args.tsp_limit), ""]
    if "solomon" not in skip:
        print("Solomon ...", file=sys.stderr, flush=True)
        vrp = run_solomon(solomon, solomon_limit, vrp_engines, fleets)
        if "bks" in fleets and "pyvrp" in vrp_engines:
            mine = [r for r in vrp if r["fleet"] == "bks" and r["engine"] == "pyvrp"]
            ok = [r for r in mine if r["ok"]]
            gap = statistics.mean(r["gap"] for r in ok) if ok else float("nan")
            met = len(ok) == len(mine) and gap <= 0.5 and len(mine) >= 12
            goals.append(
                f"Solomon 12 instances mean gap <= 0.5 % at the best known vehicle count within "
                f"{solomon_limit:g} s (auto = PyVRP): {verdict(met)} ({len(ok)}/{len(mine)} "
                f"instances solved at that count, mean gap {gap:.2f} %"
                + ("" if len(mine) >= 12 else "; not all 12 instances run")
                + ")"
            )
        for fleet in fleets:
            title = (
                "at the best known vehicle count (reference: best known distance at that count)"
                if fleet == "bks"
                else "free fleet (the file's 25 vehicles; reference: best known distance at any "
                "count)"
            )
            body += [f"### Solomon VRPTW, {title}", "", solomon_table(vrp, fleet, vrp_engines), ""]
        body += [
            f"Time limit {solomon_limit:g} s per solve (the stop for both engines); objective: "
            "total distance. Distances recomputed in double precision, every route re-timed "
            "by `check_vrptw`; travel times for the solvers in thousandths, rounded up. auto "
            "and lkh hand several vehicles to PyVRP (the seam's chain), so their columns "
            "would repeat PyVRP's.",
            "",
        ]
    total = time.perf_counter() - t0
    command = "python " + " ".join(["bench/bench_routes.py", *sys.argv[1:]])
    parts += [
        f"{machine()}, {versions()}; `{command}` ({total / 60:.1f} min). Load average at the "
        f"end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (above about 1, other work "
        "shared the machine and the times are pessimistic).",
        "",
        "Goals (issue 17): " + "; ".join(goals) + ".",
        "",
        *body,
    ]
    section = "\n".join(parts).rstrip()
    print(section)
    if not args.no_write:
        write(section, "bench_routes")


if __name__ == "__main__":
    main()
