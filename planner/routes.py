"""One officer-day route: the order of the doors of a duty slot, from the post and back.

A day route is a small vehicle-routing problem with time windows and optional stops (a
prize-collecting VRPTW with one vehicle), described once as an integer instance and solved by
the engine of :attr:`RouteParams.engine` behind one seam (:mod:`planner.routing.engines`):
LKH-3 (elkai), PyVRP or OR-Tools routing; ``auto`` picks among them:

* one vehicle, the officer, leaves the post at the shift start (the departure is then delayed as
  far as it goes without waiting at a door) and is back by the shift end;
* each stop (a door) has a service time and a window (the card's availability, cut to the
  shift); a visit must start inside its window and end inside the shift;
* mandatory stops (the plan's visits of the day) and optional stops (absent households to retry,
  due households nearby) each carry a drop penalty (OR-Tools: a disjunction; PyVRP: an optional
  client whose prize is the penalty; LKH: insertion while the penalty outweighs the detour): an
  optional stop is dropped for its penalty, a mandatory stop for a penalty larger than every
  optional penalty and every route together, so optional stops are taken only while time
  remains (highest penalty first), and a day too full for its mandatory stops is reported
  (``dropped_mandatory`` with reasons, ``overrun_min`` from a re-solve with the end relaxed),
  never failed or trimmed silently;
* households of one apartment building (same ``building_id``, point and window) become one
  routing node whose service time is their sum, expanded again in id order; a building that
  does not fit whole is re-solved door by door.

Travel times are whole seconds: street metres
(:func:`planner.network.travel_and_distance_matrix`) with a graph, straight-line metres x
:data:`planner.geo.DETOUR` without one, at the mode's speed; windows in seconds, so every route
is checked in exact integer arithmetic (:func:`planner.routing.engines.check_routes`) before it
is used.  The objective is travel time.  When that leaves a mandatory door out, a second solve
also counts the time back at the post (:data:`SPAN_COST`), which packs flexible doors early and
leaves the evening to the evening-only households; the better of the two is kept.  Solver code
does no I/O.

Engine seam
-----------
:func:`_solve` is the only function that talks to a routing engine; :func:`route_day`,
:func:`solve_tsp` and :func:`solve_vrptw` (used by ``bench/bench_routes.py``,
``bench/bench_pvrp.py`` and the simulator) all go through it, so the benchmarks measure the
code the planner runs.  ``auto`` (the default) takes LKH for a day of mandatory doors whose
shortest tour keeps every window and the shift (and for a plain TSP), PyVRP warm-started from
that LKH tour where windows bind, optional stops are offered or a day is too full (and for
several vehicles), and OR-Tools where elkai or PyVRP is not installed; :attr:`DayRoute.engine`
says which engine answered and :attr:`DayRoute.notes` why another was passed over.  The
engines side by side: ``bench/RESULTS.md``, section ``bench_routes``.

Determinism
-----------
Every engine stops on a count, never on the clock alone: OR-Tools after
``RouteParams.solution_limit`` solutions or :data:`BRANCHES_PER_SOLUTION` search branches per
allowed solution (measured with OR-Tools 9.15 on 2 cores: a 1 s wall-clock limit gave three
different routes in four runs under load, the solution limit the same route every time); PyVRP
after ``RouteParams.iterations`` iterations without improvement, with a fixed seed; LKH after
``RouteParams.lkh_runs`` runs (elkai fixes LKH's seed).  ``time_limit_s`` is only a guard: when
it fires first the route's notes say so and a warning is logged.  Same input, seed and limits
give the same route.  ``RouteParams.seed`` seeds PyVRP and OR-Tools and also permutes the
routing nodes (and the nodes LKH sees): another seed, another search path.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time

import networkx as nx
import numpy as np

from planner import geo, network
from planner._errors import InputError
from planner.approvals import decisions_by_visit
from planner.contact import ALLOWED_SLOTS
from planner.model import Availability, Decision, Mode, Outcome, Post, Station, Target
from planner.plan import PlannedVisit
from planner.policy import Policy, due_targets
from planner.routing import engines
from planner.routing.engines import ENGINES, Instance, Search, Solved

RELAX_S = 8 * 3600
"""How far the shift end is relaxed to measure an overrun (seconds)."""

SPAN_COST = 1
"""Cost of one second of route time (leaving the post to coming back) beside 1 per second of
travel, in the second solve of a day that looks too full: flexible doors go early and leave the
evening to the evening-only households.  (Not in the first solve: it makes each move about
three times slower.)"""

OVERRUN_COST_PER_S = 100
"""Cost of one second of route time in the overrun estimate (travel costs 1 per second)."""

TIER_PENALTY_S = 3 * 3600
"""Drop penalty of an optional stop of the last tier, in seconds of route time; each tier above
doubles it (Miyagi: 重点 21,600, 一般 10,800).  More than a nearby door can cost (its visit and the
detour to it), so an optional stop is taken whenever the shift has room for it."""

BRANCHES_PER_SOLUTION = engines.BRANCHES_PER_SOLUTION
"""With a solution limit, the search also stops after this many branches per allowed solution."""

SLOT_KINDS = ("day", "evening", "night")

_DAY_S = 24 * 3600


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InputError(f"unknown routing engine {engine!r}: one of {', '.join(ENGINES)}")
    return engine


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class RouteParams:
    """Search settings and defaults of a day route.

    Attributes
    ----------
    time_limit_s
        Wall-clock guard on one search (seconds); the deterministic stop is ``solution_limit``.
        A day takes one search, two more when mandatory doors do not fit.
    seed
        0: the stops in id order; another seed permutes the routing nodes (the solver's own
        seed, also set, changed nothing measurable), so another seed gives another search.
    speeds_kmh
        Speeds overriding :data:`planner.network.SPEEDS_KMH`, by mode.
    first_solution, local_search
        Names of OR-Tools ``FirstSolutionStrategy`` and ``LocalSearchMetaheuristic`` values.
    day_start, evening_start, night_start
        When the officer starts visiting in each kind of slot (``HH:MM``); the slot's end comes
        from the policy (:func:`slot_window`).
    optional_radius_m
        Due targets within this straight-line distance of a mandatory stop may be added as
        optional stops (:func:`day_stops`).
    max_optional
        At most this many optional stops per route (retries first).
    solution_limit
        OR-Tools: stop the search after this many solutions or :data:`BRANCHES_PER_SOLUTION`
        times as many search branches (both deterministic); ``None``: the time limit only
        (faster machines then search further, and runs can differ).
    engine
        ``auto`` (the default), ``lkh``, ``pyvrp`` or ``ortools`` (:data:`ENGINES`): ``auto``
        takes LKH for a day of mandatory doors whose shortest tour keeps every window and the
        shift, PyVRP otherwise (optional stops, windows that bind, a day too full), OR-Tools
        where a package is missing; :attr:`DayRoute.engine` says which engine answered.
    iterations
        PyVRP: stop after this many iterations without improvement (deterministic);
        ``None``: the time limit only.  On 12 demo and real-street days, 25 / 50 / 100
        iterations gave 1.0 / 0.9 / 0.0 % more km than 200 (and 10 LKH runs), at about a
        quarter / a third / two thirds of its time.
    lkh_runs
        LKH: number of runs (deterministic; one is enough for a day's 60 doors).
    """

    time_limit_s: float = 3.0
    seed: int = 0
    speeds_kmh: Mapping[str, float] | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    local_search: str = "GUIDED_LOCAL_SEARCH"
    day_start: str = "13:00"
    evening_start: str = "17:30"
    night_start: str = "19:00"
    optional_radius_m: float = 400.0
    max_optional: int = 25
    solution_limit: int | None = 250
    engine: str = "auto"
    iterations: int | None = 100
    lkh_runs: int = 1

    def __post_init__(self) -> None:
        _check_engine(self.engine)


@dataclass(frozen=True)
class Stop:
    """A door to route: where, how long, when (minutes after midnight) and how much it matters.

    ``penalty`` is the drop cost of an optional stop in seconds of route time (higher = more
    wanted); for a mandatory stop it only ranks which stops a too-full day drops first.
    ``reason`` is ``plan``, ``retry`` or ``due_nearby``.
    """

    target_id: str
    lon: float
    lat: float
    service_min: int
    window: tuple[int, int]
    mandatory: bool = True
    penalty: int = 0
    building_id: str = ""
    tier: str = ""
    address: str = ""
    availability: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RouteStop:
    """One door of a solved route (times in minutes after midnight).

    ``arrive`` is when the visit starts at the door, ``wait_min`` the minutes spent waiting for
    the window to open before it, ``leg_m`` the metres from the previous door (or the post).
    """

    seq: int
    target_id: str
    arrive: int
    depart: int
    wait_min: int
    leg_m: int
    lon: float
    lat: float
    window: tuple[int, int]
    optional: bool
    tier: str = ""
    address: str = ""


ROW_COLUMNS = (
    "seq",
    "target_id",
    "arrive",
    "depart",
    "wait_min",
    "leg_m",
    "lon",
    "lat",
    "window",
    "optional",
)
"""Columns of ``route_<beat>_<date>.csv`` (:meth:`DayRoute.to_rows`)."""


@dataclass
class DayRoute:
    """The route of one officer in one slot of one day.

    Attributes
    ----------
    start, end
        The shift window used (minutes after midnight).
    stops
        The doors in visiting order.
    dropped_mandatory, dropped_optional
        Target ids left out; ``reasons`` says why for each.
    overrun_min
        Minutes the mandatory stops would need beyond the shift end (0 if they fit).
    total_m, total_min
        Metres travelled (post to post) and minutes from leaving the post to coming back.
    path
        Lon/lat polyline along the streets (post, stops, post) for drawing.
    depart, back
        When the officer leaves the post and is back (minutes; both ``start`` if no stop).
    reasons
        Target id -> why it was dropped.
    engine
        The routing engine that answered (``lkh``, ``pyvrp`` or ``ortools``).
    notes
        What the engines said: a fallback (a package missing, a problem LKH does not model)
        or a wall-clock guard that stopped a search before its deterministic stop.
    """

    officer_id: str
    date: date | None
    slot: str
    start: int
    end: int
    mode: str
    stops: list[RouteStop]
    dropped_mandatory: list[str]
    dropped_optional: list[str]
    overrun_min: int
    total_m: int
    total_min: int
    path: list[tuple[float, float]]
    depart: int = 0
    back: int = 0
    reasons: dict[str, str] = field(default_factory=dict)
    engine: str = ""
    notes: list[str] = field(default_factory=list)

    def to_rows(self) -> list[dict]:
        """Rows of ``route_<beat>_<date>.csv``: :data:`ROW_COLUMNS`, times as ``HH:MM``."""
        return [
            {
                "seq": s.seq,
                "target_id": s.target_id,
                "arrive": hhmm(s.arrive),
                "depart": hhmm(s.depart),
                "wait_min": s.wait_min,
                "leg_m": s.leg_m,
                "lon": s.lon,
                "lat": s.lat,
                "window": f"{hhmm(s.window[0])}-{hhmm(s.window[1])}",
                "optional": s.optional,
            }
            for s in self.stops
        ]


# --------------------------------------------------------------------------- time helpers


def hhmm(minutes: int) -> str:
    """``HH:MM`` of minutes after midnight (``24:30`` past midnight, no wrap)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value: str | time) -> int:
    t = value if isinstance(value, time) else time.fromisoformat(value)
    return t.hour * 60 + t.minute


