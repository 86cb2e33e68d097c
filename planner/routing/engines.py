"""The engine seam: one integer routing instance, three solvers, one exact check.

:func:`solve` takes an :class:`Instance` (node 0 the depot; integer costs, times and windows)
and a :class:`Search` and returns the routes of the engine named in ``Search.engine``:

``ortools``
    OR-Tools routing (``RoutingModel``): the matrices registered C++-side, optional nodes in
    disjunctions, stopped after ``solution_limit`` solutions (deterministic) or the time limit.
``pyvrp``
    PyVRP 0.14 (iterated local search on the hybrid genetic search's neighbourhoods; for one
    vehicle warm-started from the LKH construction below, a nearest-neighbour tour standing in
    for LKH's without elkai; for a fleet that may be tight, from a fewest-vehicles solve): a node
    with a drop penalty is an optional client whose prize is that penalty, a node without one a
    required client; windows bound the start of service as ours do; the depot's window is when
    the vehicle may leave, the end window when it must be back; the span cost is PyVRP's
    duration cost.  It stops after ``iterations`` iterations without improvement (deterministic
    for a seed); the wall clock (``time_limit_s``) is only a guard, and :attr:`Solved.guard`
    says when it fired.  Without ``iterations`` the time limit is the stop (benchmarks).
``lkh``
    LKH-3 (elkai) for a plain tour: one vehicle, no capacity.  The tour goes through every node
    that is not optional (windows are not part of LKH's search); it is kept only if the exact
    check below passes, and the optional nodes are then inserted, highest penalty first, each at
    its cheapest place that keeps every window, while the penalty outweighs the detour.  A
    problem LKH does not model (several vehicles, capacities, or a mandatory tour that breaks a
    window or the end of the shift) goes to the next engine (PyVRP, else OR-Tools) and
    :attr:`Solved.notes` says so.  elkai has no seed argument (LKH's own seed is fixed): another
    seed permutes the nodes it is given instead.
``auto``
    LKH where the problem is a plain tour (one vehicle, no capacity, no optional node, the arc
    cost the only objective) and the tour keeps every window; PyVRP otherwise; OR-Tools where
    a package is missing.

Every result is checked in exact integer arithmetic (:func:`check_routes`) before it is
returned; a result that fails the check is a bug of that engine's adapter, so the next engine of
the chain is asked and the note says why.  Solver code does no I/O.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType

import numpy as np

log = logging.getLogger(__name__)

ENGINES = ("auto", "ortools", "pyvrp", "lkh")
"""Engine names accepted by :func:`solve` (and ``RouteParams.engine``, ``planner route
--engine``)."""

BRANCHES_PER_SOLUTION = 100
"""OR-Tools with a solution limit also stops after this many branches per allowed solution."""

_INT_MAX = np.iinfo(np.int64).max  # "no limit"; also PyVRP's cost of an infeasible solution


@dataclass(frozen=True)
class Instance:
    """A routing instance; node 0 is the depot, every matrix is ``(n, n)`` integers.

    ``transit[i, j]`` is the time from the start of service at ``i`` to arriving at ``j``
    (travel plus the service at ``i``: ``service[i]``).  A window bounds the start of service;
    ``windows[0]`` is when a vehicle may leave the depot, ``end_window`` when it may be back.
    ``penalties[k]`` is the cost of leaving node ``k`` out (``None``: it must be visited);
    ``optional`` lists the nodes that are extras rather than a duty (LKH tours the others).
    """

    cost: np.ndarray
    transit: np.ndarray | None = None
    service: Sequence[int] | None = None
    windows: Sequence[tuple[int, int]] | None = None
    end_window: tuple[int, int] | None = None
    horizon: int = 0
    n_vehicles: int = 1
    demands: Sequence[int] | None = None
    capacity: int = 0
    penalties: Sequence[int | None] | None = None
    optional: frozenset[int] = frozenset()
    span_cost: int = 0
    vehicle_cost: int = 0


@dataclass(frozen=True)
class Search:
    """How to search: the engine and its stops.

    ``solution_limit`` is OR-Tools' deterministic stop, ``iterations`` PyVRP's (iterations
    without improvement), ``lkh_runs`` LKH's number of runs; ``time_limit_s`` is the wall-clock
    guard of every engine (the stop itself when the deterministic one is ``None``).
    """

    time_limit_s: float
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    local_search: str = "GUIDED_LOCAL_SEARCH"
    solution_limit: int | None = None
    seed: int = 0
    engine: str = "auto"
    iterations: int | None = None
    lkh_runs: int = 1


@dataclass(frozen=True)
class Solved:
    """Routes (nodes per vehicle, depot left out), the engine that found them, whether its
    wall-clock guard fired, and notes (fallbacks, the guard)."""

    routes: list[list[int]]
    objective: int
    status: str
    engine: str = ""
    guard: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def visited(self) -> set[int]:
        return {i for r in self.routes for i in r}


class EngineUnavailable(Exception):
    """The engine's package is not installed."""


