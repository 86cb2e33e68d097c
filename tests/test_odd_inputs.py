"""Odd but real inputs: an island without a bridge, doors at one point, an empty beat, a beat
without an officer, a beat too large to plan as one — each a clear message or a correct plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import POST, tiny_station

from planner._errors import InputError
from planner.cli import main
from planner.model import Beat, Officer
from planner.policy import load_policy
from planner.schedule import YearParams, plan_year
from planner.store import write_station

MIYAGI = load_policy("miyagi")
FAST = YearParams(time_limit_s=1.0)


def _street_along_the_targets(station, *, island: str | None = None) -> nx.MultiDiGraph:
    """A street from the post east past every target; ``island`` gets a street of its own,
    500 m north, that nothing connects to (no bridge)."""
    g = nx.MultiDiGraph(crs="EPSG:4326")
    lons = sorted({POST[0], *(t.lon for t in station.targets if t.target_id != island)})
    for k, lon in enumerate(lons):
        g.add_node(k, x=lon, y=POST[1])
        if k:
            for u, v in ((k - 1, k), (k, k - 1)):
                g.add_edge(u, v, length=35.0, highway="residential")
    if island is not None:
        t = next(t for t in station.targets if t.target_id == island)
        g.add_node(900, x=t.lon - 0.0003, y=t.lat)
        g.add_node(901, x=t.lon + 0.0003, y=t.lat)
        for u, v in ((900, 901), (901, 900)):
            g.add_edge(u, v, length=50.0, highway="residential")
    return g


def test_target_on_an_island_without_a_bridge_is_unreachable_not_a_crash():
    station = tiny_station(6)
    island = "T004"
    station.targets[4] = replace(station.targets[4], lat=POST[1] + 0.0045)  # 500 m north
    plan = plan_year(
        station, MIYAGI, 2027, graph=_street_along_the_targets(station, island=island), params=FAST
    )
    planned = {v.target_id for v in plan.visits}
    (u,) = [u for u in plan.unplanned if u.target_id == island]
    assert u.reason == "unreachable" and "street" in u.message
    assert planned == {t.target_id for t in station.targets} - {island}


def test_two_doors_at_one_point_are_both_planned_once():
    station = tiny_station(4)
    twin = replace(station.targets[1], target_id="T001b", address="みどり町1丁目2番1号 2階")
    station.targets.append(twin)
    plan = plan_year(station, MIYAGI, 2027, graph=_street_along_the_targets(station), params=FAST)
    ids = [v.target_id for v in plan.visits]
    assert sorted(ids) == sorted(t.target_id for t in station.targets)


def test_empty_beat_and_beat_without_officer_via_the_cli(tmp_path: Path):
    station = tiny_station(4)
    station.beats += [Beat("B2", "P1", "空の受持区"), Beat("B3", "P1", "欠員の受持区")]
    station.targets.append(replace(station.targets[0], target_id="X1", beat_id="B3"))
    db = tmp_path / "odd.gpkg"
    write_station(station, db)
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main, ["plan", "--db", str(db), "--year", "2027", "--time-limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    unplanned = (out / "unplanned.csv").read_text(encoding="utf-8")
    assert "X1,B3" in unplanned and "no_officer" in unplanned
    assert (out / "form_B2_2027.xlsx").is_file()  # an empty beat still gets its (empty) form


def test_a_beat_too_large_to_plan_as_one_says_so():
    station = tiny_station(30)
    params = replace(FAST, max_beat_targets=20)
    with pytest.raises(InputError, match=r"B1 has 30 due targets.*split"):
        plan_year(station, MIYAGI, 2027, params=params)


def test_officer_of_an_unknown_pattern_is_a_clear_error():
    station = tiny_station(3)
    station.officers = [Officer("O1", "B1", "巡査 テスト", "koban9")]
    with pytest.raises(InputError, match="koban9"):
        plan_year(station, MIYAGI, 2027, params=FAST)
