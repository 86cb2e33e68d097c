"""Opinions and requests (意見・要望): recording them, the month's report, complaints for HQ."""

from __future__ import annotations

import csv
import os
import stat
import tempfile
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from planner._errors import RowError
from planner.cli import main
from planner.model import OpinionKind, Outcome, Visit
from planner.opinions import (
    COMPLAINT_COLUMNS,
    HEADERS_JA,
    NIL_RETURN_JA,
    opinion_rows,
    write_opinion_outputs,
)
from planner.record import clock_time, record_outcomes
from planner.store import read_station, write_station

TODAY = date(2027, 4, 1)
HEADER = (
    "target_id,date,officer_id,outcome,notes,opinion,opinion_kind,action,minutes_spent,start,end"
)
# March 2027 by hand: 4 opinions (T002 and T001 complaints, T000 request, T003 concern);
# February: one complaint (T004); T005 and T006 carry no opinion.
OUTCOMES = """\
T000,2027-03-10,O1,visited,,防犯カメラを付けてほしい,request,防犯協会へ連絡,15,,
T001,2027-03-12,O1,visited,,パトカーの速度が速すぎる,complaint,地域課長へ報告,,14:05,14:35
T002,2027-03-03,O1,refused,,職務質問が高圧的だった,COMPLAINT,,20,10:00,10:20
T003,2027-03-20,O1,visited,,夜道が暗く不安,concern,,,９：００,９：１２
T004,2027-02-15,O1,visited,,通報への対応が遅かった,complaint,,,,
T005,2027-03-25,O1,visited,,,,,10,,
T006,2027-03-26,O1,absent,CR名刺,,,,,,
"""


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "station.gpkg"
    write_station(tiny_station(), path)
    return path


def _outcomes(tmp_path: Path, body: str, name: str = "outcomes.csv") -> Path:
    path = tmp_path / name
    path.write_text(f"{HEADER}\n{body}", encoding="utf-8")
    return path


def _sheet(path: Path) -> tuple[list[str], list[tuple], list]:
    """Headers, body values and body cells of a report read back with openpyxl."""
    ws = load_workbook(path).active
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if r[0].value == "日付")
    headers = [c.value for c in rows[head]]
    body = rows[head + 1 :]
    return headers, [tuple(c.value for c in r) for r in body], body


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------------------------
# recording


def test_record_stores_opinions_actions_and_minutes(db, tmp_path):
    result = record_outcomes(db, _outcomes(tmp_path, OUTCOMES), year=2027, today=TODAY)
    assert result.added == 7
    visits = {x.target_id: x for x in read_station(db).visits}
    assert (visits["T000"].opinion_kind, visits["T000"].opinion, visits["T000"].action) == (
        OpinionKind.REQUEST,
        "防犯カメラを付けてほしい",
        "防犯協会へ連絡",
    )
    assert visits["T002"].opinion_kind is OpinionKind.COMPLAINT  # spelled COMPLAINT
    spent = {t: x.minutes_spent for t, x in visits.items()}
    assert spent == {
        "T000": 15,
        "T001": 30,
        "T002": 20,
        "T003": 12,
        "T004": None,
        "T005": 10,
        "T006": None,
    }
    assert visits["T005"].opinion == "" and visits["T005"].opinion_kind is None
    assert visits["T006"].notes == "CR名刺" and visits["T006"].action == ""


