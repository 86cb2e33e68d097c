"""Real streets: a year plan on a real Tokyo neighbourhood, every planned day routed.

Run from the repository root::

    python bench/bench_real.py                # ~2,000 targets, writes RESULTS.md (~5 min)
    python bench/bench_real.py --targets 600 --time-limit 5 --no-write

The streets are the real OpenStreetMap export of 練馬区 桜台 and around in ``../shared/realdata``
(© OpenStreetMap contributors, ODbL; 2,699 nodes, ~2 x 2 km), read with
:func:`planner.network.graph_from_osm`.  On them the script places a register of households and
businesses (a seeded generator of its own: doors a few metres beside real walkable streets
within ``--radius`` metres of the post; detached houses, apartment buildings of 4–12 households
and shops), one 交番 at the street node nearest the middle of the extract and three koban3
officers walking, Miyagi policy, year 2027.

Then:

1. ``plan_year`` with the street graph (deterministic limits, ``--time-limit`` per beat);
2. every planned officer-day and slot group is routed with :func:`planner.routes.route_day`
   (the doors mandatory, their visit minutes as service, the slot's minutes from the duty
   roster as the shift): **share of planned doors that fit** their day's route (goal >= 99 %);
3. every ``no_window`` target is routed alone (post -> door -> post) in the longest slot its
   card allows: **``no_window`` targets that fit alone** (goal 0);
4. ``planner.verify.verify_plan`` on the plan (rule ``route`` included): violations (goal 0).

The baseline, measured in the same run on the same register and routed the same way, is the
hand-planning yardstick :func:`planner.baseline.baseline_plan` (address order, a fixed number of
doors a day with a 10-minute allowance for walking).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine, write

REPO = Path(__file__).resolve().parents[1]
OSM = REPO.parent / "shared" / "realdata" / "nerima_sakuradai_2011.osm"
YEAR = 2027
M_PER_DEG_LAT = 110_574.0


def _m_per_deg_lon(lat: float) -> float:
    return 111_320.0 * math.cos(math.radians(lat))


def post_node(graph) -> tuple[float, float]:
    """The street node nearest the middle of the extract: where the 交番 stands."""
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)])
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    k = int(np.argmin(np.hypot((xs - cx) * _m_per_deg_lon(cy), (ys - cy) * M_PER_DEG_LAT)))
    return float(xs[k]), float(ys[k])


def _walk_edges(graph, post: tuple[float, float], radius: float) -> list[tuple[list, float]]:
    """Walkable street polylines (lon/lat) near the post, with their lengths in metres."""
    seen = set()
    out = []
    for u, v, d in graph.edges(data=True):
        if (v, u) in seen or not d.get("walk", True):
            continue
        seen.add((u, v))
        hw = d.get("highway", "")
        hw = hw[0] if isinstance(hw, list) else hw
        if hw in ("motorway", "motorway_link", "trunk", "trunk_link"):
            continue
        geom = d.get("geometry")
        if geom is not None:
            coords = list(geom.coords)
        else:
            coords = [
                (graph.nodes[u]["x"], graph.nodes[u]["y"]),
                (graph.nodes[v]["x"], graph.nodes[v]["y"]),
            ]
        mx, my = np.mean(coords, axis=0)
        dist = math.hypot((mx - post[0]) * _m_per_deg_lon(post[1]), (my - post[1]) * M_PER_DEG_LAT)
        if dist <= radius:
            out.append((coords, float(d.get("length", 0.0))))
    return out


def _point_beside(coords: list, frac: float, side: float, offset_m: float, lat0: float):
    """A door ``offset_m`` metres to one side of a polyline at ``frac`` of its length."""
    kx, ky = _m_per_deg_lon(lat0), M_PER_DEG_LAT
    xy = np.array([(x * kx, y * ky) for x, y in coords])
    seg = np.hypot(*np.diff(xy, axis=0).T)
    total = seg.sum()
    if total <= 0:
        return coords[0]
    at = frac * total
    i = min(int(np.searchsorted(np.cumsum(seg), at)), len(seg) - 1)
    t = (at - seg[:i].sum()) / seg[i] if seg[i] > 0 else 0.0
    p = xy[i] + t * (xy[i + 1] - xy[i])
    dx, dy = (xy[i + 1] - xy[i]) / max(seg[i], 1e-9)
    p = p + side * offset_m * np.array([-dy, dx])
    return float(p[0] / kx), float(p[1] / ky)


def make_station(graph, n_targets: int, radius: float, seed: int = 0):
    """One 交番, one beat, three koban3 officers walking, ~``n_targets`` doors on the streets."""
    from planner.model import (
        Availability,
        Beat,
        Card,
        HouseholdType,
        Mode,
        Officer,
        Post,
        PostKind,
        Station,
        Target,
        TargetKind,
    )

    rng = np.random.default_rng(seed)
    post = post_node(graph)
    edges = _walk_edges(graph, post, radius)
    weights = np.array([length for _, length in edges])
    weights = weights / weights.sum()
    targets: list[Target] = []
    types = [
        HouseholdType.ELDERLY,
        HouseholdType.FAMILY,
        HouseholdType.DUAL_EARNER,
        HouseholdType.SINGLE_WORKER,
    ]
    avail = [Availability.ANY, Availability.DAY, Availability.EVENING, Availability.UNKNOWN]
    b = 0
    while len(targets) < n_targets:
        coords, _ = edges[int(rng.choice(len(edges), p=weights))]
        lon, lat = _point_beside(
            coords,
            float(rng.uniform(0.05, 0.95)),
            float(rng.choice([-1.0, 1.0])),
            float(rng.uniform(6, 12)),
            post[1],
        )
        b += 1
        x = (lon - post[0]) * _m_per_deg_lon(post[1])
        y = (lat - post[1]) * M_PER_DEG_LAT
        chome = 1 + int((x + radius) // 500) + 4 * int((y + radius) // 500)
        address = f"桜台{chome}丁目{1 + int((x + radius) % 500 // 50)}番{b}号"
        kind = rng.choice(["house", "apartment", "shop"], p=[0.55, 0.35, 0.10])
        units = int(rng.integers(4, 13)) if kind == "apartment" else 1
        for k in range(units):
            if len(targets) >= n_targets:
                break
            never = rng.random() < 0.25
            elderly = kind != "shop" and rng.random() < 0.15
            reasons = (
                ("H2",)
                if kind == "apartment"
                else ("H3",)
                if elderly
                else ("B4",)
                if kind == "shop" and rng.random() < 0.5
                else ()
            )
            last = (
                None if never else date(int(rng.integers(2023, 2027)), int(rng.integers(1, 13)), 1)
            )
            targets.append(
                Target(
                    target_id=f"R{len(targets):05d}",
                    beat_id="K1",
                    kind=TargetKind.BUSINESS if kind == "shop" else TargetKind.HOUSEHOLD,
                    address=address + (f" {101 + k}号室" if units > 1 else ""),
                    lon=lon,
                    lat=lat,
                    tier="priority" if reasons else "general",
                    reasons=reasons,
                    building_id=f"BLD{b:05d}" if units > 1 else "",
                    last_visit=last,
                    card=Card.NONE if never else Card.FULL,
                    availability=Availability.ANY
                    if kind == "shop"
                    else avail[int(rng.integers(0, 4))],
                    household_type=HouseholdType.BUSINESS
                    if kind == "shop"
                    else HouseholdType.ELDERLY
                    if elderly
                    else types[int(rng.integers(1, 4))],
                    visit_minutes=15 if never else 10,
                )
            )
    station = Station(
        name="練馬桜台（ベンチ）",
        policy="miyagi",
        posts=[Post("P1", "桜台交番", PostKind.KOBAN, *post)],
        beats=[Beat("K1", "P1", "桜台第1受持区", registry_households=n_targets)],
        targets=targets,
        officers=[
            Officer(f"O{i + 1}", "K1", f"巡査 {i + 1}", "koban3", 2 * i, Mode.WALK)
            for i in range(3)
        ],
    )
    return station, post


def slot_minutes(station, policy) -> dict[tuple[str, date, str], int]:
    from planner.schedule import duty_slots

    days = duty_slots(
        station.officers,
        YEAR,
        station.officer_days,
        policy,
    )
    return {(s.officer_id, s.date, s.group): s.minutes for s in days}


def route_all(
    station, policy, graph, visits, minutes, every: int = 1
) -> tuple[int, int, int, float]:
    """Route the planned officer-days (every ``every``-th by officer and date): doors routed,
    doors dropped, days routed, seconds."""
    from planner.routes import RouteParams, Stop, route_day
    from planner.schedule import SLOT_GROUP

    targets = {t.target_id: t for t in station.targets}
    post = station.posts[0]
    days = defaultdict(list)
    for v in visits:
        days[(v.officer_id, v.date, SLOT_GROUP[v.slot])].append(targets[v.target_id])
    dropped = 0
    t0 = time.perf_counter()
    chosen = sorted(days.items())[::every]
    for key, doors in chosen:
        start = 13 * 60 if key[2] == "day" else 17 * 60 + 30
        cap = minutes.get(key, 0)
        shift = (start, start + cap)
        stops = [
            Stop(
                t.target_id,
                t.lon,
                t.lat,
                t.visit_minutes,
                shift,
                building_id=t.building_id,
                tier=t.tier,
            )
            for t in sorted(doors, key=lambda t: t.target_id)
        ]
        route = route_day(
            stops, (post.lon, post.lat), shift=shift, graph=graph, mode="walk", params=RouteParams()
        )
        dropped += len(route.dropped_mandatory)
    return sum(len(d) for _, d in chosen), dropped, len(chosen), time.perf_counter() - t0


def no_window_alone(station, policy, graph, plan, minutes) -> tuple[int, int]:
    """(no_window targets, how many of them fit alone in the longest slot their card allows)."""
    from planner.routes import RouteParams, Stop, route_day
    from planner.schedule import SLOT_GROUP, allowed_slots

    targets = {t.target_id: t for t in station.targets}
    post = station.posts[0]
    longest: dict[str, int] = defaultdict(int)
    for (_o, _d, group), m in minutes.items():
        longest[group] = max(longest[group], m)
    rows = [u for u in plan.unplanned if u.reason == "no_window"]
    fit = 0
    for u in rows:
        t = targets[u.target_id]
        groups = {SLOT_GROUP[s] for s in allowed_slots(t, policy, True)}
        for g in sorted(groups):
            shift = (0, longest[g])
            stop = Stop(t.target_id, t.lon, t.lat, t.visit_minutes, shift)
            route = route_day(
                [stop],
                (post.lon, post.lat),
                shift=shift,
                graph=graph,
                mode="walk",
                params=RouteParams(),
            )
            if not route.dropped_mandatory:
                fit += 1
                break
    return len(rows), fit


def run(n_targets: int, radius: float, time_limit: float) -> dict:
    from planner import network
    from planner.baseline import baseline_plan
    from planner.policy import load_policy
    from planner.routes import route_check
    from planner.schedule import YearParams, plan_year
    from planner.verify import verify_plan

    graph = network.graph_from_osm(OSM)
    station, _post = make_station(graph, n_targets, radius)
    policy = load_policy("miyagi")
    minutes = slot_minutes(station, policy)
    t0 = time.perf_counter()
    # a shared machine: a generous wall-clock guard (the plan does not depend on it)
    params = YearParams(time_limit_s=time_limit, wall_guard_s=3600)
    plan = plan_year(station, policy, YEAR, graph=graph, params=params)
    plan_s = time.perf_counter() - t0
    doors, dropped, days, route_s = route_all(station, policy, graph, plan.visits, minutes)
    nw, nw_fit = no_window_alone(station, policy, graph, plan, minutes)
    t0 = time.perf_counter()
    report = verify_plan(
        station,
        policy,
        YEAR,
        plan.visits,
        unplanned=plan.unplanned,
        graph=graph,
        router=route_check,
    )
    verify_s = time.perf_counter() - t0
    base = baseline_plan(station, policy, YEAR)
    b_doors, b_dropped, b_days, _ = route_all(station, policy, graph, base, minutes)
    return {
        "targets": len(station.targets),
        "due": int(plan.stats["due"]),
        "plan_s": plan_s,
        "planned": doors,
        "dropped": dropped,
        "days": days,
        "route_s": route_s,
        "unplanned": Counter(u.reason for u in plan.unplanned),
        "reasons": Counter(v.due_reason for v in plan.visits),
        "first_months": Counter(
            v.month for v in plan.visits if v.tier == "priority" and v.month <= 2
        ),
        "no_window": nw,
        "no_window_fit": nw_fit,
        "violations": Counter(v.rule for v in report.violations),
        "verify_s": verify_s,
        "base_planned": b_doors,
        "base_dropped": b_dropped,
        "base_days": b_days,
    }


def table(r: dict, radius: float, time_limit: float) -> str:
    fit = 1 - r["dropped"] / r["planned"] if r["planned"] else 1.0
    b_fit = 1 - r["base_dropped"] / r["base_planned"] if r["base_planned"] else 1.0
    kept, b_kept = r["planned"] - r["dropped"], r["base_planned"] - r["base_dropped"]
    unpl = ", ".join(f"{k} {v}" for k, v in sorted(r["unplanned"].items())) or "none"
    why = ", ".join(f"{k} {v}" for k, v in sorted(r["reasons"].items())) or "none"
    jan, feb = r["first_months"][1], r["first_months"][2]
    viol = ", ".join(f"{k} {v}" for k, v in sorted(r["violations"].items())) or "none"
    lines = [
        f"Real streets: {OSM.name} (© OpenStreetMap contributors, ODbL), a generated register "
        f"of {r['targets']:,} doors within {radius:.0f} m of one 交番, three koban3 officers "
        f"walking, Miyagi {YEAR}, `--time-limit {time_limit:g}`; {machine()}.",
        "",
        "| measure | planner | hand-planning baseline | ratio | goal |",
        "|---|---:|---:|---:|---|",
        f"| planned doors | {r['planned']:,} | {r['base_planned']:,} | "
        f"{r['planned'] / max(1, r['base_planned']):.2f} | |",
        f"| officer-day slots routed | {r['days']:,} | {r['base_days']:,} | | |",
        f"| planned doors that fit their day's route | {fit:.1%} ({r['dropped']} dropped) | "
        f"{b_fit:.1%} ({r['base_dropped']} dropped) | {fit / b_fit if b_fit else math.nan:.2f} "
        "| ≥ 99 % |",
        f"| doors visited as planned (planned − dropped) | {kept:,} | {b_kept:,} | "
        f"{kept / max(1, b_kept):.2f} | |",
        f"| `no_window` targets that fit alone | {r['no_window_fit']} of {r['no_window']} | — | "
        "| 0 |",
        f"| `planner verify` violations | {viol} | — | | none |",
        "",
        f"Planned by due reason: {why}; 重点 visits in January {jan}, February {feb} "
        "(never-met and overdue 重点 first: they take the earliest months' hours, and a first "
        "interview takes 15 min against 10 for a yearly visit).",
        "",
        f"Due {r['due']:,}; unplanned by reason: {unpl}.  Plan {r['plan_s']:.0f} s, routing "
        f"every planned day {r['route_s']:.0f} s, verify (rule `route` included) "
        f"{r['verify_s']:.0f} s.  Command: `python bench/bench_real.py`.",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=2000)
    ap.add_argument("--radius", type=float, default=500.0, help="metres around the post")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not OSM.exists():
        sys.exit(f"{OSM} is missing: the real-streets bench needs ../shared/realdata")
    r = run(args.targets, args.radius, args.time_limit)
    text = table(r, args.radius, args.time_limit)
    print(text)
    if not args.no_write:
        write("## Real streets (bench_real)\n\n" + text, "real")


if __name__ == "__main__":
    main()