def slot_window(policy: Policy, slot: str, params: RouteParams = RouteParams()) -> tuple[int, int]:
    """The shift window of a slot: the officer's start (``params``) to the policy slot's end.

    Parameters
    ----------
    policy
        Prefecture rules with the slot.
    slot
        ``day``, ``evening`` or ``night``.
    params
        ``day_start``, ``evening_start``, ``night_start``.

    Returns
    -------
    tuple of int
        ``(start, end)`` in minutes after midnight.

    Raises
    ------
    InputError
        If the policy has no such slot or the start is not before the slot's end.
    """
    starts = {"day": params.day_start, "evening": params.evening_start, "night": params.night_start}
    try:
        s = policy.slot(slot)
    except KeyError:
        raise InputError(f"policy {policy.name} has no slot {slot!r}") from None
    start = _minutes(starts[slot]) if slot in starts else _minutes(s.start)
    end = _minutes(s.end)
    if start >= end:
        raise InputError(f"{slot} start {hhmm(start)} is not before the slot's end {hhmm(end)}")
    return start, end


def availability_window(availability: Availability | str, policy: Policy) -> tuple[int, int]:
    """When a card's availability allows a visit (minutes after midnight).

    ``day``: the day slot; ``evening``: the evening and night slots; ``any`` and ``unknown``: the
    whole visiting day from the first slot's start to the last slot's end (09:00–21:00 in the
    built-in policies).  Follows :data:`planner.contact.ALLOWED_SLOTS`.
    """
    a = Availability(availability or Availability.UNKNOWN)
    slots = [s for s in policy.slots if s.code in ALLOWED_SLOTS[a]] or list(policy.slots)
    return min(_minutes(s.start) for s in slots), max(_minutes(s.end) for s in slots)


