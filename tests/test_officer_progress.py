"""Per-officer progress (Miyagi 第4-3, Aomori 第4-6) against a small case counted by hand,
the CSV, the review page and ``planner progress --by officer``."""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner.cli import main
from planner.model import Officer, Outcome, Station, Visit
from planner.plan import PlannedVisit
from planner.planfiles import write_plan
from planner.policy import load_policy
from planner.progress import officer_progress, year_to_date
from planner.reports import OFFICER_COLUMNS, write_progress_outputs
from planner.store import write_station

MIYAGI = load_policy("miyagi")
YEAR = 2027
UPTO = date(2027, 2, 28)
EST = 20  # every plan row: 10 door minutes + 10 of walking


def _row(tid: str, officer: str, day: date, slot: str = "day") -> PlannedVisit:
    tier = "priority" if int(tid[1:]) % 3 == 0 else "general"
    return PlannedVisit(tid, "B1", officer, tier, day, slot, "", EST)


# T000, T003 重点; T001, T002, T004, T005 一般 (tiny_station: every third target is 重点)
PLAN = [
    _row("T000", "O1", date(2027, 1, 10)),
    _row("T001", "O1", date(2027, 1, 12)),
    _row("T002", "O1", date(2027, 2, 3), "evening"),
    _row("T003", "O1", date(2027, 2, 5), "night"),
    _row("T004", "O2", date(2027, 1, 7)),
    _row("T005", "O2", date(2027, 2, 9)),
    _row("T006", "O2", date(2027, 4, 1)),  # after the review month
]


def _station() -> Station:
    st = tiny_station(12)
    st.officers.append(Officer("O2", "B1", "巡査 二", "chuzai"))
    st.targets.append(replace(st.targets[1], target_id="N001", visit_minutes=15))  # found in Feb
    V, A, N = Outcome.VISITED, Outcome.ABSENT, Outcome.NEW
    st.visits = [
        Visit("T000", date(2027, 1, 10), "O1", V, minutes_spent=8),
        Visit("T001", date(2027, 1, 12), "O1", A),  # no times: the plan's 20 minutes
        Visit("T004", date(2027, 1, 7), "O2", V, minutes_spent=10),
        Visit("T001", date(2027, 2, 2), "O1", V, minutes_spent=12),
        Visit("T005", date(2027, 2, 9), "O1", V),  # O1 met O2's household
        Visit("T000", date(2027, 2, 20), "O1", V),  # a second interview: not 実施 again
        Visit("N001", date(2027, 2, 15), "O2", N, minutes_spent=20),
        Visit("T002", date(2027, 3, 2), "O1", V, minutes_spent=5),  # after the review month
    ]
    return st


def _cells(rows):
    return {(r.officer_id, r.month, r.tier): r for r in rows}


def test_per_officer_rows_counted_by_hand():
    rows = officer_progress(_station(), MIYAGI, YEAR, PLAN, upto=UPTO)
    c = _cells(rows)
    assert {(r.officer_id, r.month) for r in rows} == {(o, m) for o in ("O1", "O2") for m in (1, 2)}
    assert {r.tier for r in rows} == {"priority", "general", "total"}

    jan = c[("O1", 1, "total")]
    assert (jan.planned, jan.done, jan.visits, jan.interviews, jan.absent) == (2, 1, 2, 1, 1)
    assert jan.visit_minutes == (8 + 10) + EST  # timed: door + the plan's walk; else est
    assert jan.timed == 1 and jan.absent_rate == 0.5
    assert jan.interviews_per_hour == pytest.approx(1 * 60 / 38)
    assert (c[("O1", 1, "priority")].planned, c[("O1", 1, "priority")].done) == (1, 1)
    assert (c[("O1", 1, "general")].planned, c[("O1", 1, "general")].done) == (1, 0)
    assert (jan.year_targets, jan.met_to_date, jan.rate) == (4, 1, 25.0)

    feb = c[("O1", 2, "total")]
    assert (feb.planned, feb.night_planned) == (2, 1)
    assert c[("O1", 2, "priority")].night_planned == 1  # T003 at night
    assert (feb.visits, feb.interviews, feb.absent, feb.done) == (3, 3, 0, 2)
    assert c[("O1", 2, "priority")].done == 0  # T000 was first met in January
    assert c[("O1", 2, "general")].done == 2  # T001 and O2's T005
    assert feb.visit_minutes == (12 + 10) + EST + EST
    assert (feb.met_to_date, feb.rate) == (2, 50.0)  # T000, T001 of T000-T003
    assert (c[("O1", 2, "priority")].year_targets, c[("O1", 2, "priority")].rate) == (2, 50.0)

    o2 = c[("O2", 2, "total")]
    assert (o2.planned, o2.done, o2.visits, o2.interviews) == (1, 1, 1, 1)  # N001 found
    assert o2.visit_minutes == 20 + 10  # the beat's median walk for a target without a row
    assert (o2.year_targets, o2.met_to_date, o2.rate) == (3, 2, pytest.approx(66.7))
    assert c[("O2", 1, "total")].visit_minutes == 10 + 10


