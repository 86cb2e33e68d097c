"""A plan on real streets holds: the Tokyo OSM export of ../shared/realdata with a small
generated register (the real-streets bench's generator), planned, verified and routed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).parents[1].parent / "shared"
OSM = SHARED / "realdata" / "nerima_sakuradai_2011.osm"
pytestmark = pytest.mark.skipif(not OSM.exists(), reason="../shared/realdata is absent")


@pytest.fixture(scope="module")
def real():
    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    import bench_real

    from planner import network
    from planner.policy import load_policy
    from planner.schedule import YearParams, plan_year

    graph = network.graph_from_osm(OSM)
    station, _post = bench_real.make_station(graph, 160, 350.0, seed=1)
    policy = load_policy("miyagi")
    plan = plan_year(station, policy, 2027, graph=graph, params=YearParams(time_limit_s=2))
    return bench_real, graph, station, policy, plan


def test_real_streets_plan_passes_verify_with_every_day_routed(real):
    from planner.routes import route_check
    from planner.verify import verify_plan

    _bench, graph, station, policy, plan = real
    assert len(plan.visits) > 100
    report = verify_plan(
        station,
        policy,
        2027,
        plan.visits,
        unplanned=plan.unplanned,
        graph=graph,
        router=route_check,
    )
    assert report.ok, report.violations[:5]


def test_real_streets_every_planned_door_fits_its_route(real):
    bench, graph, station, policy, plan = real
    minutes = bench.slot_minutes(station, policy)
    # every 6th officer-day by officer and date (all of them: bench/bench_real.py)
    doors, dropped, days, _s = bench.route_all(station, policy, graph, plan.visits, minutes, 6)
    assert doors > 20 and days > 10
    assert dropped <= 0.01 * doors
    # and no target called no_window fits alone in a slot its card allows
    _n, fit = bench.no_window_alone(station, policy, graph, plan, minutes)
    assert fit == 0
