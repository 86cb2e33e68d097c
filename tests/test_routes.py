"""Tests of planner.routes: one officer-day route with the OR-Tools routing engine."""

from __future__ import annotations

import itertools
import math
import re
from datetime import date

import networkx as nx
import numpy as np
import pytest

from planner import routes
from planner._errors import InputError
from planner.model import Availability
from planner.network import straight_metres
from planner.policy import load_policy
from planner.routes import (
    ROW_COLUMNS,
    DayRoute,
    RouteParams,
    Stop,
    availability_window,
    day_stops,
    route_day,
    route_from_ids,
    slot_window,
    solve_tsp,
    solve_vrptw,
)
from planner.schedule import PlannedVisit

POST = (140.8700, 38.2700)
M_PER_DEG_LAT = 111_000.0
M_PER_DEG_LON = 111_000.0 * math.cos(math.radians(POST[1]))
DAY = date(2027, 5, 12)
H = 60  # minutes per hour


def at(x: float, y: float) -> tuple[float, float]:
    """Lon/lat ``x`` m east and ``y`` m north of the post."""
    return POST[0] + x / M_PER_DEG_LON, POST[1] + y / M_PER_DEG_LAT


def stop(i: int, x: float, y: float, *, window=(9 * H, 21 * H), service=10, **kw) -> Stop:
    lon, lat = at(x, y)
    return Stop(f"T{i:03d}", lon, lat, service, window, **kw)


def random_stops(seed: int, n: int, *, spread: float = 800.0, **kw) -> list[Stop]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-spread, spread, (n, 2))
    return [stop(i, x, y, **kw) for i, (x, y) in enumerate(xy)]


def check_route(r: DayRoute, stops: list[Stop]) -> None:
    """Invariants of every route: each stop once, windows, shift, times that add up."""
    ids = [s.target_id for s in r.stops]
    assert len(ids) == len(set(ids))
    mandatory = {s.target_id for s in stops if s.mandatory}
    assert mandatory == (set(ids) & mandatory) | set(r.dropped_mandatory)
    dropped = set(r.dropped_mandatory) | set(r.dropped_optional)
    assert not set(ids) & dropped
    assert dropped == set(r.reasons)  # nothing dropped without a reason
    if r.dropped_mandatory:
        assert r.overrun_min > 0 or all("window" in r.reasons[i] for i in r.dropped_mandatory)
    by_id = {s.target_id: s for s in stops}
    previous = r.depart
    for k, s in enumerate(r.stops, start=1):
        assert s.seq == k
        src = by_id[s.target_id]
        assert s.window[0] <= s.arrive <= s.window[1]
        assert src.window[0] <= s.arrive <= src.window[1]
        assert r.start <= s.arrive <= r.end
        assert s.depart == s.arrive + src.service_min
        assert s.arrive >= previous
        assert s.optional == (not src.mandatory)
        previous = s.depart
    assert r.start <= r.depart <= r.back <= r.end
    assert r.total_m >= sum(s.leg_m for s in r.stops)


def travel_s(stops: list[Stop], mode: str = "walk") -> np.ndarray:
    """The seconds matrix route_day uses without a graph (post first)."""
    lons = [POST[0], *(s.lon for s in stops)]
    lats = [POST[1], *(s.lat for s in stops)]
    return routes._travel(lons, lats, None, mode, None)[0]


def tour_cost(T: np.ndarray, order: list[int]) -> int:
    path = [0, *order, 0]
    return int(sum(T[a, b] for a, b in itertools.pairwise(path)))


def brute_force(T: np.ndarray) -> int:
    n = len(T) - 1
    perms = np.array(list(itertools.permutations(range(1, n + 1))), dtype=np.int64)
    cost = T[0, perms[:, 0]] + T[perms[:, -1], 0]
    for k in range(n - 1):
        cost = cost + T[perms[:, k], perms[:, k + 1]]
    return int(cost.min())


@pytest.fixture(scope="module")
def miyagi():
    return load_policy("miyagi")


@pytest.fixture(scope="module")
def demo():
    from planner.demo import build_demo

    return build_demo(0)


# --------------------------------------------------------------------------- windows