# --------------------------------------------------------------------------- engine (the seam)


def _solve(inst: Instance, search: Search) -> Solved | None:
    """The one call into the routing engines (:func:`planner.routing.engines.solve`)."""
    return engines.solve(inst, search)


def solve_tsp(
    matrix: np.ndarray | Sequence[Sequence[int]],
    *,
    time_limit_s: float,
    first_solution: str = "PATH_CHEAPEST_ARC",
    local_search: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int | None = None,
    seed: int = 0,
    engine: str = "auto",
    iterations: int | None = None,
    lkh_runs: int = 1,
) -> list[int]:
    """A short closed tour through every node of an integer distance matrix.

    Parameters
    ----------
    matrix
        ``(n, n)`` integer distances (asymmetric allowed).
    time_limit_s
        Wall-clock limit of the search (a guard where a deterministic stop is given).
    first_solution, local_search
        OR-Tools strategy names.
    solution_limit
        OR-Tools: optional deterministic stop after this many solutions.
    seed
        Seed of the search (LKH: permutes the nodes it is given).
    engine
        ``auto`` (LKH), ``lkh``, ``pyvrp`` or ``ortools`` (:data:`ENGINES`).
    iterations
        PyVRP: stop after this many iterations without improvement (``None``: the time
        limit).
    lkh_runs
        LKH: number of runs (one run was optimal on all 12 TSPLIB instances of the benchmark,
        in 0.09 s on average; ten took 0.73 s for the same tours).

    Returns
    -------
    list of int
        The nodes in tour order, starting at node 0, each once (the return to 0 is implied).

    Raises
    ------
    InputError
        If the engine is unknown.
    """
    m = np.asarray(matrix, dtype=np.int64)
    _check_engine(engine)
    if len(m) <= 1:
        return list(range(len(m)))
    search = Search(
        time_limit_s,
        first_solution,
        local_search,
        solution_limit,
        seed,
        engine,
        iterations,
        lkh_runs,
    )
    solved = _solve(Instance(cost=m), search)
    if solved is None:
        raise RuntimeError("the routing solver found no tour")
    return [0, *solved.routes[0]]


def solve_vrptw(
    n_vehicles: int,
    capacity: int,
    demands: Sequence[int],
    windows: Sequence[tuple[int, int]],
    service: Sequence[int],
    matrix: np.ndarray | Sequence[Sequence[int]],
    *,
    time_limit_s: float,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    local_search: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int | None = None,
    vehicle_cost: int = 0,
    seed: int = 0,
    engine: str = "auto",
    iterations: int | None = None,
) -> tuple[list[list[int]], int]:
    """Capacitated vehicle routing with time windows (Solomon conventions), node 0 the depot.

    Travel time equals the matrix entry; a window bounds the start of service; early arrival
    waits; ``windows[0]`` is the depot's horizon (leave and be back within it).

    Parameters
    ----------
    n_vehicles, capacity
        Fleet size and the capacity of each vehicle.
    demands, windows, service
        Per node (depot first): demand, ``(ready, due)`` and service time.
    matrix
        ``(n, n)`` integer travel times, also the arc cost.
    time_limit_s
        Wall-clock limit of the search (a guard where a deterministic stop is given).
    first_solution, local_search
        OR-Tools strategy names.
    solution_limit
        OR-Tools: optional deterministic stop after this many solutions.
    vehicle_cost
        Fixed cost per vehicle used (0: minimise distance only).
    seed
        Seed of the search.
    engine
        ``auto`` (PyVRP), ``pyvrp`` or ``ortools``; ``lkh`` (a single tour only) hands
        several vehicles on to PyVRP.
    iterations
        PyVRP: stop after this many iterations without improvement (``None``: the time
        limit).

    Returns
    -------
    tuple of (list of list of int, int)
        The non-empty routes (customer nodes in order) and their total matrix distance.

    Raises
    ------
    RuntimeError
        If no feasible solution was found in the time limit.
    InputError
        If the engine is unknown.
    """
    m = np.asarray(matrix, dtype=np.int64)
    svc = np.asarray(service, dtype=np.int64)
    lo, hi = (int(x) for x in windows[0])
    _check_engine(engine)
    inst = Instance(
        cost=m,
        transit=m + svc[:, None],
        service=[int(s) for s in svc],
        windows=[(int(a), int(b)) for a, b in windows],
        end_window=(lo, hi),
        horizon=hi,
        n_vehicles=n_vehicles,
        demands=demands,
        capacity=capacity,
        vehicle_cost=vehicle_cost,
    )
    search = Search(
        time_limit_s, first_solution, local_search, solution_limit, seed, engine, iterations
    )
    solved = _solve(inst, search)
    if solved is None:
        raise RuntimeError("the routing solver found no feasible solution in the time limit")
    routes = [r for r in solved.routes if r]
    distance = sum(int(m[a, b]) for r in routes for a, b in zip([0, *r], [*r, 0], strict=True))
    return routes, distance


# --------------------------------------------------------------------------- travel


