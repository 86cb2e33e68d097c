"""Supervision on record: plan reviews signed by hash, monthly guidance per officer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import tiny_station
from openpyxl import load_workbook

from planner._errors import InputError
from planner.plan import MonthLoad, PlannedVisit, YearPlan
from planner.planfiles import write_plan_outputs
from planner.policy import load_policy
from planner.store import read_station, write_station
from planner.supervision import (
    NOT_REVIEWED,
    plan_digest,
    record_guidance,
    review_line,
    review_of,
    review_plan,
)

MIYAGI = load_policy("miyagi")


def _texts(form: Path) -> str:
    wb = load_workbook(form)
    ws = wb.worksheets[0]
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


@pytest.fixture
def planned(tmp_path):
    station = tiny_station()
    db = tmp_path / "station.gpkg"
    write_station(station, db)
    visits = [
        PlannedVisit(
            f"T{i:03d}",
            "B1",
            "O1",
            station.targets[i].tier,
            date(2027, 1 + i, 12),
            "day",
            "never_met",
            15,
        )
        for i in range(6)
    ]
    loads = [MonthLoad("B1", m, 600, 480, 15, {}) for m in range(1, 13)]
    plan = YearPlan(2027, "miyagi", visits=visits, loads=loads)
    write_plan_outputs(tmp_path / "plan", plan, station, MIYAGI)
    return db, tmp_path / "plan"


def test_a_new_plan_is_not_reviewed_and_a_review_stamps_its_forms(planned):
    db, folder = planned
    form = folder / "form_B1_2027.xlsx"
    assert NOT_REVIEWED in _texts(form)
    r = review_plan(
        db, folder / "plan.csv", by="警部 佐藤", note="夕方枠を確認", today=date(2027, 1, 5)
    )
    assert r.added
    text = _texts(form)
    assert "幹部確認：警部 佐藤（2027-01-05）" in text and "夕方枠を確認" in text
    assert NOT_REVIEWED not in text
    station = read_station(db)
    assert review_of(station.reviews, plan_digest(folder / "plan.csv")) == r.review
    again = review_plan(
        db, folder / "plan.csv", by="警部 佐藤", note="夕方枠を確認", today=date(2027, 1, 5)
    )
    assert not again.added and len(read_station(db).reviews) == 1


def test_a_plan_changed_after_review_shows_not_reviewed(planned):
    db, folder = planned
    review_plan(db, folder / "plan.csv", by="警部 佐藤", today=date(2027, 1, 5))
    plan_csv = folder / "plan.csv"
    plan_csv.write_text(
        plan_csv.read_text(encoding="utf-8").replace("2027-03-12", "2027-03-19"), encoding="utf-8"
    )
    station = read_station(db)
    assert review_of(station.reviews, plan_digest(plan_csv)) is None
    assert review_line(review_of(station.reviews, plan_digest(plan_csv))) == NOT_REVIEWED


def test_a_review_needs_a_name_and_a_plan(planned, tmp_path):
    db, folder = planned
    with pytest.raises(InputError, match="--by"):
        review_plan(db, folder / "plan.csv", by="  ")
    with pytest.raises(InputError, match="no such plan file"):
        review_plan(db, tmp_path / "nope.csv", by="警部 佐藤")


def test_guidance_is_kept_and_shown_per_officer(planned, tmp_path):
    from planner.reports import write_progress_outputs

    db, _ = planned
    assert record_guidance(
        db, "O1", 2027, 2, by="警部補 高橋", note="夕方の訪問を増やすこと", today=date(2027, 3, 1)
    )
    assert not record_guidance(
        db, "O1", 2027, 2, by="警部補 高橋", note="夕方の訪問を増やすこと", today=date(2027, 3, 1)
    )
    for officer, month, day, words in [
        ("O9", 2, date(2027, 3, 1), "unknown officer"),
        ("O1", 13, date(2027, 3, 1), "not a month"),
        ("O1", 4, date(2027, 3, 1), "before 2027-04 begins"),
    ]:
        with pytest.raises(InputError, match=words):
            record_guidance(db, officer, 2027, month, by="高橋", note="x", today=day)
    station = read_station(db)
    written = write_progress_outputs(
        tmp_path / "p", station, MIYAGI, 2027, date(2027, 3, 31), by_officer=True
    )
    page = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "夕方の訪問を増やすこと" in page and "警部補 高橋" in page
    january = write_progress_outputs(
        tmp_path / "q", station, MIYAGI, 2027, date(2027, 1, 31), by_officer=True
    )
    assert "指導記録：なし" in next(p for p in january if p.suffix == ".html").read_text("utf-8")
