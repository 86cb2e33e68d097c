"""Night-visit approvals on record (Miyagi 第5-3, Aomori 第6-3) and how `record` uses them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import tiny_station

from planner._errors import InputError, RowError
from planner.approvals import (
    APPROVED,
    DENIED,
    PENDING,
    decision_status,
    decisions_by_visit,
    record_approvals,
)
from planner.model import Decision
from planner.policy import load_policy
from planner.record import record_outcomes
from planner.store import read_station, write_station

TODAY = date(2027, 4, 1)
MIYAGI = load_policy("miyagi")
HEAD = "target_id,date,slot,decided_by,decided_on,decision,note"
OUT_HEAD = "target_id,date,officer_id,outcome,slot,start,end,card_left,notes"


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "station.gpkg"
    write_station(tiny_station(), path)
    return path


def _csv(tmp_path: Path, name: str, head: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    return path


def test_only_the_night_slot_needs_approval_in_both_policies():
    assert MIYAGI.approval_slots == {"night"}
    assert load_policy("aomori").approval_slots == {"night"}
    from datetime import time

    assert MIYAGI.slot_at(time(19, 0)) == "night"
    assert MIYAGI.slot_at(time(18, 59)) == "evening"
    assert MIYAGI.slot_at(time(9, 0)) == "day"
    assert MIYAGI.slot_at(time(6, 0)) is None


def test_decisions_are_recorded_idempotent_and_correctable(db, tmp_path):
    first = _csv(
        tmp_path,
        "d1.csv",
        HEAD,
        "T001,2027-03-10,night,地域課長 佐藤,2027-03-01,approve,",
        "T002,2027-03-11,night,地域課長 佐藤,2027-03-01,承認,本人の希望",
    )
    r = record_approvals(db, first, today=TODAY)
    assert (r.added, r.already_recorded, r.replaced, r.approved) == (2, 0, 0, 2)
    once = db.read_bytes()
    again = record_approvals(db, first, today=TODAY)
    assert (again.added, again.already_recorded, again.replaced) == (0, 2, 0)
    assert db.read_bytes() == once  # nothing changed, nothing written
    fix = _csv(tmp_path, "d2.csv", HEAD, "T002,2027-03-11,night,地域課長 佐藤,2027-03-02,deny,誤り")
    r = record_approvals(db, fix, today=TODAY)
    assert (r.added, r.replaced, r.denied) == (0, 1, 1)
    station = read_station(db)
    decisions = decisions_by_visit(station.approvals)
    assert len(station.approvals) == 2
    assert decision_status(decisions, ("T001", date(2027, 3, 10), "night")) == APPROVED
    assert decision_status(decisions, ("T002", date(2027, 3, 11), "night")) == DENIED
    assert decision_status(decisions, ("T003", date(2027, 3, 11), "night")) == PENDING
    assert station.approvals[1].decision is Decision.DENY and station.approvals[1].note == "誤り"


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("T999,2027-03-10,night,課長,2027-03-01,approve,", "target_id", "unknown target"),
        ("T001,2027-03-10,day,課長,2027-03-01,approve,", "slot", "needs approval"),
        ("T001,2027-03-10,night,,2027-03-01,approve,", "decided_by", ""),
        ("T001,2027-03-10,night,課長,2027-03-01,maybe,", "decision", "not a decision"),
        ("T001,2027-03-10,night,課長,2027-03-11,approve,", "decided_on", "in advance"),
        ("T001,2027-05-10,night,課長,2027-04-02,approve,", "decided_on", "in the future"),
        ("T001,2027-03-10,night,課長,2027-03-01,deny,", "decision", "decided differently"),
    ],
)
def test_bad_decisions_name_row_and_column_and_write_nothing(db, tmp_path, line, column, words):
    path = _csv(tmp_path, "bad.csv", HEAD, "T001,2027-03-10,night,課長,2027-03-01,approve,", line)
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        record_approvals(db, path, today=TODAY)
    assert f"row 3, column {column}:" in str(err.value) and words in str(err.value)
    assert db.read_bytes() == before


def test_an_empty_decisions_file_is_refused(db, tmp_path):
    with pytest.raises(InputError, match="no data rows"):
        record_approvals(db, _csv(tmp_path, "empty.csv", HEAD), today=TODAY)


def test_record_refuses_a_night_visit_without_approval(db, tmp_path):
    night = _csv(tmp_path, "o.csv", OUT_HEAD, "T001,2027-03-10,O1,visited,,19:10,19:25,,")
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        record_outcomes(db, night, year=2027, today=TODAY)
    assert "row 2, column slot:" in str(err.value) and "no approval on record" in str(err.value)
    assert db.read_bytes() == before
    # the slot written out is checked the same way
    written = _csv(tmp_path, "o2.csv", OUT_HEAD, "T001,2027-03-10,O1,visited,night,,,,")
    with pytest.raises(RowError, match="no approval on record"):
        record_outcomes(db, written, year=2027, today=TODAY)


def test_record_takes_an_approved_night_visit_and_refuses_a_denied_one(db, tmp_path):
    record_approvals(
        db,
        _csv(
            tmp_path,
            "d.csv",
            HEAD,
            "T001,2027-03-10,night,課長,2027-03-01,approve,",
            "T002,2027-03-10,night,課長,2027-03-01,deny,",
        ),
        today=TODAY,
    )
    ok = _csv(tmp_path, "ok.csv", OUT_HEAD, "T001,2027-03-10,O1,visited,,19:10,19:25,,")
    assert record_outcomes(db, ok, year=2027, today=TODAY).added == 1
    assert [x.slot for x in read_station(db).visits] == ["night"]
    denied = _csv(tmp_path, "no.csv", OUT_HEAD, "T002,2027-03-10,O1,visited,night,,,,")
    with pytest.raises(RowError, match="was denied"):
        record_outcomes(db, denied, year=2027, today=TODAY)
    # an approval for another day does not cover this one
    other_day = _csv(tmp_path, "od.csv", OUT_HEAD, "T001,2027-03-11,O1,visited,night,,,,")
    with pytest.raises(RowError, match="no approval on record"):
        record_outcomes(db, other_day, year=2027, today=TODAY)


def test_unapproved_ok_records_the_visit(db, tmp_path):
    night = _csv(tmp_path, "o.csv", OUT_HEAD, "T001,2027-03-10,O1,visited,,19:10,19:25,,")
    assert record_outcomes(db, night, year=2027, today=TODAY, unapproved_ok=True).added == 1
    assert read_station(db).visits[0].slot == "night"


def test_day_and_evening_visits_need_no_approval(db, tmp_path):
    rows = _csv(
        tmp_path,
        "o.csv",
        OUT_HEAD,
        "T001,2027-03-10,O1,visited,,10:00,10:10,,",
        "T002,2027-03-10,O1,visited,evening,,,,",
        "T003,2027-03-10,O1,visited,,,,,",
    )
    assert record_outcomes(db, rows, year=2027, today=TODAY).added == 3
    assert [x.slot for x in read_station(db).visits] == ["day", "evening", ""]


def test_a_slot_that_disagrees_with_start_is_refused(db, tmp_path):
    rows = _csv(tmp_path, "o.csv", OUT_HEAD, "T001,2027-03-10,O1,visited,day,19:10,19:25,,")
    with pytest.raises(RowError, match="disagrees with start"):
        record_outcomes(db, rows, year=2027, today=TODAY)


def test_progress_counts_night_visits_made_and_approved(db, tmp_path):
    from planner.progress import night_visits, officer_progress, year_to_date
    from planner.reports import write_progress_outputs

    record_approvals(
        db,
        _csv(tmp_path, "d.csv", HEAD, "T001,2027-03-10,night,課長,2027-03-01,approve,"),
        today=TODAY,
    )
    rows = _csv(
        tmp_path,
        "o.csv",
        OUT_HEAD,
        "T001,2027-03-10,O1,visited,night,,,,",
        "T002,2027-03-12,O1,absent,,19:30,19:35,cr_meishi,",
        "T003,2027-03-12,O1,visited,,10:00,10:15,,",
    )
    record_outcomes(db, rows, year=2027, today=TODAY, unapproved_ok=True)
    station = read_station(db)
    listed = night_visits(station, MIYAGI, 2027, 3)
    assert [(n.target_id, n.status) for n in listed] == [("T002", PENDING), ("T001", APPROVED)]
    assert night_visits(station, MIYAGI, 2027, 2) == []
    total = next(
        r
        for r in year_to_date(officer_progress(station, MIYAGI, 2027, None, upto=TODAY))
        if r.tier == "total"
    )
    assert (total.visits, total.night_visits, total.night_approved) == (3, 2, 1)
    written = write_progress_outputs(tmp_path / "p", station, MIYAGI, 2027, date(2027, 3, 31))
    sheet = next(p for p in written if p.name == "night_visits_2027-03.csv")
    lines = sheet.read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        "T002,B1,O1,2027-03-12,night,pending",
        "T001,B1,O1,2027-03-10,night,approved",
    ]


def test_a_night_route_marks_each_door_approved_or_pending(tmp_path):
    import csv
    from dataclasses import replace

    from click.testing import CliRunner

    from planner.cli import main

    st = tiny_station()  # short doors, so that three fit the officer's night minutes
    st.targets = [replace(t, visit_minutes=2) for t in st.targets]
    db = tmp_path / "short.gpkg"
    write_station(st, db)
    record_approvals(
        db,
        _csv(
            tmp_path,
            "d.csv",
            HEAD,
            "T001,2027-03-10,night,課長,2027-03-01,approve,",
            "T003,2027-03-10,night,課長,2027-03-01,deny,",
        ),
        today=TODAY,
    )
    out = tmp_path / "routes"
    args = [
        "route",
        "--db",
        str(db),
        "--targets",
        "T001,T002,T003",
        "--date",
        "2027-03-10",
        "--beat",
        "B1",
        "--slot",
        "night",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (sheet,) = out.glob("route_*.csv")
    with sheet.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    marks = {r["target_id"]: r["approval"] for r in rows if r["target_id"]}
    # the planned doors as decided; no extra door at night without an approval
    assert marks == {"T001": APPROVED, "T002": PENDING, "T003": DENIED}
    assert rows[-1]["target_id"] == "" and rows[-1]["approval"] == ""  # back at the post
    # a day route carries no marks
    result = CliRunner().invoke(main, [*args[:-4], "--slot", "day", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    (sheet,) = (tmp_path / "d").glob("route_*.csv")
    with sheet.open(encoding="utf-8") as f:
        assert {r["approval"] for r in csv.DictReader(f)} == {""}