def test_slot_and_availability_windows(miyagi):
    assert slot_window(miyagi, "day") == (13 * H, 17 * H)
    assert slot_window(miyagi, "evening") == (17 * H + 30, 19 * H)
    assert slot_window(miyagi, "night") == (19 * H, 21 * H)
    assert slot_window(miyagi, "day", RouteParams(day_start="09:30")) == (9 * H + 30, 17 * H)
    with pytest.raises(InputError, match="no slot"):
        slot_window(miyagi, "dawn")
    with pytest.raises(InputError, match="not before"):
        slot_window(miyagi, "evening", RouteParams(evening_start="19:30"))
    assert availability_window(Availability.DAY, miyagi) == (9 * H, 17 * H)
    assert availability_window("evening", miyagi) == (17 * H, 21 * H)
    assert availability_window("any", miyagi) == (9 * H, 21 * H)
    assert availability_window(Availability.UNKNOWN, miyagi) == (9 * H, 21 * H)


# --------------------------------------------------------------------------- route_day


def test_every_mandatory_stop_once_within_windows_and_shift():
    stops = random_stops(1, 12)
    stops[3] = stop(3, 300, 300, window=(15 * H, 16 * H))
    stops[7] = stop(7, -300, 200, window=(13 * H, 13 * H + 30))
    r = route_day(stops, POST, shift=(13 * H, 19 * H))
    check_route(r, stops)
    assert sorted(s.target_id for s in r.stops) == sorted(s.target_id for s in stops)
    assert not r.dropped_mandatory and r.overrun_min == 0
    assert r.path[0] == r.path[-1] == pytest.approx(POST)
    assert r.total_min == pytest.approx(r.back - r.depart, abs=1)


@pytest.mark.parametrize(("seed", "n"), [(0, 5), (1, 6), (2, 7), (3, 8), (4, 8), (5, 9)])
def test_small_routes_within_one_percent_of_brute_force(seed, n):
    stops = random_stops(seed, n)
    r = route_day(stops, POST, shift=(9 * H, 21 * H))
    check_route(r, stops)
    T = travel_s(stops)
    index = {s.target_id: k for k, s in enumerate(stops, start=1)}
    got = tour_cost(T, [index[s.target_id] for s in r.stops])
    assert got <= 1.01 * brute_force(T)


def test_optional_stops_only_while_time_remains_higher_penalty_first():
    mandatory = [stop(0, 100, 0, service=20), stop(1, 150, 50, service=20)]
    wanted = stop(2, 120, 80, service=30, mandatory=False, penalty=7200)
    spare = stop(3, 130, -60, service=30, mandatory=False, penalty=3600)
    stops = [*mandatory, wanted, spare]
    # 90 minutes: both mandatory (40 min + walking) and one optional of 30 min
    r = route_day(stops, POST, shift=(13 * H, 14 * H + 30))
    check_route(r, stops)
    visited = {s.target_id for s in r.stops}
    assert {"T000", "T001", "T002"} == visited
    assert r.dropped_optional == ["T003"] and "no time" in r.reasons["T003"]
    assert not r.dropped_mandatory and r.overrun_min == 0
    assert next(s for s in r.stops if s.target_id == "T002").optional
    # a long shift takes both
    r = route_day(stops, POST, shift=(13 * H, 17 * H))
    assert {s.target_id for s in r.stops} == {"T000", "T001", "T002", "T003"}
    # no time for any optional stop: the mandatory ones still all go
    r = route_day(stops, POST, shift=(13 * H, 14 * H))
    assert {s.target_id for s in r.stops} == {"T000", "T001"}
    assert r.dropped_optional == ["T002", "T003"]


def test_households_of_a_building_are_consecutive_in_id_order():
    lon, lat = at(400, 100)
    flats = [
        Stop(f"A{k}", lon, lat, 5 + k, (9 * H, 21 * H), building_id="B1") for k in (3, 1, 4, 2)
    ]
    stops = [*random_stops(7, 8), *flats]
    r = route_day(stops, POST, shift=(13 * H, 17 * H))
    check_route(r, stops)
    ids = [s.target_id for s in r.stops]
    first = ids.index("A1")
    assert ids[first : first + 4] == ["A1", "A2", "A3", "A4"]
    run = r.stops[first : first + 4]
    assert [s.leg_m for s in run[1:]] == [0, 0, 0]
    assert all(b.arrive == a.depart for a, b in itertools.pairwise(run))