def _travel(
    lons: Sequence[float],
    lats: Sequence[float],
    graph: nx.MultiDiGraph | None,
    mode: Mode | str,
    speeds_kmh: Mapping[str, float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres between points (``int64``, :data:`~planner.network.UNREACHABLE`).

    Along the streets with a graph; straight-line metres x :data:`planner.geo.DETOUR` without
    one.
    """
    if graph is not None:
        return network.travel_and_distance_matrix(
            graph, lons, lats, mode=mode, speeds_kmh=speeds_kmh
        )
    metres_f = network.street_or_straight_metres(lons, lats, None)
    speed = network.speed_mps(mode, speeds_kmh)
    return np.rint(metres_f / speed).astype(np.int64), np.rint(metres_f).astype(np.int64)


# --------------------------------------------------------------------------- route_day


@dataclass(frozen=True)
class _Group:
    """One routing node: the stops of one building with one window (or a single stop)."""

    stops: tuple[Stop, ...]  # in target id order
    window: tuple[int, int]  # the doors' window cut to the shift (minutes)
    point: int  # index into the distinct points (0 = post)

    @property
    def mandatory(self) -> bool:
        return self.stops[0].mandatory

    @property
    def service_s(self) -> int:
        return 60 * sum(s.service_min for s in self.stops)

    @property
    def node_window(self) -> tuple[int, int]:
        """When the first door may start so that the last one still starts in the window."""
        before_last = sum(s.service_min for s in self.stops[:-1])
        return self.window[0], self.window[1] - before_last

    @property
    def ids(self) -> list[str]:
        return [s.target_id for s in self.stops]


def _check_stops(stops: Sequence[Stop]) -> None:
    seen: set[str] = set()
    for s in stops:
        if s.target_id in seen:
            raise InputError(f"target {s.target_id} appears twice in one route")
        seen.add(s.target_id)
        if s.service_min < 0 or s.window[0] > s.window[1]:
            raise InputError(f"target {s.target_id}: negative service time or empty window")


def _groups(
    stops: Sequence[Stop], shift: tuple[int, int], points: dict[tuple[float, float], int]
) -> tuple[list[_Group], dict[str, str]]:
    """Merge households of one building with equal windows; drop stops outside the shift."""
    start, end = shift
    reasons: dict[str, str] = {}
    keyed: dict[tuple, list[Stop]] = {}
    for s in sorted(stops, key=lambda s: s.target_id):
        lo, hi = max(s.window[0], start), min(s.window[1], end)
        if lo > min(hi, end - s.service_min):  # the visit must start in its window, end in shift
            reasons[s.target_id] = (
                f"its window {hhmm(s.window[0])}-{hhmm(s.window[1])} does not meet the shift "
                f"{hhmm(start)}-{hhmm(end)}"
            )
            continue
        p = points.setdefault((s.lon, s.lat), len(points))
        key = (s.building_id, p, lo, hi, s.mandatory) if s.building_id else (s.target_id,)
        keyed.setdefault(key, []).append(s)
    groups = []
    for members in keyed.values():
        s = members[0]
        lo, hi = max(s.window[0], start), min(s.window[1], end)
        group = _Group(tuple(members), (lo, hi), points[(s.lon, s.lat)])
        if group.node_window[0] <= group.node_window[1]:
            groups.append(group)
        else:  # the window is too short for the whole building in one go
            groups.extend(_Group((m,), (lo, hi), group.point) for m in members)
    groups.sort(key=lambda g: g.ids[0])
    return groups, reasons


@dataclass(frozen=True)
class _Timeline:
    depart: int  # seconds
    starts: list[int]
    waits: list[int]
    back: int


def _timeline(
    order: Sequence[int],
    travel: np.ndarray,
    service: Sequence[int],
    windows: Sequence[tuple[int, int]],
    depart_window: tuple[int, int],
) -> _Timeline:
    """Earliest schedule of a node order (seconds), then the departure delayed as far as it
    goes without making any arrival or the return later (less waiting at the doors)."""

    def forward(depart: int) -> tuple[list[int], list[int], int]:
        t, here, starts, waits = depart, 0, [], []
        for node in order:
            arrive = t + int(travel[here, node])
            start = max(arrive, windows[node][0])
            starts.append(start)
            waits.append(start - arrive)
            t, here = start + service[node], node
        return starts, waits, t + int(travel[here, 0])

    depart = depart_window[0]
    starts, waits, back = forward(depart)
    delay, waited = sum(waits), 0
    for k, node in enumerate(order):
        waited += waits[k]
        delay = min(delay, waited + windows[node][1] - starts[k])
    delay = max(0, min(delay, depart_window[1] - depart))
    if delay:
        depart += delay
        starts, waits, back = forward(depart)
    return _Timeline(depart, starts, waits, back)


def _search(params: RouteParams) -> Search:
    return Search(
        params.time_limit_s,
        params.first_solution,
        params.local_search,
        params.solution_limit,
        params.seed,
        params.engine,
        params.iterations,
        params.lkh_runs,
    )


def route_day(
    stops: Sequence[Stop],
    post: tuple[float, float],
    *,
    shift: tuple[int, int],
    graph: nx.MultiDiGraph | None = None,
    mode: Mode | str = "walk",
    params: RouteParams = RouteParams(),
    officer_id: str = "",
    day: date | None = None,
    slot: str = "day",
) -> DayRoute:
    """Order one officer's doors of one slot into a route from the post and back.

    Parameters
    ----------
    stops
        Mandatory and optional doors (:func:`day_stops`, :func:`route_from_ids`); windows in
        minutes after midnight, cut to the shift here.
    post
        ``(lon, lat)`` of the post: where the route starts and ends.
    shift
        ``(start, end)`` minutes: leave the post no earlier than ``start``, be back by ``end``.
    graph
        Street network; straight lines x :data:`planner.geo.DETOUR` without one.
    mode
        How the officer moves (``walk``, ``bike``, ``car``).
    params
        Search settings (:class:`RouteParams`).
    officer_id, day, slot
        Copied into the result.

    Returns
    -------
    DayRoute
        The stops in order with arrival times, what was dropped and why, the overrun of a day
        too full for its mandatory stops, and a polyline for maps.
    """
    _check_stops(stops)
    start, end = shift
    if start > end:
        raise InputError(f"shift start {hhmm(start)} is after its end {hhmm(end)}")
    points: dict[tuple[float, float], int] = {(post[0], post[1]): 0}
    groups, reasons = _groups(stops, shift, points)
    if params.seed:  # another seed: the same stops in another node order, another search path
        perm = np.random.default_rng(params.seed).permutation(len(groups))
        groups = [groups[i] for i in perm]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    seconds, metres = _travel(lons, lats, graph, mode, (params.speeds_kmh or None))
    reachable: list[_Group] = []
    for g in groups:
        if max(seconds[0, g.point], seconds[g.point, 0]) >= network.UNREACHABLE:
            reasons.update(dict.fromkeys(g.ids, "no street path between the post and the door"))
        else:
            reachable.append(g)
    nodes = _Nodes.of(reachable, seconds, metres, shift)
    main = _solve_nodes(nodes, end, params, span=0)
    split = [k for k in main.dropped if len(nodes.groups[k - 1].stops) > 1]
    if not main.failed and (split or any(nodes.groups[k - 1].mandatory for k in main.dropped)):
        # a second look at a day that looks too full: buildings door by door, and the time
        # back at the post in the objective (packs flexible doors early; slower per move,
        # so half the solution limit)
        packed = _Nodes.of(_split(nodes.groups, split), seconds, metres, shift)
        half = replace(params, solution_limit=(params.solution_limit or 0) // 2 or None)
        second = _solve_nodes(packed, end, half, span=SPAN_COST)
        if _loss(second, packed) < _loss(main, nodes):
            nodes, main = packed, second
    groups, order = nodes.groups, main.order
    overrun = 0
    if any(groups[k - 1].mandatory for k in main.dropped):
        overrun = _overrun(nodes, end * 60, params)
    for k in main.dropped:
        g = groups[k - 1]
        reasons.update(dict.fromkeys(g.ids, _drop_reason(g, overrun, shift, main.failed)))
    tl = _timeline(order, nodes.travel, nodes.service, nodes.windows, nodes.windows[0])
    route_stops = _route_stops(order, groups, tl, nodes.metres)
    back_leg = int(nodes.metres[order[-1], 0]) if order else 0
    mandatory = {s.target_id: s.mandatory for s in stops}
    drop_m = sorted(i for i in reasons if mandatory[i])
    drop_o = sorted(i for i in reasons if not mandatory[i])
    doors = [(groups[k - 1].stops[0].lon, groups[k - 1].stops[0].lat) for k in order]
    path = _path(graph, [post, *doors, post])
    return DayRoute(
        officer_id=officer_id,
        date=day,
        slot=slot,
        start=start,
        end=end,
        mode=str(Mode(mode).value),
        stops=route_stops,
        dropped_mandatory=drop_m,
        dropped_optional=drop_o,
        overrun_min=overrun,
        total_m=sum(s.leg_m for s in route_stops) + back_leg,
        total_min=(-(-tl.back // 60) - tl.depart // 60) if order else 0,
        path=path,
        depart=tl.depart // 60 if order else start,
        back=-(-tl.back // 60) if order else start,
        reasons={i: reasons[i] for i in sorted(reasons)},
        engine=main.engine,
        notes=list(dict.fromkeys(main.notes)),
    )


@dataclass(frozen=True)
class _Nodes:
    """The routing nodes of a day: node 0 the post, node k the group ``k - 1`` (seconds)."""

    groups: list[_Group]
    travel: np.ndarray
    metres: np.ndarray
    service: list[int]
    windows: list[tuple[int, int]]

    @classmethod
    def of(
        cls,
        groups: Sequence[_Group],
        seconds: np.ndarray,
        metres: np.ndarray,
        shift: tuple[int, int],
    ) -> _Nodes:
        point = [0, *(g.point for g in groups)]
        return cls(
            groups=list(groups),
            travel=seconds[np.ix_(point, point)],
            metres=metres[np.ix_(point, point)],
            service=[0, *(g.service_s for g in groups)],
            windows=[
                (shift[0] * 60, shift[1] * 60),
                *((g.node_window[0] * 60, g.node_window[1] * 60) for g in groups),
            ],
        )


@dataclass(frozen=True)
class _DayResult:
    order: list[int]  # nodes in visiting order
    dropped: list[int]
    failed: bool
    engine: str = ""
    notes: tuple[str, ...] = ()


def _solve_nodes(nodes: _Nodes, end: int, params: RouteParams, *, span: int) -> _DayResult:
    inst = _day_instance(
        nodes.groups, nodes.travel, nodes.service, nodes.windows, end * 60, span=span
    )
    solved = _solve(inst, _search(params))
    order = solved.routes[0] if solved is not None else []
    seen = set(order)
    dropped = [k for k in range(1, len(nodes.groups) + 1) if k not in seen]
    if solved is None:
        return _DayResult(order, dropped, True)
    return _DayResult(order, dropped, False, solved.engine, solved.notes)


def _loss(result: _DayResult, nodes: _Nodes) -> tuple[int, int, int]:
    """What a result leaves out, worst first: mandatory doors, optional penalty; then travel."""
    if result.failed:
        return (len(nodes.groups) + 1, 0, 0)
    dropped = [nodes.groups[k - 1] for k in result.dropped]
    mandatory = sum(len(g.stops) for g in dropped if g.mandatory)
    optional = sum(max(1, s.penalty) for g in dropped if not g.mandatory for s in g.stops)
    path = [0, *result.order, 0]
    travel = int(sum(nodes.travel[a, b] for a, b in itertools.pairwise(path)))
    return (mandatory, optional, travel)


def _split(groups: Sequence[_Group], which: Iterable[int]) -> list[_Group]:
    """The groups with the nodes ``which`` (1-based) split into one group per door."""
    split = set(which)
    out: list[_Group] = []
    for k, g in enumerate(groups, start=1):
        if k in split:
            out.extend(_Group((s,), g.window, g.point) for s in g.stops)
        else:
            out.append(g)
    return out


def _day_instance(
    groups: Sequence[_Group],
    travel: np.ndarray,
    service: Sequence[int],
    windows: Sequence[tuple[int, int]],
    end_s: int,
    *,
    span: int = 0,
    overrun: bool = False,
) -> Instance:
    """The routing instance of a day (node 0 the post, node k the group ``k - 1``).

    The officer leaves at the shift start (waiting at the doors is allowed; the departure is
    delayed afterwards, :func:`_timeline`); the objective is travel time, plus ``span`` per
    second until the officer is back at the post.  ``overrun``: the end is relaxed by
    :data:`RELAX_S` with a steep span cost (:data:`OVERRUN_COST_PER_S`) and window ends are
    ignored, to measure how long a day too full would need.
    """
    finite = travel[travel < network.UNREACHABLE]
    longest = int(finite.max()) if finite.size else 0
    span = OVERRUN_COST_PER_S if overrun else span
    end_hi = end_s + (RELAX_S if overrun else 0)
    # a mandatory door outweighs every optional penalty, every tie-break and any route
    penalties_sum = sum(max(1, s.penalty) for g in groups for s in g.stops)
    big = 2 * (penalties_sum + (len(groups) + 1) * longest + span * (end_hi - windows[0][0]) + 1)
    penalties: list[int | None] = [None]
    for g in groups:
        if g.mandatory:
            penalties.append(big * len(g.stops) + sum(max(0, s.penalty) for s in g.stops))
        else:
            penalties.append(sum(max(1, s.penalty) for s in g.stops))
    start = windows[0][0]
    wins = [(start, start), *windows[1:]]
    if overrun:
        wins = [wins[0], *((lo, end_hi) for lo, _ in wins[1:])]
    horizon = _DAY_S + RELAX_S
    capped = np.minimum(travel, horizon + 1)
    return Instance(
        cost=capped,
        transit=capped + np.asarray(service, dtype=np.int64)[:, None],
        service=[int(x) for x in service],
        windows=wins,
        end_window=(start, end_hi),
        horizon=horizon,
        penalties=penalties,
        optional=frozenset(k for k, g in enumerate(groups, start=1) if not g.mandatory),
        span_cost=span,
    )


def _overrun(nodes: _Nodes, end_s: int, params: RouteParams) -> int:
    """Minutes past the shift end that all mandatory stops would need (window ends ignored):
    the day re-solved with its mandatory stops only and the end relaxed by :data:`RELAX_S`."""
    keep = [0, *(k for k, g in enumerate(nodes.groups, start=1) if g.mandatory)]
    sub = [nodes.groups[k - 1] for k in keep[1:]]
    t = nodes.travel[np.ix_(keep, keep)]
    svc = [nodes.service[k] for k in keep]
    inst = _day_instance(sub, t, svc, [nodes.windows[k] for k in keep], end_s, overrun=True)
    solved = _solve(inst, _search(params))
    if solved is None or inst.windows is None:
        return 0
    tl = _timeline(solved.routes[0], t, svc, inst.windows, nodes.windows[0])
    return max(0, -(-(tl.back - end_s) // 60))


def _drop_reason(g: _Group, overrun: int, shift: tuple[int, int], failed: bool) -> str:
    if failed:
        return "the routing solver found no route"
    if not g.mandatory:
        return "optional: no time left in the shift"
    window = f"{hhmm(g.window[0])}-{hhmm(g.window[1])}"
    if overrun > 0:
        return (
            f"does not fit the shift {hhmm(shift[0])}-{hhmm(shift[1])}: the mandatory stops "
            f"need about {overrun} min more"
        )
    return f"its window {window} cannot be kept together with the other mandatory stops"


def _route_stops(
    order: Sequence[int], groups: Sequence[_Group], tl: _Timeline, metres: np.ndarray
) -> list[RouteStop]:
    out: list[RouteStop] = []
    here = 0
    for k, node in enumerate(order):
        g = groups[node - 1]
        t = tl.starts[k]
        for j, s in enumerate(g.stops):
            arrive = t // 60
            out.append(
                RouteStop(
                    seq=len(out) + 1,
                    target_id=s.target_id,
                    arrive=arrive,
                    depart=arrive + s.service_min,
                    wait_min=round(tl.waits[k] / 60) if j == 0 else 0,
                    leg_m=int(metres[here, node]) if j == 0 else 0,
                    lon=s.lon,
                    lat=s.lat,
                    window=g.window,
                    optional=not s.mandatory,
                    tier=s.tier,
                    address=s.address,
                )
            )
            t += 60 * s.service_min
        here = node
    return out


# --------------------------------------------------------------------------- drawing


def _path(
    graph: nx.MultiDiGraph | None, points: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Lon/lat polyline through the points: along the streets with a graph, else straight."""
    pts = [(float(x), float(y)) for x, y in points]
    if graph is None or len(pts) < 2:
        return _dedupe(pts)
    distinct = list(dict.fromkeys(pts))
    snap = network.snap_points(graph, [p[0] for p in distinct], [p[1] for p in distinct])
    where = {p: i for i, p in enumerate(distinct)}
    H = _simple_graph(graph)
    out: list[tuple[float, float]] = [pts[0]]
    for a, b in itertools.pairwise(pts):
        if a != b:
            out.extend(_leg(graph, H, snap, where[a], where[b], a, b))
    return _dedupe(out)


def _simple_graph(G: nx.MultiDiGraph) -> nx.DiGraph:
    H = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        w = float(d.get("length", 0.0))
        if not H.has_edge(u, v) or H[u][v]["length"] > w:
            H.add_edge(u, v, length=w)
    return H


def _leg(
    G: nx.MultiDiGraph,
    H: nx.DiGraph,
    snap: network.Snap,
    i: int,
    j: int,
    a: tuple[float, float],
    b: tuple[float, float],
) -> list[tuple[float, float]]:
    """Street polyline from door ``a`` to door ``b`` (``a`` left out, ``b`` included)."""
    along = math.inf
    if snap.edge[i] == snap.edge[j]:
        along = snap.distance_m[i] + abs(snap.along_m[i] - snap.along_m[j]) + snap.distance_m[j]
    src, dst = ("__src__",), ("__dst__",)
    H.add_edge(src, snap.node[i], length=float(snap.access_m[i]))
    H.add_edge(src, snap.other_node[i], length=float(snap.other_access_m[i]))
    H.add_edge(snap.node[j], dst, length=float(snap.access_m[j]))
    H.add_edge(snap.other_node[j], dst, length=float(snap.other_access_m[j]))
    try:
        metres, nodes = nx.bidirectional_dijkstra(H, src, dst, weight="length")
    except nx.NetworkXNoPath:
        metres, nodes = math.inf, []
    finally:
        H.remove_nodes_from([src, dst])
    if along <= metres or not nodes:
        return [b]
    street = nodes[1:-1]
    out: list[tuple[float, float]] = []
    for u, v in itertools.pairwise(street):
        out.extend(_edge_coords(G, u, v))
    if not out:
        out = [(float(G.nodes[street[0]]["x"]), float(G.nodes[street[0]]["y"]))]
    return [*out, b]


def _edge_coords(G: nx.MultiDiGraph, u, v) -> list[tuple[float, float]]:
    """Coordinates of the shortest edge u -> v, from u to v (its geometry if it has one)."""
    data = min(G.get_edge_data(u, v).values(), key=lambda d: float(d.get("length", 0.0)))
    pu = (float(G.nodes[u]["x"]), float(G.nodes[u]["y"]))
    pv = (float(G.nodes[v]["x"]), float(G.nodes[v]["y"]))
    geom = data.get("geometry")
    if geom is None:
        return [pu, pv]
    coords = [(float(x), float(y)) for x, y in geom.coords]
    if math.dist(coords[0], pv) < math.dist(coords[0], pu):
        coords.reverse()
    return coords


def _dedupe(pts: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in pts:
        if not out or out[-1] != p:
            out.append(p)
    return out


# --------------------------------------------------------------------------- stops of a day


def tier_penalty(tier: str, policy: Policy) -> int:
    """Drop penalty of an optional stop of a tier: :data:`TIER_PENALTY_S` for the last tier,
    doubled for each tier above it (an unknown tier counts as the last)."""
    codes = policy.tier_codes
    rank = codes.index(tier) if tier in codes else len(codes) - 1
    return TIER_PENALTY_S * 2 ** (len(codes) - 1 - rank)


def retry_penalty(policy: Policy) -> int:
    """Drop penalty of an absent household to retry: twice that of the first tier."""
    return 2 * tier_penalty(policy.tier_codes[0], policy)


def _stop(t: Target, policy: Policy, *, mandatory: bool, penalty: int, reason: str) -> Stop:
    return Stop(
        target_id=t.target_id,
        lon=t.lon,
        lat=t.lat,
        service_min=int(t.visit_minutes),
        window=availability_window(t.availability, policy),
        mandatory=mandatory,
        penalty=penalty,
        building_id=t.building_id,
        tier=t.tier,
        address=t.address,
        availability=Availability(t.availability).value,
        reason=reason,
    )


def _target_map(station: Station, ids: Iterable[str], what: str) -> dict[str, Target]:
    by_id = {t.target_id: t for t in station.targets}
    missing = sorted({i for i in ids if i not in by_id})
    if missing:
        raise InputError(f"{what}: unknown target id(s): {', '.join(missing[:10])}")
    return by_id


def _fits(stop: Stop, shift: tuple[int, int]) -> bool:
    """Whether a visit can start in its window and end within the shift."""
    return max(stop.window[0], shift[0]) <= min(stop.window[1], shift[1] - stop.service_min)


def _approved_ids(station: Station, day: date, slot: str) -> set[str]:
    """Targets whose visit on ``day`` in ``slot`` the 地域課長 approved (latest decision)."""
    return {
        tid
        for (tid, d, s), a in decisions_by_visit(station.approvals).items()
        if (d, s) == (day, slot) and a.decision is Decision.APPROVE
    }


def _optional_stops(
    station: Station,
    policy: Policy,
    day: date,
    beat_id: str,
    mandatory: Sequence[Stop],
    *,
    exclude: set[str],
    retry: Iterable[str],
    shift: tuple[int, int],
    params: RouteParams,
    slot: str = "day",
) -> list[Stop]:
    """Retries first, then due targets of the beat near a mandatory stop, best tier first.

    In a slot that needs approval (night) an extra door is offered only where the 地域課長
    approved a visit to it that night: a door nobody approved is not one to knock on.
    """
    retry = list(dict.fromkeys(retry))
    by_id = _target_map(station, retry, "retry")
    taken = {s.target_id for s in mandatory}
    allowed = _approved_ids(station, day, slot) if slot in policy.approval_slots else None
    out: list[Stop] = []
    for tid in retry:
        if allowed is not None and tid not in allowed:
            continue
        t = by_id[tid]
        stop = _stop(t, policy, mandatory=False, penalty=retry_penalty(policy), reason="retry")
        if tid not in taken and _fits(stop, shift):
            out.append(stop)
            taken.add(tid)
    if params.max_optional <= len(out) or not mandatory or params.optional_radius_m <= 0:
        return out[: max(0, params.max_optional)]
    done = {
        x.target_id
        for x in station.visits
        if x.date.year == day.year and x.date <= day and x.outcome is not Outcome.ABSENT
    }
    beats = {b.beat_id: b for b in station.beats}
    due = [
        d
        for d in due_targets(station.targets_of(beat_id), policy, day.year, beats)
        if d.target.target_id not in taken | exclude | done
        and (allowed is None or d.target.target_id in allowed)
    ]
    if not due:
        return out
    ref_lon = [s.lon for s in mandatory]
    ref_lat = [s.lat for s in mandatory]
    cand = [d.target for d in due]
    dist = geo.pairwise_m([*ref_lon, *(t.lon for t in cand)], [*ref_lat, *(t.lat for t in cand)])
    nearest = dist[len(mandatory) :, : len(mandatory)].min(axis=1)
    for d, metres in zip(due, nearest, strict=True):
        if len(out) >= params.max_optional:
            break
        if metres > params.optional_radius_m:
            continue
        stop = _stop(
            d.target,
            policy,
            mandatory=False,
            penalty=tier_penalty(d.target.tier, policy),
            reason="due_nearby",
        )
        if _fits(stop, shift):
            out.append(stop)
    return out


def _pick_slot(
    todays: Sequence[PlannedVisit], slot: str | None, officer_id: str | None
) -> tuple[str, str]:
    """The (officer, slot) with the most visits; ties: day before evening before night, then
    officer id."""
    counts = Counter((v.officer_id, v.slot) for v in todays)
    rank = {s: i for i, s in enumerate(SLOT_KINDS)}
    pairs = [
        p
        for p in counts
        if (slot is None or p[1] == slot) and (officer_id is None or p[0] == officer_id)
    ]
    if not pairs:
        raise InputError(f"no planned visits for officer {officer_id or '*'} in slot {slot}")
    return min(pairs, key=lambda p: (-counts[p], rank.get(p[1], len(rank)), p[1], p[0]))


def day_stops(
    station: Station,
    visits: Sequence[PlannedVisit],
    day: date,
    beat_id: str,
    policy: Policy,
    *,
    retry: Iterable[str] = (),
    params: RouteParams = RouteParams(),
    slot: str | None = None,
    officer_id: str | None = None,
) -> tuple[list[Stop], str, str]:
    """The stops of one beat's duty day in a year plan, for :func:`route_day`.

    Mandatory: the plan's visits of that date and beat in one slot of one officer: by default the
    (officer, slot) with the most visits that day; on a tie the day slot comes first, then
    evening, then night (a day with visits in two slots needs a second call with ``slot=``).
    Optional: the households in ``retry`` (absent, to call again; penalty
    :func:`retry_penalty`), then due targets of the beat not planned on that day (nor on an
    earlier date of the plan, nor recorded as met this year) within
    ``params.optional_radius_m`` of a mandatory stop, first tier first and most urgent first,
    penalty by tier (:func:`tier_penalty`); at most ``params.max_optional`` optional stops in
    all, only those whose availability meets the shift.

    Parameters
    ----------
    station
        The register (targets with coordinates, availability, visit minutes; recorded visits).
    visits
        The plan (``plan.csv`` rows).
    day, beat_id
        Which duty day.
    policy
        Tiers, slots and due rules.
    retry
        Target ids of absent households to retry.
    params
        Radius, cap, slot start times.
    slot, officer_id
        Choose the slot or officer instead of the busiest.

    Returns
    -------
    tuple of (list of Stop, str, str)
        The stops, the officer id and the slot.

    Raises
    ------
    InputError
        If the plan has no visit of the beat that day, or a target id is unknown.
    """
    todays = [v for v in visits if v.date == day and v.beat_id == beat_id]
    if not todays:
        raise InputError(f"the plan has no visit for beat {beat_id} on {day.isoformat()}")
    officer, chosen_slot = _pick_slot(todays, slot, officer_id)
    mine = sorted({v.target_id for v in todays if (v.officer_id, v.slot) == (officer, chosen_slot)})
    by_id = _target_map(station, mine, f"plan of {day.isoformat()}")
    mandatory = [
        _stop(
            by_id[i],
            policy,
            mandatory=True,
            penalty=tier_penalty(by_id[i].tier, policy),
            reason="plan",
        )
        for i in mine
    ]
    exclude = {v.target_id for v in visits if v.date <= day}
    shift = slot_window(policy, chosen_slot, params)
    optional = _optional_stops(
        station,
        policy,
        day,
        beat_id,
        mandatory,
        exclude=exclude,
        retry=retry,
        shift=shift,
        params=params,
        slot=chosen_slot,
    )
    return [*mandatory, *optional], officer, chosen_slot


def route_from_ids(
    station: Station,
    target_ids: Iterable[str],
    day: date,
    beat_id: str,
    policy: Policy,
    *,
    slot: str = "day",
    retry: Iterable[str] = (),
    params: RouteParams = RouteParams(),
    officer_id: str | None = None,
) -> tuple[list[Stop], str, str]:
    """The stops of a day from a plain list of target ids (no plan needed).

    Every listed target is mandatory; optional stops are added as in :func:`day_stops` (retries,
    then due targets of the beat near a mandatory stop, not among the listed ones).  The officer
    is ``officer_id`` or the beat's first officer (``""`` if it has none).

    Returns
    -------
    tuple of (list of Stop, str, str)
        The stops, the officer id and ``slot``.

    Raises
    ------
    InputError
        If a target id is unknown or the policy has no such slot.
    """
    ids = list(dict.fromkeys(target_ids))
    by_id = _target_map(station, ids, "route")
    mandatory = [
        _stop(
            by_id[i],
            policy,
            mandatory=True,
            penalty=tier_penalty(by_id[i].tier, policy),
            reason="plan",
        )
        for i in ids
    ]
    shift = slot_window(policy, slot, params)
    if officer_id is None:
        officers = station.officers_of(beat_id)
        officer_id = officers[0].officer_id if officers else ""
    optional = _optional_stops(
        station,
        policy,
        day,
        beat_id,
        mandatory,
        exclude=set(ids),
        retry=retry,
        shift=shift,
        params=params,
        slot=slot,
    )
    return [*mandatory, *optional], officer_id, slot


def route_check(
    policy: Policy,
    post: Post,
    doors: Sequence[Target],
    *,
    slot: str,
    cap: int,
    graph: nx.MultiDiGraph | None,
    mode: Mode,
    speeds_kmh: Mapping[Mode | str, float] | None,
    officer_id: str,
    day: date,
) -> tuple[tuple[str, ...], int]:
    """Route one officer-day's planned doors in ``cap`` minutes from the slot's start: the doors
    the route drops and the minutes it overruns by (the ``route`` rule's router,
    :class:`planner.verify.DayRouter`).

    Parameters
    ----------
    policy
        Prefecture rules: the slot's window gives the start (13:00 by day, 17:00 in the
        evening when the policy has no such slot).
    post
        Where the route starts and ends.
    doors
        The planned doors, all mandatory, each open the whole shift.
    slot, cap
        ``day`` or ``evening``, and the minutes available.
    graph, mode, speeds_kmh
        Street network (straight lines x the detour without one), mode and speed overrides.
    officer_id, day
        The officer-day (named in the route).

    Returns
    -------
    tuple
        ``(dropped target ids, overrun minutes)``; nothing dropped when the day fits.
    """
    try:
        start = slot_window(policy, slot)[0]
    except InputError:
        start = 13 * 60 if slot == "day" else 17 * 60
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
    speeds = {Mode(k).value: float(v) for k, v in (speeds_kmh or {}).items()}
    route = route_day(
        stops,
        (post.lon, post.lat),
        shift=shift,
        graph=graph,
        mode=mode,
        params=RouteParams(speeds_kmh=speeds or None),
        officer_id=officer_id,
        day=day,
        slot=slot,
    )
    return tuple(route.dropped_mandatory), route.overrun_min