def test_year_to_date_sums_the_months():
    rows = officer_progress(_station(), MIYAGI, YEAR, PLAN, upto=UPTO)
    ytd = {(r.officer_id, r.tier): r for r in year_to_date(rows)}
    o1 = ytd[("O1", "total")]
    assert (o1.month, o1.planned, o1.done, o1.visits, o1.absent) == (0, 4, 3, 5, 1)
    assert o1.visit_minutes == 38 + 62 and o1.rate == 50.0


def test_without_a_plan_counts_visits_only():
    rows = officer_progress(_station(), MIYAGI, YEAR, None, upto=UPTO)
    jan = _cells(rows)[("O1", 1, "total")]
    assert (jan.planned, jan.done, jan.year_targets, jan.rate) == (0, 1, 0, None)
    assert jan.visit_minutes == 8 + 10  # no plan: timed door minutes; else door minutes


def test_officers_csv_and_page(tmp_path: Path):
    written = write_progress_outputs(
        tmp_path, _station(), MIYAGI, YEAR, UPTO, visits=PLAN, unplanned=[], by_officer=True
    )
    path = tmp_path / "officers_2027-02.csv"
    assert path in written
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == OFFICER_COLUMNS
    assert len(rows) == 2 * 2 * 3  # officers x months x (two tiers + total)
    feb = next(r for r in rows if (r["officer_id"], r["month"], r["tier"]) == ("O1", "2", "total"))
    got = (feb["planned"], feb["done"], feb["night_planned"], feb["rate"])
    assert got == ("2", "2", "1", "50.0")
    assert feb["visit_hours"] == f"{62 / 60:.2f}" and feb["absent_rate"] == "0.000"
    page = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "受持警察官別の進捗" in page and "巡査 二（O2）" in page
    assert page.count("計画と実施の累計（O") == 2
    assert "面接/時間" in page and "不在率" in page


def test_page_without_by_officer_has_no_officer_section(tmp_path: Path):
    written = write_progress_outputs(
        tmp_path, _station(), MIYAGI, YEAR, UPTO, visits=PLAN, unplanned=[]
    )
    assert not (tmp_path / "officers_2027-02.csv").exists()
    page = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "受持警察官別の進捗" not in page
    assert "事件・事故等の取扱い" in page  # the incident estimate comes with a plan
    assert "推定なし（計画があり訪問の8割以上に時間の記録がある月がない）" in page


def test_cli_progress_by_officer(tmp_path: Path):
    db = tmp_path / "station.gpkg"
    write_station(_station(), db)
    plan = tmp_path / "plan" / "plan.csv"
    plan.parent.mkdir()
    write_plan(plan, PLAN)
    out = tmp_path / "progress"
    result = CliRunner().invoke(
        main,
        [
            "progress",
            "--db",
            str(db),
            "--year",
            "2027",
            "--month",
            "2",
            "--plan",
            str(plan),
            "--out",
            str(out),
            "--by",
            "officer",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "officers_2027-02.csv").is_file()
    assert (out / "progress_2027-02.html").is_file()
    # 7 visits in January-February, 4 with times: no month reaches 80 %
    assert "B1: no incident-hours estimate" in result.output
    with (out / "officers_2027-02.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    o2 = next(r for r in rows if (r["officer_id"], r["month"], r["tier"]) == ("O2", "2", "total"))
    assert (o2["done"], o2["visits"], o2["visit_hours"]) == ("1", "1", "0.50")


def test_cli_progress_prints_the_incident_suggestion(tmp_path: Path):
    st = tiny_station(30)
    days = [
        date(2027, 3, d) for d in range(1, 32) if date(2027, 3, d).weekday() < 5 and d != 22
    ]  # 22 March: 振替休日
    plan = [
        PlannedVisit(
            f"T{i:03d}", "B1", "O1", st.targets[i].tier, days[i % len(days)], "day", "", 44
        )
        for i in range(30)
    ]
    st.visits = [
        Visit(v.target_id, v.date, "O1", Outcome.VISITED, minutes_spent=10) for v in plan[:22]
    ]
    db = tmp_path / "station.gpkg"
    write_station(st, db)
    path = tmp_path / "plan.csv"
    write_plan(path, plan)
    result = CliRunner().invoke(
        main,
        [
            "progress",
            "--db",
            str(db),
            "--year",
            "2027",
            "--month",
            "3",
            "--plan",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    # (30 - 22) x 44 minutes over the 22 duty days of March 2027 = 16 minutes ≈ 0.3 h
    assert "B1: visits took 0.3 h per duty day less than planned" in result.output
    assert "set incident_hours ≈ 0.3 in beats.csv" in result.output
    assert not (tmp_path / "out" / "officers_2027-03.csv").exists()