def test_every_household_of_a_building_starts_inside_its_window():
    # four flats of 20 minutes that must all start by 15:00, and two doors elsewhere that must
    # be visited 13:00-14:30: the building cannot go whole after them
    lon, lat = at(300, 300)
    flats = [Stop(f"A{k}", lon, lat, 20, (13 * H, 15 * H), building_id="B1") for k in range(4)]
    early = [stop(0, -400, -300, window=(13 * H, 14 * H + 30), service=40),
             stop(1, -450, -250, window=(13 * H, 14 * H + 30), service=40)]  # fmt: skip
    stops = [*early, *flats]
    r = route_day(stops, POST, shift=(13 * H, 21 * H))
    check_route(r, stops)  # each flat's start inside 13:00-15:00
    # the best is to leave two doors out (e.g. the two early ones, or one early door and a flat)
    assert len(r.stops) == 4 and len(r.dropped_mandatory) == 2
    assert all("window" in r.reasons[i] for i in r.dropped_mandatory)


def test_overfull_day_reports_dropped_mandatory_and_overrun():
    stops = random_stops(3, 10, service=30, spread=400)
    r = route_day(stops, POST, shift=(13 * H, 15 * H))
    check_route(r, stops)
    assert r.dropped_mandatory  # 300 minutes of visits in a 120-minute shift
    assert len(r.stops) + len(r.dropped_mandatory) == 10
    # about 180 minutes of visits beyond the shift, plus walking
    assert 180 <= r.overrun_min <= 240
    for i in r.dropped_mandatory:
        assert "does not fit the shift 13:00-15:00" in r.reasons[i]


def test_building_split_when_it_does_not_fit_whole():
    lon, lat = at(200, 0)
    flats = [Stop(f"A{k}", lon, lat, 20, (9 * H, 21 * H), building_id="B1") for k in range(5)]
    r = route_day(flats, POST, shift=(13 * H, 14 * H + 30))
    check_route(r, flats)
    assert len(r.stops) == 4 and len(r.dropped_mandatory) == 1
    assert r.overrun_min > 0


def test_evening_only_household_arrives_in_the_evening(miyagi):
    evening = availability_window("evening", miyagi)
    stops = [*random_stops(4, 6, window=availability_window("any", miyagi)),
             stop(9, 250, -250, window=evening)]  # fmt: skip
    r = route_day(stops, POST, shift=(15 * H, 19 * H))
    check_route(r, stops)
    late = next(s for s in r.stops if s.target_id == "T009")
    assert 17 * H <= late.arrive <= 19 * H
    # on a day shift the evening-only household cannot be visited: dropped with its reason
    r = route_day(stops, POST, shift=slot_window(miyagi, "day"))
    assert r.dropped_mandatory == ["T009"]
    assert "17:00-21:00 does not meet the shift 13:00-17:00" in r.reasons["T009"]
    assert r.overrun_min == 0


def test_same_input_same_route():
    stops = random_stops(11, 14, spread=1200)
    stops[2] = stop(2, 500, 500, window=(14 * H, 15 * H))
    first = route_day(stops, POST, shift=(13 * H, 17 * H))
    for _ in range(2):
        again = route_day(stops, POST, shift=(13 * H, 17 * H))
        assert again.stops == first.stops
        assert again.path == first.path
    other_seed = route_day(stops, POST, shift=(13 * H, 17 * H), params=RouteParams(seed=3))
    check_route(other_seed, stops)


def test_stop_ids_must_be_unique_and_empty_day():
    s = stop(0, 10, 10)
    with pytest.raises(InputError, match="twice"):
        route_day([s, s], POST, shift=(13 * H, 17 * H))
    r = route_day([], POST, shift=(13 * H, 17 * H), officer_id="O1", day=DAY)
    assert r.stops == [] and r.total_m == 0 and r.to_rows() == []
    assert r.path == [POST]


