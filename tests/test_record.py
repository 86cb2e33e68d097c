"""Recording outcomes: validation, idempotence, register updates; all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import tiny_station

from planner._errors import RowError
from planner.model import Card, CardLeft
from planner.policy import due_targets, load_policy
from planner.record import record_outcomes
from planner.store import read_station, write_station

DATA = Path(__file__).parent / "data"
TODAY = date(2027, 4, 1)
MIYAGI = load_policy("miyagi")


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "station.gpkg"
    write_station(tiny_station(), path)
    return path


def test_record_updates_the_register(db):
    result = record_outcomes(db, DATA / "outcomes_small.csv", year=2027, today=TODAY)
    assert (result.added, result.already_recorded, result.new_targets) == (9, 0, 1)
    station = read_station(db)
    t = {x.target_id: x for x in station.targets}
    assert t["T000"].last_visit == date(2027, 2, 10) and t["T000"].card is Card.FULL
    assert t["T001"].card is Card.FULL and t["T001"].last_visit == date(2027, 2, 5)
    assert t["T002"].card is Card.FULL  # provisional first, then interviewed
    assert t["T004"].moved_out == date(2027, 3, 2)
    assert t["N001"].card is Card.FULL and t["N001"].tier == "general"
    before = {x.target_id: x.card_before for x in station.visits if x.date == date(2027, 3, 1)}
    assert before == {"T002": Card.PROVISIONAL}


def test_moved_out_leaves_the_due_set_but_stays(db):
    record_outcomes(db, DATA / "outcomes_small.csv", year=2027, today=TODAY)
    station = read_station(db)
    assert "T004" in {t.target_id for t in station.targets}
    assert "T004" not in {d.target.target_id for d in due_targets(station.targets, MIYAGI, 2028)}
    assert any(x.target_id == "T004" for x in station.visits)


def test_recording_twice_changes_nothing(db):
    record_outcomes(db, DATA / "outcomes_small.csv", year=2027, today=TODAY)
    once = db.read_bytes()
    result = record_outcomes(db, DATA / "outcomes_small.csv", year=2027, today=TODAY)
    assert (result.added, result.already_recorded) == (0, 9)
    assert db.read_bytes() == once


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("T999,2027-01-10,O1,visited,,,,,,,", "target_id", "unknown target"),
        ("T000,2026-12-10,O1,visited,,,,,,,", "date", "not in 2027"),
        ("T000,2027-05-10,O1,visited,,,,,,,", "date", "in the future"),
        ("T000,2027-01-10,O1,waved,,,,,,,", "outcome", "not one of"),
        ("T000,2027-01-10,O9,visited,,,,,,,", "officer_id", "unknown officer"),
        ("N002,2027-01-10,O1,new,,B1,household,みどり町1丁目,,,", "lon", "needs lon"),
        (
            "T001,2027-01-10,O1,new,,B1,household,みどり町1丁目,140.87,38.27,",
            "target_id",
            "already a target",
        ),
    ],
)
def test_bad_rows_leave_the_file_byte_identical(db, tmp_path, line, column, words):
    header = (DATA / "outcomes_small.csv").read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\nT000,2027-01-10,O1,visited,,,,,,,\n{line}\n", encoding="utf-8")
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        record_outcomes(db, bad, year=2027, today=TODAY)
    assert f"row 3, column {column}:" in str(err.value) and words in str(err.value)
    assert db.read_bytes() == before


def test_provisional_card_for_a_household_not_in_the_register(db, tmp_path):
    path = tmp_path / "prov.csv"
    path.write_text(
        "target_id,date,officer_id,outcome,notes,beat_id,kind,address,lon,lat,card_left\n"
        "P001,2027-02-03,O1,provisional,表札,B1,household,みどり町1丁目50番1号,140.8750,38.2700,\n"
        "P001,2027-03-09,O1,absent,,,,,,,patrol_card\n",
        encoding="utf-8",
    )
    result = record_outcomes(db, path, year=2027, today=TODAY)
    assert (result.added, result.new_targets) == (2, 1)
    station = read_station(db)  # through the station file: registered, card_left kept
    p = next(t for t in station.targets if t.target_id == "P001")
    assert p.card is Card.PROVISIONAL and p.last_visit is None
    assert p.registered == date(2027, 2, 3) and p.never_met
    assert [x.card_left for x in station.visits] == [None, CardLeft.PATROL_CARD]
    assert record_outcomes(db, path, year=2027, today=TODAY).already_recorded == 2


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("P002,2027-02-03,O1,provisional,,,,,,,", "target_id", "not yet in the register needs"),
        ("T001,2027-02-03,O1,visited,,,,,,,patrol_card", "card_left", "only where nobody"),
        ("T001,2027-02-03,O1,absent,,,,,,,leaflet", "card_left", "not a card left"),
        ("P001,2027-01-03,O1,visited,,,,,,,", "date", "before 'P001' is added on row 2"),
    ],
)
def test_bad_provisional_and_card_rows(db, tmp_path, line, column, words):
    path = tmp_path / "bad.csv"
    path.write_text(
        "target_id,date,officer_id,outcome,notes,beat_id,kind,address,lon,lat,card_left\n"
        "P001,2027-02-03,O1,provisional,表札,B1,household,みどり町1丁目50番1号,140.8750,38.2700,\n"
        f"{line}\n",
        encoding="utf-8",
    )
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        record_outcomes(db, path, year=2027, today=TODAY)
    assert f"row 3, column {column}:" in str(err.value) and words in str(err.value)
    assert db.read_bytes() == before