def test_recording_opinions_twice_changes_nothing(db, tmp_path):
    path = _outcomes(tmp_path, OUTCOMES)
    record_outcomes(db, path, year=2027, today=TODAY)
    once = db.read_bytes()
    result = record_outcomes(db, path, year=2027, today=TODAY)
    assert (result.added, result.already_recorded) == (0, 7)
    assert db.read_bytes() == once


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("T001,2027-01-10,O1,visited,,意見,praise,,,,", "opinion_kind", "'praise' is not one of"),
        ("T001,2027-01-10,O1,visited,,,request,,,,", "opinion", "without opinion text"),
        ("T001,2027-01-10,O1,visited,,街灯が暗い,,,,,", "opinion_kind", "without opinion_kind"),
        ("T001,2027-01-10,O1,visited,,,,市へ連絡,,,", "action", "without an opinion"),
        ("T001,2027-01-10,O1,visited,,,,,0,,", "minutes_spent", "below the minimum 1"),
        ("T001,2027-01-10,O1,visited,,,,,481,,", "minutes_spent", "above the maximum 480"),
        ("T001,2027-01-10,O1,visited,,,,,,10:00,", "end", "start given without end"),
        ("T001,2027-01-10,O1,visited,,,,,,,10:00", "start", "end given without start"),
        ("T001,2027-01-10,O1,visited,,,,,,10:30,10:00", "end", "not after start"),
        ("T001,2027-01-10,O1,visited,,,,,,10:30,10:30", "end", "not after start"),
        ("T001,2027-01-10,O1,visited,,,,,,08:00,16:01", "end", "above the maximum 480"),
        ("T001,2027-01-10,O1,visited,,,,,25,10:00,10:20", "minutes_spent", "disagrees"),
        ("T001,2027-01-10,O1,visited,,,,,,25:00,10:20", "start", "not a time of day"),
    ],
)
def test_bad_opinion_or_time_rows_leave_the_file_byte_identical(db, tmp_path, line, column, words):
    bad = _outcomes(tmp_path, f"T000,2027-01-10,O1,visited,,,,,,,\n{line}\n")
    before = db.read_bytes()
    with pytest.raises(RowError) as err:
        record_outcomes(db, bad, year=2027, today=TODAY)
    assert f"{bad}: row 3, column {column}:" in str(err.value) and words in str(err.value)
    assert len(err.value.problems) == 1
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09:05", time(9, 5)),
        ("9:05", time(9, 5)),
        (" 14:30 ", time(14, 30)),
        ("０９：０５", time(9, 5)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_clock_time_parses(raw, expected):
    assert clock_time(raw) == expected


@pytest.mark.parametrize(
    "raw", ["24:00", "9:60", "905", "9:5", "", "ab:cd", "9:05:00", "-1:30", "123:00", "9.05"]
)
def test_clock_time_rejects(raw):
    with pytest.raises(ValueError, match="not a time of day"):
        clock_time(raw)


# --------------------------------------------------------------------------------------------
# the month's rows and files


def test_report_rows_match_a_hand_count(db, tmp_path):
    record_outcomes(db, _outcomes(tmp_path, OUTCOMES), year=2027, today=TODAY)
    station = read_station(db)
    march = opinion_rows(station, 2027, 3)
    # complaints first (by date: T002 on 3 March, T001 on 12 March), then by date
    assert [(r.target_id, r.kind) for r in march] == [
        ("T002", OpinionKind.COMPLAINT),
        ("T001", OpinionKind.COMPLAINT),
        ("T000", OpinionKind.REQUEST),
        ("T003", OpinionKind.CONCERN),
    ]
    first = march[1]
    assert (first.date, first.beat_id, first.officer_id, first.address, first.action) == (
        date(2027, 3, 12),
        "B1",
        "O1",
        "みどり町1丁目2番1号",
        "地域課長へ報告",
    )
    assert [r.target_id for r in opinion_rows(station, 2027, 2)] == ["T004"]
    assert opinion_rows(station, 2027, 1) == [] and opinion_rows(station, 2026, 3) == []

    out = write_opinion_outputs(tmp_path / "out", station, 2027, 3)
    assert (len(out.rows), out.complaints) == (4, 2)
    headers, body, cells = _sheet(out.report)
    assert headers == list(HEADERS_JA)
    kinds = [row[headers.index("区分")] for row in body]
    assert kinds == ["苦情", "苦情", "要望", "不安・心配"]
    assert [row[headers.index("所在地")] for row in body] == [
        "みどり町1丁目3番1号",
        "みどり町1丁目2番1号",
        "みどり町1丁目1番1号",
        "みどり町1丁目4番1号",
    ]
    assert body[0][headers.index("内容")] == "職務質問が高圧的だった"
    assert body[1][headers.index("措置状況")] == "地域課長へ報告"
    assert body[0][0].date() == date(2027, 3, 3)
    # complaints are visibly marked: shaded rows, the 区分 in bold; other rows plain
    for row, kind in zip(cells, kinds, strict=True):
        shaded = {c.fill.fill_type for c in row} == {"solid"}
        assert shaded == (kind == "苦情")
        assert row[headers.index("区分")].font.b == (kind == "苦情")
    ws = load_workbook(out.report).active
    assert "2027年3月" in ws["A1"].value and "意見・要望" in ws["A1"].value
    assert (ws.page_setup.orientation, int(ws.page_setup.paperSize)) == ("landscape", 9)
    hq = _csv(out.complaints_csv)
    assert [r["target_id"] for r in hq] == ["T002", "T001"]
    assert list(hq[0]) == list(COMPLAINT_COLUMNS)
    assert hq[1]["opinion"] == "パトカーの速度が速すぎる" and hq[1]["date"] == "2027-03-12"
    for path in (out.report, out.complaints_csv):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_empty_month_is_a_nil_return(tmp_path):
    out = write_opinion_outputs(tmp_path, tiny_station(), 2027, 5)
    assert (out.report.name, out.complaints_csv.name) == (
        "opinions_2027-05.xlsx",
        "complaints_2027-05.csv",
    )
    headers, body, _ = _sheet(out.report)
    assert headers == list(HEADERS_JA) and len(body) == 1 and body[0][0] == NIL_RETURN_JA
    lines = out.complaints_csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [",".join(COMPLAINT_COLUMNS)]
    assert stat.S_IMODE(os.stat(out.report).st_mode) == 0o600


VISIT_CASES = st.lists(
    st.tuples(
        st.integers(0, 5),  # target
        st.sampled_from([2026, 2027]),
        st.integers(1, 12),
        st.integers(1, 28),
        st.sampled_from([None, *OpinionKind]),
        st.sampled_from([Outcome.VISITED, Outcome.ABSENT, Outcome.REFUSED]),
    ),
    max_size=30,
    unique_by=lambda c: (c[0], c[1], c[2], c[3], c[5]),  # the visit key
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=VISIT_CASES, month=st.integers(1, 12))
def test_every_complaint_of_the_month_is_in_the_hq_csv_exactly_once(cases, month):
    station = tiny_station(6)
    for i, (t, year, m, d, kind, outcome) in enumerate(cases):
        text = f"意見{i}" if kind is not None else ""
        station.visits.append(
            Visit(f"T{t:03d}", date(year, m, d), "O1", outcome, opinion=text, opinion_kind=kind)
        )
    wanted = [
        (f"T{t:03d}", date(2027, m, d).isoformat(), f"意見{i}")
        for i, (t, year, m, d, kind, _) in enumerate(cases)
        if kind is OpinionKind.COMPLAINT and (year, m) == (2027, month)
    ]
    opinions = sum(k is not None and (y, m) == (2027, month) for _, y, m, _, k, _ in cases)
    with tempfile.TemporaryDirectory() as tmp:
        out = write_opinion_outputs(tmp, station, 2027, month)
        got = [(r["target_id"], r["date"], r["opinion"]) for r in _csv(out.complaints_csv)]
        headers, body, _ = _sheet(out.report)
    assert sorted(got) == sorted(wanted) and len(set(got)) == len(got)
    assert [r[1] for r in got] == sorted(r[1] for r in got)  # by date
    assert out.complaints == len(wanted) and len(out.rows) == opinions
    kinds = [row[headers.index("区分")] for row in body]
    if opinions == 0:
        assert [row[0] for row in body] == [NIL_RETURN_JA]
    else:
        assert kinds == sorted(kinds, key=lambda k: k != "苦情")  # complaints first
        assert kinds.count("苦情") == len(wanted) and len(body) == opinions


# --------------------------------------------------------------------------------------------
# the command line

NAMES = {"T001": "山田 太郎", "T002": "佐藤 花子", "T000": "鈴木 一郎"}
CLI_OUTCOMES = """\
T000,2026-03-10,O1,visited,,防犯カメラを付けてほしい,request,防犯協会へ連絡,15,,
T001,2026-03-12,O1,visited,,パトカーの速度が速すぎる,complaint,地域課長へ報告,,14:05,14:35
T002,2026-03-03,O1,refused,,職務質問が高圧的だった,complaint,,,,
T003,2026-04-02,O1,visited,,,,,,,
"""


@pytest.fixture
def named_db(tmp_path) -> Path:
    station = tiny_station()
    station.targets = [replace(t, name=NAMES.get(t.target_id, "")) for t in station.targets]
    path = tmp_path / "named.gpkg"
    write_station(station, path)
    return path


def test_cli_records_and_reports_complaints(named_db, tmp_path):
    path = _outcomes(tmp_path, CLI_OUTCOMES)
    result = CliRunner().invoke(
        main, ["record", "--db", str(named_db), "--year", "2026", str(path)]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["opinions", "--db", str(named_db), "--year", "2026", "--month", "3", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "3 opinions" in result.output
    assert f"苦情 2 件: headquarters must be told at once → {out / 'complaints_2026-03.csv'}" in (
        result.output
    )
    assert not any(name in result.output for name in NAMES.values())
    # without --with-names: no 氏名 column, no name anywhere in either file
    headers, body, _ = _sheet(out / "opinions_2026-03.xlsx")
    assert "氏名" not in headers and len(body) == 3
    assert not any(name in str(v) for row in body for v in row for name in NAMES.values())
    hq = _csv(out / "complaints_2026-03.csv")
    assert "name" not in hq[0] and [r["target_id"] for r in hq] == ["T002", "T001"]
    assert not any(
        name in (out / "complaints_2026-03.csv").read_text("utf-8-sig") for name in NAMES.values()
    )

    named = tmp_path / "named"
    result = CliRunner().invoke(
        main,
        [
            "opinions",
            "--db",
            str(named_db),
            "--year",
            "2026",
            "--month",
            "3",
            "--out",
            str(named),
            "--with-names",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not any(name in result.output for name in NAMES.values())
    headers, body, _ = _sheet(named / "opinions_2026-03.xlsx")
    assert headers == [*HEADERS_JA[:4], "氏名", *HEADERS_JA[4:]]
    address_to_name = {f"みどり町1丁目{int(t[1:]) + 1}番1号": n for t, n in NAMES.items()}
    for row in body:
        assert row[headers.index("氏名")] == address_to_name[row[headers.index("所在地")]]
    hq = _csv(named / "complaints_2026-03.csv")
    assert [r["name"] for r in hq] == ["佐藤 花子", "山田 太郎"]


def test_cli_month_without_complaints_says_so(named_db, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["opinions", "--db", str(named_db), "--year", "2026", "--month", "4", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "0 opinions" in result.output and "苦情 0 件" in result.output
    assert (out / "complaints_2026-04.csv").is_file() and (out / "opinions_2026-04.xlsx").is_file()


def test_cli_unknown_kind_is_bad_input_and_writes_nothing(named_db, tmp_path):
    path = _outcomes(tmp_path, CLI_OUTCOMES.replace("complaint,地域課長", "grumble,地域課長"))
    before = named_db.read_bytes()
    result = CliRunner().invoke(
        main, ["record", "--db", str(named_db), "--year", "2026", str(path)]
    )
    assert result.exit_code == 2
    assert f"{path}: row 3, column opinion_kind: 'grumble' is not one of" in result.output
    assert "Traceback" not in result.output
    assert named_db.read_bytes() == before


def test_complaints_carry_the_day_headquarters_was_told(db, tmp_path):
    from planner.opinions import mark_reported
    from planner.store import station_update

    record_outcomes(db, _outcomes(tmp_path, OUTCOMES), year=2027, today=TODAY)
    station = read_station(db)
    # complaints heard on 3 and 12 March; as of 13 March the first is overdue, the second due
    out = write_opinion_outputs(tmp_path / "a", station, 2027, 3, today=date(2027, 3, 13))
    status = {r["target_id"]: (r["reported_on"], r["status"]) for r in _csv(out.complaints_csv)}
    assert status == {"T002": ("", "overdue"), "T001": ("", "due")}
    with pytest.raises(ValueError, match="before the complaint"):
        mark_reported(read_station(db), 2027, 3, date(2027, 3, 5))
    with station_update(db) as st_:
        assert mark_reported(st_, 2027, 3, date(2027, 3, 13)) == 2
    with station_update(db) as st_:
        assert mark_reported(st_, 2027, 3, date(2027, 3, 20)) == 0  # already dated: kept
    station = read_station(db)
    out = write_opinion_outputs(tmp_path / "b", station, 2027, 3, today=date(2027, 3, 31))
    status = {r["target_id"]: (r["reported_on"], r["status"]) for r in _csv(out.complaints_csv)}
    assert status == {"T002": ("2027-03-13", "reported_late"), "T001": ("2027-03-13", "reported")}
    # only complaints are dated
    assert {x.target_id for x in station.visits if x.reported_on} == {"T001", "T002"}
