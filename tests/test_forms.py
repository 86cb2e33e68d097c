"""The 巡回連絡年間実施計画・結果表 xlsx: figures checked by hand against small made-up numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from planner.forms import (
    COLUMNS,
    FONT_NAME,
    ROWS,
    SHEET_TITLE,
    TOTAL,
    FormData,
    FormHeader,
    form_values,
    plan_form_data,
    read_form,
    write_form,
)
from planner.policy import load_policy

TIERS = (("priority", "重点対象"), ("general", "一般対象"))
HEADER = FormHeader(
    year=2027,
    station="仙台東",
    post="荒浜交番",
    beat_id="3",
    beat_name="荒浜一丁目",
    officer="宮城 太郎",
)
# index of each column in read_form's lists
JAN, FEB, MAR, APR, MAY, JUN = range(6)
H1 = 6
JUL, AUG, SEP, OCT, NOV, DEC = range(7, 13)
H2, YEAR = 13, 14


def _month_index(month: int) -> int:
    return month - 1 if month <= 6 else month


def _data() -> FormData:
    """Two tiers: B = 40 + 60 = 100 all year, a few results, Ｃ = 160 (200 from July), Ｄ = 130."""
    data = plan_form_data(
        TIERS,
        planned={
            ("priority", 1): 4,
            ("priority", 2): 6,
            ("priority", 3): 0,
            ("priority", 7): 3,
            ("priority", 12): 2,
            ("general", 1): 10,
            ("general", 3): 5,
            ("general", 8): 7,
        },
        targets={"priority": 40, "general": 60},
        registry_households=160,
        register_households=130,
    )
    data.cells.update(
        {
            ("done", "priority", 1): 4,
            ("done", "priority", 2): 5,
            ("done", "general", 1): 8,
            ("not_done", "priority", 1): 36,
            ("not_done", "priority", 6): 10,
            ("not_done", "general", 1): 52,
            ("not_done", "general", 6): 15,
            ("prov_total", "priority", 4): 2,
            ("prov_total", "general", 2): 3,
            ("prov_total", "general", 5): 4,
            ("prov_total", "general", 9): 1,
            ("moved", "priority", 4): 1,
            ("patrol_card", "priority", 1): 2,
            ("patrol_card", "general", 1): 3,
            ("patrol_card", "general", 8): 1,
            ("cr_card", TOTAL, 5): 4,
            ("registry", TOTAL, 7): 200,
        }
    )
    data.note = "免除対象 3世帯（別表による）"
    return data


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("form") / "plan.xlsx"
    write_form(path, HEADER, _data())
    return path


@pytest.fixture(scope="module")
def values(form: Path) -> dict[tuple[str, str], list]:
    return read_form(form)


def _texts(path: Path) -> list[str]:
    ws = load_workbook(path)[SHEET_TITLE]
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_every_line_has_fifteen_columns_in_print_order(values):
    assert len(COLUMNS) == 15
    assert COLUMNS[H1] == "上半期小計" and COLUMNS[H2] == "下半期小計" and COLUMNS[YEAR] == "合計"
    assert all(len(v) == 15 for v in values.values())
    keys = list(values)
    assert keys[:3] == [("targets", "priority"), ("targets", "general"), ("targets", TOTAL)]
    assert [k for k, _ in keys] == sorted((k for k, _ in keys), key=ROWS.index)
    assert {k for k, _ in keys} == set(ROWS)


def test_monthly_values_read_back(values):
    plan = values["plan", "priority"]
    assert plan[JAN] == 4 and plan[FEB] == 6 and plan[JUL] == 3 and plan[DEC] == 2
    assert plan[MAR] == 0  # a given zero is data and stays 0
    assert values["plan", "general"][_month_index(8)] == 7
    assert values["done", "priority"][:2] == [4, 5]


def test_flow_rows_sum_by_half_and_year(values):
    prio, gen, total = values["plan", "priority"], values["plan", "general"], values["plan", TOTAL]
    assert (prio[H1], prio[H2], prio[YEAR]) == (10, 5, 15)
    assert (gen[H1], gen[H2], gen[YEAR]) == (15, 7, 22)
    assert (total[JAN], total[MAR], total[H1], total[H2], total[YEAR]) == (14, 5, 25, 12, 37)
    done = values["done", "general"]
    assert (done[H1], done[H2], done[YEAR]) == (8, None, 8)  # empty half stays blank
    moved = values["moved", "priority"]
    assert (moved[APR], moved[H1], moved[YEAR]) == (1, 1, 1)


def test_stock_rows_take_last_value_of_the_half(values):
    targets = values["targets", "general"]
    assert targets[JAN] == targets[DEC] == 60
    assert (targets[H1], targets[H2], targets[YEAR]) == (60, 60, 60)  # not 360 / 720
    gen = values["prov_total", "general"]  # 3 in Feb, 4 in May, 1 in Sep
    assert (gen[H1], gen[H2], gen[YEAR]) == (4, 1, 1)
    prio = values["prov_total", "priority"]  # 2 in Apr only
    assert (prio[H1], prio[H2], prio[YEAR]) == (2, None, 2)
    assert values["not_done", "priority"][H1] == 10  # June, not January's 36


def test_total_lines_sum_tiers_that_have_a_value(values):
    assert values["targets", TOTAL][JAN] == 100
    assert values["targets", TOTAL][YEAR] == 100
    assert values["not_done", TOTAL][JAN] == 88
    assert values["not_done", TOTAL][JUN] == 25
    prov = values["prov_total", TOTAL]
    assert (prov[FEB], prov[APR], prov[H1], prov[H2], prov[YEAR]) == (3, 2, 6, 1, 3)
    assert values["done", TOTAL][FEB] == 5  # general blank in Feb: priority alone


def test_one_line_rows(values):
    patrol = values["patrol_card", TOTAL]  # per-tier cells are summed into the one line
    assert (patrol[JAN], patrol[_month_index(8)], patrol[H1], patrol[H2], patrol[YEAR]) == (
        5,
        1,
        5,
        1,
        6,
    )
    cr = values["cr_card", TOTAL]
    assert (cr[MAY], cr[H1], cr[H2], cr[YEAR]) == (4, 4, None, 4)
    registry = values["registry", TOTAL]
    assert (registry[JAN], registry[JUN], registry[JUL], registry[DEC]) == (160, 160, 200, 200)
    assert (registry[H1], registry[H2], registry[YEAR]) == (160, 200, 200)
    assert values["register", TOTAL][YEAR] == 130
    assert ("patrol_card", "priority") not in values


def test_rates_by_hand(values):
    rate = values["rate", TOTAL]
    assert rate[JAN] == pytest.approx(12.0)  # (100 - 88) / 100
    assert rate[JUN] == pytest.approx(75.0)  # B = 100, A = 25
    assert rate[H1] == pytest.approx(75.0)
    assert rate[FEB] is None and rate[H2] is None  # no Ａ: not computable, blank
    assert rate[YEAR] == pytest.approx(75.0)  # last Ａ of the year is June's
    assert all(isinstance(r, float) for r in rate if r is not None)
    grasp = values["grasp", TOTAL]
    assert grasp[JAN] == pytest.approx(81.3)  # 130 / 160 = 81.25, rounded half up
    assert grasp[JUL] == pytest.approx(65.0)  # 130 / 200
    assert (grasp[H1], grasp[H2], grasp[YEAR]) == pytest.approx((81.3, 65.0, 65.0))


def test_blank_stays_none_never_zero(values):
    assert values["new", "priority"] == [None] * 15
    assert values["new", TOTAL] == [None] * 15
    assert values["plan", TOTAL][APR] is None
    assert values["prov_made", TOTAL][YEAR] is None


def test_read_back_matches_computed_values(values):
    assert values == form_values(_data())


def test_header_title_and_notes(form):
    texts = _texts(form)
    assert "巡回連絡年間実施計画・結果表（2027年）" in texts
    for text in ("警察署", "仙台東", "交番・駐在所", "荒浜交番", "氏名", "宮城 太郎", "区　分"):
        assert text in texts, text
    assert "第3受持区　荒浜一丁目" in texts
    assert {"計（Ｂ）", "計（Ａ）", "上　半　期", "下　半　期", "合　計", "小計"} <= set(texts)
    assert "重点対象（40世帯）" in texts  # 実施計画 lines carry the tier's households (注1)
    assert "免除対象 3世帯（別表による）" in texts
    for i in "１２３４５６７":
        assert any(t.startswith(f"注{i}") for t in texts), i


def test_group_labels_are_merged_over_their_lines(form):
    ws = load_workbook(form)[SHEET_TITLE]
    merged = {str(r) for r in ws.merged_cells.ranges}
    where = {c.value: c.coordinate for row in ws.iter_rows(max_col=2) for c in row if c.value}
    row = int(where["対象数"][1:])
    assert f"A{row}:B{row + 2}" in merged  # two tiers + 計（Ｂ）
    assert ws.cell(row + 2, 3).value == "計（Ｂ）"
    prov = int(where["仮カード"][1:])
    assert f"A{prov}:A{prov + 8}" in merged  # three sub-groups of three lines
    assert f"B{prov}:B{prov + 2}" in merged and ws.cell(prov, 2).value == "当月作成数"
    reg = int(where["住民基本台帳世帯数（Ｃ）"][1:])
    assert f"A{reg}:C{reg}" in merged


def test_page_setup_and_style(form):
    wb = load_workbook(form)
    ws = wb[SHEET_TITLE]
    assert wb.sheetnames[0] == SHEET_TITLE and wb[wb.sheetnames[1]].sheet_state == "hidden"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_options.horizontalCentered
    title = ws["A1"]
    assert title.font.name == FONT_NAME and title.font.bold
    label = next(c for row in ws.iter_rows(max_col=1) for c in row if c.value == "対象数")
    assert label.border.left.style == "thin" and label.font.name == FONT_NAME
    assert ws.column_dimensions["C"].width > ws.column_dimensions["D"].width > 0


def test_one_tier_aomori_form(tmp_path):
    policy = load_policy("aomori")
    data = plan_form_data(policy.tiers, {("standard", 1): 5, ("standard", 2): 5}, {"standard": 50})
    assert data.tiers == (("standard", "対象"),)
    data.cells["not_done", "standard", 3] = 20
    path = tmp_path / "aomori.xlsx"
    write_form(path, HEADER, data)
    values = read_form(path)
    assert values["plan", "standard"][H1] == 10
    assert values["plan", TOTAL] == values["plan", "standard"]
    assert values["targets", TOTAL][YEAR] == 50
    assert values["rate", TOTAL][MAR] == pytest.approx(60.0)  # (50 - 20) / 50
    assert values["grasp", TOTAL] == [None] * 15  # no Ｃ / Ｄ given
    assert "計（Ｂ）" in _texts(path)
    assert [p.name for p in tmp_path.iterdir()] == ["aomori.xlsx"]  # no temp file left


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({("rate", TOTAL, 1): 5}, "computed"),
        ({("done", "nope", 1): 5}, "tier"),
        ({("done", "priority", 13): 5}, "month"),
        ({("done", "priority", 1): -1}, "whole number"),
        ({("registry", "priority", 1): 5}, "tier"),
        ({("patrol_card", TOTAL, 1): 1, ("patrol_card", "general", 1): 1}, "both"),
    ],
)
def test_bad_cells_raise_and_write_nothing(tmp_path, cells, message):
    path = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match=message):
        write_form(path, HEADER, FormData(tiers=TIERS, cells=cells))
    assert not path.exists()


def test_plan_form_data_rejects_unknown_tier_and_reserved_code():
    with pytest.raises(ValueError, match="unknown tier"):
        plan_form_data(TIERS, {("other", 1): 1}, {})
    with pytest.raises(ValueError, match="reserved"):
        plan_form_data(((TOTAL, "計"),), {}, {})


def test_read_form_rejects_other_workbooks(tmp_path):
    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(ValueError, match="not a"):
        read_form(path)
