"""Registers as offices keep them: Excel workbooks and Shift_JIS CSV with Japanese headers,
placed offline by the geocoder, exported back to Excel (round trip)."""

from __future__ import annotations

import csv
import stat
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import tiny_station
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner._errors import InputError, RowError
from planner.cli import main
from planner.geocode import LEVEL_BLOCK, LEVEL_CHOME, Geocoder, block_csv, load_reference
from planner.maps import assert_offline
from planner.model import Availability, Card, TargetKind
from planner.registers import (
    export_register,
    geocode_register,
    import_registers,
    read_register,
    review_csv,
)
from planner.store import read_station, write_station

TODAY = date(2027, 3, 1)
# 街区 of a made-up みどり町 around the test station's post (140.87, 38.27)
BLOCKS = [
    (
        "宮城県",
        "仙台市青葉区",
        f"みどり町{c}丁目",
        "",
        str(b),
        140.87 + 0.001 * b,
        38.27 + 0.001 * c,
    )
    for c in (1, 2)
    for b in range(1, 6)
]
HEADER = [
    "世帯番号",
    "受持区",
    "区分",
    "住所",
    "世帯主",
    "重点/一般",
    "別表",
    "最終面接日",
    "在宅時間帯",
    "カード",
]
ROWS = [
    [
        "１",
        "B1",
        "世帯",
        "みどり町1丁目2番3号",
        "宮城 一郎",
        "重点",
        "H3",
        "令和6年4月1日",
        "昼間",
        "作成済",
    ],
    [
        "2",
        "B1",
        "事業所",
        "仙台市青葉区みどり町２－４－１ コーポ緑101号室",
        "緑商店",
        "",
        "B4",
        datetime(2024, 5, 10),
        "",
        "",
    ],
    ["3", "B1", "世帯", "みどり町二丁目五番地", "", "一般", "", "", "夜間", "仮カード"],
    ["4", "B1", "世帯", "みどり町2-9-1", "", "", "", "", "", ""],
]


