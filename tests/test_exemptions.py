"""The chief's exemption orders: out of the due set, kept in the register; plans list them."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station
from openpyxl import load_workbook

from planner._errors import InputError, RowError
from planner.cli import main
from planner.exemptions import (
    apply_exemptions,
    exempt_targets,
    exemptions_from_file,
    exemptions_in_effect,
)
from planner.forms import SHEET_TITLE, FormData, FormHeader, exemption_note, write_form
from planner.model import Card, Exemption, Outcome, Visit
from planner.plan import MonthLoad, YearPlan
from planner.planfiles import EXEMPTION_COLUMNS, write_plan_outputs
from planner.policy import due_targets, load_policy
from planner.store import read_station, write_station

MIYAGI = load_policy("miyagi")
TODAY = date(2026, 11, 1)
HEADER = "target_id,ordered_by,date,reason"
ORDERS = f"{HEADER}\nT003,署長 宮城一郎,2026-10-01,長期入院\nT004,署長 宮城一郎,2026-10-01,空き家\n"
FORM_HEADER = FormHeader(2027, "テスト警察署", "テスト駐在所", "B1", "", "巡査 テスト")


def _station():
    """tiny_station(12) with two past interviews: T000..T011, 重点 every third, all due in 2027."""
    station = tiny_station()
    station.visits += [
        Visit("T003", date(2026, 3, 1), "O1", Outcome.VISITED),
        Visit("T004", date(2026, 5, 9), "O1", Outcome.ABSENT),
    ]
    return station


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "station.gpkg"
    write_station(_station(), path)
    return path


def _orders(tmp_path: Path, text: str = ORDERS, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _due(station, year: int = 2027) -> set[str]:
    return {d.target.target_id for d in due_targets(station.targets, MIYAGI, year)}


def _texts(path: Path) -> list[str]:
    ws = load_workbook(path)[SHEET_TITLE]
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_exempt_targets_leave_the_due_set_and_stay_in_register_and_history(db, tmp_path):
    assert _due(read_station(db)) == {f"T{i:03d}" for i in range(12)}
    result = exempt_targets(db, _orders(tmp_path), year=2027, today=TODAY)
    assert (result.added, result.already_recorded, result.replaced) == (2, 0, 0)
    assert (result.year, result.left_due, result.joined_due) == (2027, 2, 0)
    station = read_station(db)
    assert _due(station) == {f"T{i:03d}" for i in range(12)} - {"T003", "T004"}
    assert len(station.targets) == 12  # still in the register
    t = {x.target_id: x for x in station.targets}
    assert t["T003"].exempted == t["T004"].exempted == date(2026, 10, 1)
    assert t["T000"].exempted is None
    assert t["T003"].card is Card.FULL and t["T003"].last_visit == date(2026, 3, 1)
    assert [(x.target_id, x.outcome) for x in station.visits] == [
        ("T003", Outcome.VISITED),
        ("T004", Outcome.ABSENT),
    ]
    assert station.exemptions == [
        Exemption("T003", "署長 宮城一郎", date(2026, 10, 1), "長期入院"),
        Exemption("T004", "署長 宮城一郎", date(2026, 10, 1), "空き家"),
    ]


def test_recording_twice_changes_nothing(db, tmp_path):
    orders = _orders(tmp_path)
    exempt_targets(db, orders, year=2027, today=TODAY)
    once = db.read_bytes()
    result = exempt_targets(db, orders, year=2027, today=TODAY)
    assert (result.added, result.already_recorded, result.replaced) == (0, 2, 0)
    assert (result.left_due, result.joined_due) == (0, 0)
    assert db.read_bytes() == once


def test_a_differing_row_replaces_the_order_one_per_target(db, tmp_path):
    exempt_targets(db, _orders(tmp_path), year=2027, today=TODAY)
    later = date(2028, 6, 1)  # the chief corrects T003's order to a date in 2028
    fixed = _orders(tmp_path, f"{HEADER}\nT003,署長 宮城一郎,2028-01-10,施設入所\n", "fix.csv")
    result = exempt_targets(db, fixed, year=2027, today=later)
    assert (result.added, result.already_recorded, result.replaced) == (0, 0, 1)
    assert (result.left_due, result.joined_due) == (0, 1)  # T003 is due in 2027 again
    station = read_station(db)
    assert [e for e in station.exemptions if e.target_id == "T003"] == [
        Exemption("T003", "署長 宮城一郎", date(2028, 1, 10), "施設入所")
    ]
    assert len(station.exemptions) == 2
    assert "T003" in _due(station, 2027) and "T003" not in _due(station, 2028)


def test_the_same_row_twice_in_one_file_is_one_order(tmp_path):
    station = _station()
    text = f"{HEADER}\nT000,署長,2026-10-01,施設入所\nT000,署長,2026-10-01,施設入所\n"
    rows = exemptions_from_file(_orders(tmp_path, text), station, today=TODAY)
    result = apply_exemptions(station, rows)
    assert (result.added, result.already_recorded, result.replaced) == (1, 1, 0)
    assert len(station.exemptions) == 1
    assert {t.target_id for t in station.targets if t.exempted} == {"T000"}


def test_a_cycle_top_up_moves_to_the_next_oldest(tmp_path):
    """Miyagi 一般: 8 interviewed lately, none overdue; the top-up is ceil(8/3) = 3 oldest."""
    station = _station()
    general = [t for t in station.targets if t.tier == "general"]  # T001 T002 T004 T005 ...
    when = {t.target_id: date(2025 + (k >= 4), 1 + k, 1) for k, t in enumerate(general)}
    station.targets = [
        replace(t, card=Card.FULL, last_visit=when[t.target_id]) if t.tier == "general" else t
        for t in station.targets
    ]
    assert _due(station) - {"T000", "T003", "T006", "T009"} == {"T001", "T002", "T004"}
    db = tmp_path / "cycle.gpkg"
    write_station(station, db)
    orders = _orders(tmp_path, f"{HEADER}\nT001,署長,2026-10-01,長期不在\n")
    result = exempt_targets(db, orders, year=2027, today=TODAY)
    assert (result.left_due, result.joined_due) == (1, 1)  # ceil(7/3) = 3: T005 comes in
    assert _due(read_station(db)) - {"T000", "T003", "T006", "T009"} == {"T002", "T004", "T005"}


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("T999,署長,2026-10-01,長期入院", "target_id", "unknown target 'T999'"),
        ("T001,,2026-10-01,長期入院", "ordered_by", "empty value"),
        ("T001,署長,2026-10-01,", "reason", "empty value"),
        ("T001,署長,2026-10-01,  ", "reason", "empty value"),
        ("T001,署長,2026-12-01,長期入院", "date", "in the future"),
        ("T001,署長,2026-13-01,長期入院", "date", "not a date"),
        ("T001,署長,,長期入院", "date", "not a date"),
        ("T000,署長,2026-10-02,施設入所", "target_id", "different order on row 2"),
        ("T001,署長,2026-10-01,長期入院,余分", "-", "more cells"),
    ],
)
def test_bad_rows_name_file_row_column_and_write_nothing(db, tmp_path, line, column, words):
    orders = _orders(tmp_path, f"{HEADER}\nT000,署長,2026-10-01,施設入所\n{line}\n")
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        exempt_targets(db, orders, year=2027, today=TODAY)
    assert f"{orders}: row 3, column {column}:" in str(err.value)
    assert words in str(err.value)
    assert db.read_bytes() == before


def test_missing_column_and_empty_file_are_rejected(db, tmp_path):
    before = db.read_bytes()
    no_reason = _orders(tmp_path, "target_id,ordered_by,date\nT000,署長,2026-10-01\n")
    with pytest.raises(RowError, match="row 1, column reason: required column is missing"):
        exempt_targets(db, no_reason, year=2027, today=TODAY)
    with pytest.raises(InputError, match="no data rows"):
        exempt_targets(db, _orders(tmp_path, HEADER + "\n", "empty.csv"), today=TODAY)
    assert db.read_bytes() == before


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_shift_jis_and_bom_files_are_read(tmp_path, encoding):
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS.replace("\n", "\r\n").encode(encoding))
    rows = exemptions_from_file(path, _station(), today=TODAY)
    assert [(r.row, r.exemption.target_id, r.exemption.reason) for r in rows] == [
        (2, "T003", "長期入院"),
        (3, "T004", "空き家"),
    ]
    assert rows[0].exemption.ordered_by == "署長 宮城一郎"


def test_cli_exempt_then_plan_lists_them_beside_the_plan(db, tmp_path):
    orders = _orders(tmp_path)  # dated 2026-10-01: not in the future on any day this runs
    result = CliRunner().invoke(main, ["exempt", "--db", str(db), "--year", "2027", str(orders)])
    assert result.exit_code == 0, result.output
    assert "2 orders added, 0 already recorded, 0 replaced; 2 targets leave the 2027 due set" in (
        result.output
    )
    again = CliRunner().invoke(main, ["exempt", "--db", str(db), "--year", "2027", str(orders)])
    assert "0 orders added, 2 already recorded" in again.output
    assert "0 targets leave" in again.output

    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main, ["plan", "--db", str(db), "--year", "2027", "--time-limit", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out / "exemptions.csv") in result.output and "and 1 forms" in result.output
    listed = _csv(out / "exemptions.csv")
    assert tuple(listed[0]) == EXEMPTION_COLUMNS
    assert [
        (r["target_id"], r["beat_id"], r["address"], r["date"], r["reason"]) for r in listed
    ] == [
        ("T003", "B1", "みどり町1丁目4番1号", "2026-10-01", "長期入院"),
        ("T004", "B1", "みどり町1丁目5番1号", "2026-10-01", "空き家"),
    ]
    assert (out / "exemptions.csv").stat().st_mode & 0o777 == 0o600
    planned = {r["target_id"] for r in _csv(out / "plan.csv")}
    unplanned = {r["target_id"] for r in _csv(out / "unplanned.csv")}
    assert not (planned | unplanned) & {"T003", "T004"}
    assert planned | unplanned == {f"T{i:03d}" for i in range(12)} - {"T003", "T004"}
    assert "署長指示による除外 2 件（対象数に含まない。exemptions.csv 参照）" in _texts(
        out / "form_B1_2027.xlsx"
    )
    verify = CliRunner().invoke(main, ["verify", "--db", str(db), "--plan", str(out / "plan.csv")])
    assert verify.exit_code == 0, verify.output


def _empty_plan(year: int = 2027) -> YearPlan:
    """A plan of beat B1 without visits (no solver needed for the files beside it)."""
    loads = [MonthLoad("B1", m, 0, 0, 0, {"priority": 0, "general": 0}) for m in range(1, 13)]
    return YearPlan(year, "miyagi", loads=loads)


def test_no_exemption_header_only_csv_and_no_form_note(tmp_path):
    write_plan_outputs(tmp_path, _empty_plan(), _station(), MIYAGI)
    text = (tmp_path / "exemptions.csv").read_text(encoding="utf-8")
    assert text.splitlines() == [",".join(EXEMPTION_COLUMNS)]
    assert (tmp_path / "exemptions.csv").stat().st_mode & 0o777 == 0o600
    texts = _texts(tmp_path / "form_B1_2027.xlsx")
    assert "対象数" in texts and not any(t.startswith("署長指示による除外") for t in texts)


def test_an_order_dated_after_the_plan_year_keeps_the_target_due(tmp_path):
    station = _station()
    station.exemptions.append(Exemption("T006", "署長", date(2028, 1, 5), "施設入所予定"))
    station.exemptions.append(Exemption("T007", "署長", date(2027, 12, 31), "長期入院"))
    write_station(station, tmp_path / "s.gpkg")
    station = read_station(tmp_path / "s.gpkg")
    assert "T006" in _due(station, 2027) and "T006" not in _due(station, 2028)
    assert "T007" not in _due(station, 2027)
    assert [t.target_id for t, _ in exemptions_in_effect(station, 2027)] == ["T007"]
    assert [t.target_id for t, _ in exemptions_in_effect(station, 2028)] == ["T006", "T007"]
    assert exemptions_in_effect(station, 2028, beats=["B2"]) == []
    out = tmp_path / "plan"
    write_plan_outputs(out, _empty_plan(2027), station, MIYAGI)
    assert [r["target_id"] for r in _csv(out / "exemptions.csv")] == ["T007"]
    assert exemption_note(1) in _texts(out / "form_B1_2027.xlsx")


def test_form_note_only_when_positive(tmp_path):
    tiers = (("priority", "重点対象"), ("general", "一般対象"))
    write_form(tmp_path / "three.xlsx", FORM_HEADER, FormData(tiers=tiers, exempted=3))
    texts = _texts(tmp_path / "three.xlsx")
    assert "署長指示による除外 3 件（対象数に含まない。exemptions.csv 参照）" in texts
    below = [t for t in texts if t.startswith(("署長指示", "注１"))]
    assert below[0].startswith("署長指示")  # the first line under the table, before 注1
    write_form(tmp_path / "none.xlsx", FORM_HEADER, FormData(tiers=tiers))
    assert not any(t.startswith("署長指示") for t in _texts(tmp_path / "none.xlsx"))
    with pytest.raises(ValueError, match="exempted"):
        write_form(tmp_path / "bad.xlsx", FORM_HEADER, FormData(tiers=tiers, exempted=-1))
    assert not (tmp_path / "bad.xlsx").exists()
