"""The command line end to end: demo -> plan files -> verify, forms read back, bad input."""

from __future__ import annotations

import csv
import logging
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.demo import build_demo, demo_exemption
from planner.forms import read_form
from planner.store import write_station

DATA = Path(__file__).parent.parent / "data"


class _Recorder(logging.Handler):
    """Keeps every log record of the demo run at INFO and above."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


DEMO_LOG = _Recorder()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    root = logging.getLogger()
    level = root.level
    root.addHandler(DEMO_LOG)
    root.setLevel(logging.INFO)
    try:
        result = CliRunner().invoke(main, ["-v", "demo", "--out", str(out), "--time-limit", "2"])
    finally:
        root.removeHandler(DEMO_LOG)
        root.setLevel(level)
    assert result.exit_code == 0, result.output
    (out / "demo.log").write_text("\n".join(DEMO_LOG.lines) + "\n", encoding="utf-8")
    return out


def test_demo_log_carries_no_name_or_address(demo_dir):
    from planner.store import read_station

    log = (demo_dir / "demo.log").read_text(encoding="utf-8")
    assert len(log.splitlines()) > 5  # the run did log at INFO
    station = read_station(demo_dir / "demo.gpkg")
    names = {t.name for t in station.targets if t.name} | {o.name for o in station.officers}
    addresses = {t.address for t in station.targets}
    assert len(names) > 100
    leaked = sorted(x for x in names | addresses if x in log)
    assert not leaked, leaked[:5]


def test_every_demo_page_is_offline(demo_dir):
    from planner.maps import assert_offline

    pages = sorted(demo_dir.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        assert assert_offline(page.read_text(encoding="utf-8")) == [], page.name


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_demo_writes_a_station_file(demo_dir):
    db = demo_dir / "demo.gpkg"
    targets = gpd.read_file(db, layer="targets")
    for layer in ("posts", "beats", "officers"):
        assert len(gpd.read_file(db, layer=layer)) > 0
    assert len(targets) >= 2500 and targets["beat_id"].nunique() >= 4
    assert set(targets["tier"]) == {"priority", "general"}
    assert set(targets["kind"]) == {"household", "business"}


def test_demo_plan_passes_verify(demo_dir, tmp_path):
    # the demo records three months of outcomes into demo.gpkg after planning: check the
    # year plan against the station as it was when planned (same seed, same town)
    station, streets = build_demo(0)
    station.exemptions.append(demo_exemption(station, 2027))  # the demo's order, as planned
    fresh = tmp_path / "fresh.gpkg"
    write_station(station, fresh, streets=streets)
    result = CliRunner().invoke(
        main, ["verify", "--db", str(fresh), "--plan", str(demo_dir / "plan" / "plan.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_demo_records_progress_and_replans(demo_dir):
    outcomes = _rows(demo_dir / "outcomes_2027-01_03.csv")
    assert {r["outcome"] for r in outcomes} >= {"visited", "absent"}
    assert (demo_dir / "progress" / "progress_2027-03.html").is_file()
    form = read_form(demo_dir / "progress" / "form_K1-1_2027.xlsx")
    visited = {r["target_id"] for r in outcomes if r["outcome"] in ("visited", "new")}
    k11 = {r["target_id"] for r in _rows(demo_dir / "plan" / "plan.csv") if r["beat_id"] == "K1-1"}
    done = sum(v or 0 for v in form[("done", "total")][:3])  # January to March
    assert done == len(visited & k11) + sum(
        1 for r in outcomes if r["outcome"] == "new" and r["beat_id"] == "K1-1"
    )
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--db",
            str(demo_dir / "demo.gpkg"),
            "--plan",
            str(demo_dir / "replan" / "plan.csv"),
            "--from",
            "2027-04-01",
        ],
    )
    assert result.exit_code == 0, result.output
    replanned = _rows(demo_dir / "replan" / "plan.csv")
    absent = {r["target_id"] for r in outcomes if r["outcome"] == "absent"} - visited
    later = {r["target_id"] for r in replanned if r["date"] >= "2027-04-01"}
    unplanned = {r["target_id"] for r in _rows(demo_dir / "replan" / "unplanned.csv")}
    moved = {r["target_id"] for r in outcomes if r["outcome"] == "moved_out"}
    assert absent - moved <= later | unplanned  # nobody absent is lost


def test_demo_plan_files_and_unplanned_reasons(demo_dir):
    plan = _rows(demo_dir / "plan" / "plan.csv")
    unplanned = _rows(demo_dir / "plan" / "unplanned.csv")
    assert plan and unplanned  # the demo holds over-loaded beats
    assert len({r["target_id"] for r in plan}) == len(plan)
    assert not {r["target_id"] for r in plan} & {r["target_id"] for r in unplanned}
    assert {r["reason"] for r in unplanned} <= {"no_capacity", "no_window", "unreachable"}
    assert all(r["message"] for r in unplanned)
    header = (demo_dir / "plan" / "approvals.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("target_id,beat_id,officer_id,date,slot")


def test_form_totals_equal_plan_counts(demo_dir):
    plan = _rows(demo_dir / "plan" / "plan.csv")
    for beat in sorted({r["beat_id"] for r in plan}):
        form = read_form(demo_dir / "plan" / f"form_{beat}_2027.xlsx")
        counts = Counter((r["tier"], int(r["month"])) for r in plan if r["beat_id"] == beat)
        for tier in ("priority", "general"):
            months = form[("plan", tier)]
            by_month = [months[i] for i in (*range(0, 6), *range(7, 13))]
            assert [v or 0 for v in by_month] == [counts[(tier, m)] for m in range(1, 13)]
            assert months[-1] == sum(counts[(tier, m)] for m in range(1, 13))


def test_info_prints_every_beat(demo_dir):
    result = CliRunner().invoke(
        main, ["info", "--db", str(demo_dir / "demo.gpkg"), "--year", "2027"]
    )
    assert result.exit_code == 0
    for beat in ("K1-1", "K1-2", "K1-3", "C1"):
        assert beat in result.output


def test_verify_names_the_broken_rule(demo_dir, tmp_path):
    rows = (demo_dir / "plan" / "plan.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "plan.csv").write_text("\n".join([*rows, rows[1]]) + "\n", encoding="utf-8")
    shutil.copy(demo_dir / "plan" / "unplanned.csv", tmp_path / "unplanned.csv")
    result = CliRunner().invoke(
        main, ["verify", "--db", str(demo_dir / "demo.gpkg"), "--plan", str(tmp_path / "plan.csv")]
    )
    assert result.exit_code == 1
    assert "[exactly_once]" in result.output


@pytest.fixture
def sample_db(tmp_path) -> Path:
    db = tmp_path / "station.gpkg"
    result = CliRunner().invoke(
        main,
        [
            "import",
            "--db",
            str(db),
            "--station",
            "緑ケ丘警察署",
            "--policy",
            "miyagi",
            "--posts",
            str(DATA / "posts.csv"),
            "--beats",
            str(DATA / "beats.csv"),
            "--officers",
            str(DATA / "officers.csv"),
            "--officer-days",
            str(DATA / "officer_days.csv"),
            str(DATA / "targets.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    return db


def test_understaffed_roster_warns_but_succeeds(sample_db, tmp_path):
    # on leave from 5 January on: one 当番 (4 January; 1–3 January have no visits) is all
    leave = tmp_path / "leave.csv"
    days = [date(2027, 1, 5) + timedelta(days=i) for i in range(361)]
    leave.write_text(
        "officer_id,date,kind\n" + "".join(f"O1,{d},leave\n" for d in days), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["import", "--db", str(sample_db), "--officer-days", str(leave)]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "plan"
    args = [
        "plan",
        "--db",
        str(sample_db),
        "--year",
        "2027",
        "--beat",
        "K1-1",
        "--time-limit",
        "2",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output
    unplanned = _rows(out / "unplanned.csv")
    assert unplanned and all(r["beat_id"] == "K1-1" for r in unplanned)
    assert "no_capacity" in {r["reason"] for r in unplanned}
    assert "h of daytime visits" in result.output and "would close it" in result.output


def test_plan_unknown_beat_is_bad_input(sample_db, tmp_path):
    result = CliRunner().invoke(
        main, ["plan", "--db", str(sample_db), "--beat", "Z9", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "Z9" in result.output


@pytest.mark.parametrize("command", ["demo", "info", "import", "plan", "verify"])
def test_help_has_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"planner {command}" in result.output


def test_demo_writes_first_day_route_sheets(demo_dir):
    files = sorted(p.name for p in (demo_dir / "routes").iterdir())
    for beat in ("K1-1", "K1-2", "K1-3", "C1"):
        for ext in ("csv", "html", "pdf"):
            assert any(f.startswith(f"route_{beat}_") and f.endswith(ext) for f in files), beat


def test_route_on_each_beats_busiest_day(demo_dir, tmp_path):
    from pypdf import PdfReader

    from planner.maps import assert_offline
    from planner.patrol import busiest_day, shift_for
    from planner.planfiles import read_plan
    from planner.policy import load_policy
    from planner.routes import RouteParams
    from planner.store import read_station
    from planner.verify import verify_route_rows

    plan_path = demo_dir / "plan" / "plan.csv"
    result = CliRunner().invoke(
        main,
        [
            "route",
            "--db",
            str(demo_dir / "demo.gpkg"),
            "--plan",
            str(plan_path),
            "--time-limit",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    station, policy = read_station(demo_dir / "demo.gpkg"), load_policy("miyagi")
    visits = read_plan(plan_path)
    for beat in ("K1-1", "K1-2", "K1-3", "C1"):
        day = busiest_day(visits, beat)
        slot = Counter(v.slot for v in visits if v.beat_id == beat and v.date == day)
        main_slot = max(slot, key=lambda s: (slot[s], s == "day"))
        officer = next(v.officer_id for v in visits if v.beat_id == beat and v.date == day)
        stem = tmp_path / f"route_{beat}_{day.isoformat()}_{officer}"
        rows = _rows(stem.with_suffix(".csv"))
        assert rows[-1]["target_id"] == "" and rows[-1]["arrive"]  # back at the post
        mandatory = [
            v.target_id
            for v in visits
            if v.beat_id == beat and v.date == day and v.slot == main_slot
        ]
        shift = shift_for(station, policy, officer, day, main_slot, RouteParams())
        dropped = [w for w in result.output.split() if w.strip("(),") in mandatory]
        assert (
            verify_route_rows(rows, mandatory, shift, dropped=[d.strip("(),") for d in dropped])
            == []
        )
        html = stem.with_suffix(".html").read_text(encoding="utf-8")
        assert assert_offline(html) == []
        text = PdfReader(stem.with_suffix(".pdf")).pages[0].extract_text()
        assert "巡回連絡" in text and beat in text


def test_demo_exercises_the_directives_duties(demo_dir):
    # one exemption, listed beside the plan and out of it
    (order,) = _rows(demo_dir / "exemption_orders.csv")
    listed = _rows(demo_dir / "plan" / "exemptions.csv")
    assert [r["target_id"] for r in listed] == [order["target_id"]]
    assert order["target_id"] not in {r["target_id"] for r in _rows(demo_dir / "plan" / "plan.csv")}
    # opinions: the complaint recorded in the quarter reaches the HQ list exactly once
    outcomes = _rows(demo_dir / "outcomes_2027-01_03.csv")
    complaints = [r for r in outcomes if r["opinion_kind"] == "complaint"]
    month = complaints[0]["date"][:7]
    assert len(complaints) == 1
    sent = _rows(demo_dir / "opinions" / f"complaints_{month}.csv")
    assert [r["target_id"] for r in sent] == [complaints[0]["target_id"]]
    # the handover report and officers' progress
    assert (demo_dir / "handover" / "handover_K1-2_2027-04-01.html").is_file()
    assert (demo_dir / "progress" / "officers_2027-03.csv").is_file()
    # the campaign plan passes the independent check from its first day, window included
    camp = demo_dir / "campaign"
    assert (camp / "campaign.csv").is_file() and (camp / "displaced.csv").is_file()
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--db",
            str(demo_dir / "demo.gpkg"),
            "--plan",
            str(camp / "plan.csv"),
            "--from",
            "2027-05-10",
        ],
    )
    assert result.exit_code == 0, result.output