def workbook(path: Path, rows=ROWS, header=HEADER, *, title: bool = True) -> Path:
    """A register as an office keeps it: a merged title, a blank row, the header on row 3,
    data, a blank row and a totals row below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案内簿"
    if title:
        ws.append(["令和9年 案内簿（第1受持区）"])
        ws.merge_cells("A1:J1")
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    ws.append([])
    ws.append(["合計", None, None, None, None, None, None, None, None, f"{len(rows)}件"])
    wb.create_sheet("メモ").append(["not the register"])
    wb.save(path)
    return path


@pytest.fixture
def station_db(tmp_path: Path) -> Path:
    db = tmp_path / "station.gpkg"
    st = tiny_station(0)
    write_station(st, db)
    return db


@pytest.fixture
def ref(tmp_path: Path) -> Path:
    path = tmp_path / "04_2026.csv"
    path.write_bytes(block_csv(BLOCKS))
    return path


def test_read_workbook_header_not_first(tmp_path: Path) -> None:
    t = read_register(workbook(tmp_path / "r.xlsx"))
    assert t.path.endswith("r.xlsx [sheet 案内簿]")
    assert t.header_row == 3
    assert t.row_numbers() == [4, 5, 6, 7]  # the totals row and blank rows are left out
    first = t[0]
    assert first["target_id"] == "1"  # full-width digits made ASCII
    assert (first["kind"], first["tier"], first["availability"], first["card"]) == (
        "household",
        "priority",
        "day",
        "full",
    )
    assert first["last_visit"] == "令和6年4月1日"  # the importer's 和暦 parser reads it
    assert t[1]["last_visit"] == "2024-05-10"  # a date cell
    assert t.label("address") == "住所 (D)"


def test_import_workbook_with_geocoder(tmp_path: Path, station_db: Path, ref: Path) -> None:
    station, prepared = import_registers(
        station_db,
        targets=[workbook(tmp_path / "r.xlsx")],
        refs=[ref],
        patterns={"chuzai"},
        today=TODAY,
    )
    by_id = {t.target_id: t for t in station.targets}
    assert set(by_id) == {"1", "2", "3", "4"}
    assert (by_id["1"].lon, by_id["1"].lat) == (140.872, 38.271)  # みどり町1丁目 街区 2
    assert by_id["1"].last_visit == date(2024, 4, 1) and by_id["1"].tier == "priority"
    assert by_id["2"].kind is TargetKind.BUSINESS and by_id["2"].tier == "priority"  # B4
    assert by_id["3"].card is Card.PROVISIONAL and by_id["3"].availability is Availability.EVENING
    assert (by_id["3"].lon, by_id["3"].lat) == (140.875, 38.272)  # 五番地 = 街区 5
    levels = [r.level for r in prepared.runs[0].results]
    assert levels == [LEVEL_BLOCK, LEVEL_BLOCK, LEVEL_BLOCK, LEVEL_CHOME]  # 街区 9 is unknown
    review = tmp_path / "geocode_review.csv"
    assert stat.S_IMODE(review.stat().st_mode) == 0o600
    text = review.read_text("utf-8-sig")
    assert "7,4,みどり町2-9-1,町丁目" in text and text.count("\n") == 2
    page = (tmp_path / "geocode_review.html").read_text("utf-8")
    assert assert_offline(page) == [] and "みどり町2-9-1" in page
    assert stat.S_IMODE(station_db.stat().st_mode) == 0o600


def test_unplaced_rows_stop_the_import(tmp_path: Path, station_db: Path, ref: Path) -> None:
    rows = [*ROWS, ["5", "B1", "世帯", "さくら町1-1-1", "", "", "", "", "", ""]]
    before = station_db.read_bytes()
    with pytest.raises(RowError) as err:
        import_registers(
            station_db,
            targets=[workbook(tmp_path / "r.xlsx", rows)],
            refs=[ref],
            patterns={"chuzai"},
            today=TODAY,
        )
    assert "r.xlsx [sheet 案内簿]: row 8, column 住所 (D): not placed by the geocoder" in str(
        err.value
    )
    assert station_db.read_bytes() == before
    assert "さくら町1-1-1" in (tmp_path / "geocode_review.csv").read_text("utf-8-sig")


def test_errors_name_sheet_row_and_column(tmp_path: Path, station_db: Path, ref: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][2] = "店"  # not 世帯 or 事業所
    rows[2][7] = "H31.5.1"  # 平成 ended on 30 April 2019
    with pytest.raises(RowError) as err:
        import_registers(
            station_db,
            targets=[workbook(tmp_path / "r.xlsx", rows)],
            refs=[ref],
            patterns={"chuzai"},
            today=TODAY,
        )
    msg = str(err.value)
    assert "[sheet 案内簿]: row 5, column 区分 (C): '店' is not one of household, business" in msg
    assert "[sheet 案内簿]: row 6, column 最終面接日 (H): 'H31.5.1' is not a date" in msg
    with pytest.raises(InputError, match="no sheet '一覧' \\(sheets: 案内簿, メモ\\)"):
        read_register(tmp_path / "r.xlsx", sheet="一覧")
    with pytest.raises(InputError, match="no header row"):
        read_register(tmp_path / "r.xlsx", sheet="メモ")


def test_merged_cells_in_the_data_fill_their_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["案内簿"]
    ws["B5"] = None
    ws["B6"] = None
    ws.merge_cells("B4:B6")  # 受持区 written once for three rows
    wb.save(path)
    t = read_register(path)
    assert [r["beat_id"] for r in t] == ["B1", "B1", "B1", "B1"]


def test_shift_jis_csv_with_japanese_headers(tmp_path: Path, station_db: Path, ref: Path) -> None:
    lines = ["案内簿", ",".join([*HEADER, "経度", "緯度"])]
    lines.append("10,B1,世帯,みどり町1丁目1番1号,山田,一般,,R7.6.1,,作成済,140.88,38.28")
    lines.append("11,B1,世帯,みどり町1-3-2,,,,,,,,")
    path = tmp_path / "register.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    station, prepared = import_registers(
        station_db, targets=[path], refs=[ref], patterns={"chuzai"}, today=TODAY
    )
    by_id = {t.target_id: t for t in station.targets}
    assert (by_id["10"].lon, by_id["10"].lat) == (140.88, 38.28)  # given: kept
    assert (by_id["11"].lon, by_id["11"].lat) == (140.873, 38.271)
    assert by_id["10"].last_visit == date(2025, 6, 1)
    assert prepared.runs[0].counts()["given"] == 1


def test_columns_file(tmp_path: Path) -> None:
    header = ["No.", "受持", "種類", "現住所"]
    path = workbook(tmp_path / "r.xlsx", [["1", "B1", "世帯", "みどり町1-1-1"]], header)
    cols = tmp_path / "cols.toml"
    cols.write_text('[columns]\ntarget_id = "No."\nkind = "種類"\naddress = ["現住所"]\n', "utf-8")
    from planner.registers import load_columns

    t = read_register(path, columns=load_columns(cols))
    assert t[0]["target_id"] == "1" and t[0]["kind"] == "household"
    cols.write_text('[columns]\nadress = "現住所"\n', "utf-8")
    with pytest.raises(InputError, match="unknown column 'adress'"):
        load_columns(cols)


def test_export_then_import_changes_nothing(tmp_path: Path, station_db: Path, ref: Path) -> None:
    station, _ = import_registers(
        station_db,
        targets=[workbook(tmp_path / "r.xlsx")],
        refs=[ref],
        patterns={"chuzai"},
        today=TODAY,
    )
    out = tmp_path / "export" / "案内簿.xlsx"
    rows, named = export_register(station_db, out)
    assert (rows, named) == (4, 2)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    copy = tmp_path / "copy.gpkg"
    write_station(tiny_station(0), copy)
    again, prepared = import_registers(copy, targets=[out], patterns={"chuzai"}, today=TODAY)
    assert prepared.runs == []  # coordinates are in the workbook
    names = [f.name for f in fields(station.targets[0]) if f.name != "registered"]
    key = lambda t: tuple(getattr(t, n) for n in names)  # noqa: E731
    assert [key(t) for t in again.targets] == [key(t) for t in read_station(station_db).targets]


def test_geocode_command(tmp_path: Path, ref: Path) -> None:
    reg = workbook(tmp_path / "r.xlsx")
    out = tmp_path / "out" / "placed.xlsx"
    res = CliRunner().invoke(main, ["geocode", str(reg), "--ref", str(ref), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "placed 4 rows (75.0 % at 街区 or finer)" in res.output
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[-4:] == ["lon", "lat", "geocode_level", "geocode_note"]
    assert [ws.cell(r, len(header) - 1).value for r in range(2, 6)] == ["街区"] * 3 + ["町丁目"]
    assert [ws.cell(2, c).value for c in (3, 6, 9)] == ["世帯", "重点", "昼間"]  # as written
    for name in ("placed.xlsx", "geocode_review.csv", "geocode_review.html"):
        assert stat.S_IMODE((out.parent / name).stat().st_mode) == 0o600
    # the output imports as it is (header found, coordinates present)
    assert read_register(out)[0]["lon"] == "140.872"
    bad = CliRunner().invoke(
        main,
        [
            "geocode",
            str(reg),
            "--ref",
            str(tmp_path / "none.csv"),
            "--out",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert bad.exit_code == 2 and "no such file" in bad.output
    assert not (tmp_path / "x.xlsx").exists()


def test_review_lists_chome_and_none_rows(tmp_path: Path, ref: Path) -> None:
    rows = [*ROWS, ["5", "B1", "世帯", "", "", "", "", "", "", ""]]
    t = read_register(workbook(tmp_path / "r.xlsx", rows))
    run = geocode_register(t, Geocoder(load_reference([ref])))
    text = review_csv(run)
    assert text.startswith("\ufeffrow,target_id,address,geocode_level")
    assert [line.split(",")[0] for line in text.strip().splitlines()[1:]] == ["7", "8"]
    assert run.counts() == {"号": 0, "街区": 3, "町丁目": 1, "none": 1, "given": 0}


def test_demo_step_runs_the_path_and_leaves_the_station_alone(tmp_path: Path) -> None:
    from planner.registers import demo_reference_rows, demo_register

    st = tiny_station(12)
    lines = demo_register(st, tmp_path, today=TODAY)
    assert "12 targets, 100.0 % at 街区" in lines[1] and "median 0 m" in lines[1]
    assert not any(
        c.value in ("経度", "緯度")
        for c in openpyxl.load_workbook(tmp_path / "案内簿.xlsx").active[2]
    )
    placed = read_station(tmp_path / "register" / "案内簿.gpkg").targets
    assert [(round(t.lon, 6), round(t.lat, 6)) for t in placed] == [
        (round(t.lon, 6), round(t.lat, 6)) for t in st.targets
    ]
    assert len(demo_reference_rows(st, leave_out=4)) == 9  # every 4th 街区 left out


def test_cli_import_with_geocoder_and_export_xlsx(
    tmp_path: Path, station_db: Path, ref: Path
) -> None:
    reg = workbook(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(reg)
    wb.move_sheet("メモ", offset=-1)  # the register is no longer the first sheet
    wb.save(reg)
    run = CliRunner().invoke(
        main, ["import", "--db", str(station_db), str(reg), "--geocode-ref", str(ref)]
    )
    assert run.exit_code == 2 and "no header row" in run.output  # the first sheet is メモ
    run = CliRunner().invoke(
        main,
        [
            "import",
            "--db",
            str(station_db),
            str(reg),
            "--sheet",
            "案内簿",
            "--geocode-ref",
            str(ref),
            "--review-dir",
            str(tmp_path / "review"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "placed 4 rows (75.0 % at 街区 or finer)" in run.output
    assert (tmp_path / "review" / "geocode_review.csv").is_file()
    assert len(read_station(station_db).targets) == 4
    out = tmp_path / "back.xlsx"
    run = CliRunner().invoke(main, ["export", "--db", str(station_db), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "案内簿, 4 targets (2 named records, logged)" in run.output
    assert read_station(station_db).access_log[-1].records == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_split_address_columns_are_joined(tmp_path: Path, ref: Path) -> None:
    header = ["世帯番号", "受持区", "区分", "住所", "番地", "方書"]
    rows = [
        ["1", "B1", "世帯", "みどり町", "1丁目2番3号", "コーポ緑 101号室"],
        ["2", "B1", "世帯", "みどり町", "2-4-1", ""],
    ]
    t = read_register(workbook(tmp_path / "r.xlsx", rows, header))
    assert [r["address"] for r in t] == ["みどり町1丁目2番3号 コーポ緑 101号室", "みどり町2-4-1"]
    run = geocode_register(t, Geocoder(load_reference([ref])))
    assert [(r.level, r.building, r.room) for r in run.results] == [
        (LEVEL_BLOCK, "コーポ緑", "101号室"),
        (LEVEL_BLOCK, "", ""),
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.text(max_size=12), min_size=4, max_size=4), max_size=6))
def test_random_cells_never_crash_the_reader(tmp_path: Path, cells: list[list[str]]) -> None:
    path = tmp_path / "random.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["世帯番号", "受持区", "区分", "住所"], *cells])
    try:
        t = read_register(path)
    except InputError:
        return
    assert all(n > 1 for n in t.row_numbers())
    for r in t:
        assert set(r) >= {"target_id", "beat_id", "kind", "address"}


def test_missing_coordinates_without_reference_give_a_hint(tmp_path: Path, station_db: Path):
    path = tmp_path / "targets.csv"
    path.write_text(
        "target_id,beat_id,kind,address,lon,lat\nT1,B1,household,みどり町1-1-1,,\n",
        encoding="utf-8",
    )
    with pytest.raises(RowError) as err:
        import_registers(station_db, targets=[path], patterns={"chuzai"}, today=TODAY)
    msg = str(err.value)
    assert "targets.csv: row 2, column lon: missing longitude" in msg
    assert "hint:" in msg and "--geocode-ref" in msg


def test_header_row_from_the_columns_file_and_missing_columns(
    tmp_path: Path, station_db: Path
) -> None:
    header = ["世帯番号", "区分", "住所"]  # no 受持区
    path = workbook(tmp_path / "r.xlsx", [["1", "世帯", "みどり町1-1-1"]], header)
    assert read_register(path, columns={"header_row": 3}).row_numbers() == [4]
    with pytest.raises(InputError, match="header_row 99: no such row"):
        read_register(path, columns={"header_row": 99})
    with pytest.raises(RowError, match=r"row 3, column 受持区 \(beat_id\): required column"):
        import_registers(station_db, targets=[path], patterns={"chuzai"}, today=TODAY)