def test_unreachable_door_dropped_with_reason():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    nodes = {1: at(-50, 0), 2: at(300, 0), 3: at(300, 300), 5: at(2000, 2000), 6: at(2100, 2000)}
    for n, (lon, lat) in nodes.items():
        G.add_node(n, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3), (5, 6)):
        length = math.dist(
            (nodes[u][0] * M_PER_DEG_LON, nodes[u][1] * M_PER_DEG_LAT),
            (nodes[v][0] * M_PER_DEG_LON, nodes[v][1] * M_PER_DEG_LAT),
        )
        G.add_edge(u, v, length=length)
        G.add_edge(v, u, length=length)
    stops = [stop(0, 300, 10), stop(1, 290, 250), stop(2, 2050, 2010)]
    r = route_day(stops, POST, shift=(13 * H, 17 * H), graph=G)
    assert [s.target_id for s in r.stops] in (["T000", "T001"], ["T001", "T000"])
    assert r.dropped_mandatory == ["T002"] and "no street path" in r.reasons["T002"]
    # the polyline follows the street through node 2 (the corner)
    corner = (G.nodes[2]["x"], G.nodes[2]["y"])
    assert any(p == pytest.approx(corner) for p in r.path)


# --------------------------------------------------------------------------- demo town


def test_demo_day_on_the_street_graph(demo, miyagi):
    station, graph = demo
    beat = "K1-2"
    post = station.post_of(beat)
    pool = [
        t
        for t in station.targets_of(beat)
        if availability_window(t.availability, miyagi)[0] <= 9 * H
    ]
    pool.sort(key=lambda t: ((t.lon - post.lon) ** 2 + (t.lat - post.lat) ** 2, t.target_id))
    ids = [t.target_id for t in pool[:24]]
    params = RouteParams(day_start="09:00", max_optional=0)
    stops, officer, slot = route_from_ids(station, ids, DAY, beat, miyagi, params=params)
    assert officer == "OF02" and slot == "day" and len(stops) == 24
    assert all(s.mandatory and s.reason == "plan" for s in stops)
    r = route_day(stops, (post.lon, post.lat), shift=slot_window(miyagi, slot, params),
                  graph=graph, mode="bike", params=params, officer_id=officer, day=DAY)  # fmt: skip
    check_route(r, stops)
    assert len(r.stops) == 24 and r.total_m > 0
    rows = r.to_rows()
    assert len(rows) == 24 and tuple(rows[0]) == ROW_COLUMNS
    assert all(re.fullmatch(r"\d\d:\d\d", row["arrive"]) for row in rows)
    assert all(re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", row["window"]) for row in rows)
    assert [row["seq"] for row in rows] == list(range(1, 25))
    assert r.path[0] == r.path[-1] == pytest.approx((post.lon, post.lat))
    assert {(s.lon, s.lat) for s in r.stops} <= set(r.path)
    corners = {(d["x"], d["y"]) for _, d in graph.nodes(data=True)}
    assert len(set(r.path) & corners) >= 3  # along the streets, not straight lines


def test_day_stops_from_a_plan(demo, miyagi):
    station, graph = demo
    beat = "K1-1"
    post = station.post_of(beat)
    day_ok = [
        t
        for t in station.targets_of(beat)
        if availability_window(t.availability, miyagi)[0] <= 13 * H
    ]
    day_ok.sort(key=lambda t: ((t.lon - post.lon) ** 2 + (t.lat - post.lat) ** 2, t.target_id))
    evening_ok = [t for t in station.targets_of(beat) if t.availability is Availability.EVENING]
    plan = [PlannedVisit(t.target_id, beat, "OF01", t.tier, DAY, "day", "never_met", 15)
            for t in day_ok[:10]]  # fmt: skip
    plan += [PlannedVisit(t.target_id, beat, "OF01", t.tier, DAY, "evening", "never_met", 15)
             for t in evening_ok[:3]]  # fmt: skip
    plan += [PlannedVisit(day_ok[40].target_id, beat, "OF01", day_ok[40].tier,
                          date(2027, 5, 1), "day", "never_met", 15)]  # fmt: skip
    retry = [day_ok[30].target_id]
    params = RouteParams(max_optional=8)
    stops, officer, slot = day_stops(station, plan, DAY, beat, miyagi, retry=retry, params=params)
    assert (officer, slot) == ("OF01", "day")
    mandatory = [s for s in stops if s.mandatory]
    optional = [s for s in stops if not s.mandatory]
    assert sorted(s.target_id for s in mandatory) == sorted(t.target_id for t in day_ok[:10])
    assert optional[0].target_id == retry[0] and optional[0].reason == "retry"
    assert 1 < len(optional) <= 8
    planned = {v.target_id for v in plan}
    for s in optional[1:]:
        assert s.reason == "due_nearby" and s.target_id not in planned
        near = min(straight_metres([s.lon, m.lon], [s.lat, m.lat])[0, 1] for m in mandatory)
        assert near <= params.optional_radius_m
        assert s.window[0] <= 17 * H  # can be visited in the day slot
    assert optional[0].penalty > max(s.penalty for s in optional[1:])
    first_tier = routes.tier_penalty(miyagi.tier_codes[0], miyagi)
    assert first_tier > routes.tier_penalty(miyagi.tier_codes[1], miyagi)
    # the evening visits, asked for by slot
    stops_e, _, slot_e = day_stops(station, plan, DAY, beat, miyagi, slot="evening",
                                   params=RouteParams(max_optional=0))  # fmt: skip
    assert slot_e == "evening" and len(stops_e) == 3
    r = route_day(stops, (post.lon, post.lat), shift=slot_window(miyagi, slot), graph=graph,
                  mode="bike", officer_id=officer, day=DAY, slot=slot)  # fmt: skip
    check_route(r, stops)
    with pytest.raises(InputError, match="no visit"):
        day_stops(station, plan, date(2027, 5, 13), beat, miyagi)
    with pytest.raises(InputError, match="unknown target"):
        day_stops(station, plan, DAY, beat, miyagi, retry=["NOPE"])


def test_route_from_ids_without_graph(demo, miyagi):
    station, _ = demo
    beat = "C1"
    ids = [t.target_id for t in station.targets_of(beat)[:6]]
    stops, officer, slot = route_from_ids(station, ids, DAY, beat, miyagi, slot="day",
                                          params=RouteParams(max_optional=0))  # fmt: skip
    assert [s.target_id for s in stops] == ids and (officer, slot) == ("OF04", "day")
    post = station.post_of(beat)
    r = route_day(stops, (post.lon, post.lat), shift=(9 * H, 17 * H), mode="car")
    check_route(r, stops)
    assert r.path[0] == pytest.approx((post.lon, post.lat))
    with pytest.raises(InputError, match="unknown target"):
        route_from_ids(station, ["NOPE"], DAY, beat, miyagi)


# --------------------------------------------------------------------------- engine seam


def test_solve_tsp_optimal_on_a_small_matrix():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 1000, (8, 2))
    D = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(int)
    tour = solve_tsp(D, time_limit_s=1.0, solution_limit=200)
    assert sorted(tour) == list(range(8)) and tour[0] == 0
    assert tour_cost(D, tour[1:]) == brute_force(D)


def test_solve_vrptw_respects_capacity_and_windows():
    # depot at 0, four customers on a line; two vehicles of capacity 2
    x = np.array([0, 10, 20, 30, 40])
    D = np.abs(x[:, None] - x[None, :])
    demands = [0, 1, 1, 1, 1]
    windows = [(0, 200), (0, 50), (0, 200), (0, 200), (60, 100)]
    service = [0, 5, 5, 5, 5]
    got, distance = solve_vrptw(2, 2, demands, windows, service, D, time_limit_s=1.0,
                                solution_limit=200)  # fmt: skip
    assert sorted(i for r in got for i in r) == [1, 2, 3, 4]
    assert all(sum(demands[i] for i in r) <= 2 for r in got)
    for r in got:
        t, here = 0, 0
        for i in r:
            t = max(t + D[here, i], windows[i][0])
            assert t <= windows[i][1]
            t, here = t + service[i], i
        assert t + D[here, 0] <= windows[0][1]
    assert distance == sum(tour_cost(D, r) for r in got)
