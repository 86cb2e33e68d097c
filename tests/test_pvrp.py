"""The PVRP benchmark's reader, combination decoding, verifier and assign-then-route search.

``bench/`` is not a package, so the module is loaded from its path.  The instances here are
written by the tests themselves (the shared benchmark data is not needed).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_pvrp.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_pvrp", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pvrp"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bp = _load()

# type m n t; t lines D Q; depot and customers `i x y d q f a c1..ca` (CRLF, as the originals)
TINY = """1 2 6 3
0 10
0 10
0 10
 0  0  0 0 0 0 0
 1 10  0 0 4 1 3 4 2 1
 2 11  1 0 3 1 3 4 2 1
 3  0 10 0 5 2 3 6 5 3
 4  1 11 0 2 2 3 6 5 3
 5 -10 0 0 6 1 3 4 2 1
 6  0 -10 0 4 3 1 7
"""


@pytest.fixture
def tiny(tmp_path: Path):
    path = tmp_path / "t01.txt"
    path.write_bytes(TINY.replace("\n", "\r\n").encode())
    return bp.read_instance(path)


def test_decode_combo_day_one_is_the_high_bit() -> None:
    assert bp.decode_combo(10, 5) == (2, 4)  # 01010
    assert bp.decode_combo(16, 5) == (1,)
    assert bp.decode_combo(31, 5) == (1, 2, 3, 4, 5)
    assert bp.decode_combo(1, 2) == (2,)
    with pytest.raises(ValueError):
        bp.decode_combo(8, 3)


def test_reader(tiny) -> None:
    assert (tiny.name, tiny.vehicles, tiny.days, tiny.customers) == ("t01", 2, 3, 6)
    assert tiny.capacity == (10, 10, 10) and tiny.duration == (0.0, 0.0, 0.0)
    assert tiny.demand.tolist() == [0, 4, 3, 5, 2, 6, 4]
    assert tiny.combos[0] == ()
    assert tiny.combos[1] == ((0,), (1,), (2,))  # 4 = 100, 2 = 010, 1 = 001 (0-based days)
    assert tiny.combos[3] == ((0, 1), (0, 2), (1, 2))  # 6 = 110, 5 = 101, 3 = 011
    assert tiny.combos[6] == ((0, 1, 2),)
    assert tiny.dist[1, 2] == pytest.approx(2**0.5)
    assert tiny.dist[0, 5] == pytest.approx(10.0)


def test_reader_rejects_a_combination_with_the_wrong_number_of_days(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(TINY.replace(" 6  0 -10 0 4 3 1 7", " 6  0 -10 0 4 3 1 6"))
    with pytest.raises(ValueError, match="node 6"):
        bp.read_instance(path)


def test_verifier_accepts_a_valid_plan_and_recomputes_the_cost(tiny) -> None:
    plan = [[[1, 2], [3, 6]], [[3, 4], [5, 6]], [[4, 6]]]  # loads 7, 9 / 7, 10 / 6
    check = bp.verify(tiny, plan)
    assert check.ok, check.problems
    expected = sum(bp.route_length(tiny.dist, r) for day in plan for r in day)
    assert check.cost == pytest.approx(expected)


def test_verifier_catches_a_day_outside_the_combination(tiny) -> None:
    plan = [[[1, 2], [3, 6]], [[3, 4], [5, 6]], [[4, 6]]]
    assert bp.verify(tiny, plan).ok
    plan[0] = [[1, 2, 4], [3, 6]]  # customer 4 now on days 1, 2, 3: f = 2
    problems = bp.verify(tiny, plan).problems
    assert any("customer 4" in p for p in problems)
    plan = [[[1, 2], [3, 6]], [[3, 4], [5, 6]], [[6], [4]]]  # fine: 4 on days 2 and 3
    assert bp.verify(tiny, plan).ok
    plan[1] = [[3], [5, 6]]  # 4 only on day 3
    assert any("customer 4" in p for p in bp.verify(tiny, plan).problems)
    plan = [[[1, 2], [3, 6]], [[3, 4], [5, 6]], [[4, 6, 1]]]  # 1 on days 1 and 3: f = 1
    assert any("customer 1" in p for p in bp.verify(tiny, plan).problems)


def test_verifier_catches_capacity_routes_and_duration(tiny) -> None:
    plan = [[[1, 2, 3], [6]], [[3, 4], [5, 6]], [[4, 6]]]  # day 1 route 1: 4 + 3 + 5 = 12
    problems = bp.verify(tiny, plan).problems
    assert any("load 12 > 10" in p for p in problems)
    plan = [[[1], [2], [3, 6]], [[3, 4], [5, 6]], [[4, 6]]]  # 3 routes, m = 2
    assert any("3 routes" in p for p in bp.verify(tiny, plan).problems)
    plan = [[[1, 2], [3, 6]], [[3, 4], [5, 6]], [[4, 6]]]
    short = bp.make_instance("short", 2, [30.0] * 3, [10] * 3, [_row(tiny, i) for i in range(7)])
    assert any("duration" in p for p in bp.verify(short, plan).problems)


def _row(inst, i: int) -> list[float]:
    """A node row back from an instance (for variants with other limits)."""
    combos = [sum(1 << (inst.days - 1 - d) for d in c) for c in inst.combos[i]]
    f = len(inst.combos[i][0]) if combos else 0
    x, y = inst.xy[i]
    return [i, x, y, float(inst.service[i]), float(inst.demand[i]), f, len(combos), *combos]


@pytest.mark.parametrize("engine", ["auto", "ortools", "pyvrp", "lkh"])
def test_assign_then_route_gives_a_verified_plan(tiny, engine, monkeypatch) -> None:
    monkeypatch.setitem(bp.ROUTING, "engine", engine)  # the days go through the route seam
    result = bp.solve(tiny, time_limit_s=1.0)
    assert result.check.ok, result.check.problems
    assert result.check.cost == pytest.approx(
        sum(bp.route_length(tiny.dist, r) for day in result.plan for r in day)
    )
    assert result.seconds < 6


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_assign_then_route_keeps_the_duration_limit(tiny, engine, monkeypatch) -> None:
    monkeypatch.setitem(bp.ROUTING, "engine", engine)
    rows = [_row(tiny, i) for i in range(7)]
    for r in rows[1:]:
        r[3] = 2.0  # service time counts toward D
    free = bp.solve(bp.make_instance("free", 2, [0.0] * 3, [20] * 3, rows), time_limit_s=1.0)
    assert free.check.ok, free.check.problems
    spans = [bp.route_length(tiny.dist, r) + 2 * len(r) for day in free.plan for r in day]
    assert max(spans) > 45  # without a limit, Q = 20 makes long routes
    inst = bp.make_instance("timed", 2, [45.0] * 3, [20] * 3, rows)
    result = bp.solve(inst, time_limit_s=1.0)
    assert result.check.ok, result.check.problems
    for day in result.plan:
        for r in day:
            assert bp.route_length(inst.dist, r) + inst.service[r].sum() <= 45 + 1e-6