class _Declined(Exception):
    """The engine does not model this problem (LKH: several vehicles, windows it breaks)."""


# --------------------------------------------------------------------------- the seam


def chain(inst: Instance, engine: str) -> list[str]:
    """The engines to try in order for ``engine`` on ``inst`` (the first available that takes
    the problem answers)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown routing engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "ortools":
        return ["ortools"]
    if engine == "pyvrp":
        return ["pyvrp", "ortools"]
    if engine == "lkh":
        return ["lkh", "pyvrp", "ortools"]
    if is_plain_tour(inst):
        return ["lkh", "pyvrp", "ortools"]
    return ["pyvrp", "ortools"]


def is_plain_tour(inst: Instance) -> bool:
    """One vehicle, no capacity, no optional node, arc cost only: a tour LKH can take."""
    return (
        inst.n_vehicles == 1 and inst.demands is None and not inst.optional and not inst.span_cost
    )


def solve(inst: Instance, search: Search) -> Solved | None:
    """Solve ``inst`` with the engine of ``search`` (falling back along :func:`chain`).

    Returns
    -------
    Solved or None
        ``None`` if the engine found no feasible solution (OR-Tools: none in the limits; PyVRP:
        none feasible).

    Raises
    ------
    ValueError
        If the engine name is unknown.
    """
    notes: list[str] = []
    for name in chain(inst, search.engine):
        try:
            solved = _ENGINES[name](inst, search)
        except (EngineUnavailable, _Declined) as e:
            notes.append(f"{name}: {e}")
            continue
        if solved is None:
            return None
        problems = check_routes(inst, solved.routes)
        if problems:  # an adapter bug: never hand on a route that breaks the instance
            note = f"{name}: result failed the exact check ({problems[0]})"
            log.warning("routing engine %s", note)
            notes.append(note)
            continue
        if solved.guard:
            log.warning(
                "routing engine %s: the %g s wall-clock guard stopped the search",
                name,
                search.time_limit_s,
            )
        return Solved(
            solved.routes,
            solved.objective,
            solved.status,
            name,
            solved.guard,
            (*notes, *solved.notes),
        )
    raise RuntimeError("no routing engine could solve the instance: " + "; ".join(notes))


def check_routes(inst: Instance, routes: Sequence[Sequence[int]]) -> list[str]:
    """Problems of routes against an instance, in exact integer arithmetic (empty: feasible).

    Every node at most once and the must-visit nodes (penalty ``None``) exactly once; at most
    ``n_vehicles`` routes; loads within capacity; leaving the depot at the earliest allowed
    time, each service starts at the later of arrival and window start and must not pass the
    window's end; back by the end window and the horizon.
    """
    n = len(inst.cost)
    problems: list[str] = []
    seen = [k for r in routes for k in r]
    if len(seen) != len(set(seen)):
        problems.append("a node is visited twice")
    if any(not 0 < k < n for k in seen):
        problems.append("a route visits the depot or an unknown node")
        return problems
    if sum(bool(r) for r in routes) > inst.n_vehicles:
        problems.append(f"{sum(bool(r) for r in routes)} routes for {inst.n_vehicles} vehicles")
    must = {k for k in range(1, n) if inst.penalties is None or inst.penalties[k] is None}
    if missing := sorted(must - set(seen)):
        problems.append(f"must-visit node(s) {missing[:5]} not visited")
    if inst.demands is not None:
        for r in routes:
            load = sum(int(inst.demands[k]) for k in r)
            if load > inst.capacity:
                problems.append(f"load {load} > capacity {inst.capacity}")
    if inst.transit is None:
        return problems
    wins = inst.windows
    end_hi = _end(inst)
    for r in routes:
        if not r:
            continue
        t, here = int(wins[0][0]) if wins else 0, 0
        for k in r:
            t = int(t + inst.transit[here, k])
            if wins:
                lo, hi = int(wins[k][0]), int(wins[k][1])
                t = max(t, lo)
                if t > hi:
                    problems.append(f"node {k} starts at {t} after its window ends at {hi}")
            here = k
        back = int(t + inst.transit[here, 0])
        if back > end_hi:
            problems.append(f"back at {back} after the end {end_hi}")
    return problems


def _end(inst: Instance) -> int:
    """When a vehicle must be back: the end window and the horizon, whichever is set first."""
    ends = [int(inst.end_window[1])] if inst.end_window else []
    ends += [int(inst.horizon)] if inst.horizon else []
    return min(ends, default=_INT_MAX)


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise EngineUnavailable(f"package {name} is not installed") from None


def tour_cost(inst: Instance, routes: Sequence[Sequence[int]]) -> int:
    """Arc cost of routes from and back to the depot."""
    return sum(int(inst.cost[a, b]) for r in routes if r for a, b in itertools.pairwise([0, *r, 0]))


# --------------------------------------------------------------------------- OR-Tools


def _enum(kind, name: str) -> int:
    try:
        return getattr(kind, name)
    except AttributeError:
        raise ValueError(f"unknown OR-Tools strategy {name!r}") from None


def _int_rows(m: np.ndarray, cap: int) -> list[list[int]]:
    return np.minimum(np.asarray(m, dtype=np.int64), cap).tolist()


def _solve_ortools(inst: Instance, search: Search) -> Solved | None:
    """OR-Tools routing; ``None`` if no solution was found."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(inst.cost)
    manager = pywrapcp.RoutingIndexManager(n, inst.n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    cap = max(inst.horizon, 1) * 4 if inst.horizon else 10**12
    arc = routing.RegisterTransitMatrix(_int_rows(inst.cost, cap))
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    if inst.vehicle_cost:
        routing.SetFixedCostOfAllVehicles(int(inst.vehicle_cost))
    if inst.transit is not None:
        transit = routing.RegisterTransitMatrix(_int_rows(inst.transit, inst.horizon + 1))
        routing.AddDimension(transit, inst.horizon, inst.horizon, False, "time")
        dim = routing.GetDimensionOrDie("time")
        windows = inst.windows or [(0, inst.horizon)] * n
        for node in range(1, n):
            dim.CumulVar(manager.NodeToIndex(node)).SetRange(*map(int, windows[node]))
        end_lo, end_hi = inst.end_window or (0, inst.horizon)
        for v in range(inst.n_vehicles):
            dim.CumulVar(routing.Start(v)).SetRange(*map(int, windows[0]))
            dim.CumulVar(routing.End(v)).SetRange(int(end_lo), int(end_hi))
        if inst.span_cost:
            dim.SetSpanCostCoefficientForAllVehicles(int(inst.span_cost))
    if inst.demands is not None:
        load = routing.RegisterUnaryTransitVector([int(d) for d in inst.demands])
        routing.AddDimensionWithVehicleCapacity(
            load, 0, [int(inst.capacity)] * inst.n_vehicles, True, "load"
        )
    if inst.penalties is not None:
        for node in range(1, n):
            p = inst.penalties[node]
            if p is not None:
                routing.AddDisjunction([manager.NodeToIndex(node)], int(p))
    params = pywrapcp.DefaultRoutingSearchParameters()
    first = routing_enums_pb2.FirstSolutionStrategy
    meta = routing_enums_pb2.LocalSearchMetaheuristic
    params.first_solution_strategy = _enum(first, search.first_solution)
    params.local_search_metaheuristic = _enum(meta, search.local_search)
    params.time_limit.FromMilliseconds(max(1, round(search.time_limit_s * 1000)))
    if search.solution_limit:
        params.solution_limit = int(search.solution_limit)
        # on tiny instances guided local search finds few new solutions and would run to the
        # time limit: a cap on search branches (also deterministic) ends it there
        solver = routing.solver()
        never = 2**62
        branches = BRANCHES_PER_SOLUTION * int(search.solution_limit)
        routing.AddSearchMonitor(solver.Limit(never, branches, never, never, True, True))
    routing.solver().ReSeed(int(search.seed))
    t0 = time.perf_counter()
    assignment = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - t0
    if assignment is None:
        return None
    routes = []
    for v in range(inst.n_vehicles):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    guard = bool(search.solution_limit) and elapsed >= 0.98 * search.time_limit_s
    values = routing_enums_pb2.RoutingSearchStatus.Value.items()
    code = routing.status()
    status = next((k.removeprefix("ROUTING_") for k, v in values if v == code), str(code))
    notes = (f"ortools: the {search.time_limit_s:g} s guard stopped the search",) if guard else ()
    return Solved(routes, int(assignment.ObjectiveValue()), status, "ortools", guard, notes)


# --------------------------------------------------------------------------- PyVRP


INFEASIBLE_FACTOR = 10
"""PyVRP: while no feasible solution is known, the search goes on for this many times the
iterations without improvement (the counter of non-improving iterations starts at the first
feasible solution)."""


class _PyvrpStop:
    """Iterations without improvement (deterministic), with the wall clock as a guard.

    ``until_feasible``: stop at the first feasible solution instead.
    """

    def __init__(self, iterations: int | None, seconds: float, *, until_feasible: bool = False):
        self.iterations = iterations
        self.seconds = seconds
        self.until_feasible = until_feasible
        self.best: int | None = None
        self.since = 0
        self.count = 0
        self.guard = False
        self.t0 = time.perf_counter()

    def __call__(self, best_cost: int) -> bool:
        self.count += 1
        feasible = best_cost < _INT_MAX
        if self.until_feasible and feasible:
            return True
        if self.best is None or best_cost < self.best:
            self.best, self.since = best_cost, 0
        else:
            self.since += 1
        if self.iterations is not None:
            if feasible and self.since >= self.iterations:
                return True
            if not feasible and self.count >= INFEASIBLE_FACTOR * self.iterations:
                return True
        if time.perf_counter() - self.t0 >= self.seconds:
            self.guard = self.iterations is not None
            return True
        return False


def pyvrp_data(inst: Instance):
    """The PyVRP ``ProblemData`` of an instance (client ``k - 1`` is node ``k``)."""
    pyvrp = _module("pyvrp")
    n = len(inst.cost)
    cost = np.ascontiguousarray(inst.cost, dtype=np.int64)
    service = [int(s) for s in (inst.service or [0] * n)]
    if inst.transit is not None:
        duration = np.asarray(inst.transit, dtype=np.int64) - np.asarray(service)[:, None]
        duration = np.ascontiguousarray(np.maximum(duration, 0), dtype=np.int64)
    else:
        duration = np.zeros_like(cost)
    np.fill_diagonal(duration, 0)
    wins = inst.windows
    big = _INT_MAX
    clients = []
    for k in range(1, n):
        p = inst.penalties[k] if inst.penalties is not None else None
        lo, hi = (int(wins[k][0]), int(wins[k][1])) if wins else (0, big)
        clients.append(
            pyvrp.Client(
                location=k,
                delivery=[int(inst.demands[k])] if inst.demands is not None else [],
                service_duration=service[k],
                tw_early=lo,
                tw_late=hi,
                required=p is None,
                prize=int(p) if p is not None else 0,
            )
        )
    start_lo, start_hi = (int(wins[0][0]), int(wins[0][1])) if wins else (0, big)
    end_hi = _end(inst)
    vehicle = pyvrp.VehicleType(
        num_available=inst.n_vehicles,
        capacity=[int(inst.capacity)] if inst.demands is not None else [],
        fixed_cost=int(inst.vehicle_cost),
        tw_early=start_lo,
        start_late=start_hi,
        tw_late=end_hi,
        unit_distance_cost=1,
        unit_duration_cost=int(inst.span_cost),
    )
    return pyvrp.ProblemData(
        [pyvrp.Location(0, 0) for _ in range(n)],
        clients,
        [pyvrp.Depot(0)],
        [vehicle],
        [cost],
        [duration],
        [],
        [],
    )


def _solve_pyvrp(inst: Instance, search: Search) -> Solved | None:
    """PyVRP iterated local search; ``None`` if its best solution is infeasible."""
    pyvrp = _module("pyvrp")
    n = len(inst.cost)
    if n <= 1:
        return Solved([[] for _ in range(inst.n_vehicles)], 0, "EMPTY", "pyvrp")
    data = pyvrp_data(inst)
    init = None
    if inst.n_vehicles == 1 and inst.demands is None:
        # a warm start: LKH's tour (nearest neighbour without elkai), fitted to the windows,
        # optional nodes inserted; from a random start PyVRP was seen to trade a mandatory
        # door for optional ones on a demo day (its best only improves on the start)
        tour, _ = lkh_construct(inst, search, nearest_without_lkh=True)
        init = pyvrp.Solution(data, [[k - 1 for k in tour]]) if tour else None
    seconds = search.time_limit_s
    if init is None and 1 < inst.n_vehicles < n - 1:
        with warnings.catch_warnings():  # the start's own searches may hit the penalty bound
            warnings.simplefilter("ignore")
            init, used = _fleet_start(inst, data, search)
        seconds = max(0.0, seconds - used)
    stop = _PyvrpStop(search.iterations, seconds)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pyvrp.solve(
            data,
            stop,
            seed=int(search.seed),
            collect_stats=False,
            display=False,
            initial_solution=init,
        )
    best = result.best
    if not best.is_feasible():
        return None
    routes = [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in best.routes()]
    routes += [[] for _ in range(inst.n_vehicles - len(routes))]
    notes: tuple[str, ...] = tuple(
        dict.fromkeys(
            f"pyvrp: {w.category.__name__}: {' '.join(str(w.message).split())[:120]}"
            for w in caught
        )
    )
    if stop.guard:
        notes += (
            f"pyvrp: the {search.time_limit_s:g} s guard stopped the search after "
            f"{stop.count} iterations",
        )
    return Solved(
        routes, int(result.cost()), f"ITERATIONS_{stop.count}", "pyvrp", stop.guard, notes
    )


def _fleet_start(inst: Instance, data, search: Search):
    """A start for a limited fleet, and the seconds it took.

    A quarter of the budget looks for any feasible solution with the fleet as given; when none
    turns up (a fleet at the best known size is tight), another quarter solves with as many
    vehicles as clients and a fixed cost per vehicle above any route's length (fewest vehicles
    first), and its solution is the start if it fits the fleet; else the first search's best
    (infeasible, still better than a random start).
    """
    pyvrp = _module("pyvrp")
    t0 = time.perf_counter()
    quarter = None if search.iterations is None else max(1, search.iterations // 4)
    seed = int(search.seed)
    first = pyvrp.solve(
        data,
        _PyvrpStop(quarter, search.time_limit_s / 4, until_feasible=True),
        seed=seed,
        collect_stats=False,
        display=False,
    ).best
    if first.is_feasible():
        return first, time.perf_counter() - t0
    n = len(inst.cost)
    fixed = int(2 * np.asarray(inst.cost)[0, 1:].sum()) + 1  # out and back to every client
    free = replace(inst, n_vehicles=n - 1, vehicle_cost=inst.vehicle_cost + fixed)
    few = pyvrp.solve(
        pyvrp_data(free),
        _PyvrpStop(quarter, search.time_limit_s / 4),
        seed=seed,
        collect_stats=False,
        display=False,
    ).best
    if few.is_feasible() and few.num_routes() <= inst.n_vehicles:
        routes = [[a.idx for a in r.schedule() if a.is_client()] for r in few.routes()]
        return pyvrp.Solution(data, routes), time.perf_counter() - t0
    return first, time.perf_counter() - t0


# --------------------------------------------------------------------------- LKH (elkai)


def lkh_tour(cost: np.ndarray, nodes: Sequence[int], *, runs: int, seed: int) -> list[int]:
    """A short closed tour through ``nodes`` (the first is where it starts) by LKH.

    Tiny tours (up to three nodes after the first) are enumerated.  ``seed`` other than 0
    permutes the nodes LKH sees (elkai fixes LKH's own seed).  Of the tour and its reverse
    the cheaper is returned (they differ on an asymmetric matrix).
    """
    head, rest = int(nodes[0]), [int(k) for k in nodes[1:]]
    if len(rest) <= 3:
        perms = itertools.permutations(rest)
        best = min(perms, key=lambda p: (_cycle(cost, [head, *p]), p))
        return [head, *best]
    elkai = _module("elkai")
    if seed:
        rest = [rest[i] for i in np.random.default_rng(seed).permutation(len(rest))]
    order = [head, *rest]
    sub = np.asarray(cost, dtype=np.int64)[np.ix_(order, order)]
    tour = elkai.DistanceMatrix(sub.tolist()).solve_tsp(runs=max(1, int(runs)))[:-1]
    at = tour.index(0)
    tour = tour[at:] + tour[:at]
    candidates = [[order[i] for i in tour], [order[i] for i in [0, *tour[:0:-1]]]]
    return min(candidates, key=lambda t: _cycle(cost, t))


def _cycle(cost: np.ndarray, tour: Sequence[int]) -> int:
    return sum(int(cost[a, b]) for a, b in itertools.pairwise([*tour, tour[0]]))


def _solve_lkh(inst: Instance, search: Search) -> Solved:
    """LKH tour of the duty nodes, checked, then optional nodes by insertion."""
    if inst.n_vehicles != 1 or inst.demands is not None:
        raise _Declined("several vehicles or capacities are not a plain tour")
    tour, problems = lkh_construct(inst, search)
    if problems:
        raise _Declined(f"its tour breaks the time limits ({problems[0]})")
    return Solved([tour], _objective(inst, tour), "LKH", "lkh")


def lkh_construct(
    inst: Instance, search: Search, *, nearest_without_lkh: bool = False
) -> tuple[list[int], list[str]]:
    """A feasible single tour built around LKH's tour of the duty nodes.

    The LKH tour of every node that is not optional is taken as it is when it keeps every
    window and the end (no problems returned); otherwise its nodes are inserted one by one in
    that order, each at its cheapest place that keeps every window (a node that fits nowhere
    is left out), and the problems of the whole tour are returned.  Optional nodes follow,
    highest penalty first, each where it is cheapest while its penalty outweighs the detour.
    ``nearest_without_lkh``: without elkai, a nearest-neighbour tour stands in for LKH's.
    """
    n = len(inst.cost)
    duty = [k for k in range(1, n) if k not in inst.optional]
    try:
        tour = lkh_tour(inst.cost, [0, *duty], runs=search.lkh_runs, seed=search.seed)[1:]
    except EngineUnavailable:
        if not nearest_without_lkh:
            raise
        tour = _nearest_tour(inst.cost, duty)
    problems = check_routes(_as_required(inst, set(tour)), [tour])
    if problems:
        whole, tour = tour, []
        for k in whole:
            tour = _insert(inst, tour, k, _penalty(inst, k))
    for k in sorted(inst.optional, key=lambda k: (-_penalty(inst, k), k)):
        tour = _insert(inst, tour, k, _penalty(inst, k))
    return tour, problems


def _nearest_tour(cost: np.ndarray, nodes: Sequence[int]) -> list[int]:
    """Nearest neighbour from the depot through ``nodes`` (ties: lower node)."""
    left, here, out = sorted(nodes), 0, []
    while left:
        here = min(left, key=lambda k: (int(cost[here, k]), k))
        left.remove(here)
        out.append(here)
    return out


_MUST = 2**62


def _penalty(inst: Instance, k: int) -> int:
    p = inst.penalties[k] if inst.penalties is not None else None
    return _MUST if p is None else int(p)


def _objective(inst: Instance, tour: list[int]) -> int:
    on = set(tour)
    dropped = sum(_penalty(inst, k) for k in range(1, len(inst.cost)) if k not in on)
    return tour_cost(inst, [tour]) + dropped


def _as_required(inst: Instance, nodes: set[int]) -> Instance:
    """The instance with exactly ``nodes`` to visit (for the check of a partial tour)."""
    n = len(inst.cost)
    pen = [None if k in nodes else 1 for k in range(n)]
    return replace(
        inst,
        n_vehicles=1,
        demands=None,
        capacity=0,
        penalties=pen,
        optional=frozenset(),
        span_cost=0,
        vehicle_cost=0,
    )


def _insert(inst: Instance, tour: list[int], k: int, penalty: int) -> list[int]:
    """``tour`` with node ``k`` at its cheapest place that keeps every window, if that costs
    less than its penalty; else ``tour`` unchanged.

    Feasibility of every place at once: earliest service starts forward, latest starts that
    keep the rest of the tour (and the return) on time backward.
    """
    path = np.array([0, *tour, 0])
    c = inst.cost
    a, b = path[:-1], path[1:]
    added = c[a, k] + c[k, b] - c[a, b]
    ok = added < penalty
    if inst.transit is not None and inst.windows is not None:
        T = inst.transit
        lo = np.array([w[0] for w in inst.windows], dtype=np.int64)
        hi = np.array([w[1] for w in inst.windows], dtype=np.int64)
        end_hi = _end(inst)
        m = len(path)
        early = np.empty(m - 1, dtype=np.int64)  # earliest start at path[i], i < m - 1
        early[0] = lo[0]
        for i in range(1, m - 1):
            early[i] = max(early[i - 1] + T[path[i - 1], path[i]], lo[path[i]])
        late = np.empty(m, dtype=np.int64)  # latest start at path[i] (the return at m - 1)
        late[m - 1] = end_hi
        for i in range(m - 2, 0, -1):
            late[i] = min(hi[path[i]], late[i + 1] - T[path[i], path[i + 1]])
        start_k = np.maximum(early + T[a, k], lo[k])
        ok &= (start_k <= hi[k]) & (start_k + T[k, b] <= late[1:])
    if not ok.any():
        return tour
    pos = int(np.flatnonzero(ok)[np.argmin(added[ok])])
    return [*tour[:pos], k, *tour[pos:]]


_ENGINES = {"ortools": _solve_ortools, "pyvrp": _solve_pyvrp, "lkh": _solve_lkh}
