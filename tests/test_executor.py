"""One engine for many beats (planner/executor.py): inputs cut per beat, results in order,
retries, failures named, and the same files whatever the executor."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner.app.beats import beat_streets, split_station
from planner.app.compare import compare_stations
from planner.app.plan import plan_stations
from planner.app.simulate import beat_seed
from planner.cli import main
from planner.executor import ExecutorSpec, Task, run_tasks
from planner.model import (
    DutyType,
    Exemption,
    Officer,
    OfficerDay,
    Outcome,
    Post,
    PostKind,
    Station,
    Visit,
)
from planner.planfiles import write_plan, write_unplanned
from planner.policy import load_policy
from planner.scenarios import compare, scenario_from_dict
from planner.schedule import YearParams, plan_year
from planner.store import read_station, read_streets, write_station

MIYAGI = load_policy("miyagi")


def two_beats() -> Station:
    """Beat B1 (10 targets T…, officer O1) and beat B2 (6 targets U…, officer O2, its own
    駐在所 2 km north), with leave, 専従日, a visit and an exemption order on each side."""
    st = tiny_station(10)
    other = tiny_station(6)
    post2 = Post("P2", "北駐在所", PostKind.CHUZAISHO, st.posts[0].lon, st.posts[0].lat + 0.018)
    st.posts.append(post2)
    st.beats.append(replace(other.beats[0], beat_id="B2", post_id="P2", name="第2受持区"))
    st.targets += [
        replace(t, target_id=t.target_id.replace("T", "U"), beat_id="B2", lat=t.lat + 0.018)
        for t in other.targets
    ]
    st.officers.append(Officer("O2", "B2", "巡査 二", "chuzai"))
    st.officer_days = [
        OfficerDay("O1", date(2027, 5, 6), DutyType.LEAVE),
        OfficerDay("O2", date(2027, 6, 7), DutyType.SENJU),
        OfficerDay("O2", date(2027, 6, 8), DutyType.LEAVE),
    ]
    st.visits = [
        Visit("T000", date(2026, 3, 1), "O1", Outcome.VISITED),
        Visit("U003", date(2026, 4, 2), "O2", Outcome.ABSENT),
    ]
    st.exemptions = [Exemption("U005", "署長", date(2026, 12, 1), "入院")]
    return st


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- inputs of one beat


def test_split_station_gives_each_beat_its_own_inputs_only():
    st = two_beats()
    b1, b2 = split_station(st)
    assert [b.beat_id for b in b1.beats] == ["B1"] and [p.post_id for p in b1.posts] == ["P1"]
    assert [b.beat_id for b in b2.beats] == ["B2"] and [p.post_id for p in b2.posts] == ["P2"]
    assert [t.target_id for t in b1.targets] == [f"T{i:03d}" for i in range(10)]
    assert [t.target_id for t in b2.targets] == [f"U{i:03d}" for i in range(6)]
    assert [o.officer_id for o in b1.officers] == ["O1"]
    assert [o.officer_id for o in b2.officers] == ["O2"]
    assert [d.date for d in b1.officer_days] == [date(2027, 5, 6)]
    assert [d.date for d in b2.officer_days] == [date(2027, 6, 7), date(2027, 6, 8)]
    assert [v.target_id for v in b1.visits] == ["T000"]
    assert [v.target_id for v in b2.visits] == ["U003"]
    assert b1.exemptions == [] and [e.target_id for e in b2.exemptions] == ["U005"]
    assert b1.name == b2.name == st.name and b1.policy == st.policy
    (only,) = split_station(st, ["B2"])
    assert only.beats[0].beat_id == "B2"


def test_beat_streets_keeps_the_streets_near_the_beat():
    st = two_beats()
    b1, b2 = split_station(st)
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    lon0, lat0 = st.posts[0].lon, st.posts[0].lat
    # a street north–south every 0.005° of latitude (~555 m), from 0.1° south to 0.1° north
    for k in range(-20, 21):
        graph.add_node(k, x=lon0 + 0.001, y=lat0 + 0.005 * k)
    for k in range(-20, 20):
        graph.add_edge(k, k + 1, key=0, length=555.0)
        graph.add_edge(k + 1, k, key=0, length=555.0)
    near1 = beat_streets(graph, b1, margin_m=1000)
    # 1 km is 0.00898° of latitude.  B1's doors and post lie at lat0: nodes at -0.005, 0 and
    # 0.005 (k = -1, 0, 1) are within it, ±0.010 (k = ±2) not
    assert sorted(near1.nodes) == [-1, 0, 1]
    assert sorted(near1.edges(keys=True)) == [(-1, 0, 0), (0, -1, 0), (0, 1, 0), (1, 0, 0)]
    # B2 lies 0.018° north: 0.010 … 0.025 (k = 2 … 5) within 0.00898° of it, 0.030 (k = 6) not
    assert sorted(beat_streets(graph, b2, margin_m=1000).nodes) == [2, 3, 4, 5]
    assert beat_streets(None, b1) is None


# --------------------------------------------------------------------------- the engine


def _slow_square(x: int, delay: float) -> int:
    time.sleep(delay)
    return x * x


def _flaky(flag: str) -> str:
    """Fails the first time it runs (anywhere: the flag is a file), then succeeds."""
    path = Path(flag)
    if not path.exists():
        path.write_text("failed once", encoding="utf-8")
        raise RuntimeError("transient trouble")
    return "second time lucky"


def _broken() -> None:
    raise ValueError("this beat is corrupt")


def test_run_tasks_in_task_order_with_one_retry(tmp_path):
    tasks = [
        Task("slow", _slow_square, (3, 1.0), key=0),
        Task("quick", _slow_square, (4, 0.0), key=1),
        Task("flaky", _flaky, (str(tmp_path / "flag"),), key=2),
        Task("broken", _broken, (), key=3),
        Task("last", _slow_square, (5, 0.0), key=4),
    ]
    finished = []
    results = list(
        run_tasks(
            tasks,
            ExecutorSpec("processes", workers=2),
            total=len(tasks),
            on_done=lambda r: finished.append(r.name),
        )
    )
    assert [r.name for r in results] == ["slow", "quick", "flaky", "broken", "last"]
    assert [r.value for r in results] == [9, 16, "second time lucky", None, 25]
    assert [r.attempts for r in results] == [1, 1, 2, 2, 1]
    assert results[3].error.startswith("ValueError: this beat is corrupt (at test_executor.py:")
    assert all(r.ok for r in results if r.name != "broken")
    # the slow first task finished after a quicker one: results still come in task order
    assert sorted(finished) == sorted(r.name for r in results) and finished[0] != "slow"
    assert results[0].seconds >= 1.0 and results[0].peak_mib > 0 and ":" in results[0].worker


def test_executor_spec_is_checked():
    with pytest.raises(Exception, match="unknown executor"):
        ExecutorSpec("threads")
    with pytest.raises(Exception, match="--scheduler needs --executor dask"):
        ExecutorSpec("processes", scheduler="tcp://127.0.0.1:8786")
    assert ExecutorSpec("serial").label() == "serial"
    assert ExecutorSpec("dask", workers=2).label() == "dask LocalCluster × 2"


# --------------------------------------------------------------------------- planner plan


def test_beat_by_beat_plan_is_the_whole_station_plan(tmp_path):
    """Cut into beats and merged again, the plan files are those of one plan_year call."""
    st = two_beats()
    db = tmp_path / "st.gpkg"
    write_station(st, db)
    params = YearParams(time_limit_s=1)
    summary = plan_stations(
        [db],
        tmp_path / "beats",
        year=2027,
        params=params,
        spec=ExecutorSpec("serial"),
        progress=False,
    )
    assert [t.name for t in summary.tasks] == [f"{st.name}/B1", f"{st.name}/B2"]
    whole = plan_year(read_station(db), MIYAGI, 2027, params=params)
    write_plan(tmp_path / "whole_plan.csv", whole.visits)
    write_unplanned(tmp_path / "whole_unplanned.csv", whole.unplanned)
    beats = tmp_path / "beats"
    assert (beats / "plan.csv").read_bytes() == (tmp_path / "whole_plan.csv").read_bytes()
    assert (beats / "unplanned.csv").read_bytes() == (tmp_path / "whole_unplanned.csv").read_bytes()
    assert {r["beat_id"] for r in _rows(beats / "plan.csv")} == {"B1", "B2"}
    assert sorted(p.name for p in beats.glob("form_*.xlsx")) == [
        "form_B1_2027.xlsx",
        "form_B2_2027.xlsx",
    ]
    assert _rows(beats / "failed_beats.csv") == []


@pytest.fixture(scope="module")
def prefecture(tmp_path_factory) -> Path:
    """2 station files × 3 beats of 60 targets (planner demo --prefecture)."""
    out = tmp_path_factory.mktemp("pref")
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "--prefecture",
            "--stations",
            "2",
            "--households",
            "360",
            "--beats",
            "6",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def _plan(pref: Path, out: Path, *executor: str):
    args = [
        "plan",
        "--db",
        str(pref),
        "--year",
        "2027",
        "--time-limit",
        "1",
        "--out",
        str(out),
        *executor,
    ]
    return CliRunner().invoke(main, args)


def _cells(path: Path) -> list[list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return [[tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets]


@pytest.mark.allow_hosts(["127.0.0.1"])  # the LocalCluster's scheduler and workers: localhost only
def test_plan_on_dask_writes_the_files_serial_writes(prefecture, tmp_path):
    pref = prefecture
    serial = _plan(pref, tmp_path / "serial", "--executor", "serial")
    assert serial.exit_code == 0, serial.output
    dask = _plan(pref, tmp_path / "dask", "--executor", "dask", "--workers", "2")
    assert dask.exit_code == 0, dask.output
    assert "6 of 6 beat tasks done, 0 failed" in dask.stderr
    assert "beats 6/6 done:" in dask.stderr  # progress: one line per beat off a terminal
    assert "dask LocalCluster × 2" in dask.stderr
    files = sorted(p.relative_to(tmp_path / "serial") for p in (tmp_path / "serial").rglob("*.*"))
    assert files == sorted(
        p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask").rglob("*.*")
    )
    names = {str(p) for p in files}
    for station, post in (("station_01", "P01-K1"), ("station_02", "P02-K1")):
        for name in (
            "plan.csv",
            "unplanned.csv",
            "approvals.csv",
            "exemptions.csv",
            *(f"form_{post}-{j}_2027.xlsx" for j in (1, 2, 3)),
        ):
            assert f"{station}/{name}" in names
    for rel in files:
        a, b = tmp_path / "serial" / rel, tmp_path / "dask" / rel
        if rel.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes(), rel
        else:  # openpyxl stamps the time of saving into the file: compare every cell
            assert _cells(a) == _cells(b), rel
    plan = _rows(tmp_path / "dask" / "station_02" / "plan.csv")
    assert {r["beat_id"] for r in plan} == {"P02-K1-1", "P02-K1-2", "P02-K1-3"}
    assert _rows(tmp_path / "dask" / "failed_beats.csv") == []


def test_a_failing_beat_is_retried_named_and_the_others_written(prefecture, tmp_path):
    db = tmp_path / "station_02.gpkg"
    st = read_station(prefecture / "station_02.gpkg")
    bad = next(o for o in st.officers if o.beat_id == "P02-K1-2")
    st.officers = [replace(o, pattern="no-such-roster") if o is bad else o for o in st.officers]
    write_station(st, db, streets=read_streets(prefecture / "station_02.gpkg"))
    result = _plan(db, tmp_path / "out", "--executor", "processes", "--workers", "2")
    assert result.exit_code == 1, result.output
    assert "1 of 3 beat tasks failed after 2 attempts" in result.stderr
    assert "南緑ケ丘警察署/P02-K1-2" in result.stderr and "no-such-roster" in result.stderr
    assert "beats 3/3 done:" in result.stderr and "(FAILED after 2 attempts)" in result.stderr
    (row,) = _rows(tmp_path / "out" / "failed_beats.csv")
    assert row["station"] == "南緑ケ丘警察署" and row["beat_id"] == "P02-K1-2"
    assert row["attempts"] == "2" and "no-such-roster" in row["error"]
    # the other two beats are planned and written, the failed one is nowhere
    assert {r["beat_id"] for r in _rows(tmp_path / "out" / "plan.csv")} == {"P02-K1-1", "P02-K1-3"}
    forms = sorted(p.name for p in (tmp_path / "out").glob("form_*.xlsx"))
    assert forms == ["form_P02-K1-1_2027.xlsx", "form_P02-K1-3_2027.xlsx"]


def test_plan_refuses_an_unknown_beat_and_a_scheduler_without_dask(tmp_path):
    db = tmp_path / "st.gpkg"
    write_station(two_beats(), db)
    result = _plan(db, tmp_path / "out", "--beat", "Z9")
    assert result.exit_code == 2 and "unknown beat(s): Z9" in result.output
    result = _plan(db, tmp_path / "out", "--executor", "serial", "--scheduler", "tcp://1.2.3.4:1")
    assert result.exit_code == 2 and "--scheduler needs --executor dask" in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- compare, simulate


def test_compare_beat_by_beat_adds_up_to_the_whole_station(tmp_path):
    st = two_beats()
    db = tmp_path / "st.gpkg"
    write_station(st, db)
    scenarios = [
        scenario_from_dict({"name": "現状"}),
        scenario_from_dict({"name": "一人減", "remove_officers": ["O2"]}),
    ]
    params = YearParams(time_limit_s=1)
    got = []
    compare_stations(
        [db],
        scenarios,
        tmp_path / "cmp",
        year=2027,
        params=params,
        spec=ExecutorSpec("serial"),
        progress=False,
        on_station=lambda sc: got.extend(sc.outcomes),
    )
    whole = compare(read_station(db), MIYAGI, scenarios, 2027, params=params, processes=1)
    assert [o.name for o in got] == ["現状", "一人減"]
    for a, b in zip(got, whole, strict=True):
        assert (a.due, a.planned, a.unplanned, a.approvals) == (
            b.due,
            b.planned,
            b.unplanned,
            b.approvals,
        )
        assert a.rate == pytest.approx(b.rate) and a.officer_hours == pytest.approx(b.officer_hours)
        assert abs(a.walk_km - b.walk_km) <= 0.1 + 1e-9  # each beat's km is rounded to 0.1
        assert a.months == b.months
    # without O2, beat B2 has nobody: its 6 targets (one exempt) cannot be planned
    assert got[1].unplanned - got[0].unplanned == 5
    rows = _rows(tmp_path / "cmp" / "comparison.csv")
    assert [r["scenario"] for r in rows] == ["現状", "一人減"]


def test_simulate_beat_by_beat_adds_up_the_beats(tmp_path):
    from planner.simulator import SimParams, simulate_year

    st = two_beats()
    db = tmp_path / "st.gpkg"
    write_station(st, db)
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--db",
            str(db),
            "--year",
            "2027",
            "--strategy",
            "baseline",
            "--seed",
            "3",
            "--executor",
            "serial",
            "--out",
            str(tmp_path / "sim"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text(encoding="utf-8"))
    parts = [
        simulate_year(
            one,
            MIYAGI,
            2027,
            params=SimParams(strategy="baseline", seed=beat_seed(3, st.name, one.beats[0].beat_id)),
        ).summary()
        for one in split_station(read_station(db))
    ]
    for key in ("first_interviews", "doors", "interviews", "absent", "overdue_left"):
        assert summary[key] == sum(p[key] for p in parts), key
    assert summary["km"] == pytest.approx(sum(p["km"] for p in parts), abs=0.11)
    for tier in summary["due"]:
        assert summary["due"][tier] == sum(p["due"][tier] for p in parts)
        met = sum(p["met"][tier] for p in parts)
        assert summary["rate"][tier] == round(met / summary["due"][tier], 3)
    assert beat_seed(3, st.name, "B1") != beat_seed(3, st.name, "B2")
    assert beat_seed(3, st.name, "B1") == beat_seed(3, st.name, "B1")


# ------------------------------------------------------------------------- the same plan under load


def _burners(n: int) -> list:
    """``n`` processes that do nothing but burn a CPU core (killed by the caller)."""
    import subprocess
    import sys

    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def test_plan_is_byte_identical_beside_cpu_burning_processes(prefecture, tmp_path):
    """Deterministic solver limits: a machine busy with other work gives the same plan.csv,
    whatever the executor and worker count."""
    db = str(prefecture / "station_01.gpkg")
    args = ["--beat", "P01-K1-1", "--beat", "P01-K1-2"]
    quiet = _plan(db, tmp_path / "quiet", "--executor", "serial", *args)
    assert quiet.exit_code == 0, quiet.output
    assert "unit of deterministic time" in quiet.stderr and "wall-clock guard" in quiet.stderr
    burners = _burners(3)  # three busy processes on a two-core machine
    try:
        busy = _plan(db, tmp_path / "busy", "--executor", "processes", "--workers", "2", *args)
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert busy.exit_code == 0, busy.output
    for name in ("plan.csv", "unplanned.csv", "approvals.csv"):
        assert (tmp_path / "quiet" / name).read_bytes() == (tmp_path / "busy" / name).read_bytes()
    assert len(_rows(tmp_path / "busy" / "plan.csv")) > 20


def test_wall_clock_guard_fails_the_beat_says_so_and_exits_1(prefecture, tmp_path):
    db = str(prefecture / "station_01.gpkg")
    out = tmp_path / "out"
    result = _plan(db, out, "--executor", "serial", "--beat", "P01-K1-1", "--wall-guard", "0.001")
    assert result.exit_code == 1, result.output
    assert "wall-clock guard" in result.stderr and "P01-K1-1" in result.stderr
    (row,) = _rows(out / "failed_beats.csv")
    assert row["beat_id"] == "P01-K1-1" and "wall-clock guard" in row["error"]
    plan = out / "plan.csv"
    assert not plan.exists() or all(r["beat_id"] != "P01-K1-1" for r in _rows(plan))
