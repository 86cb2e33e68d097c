"""The official 巡回連絡年間実施計画・結果表 (Miyagi 別記様式 別添１) as an xlsx workbook.

This module only lays out numbers it is given: the year plan (:mod:`planner.schedule`) supplies the
対象数 and 実施計画 rows through :func:`plan_form_data`, the monthly results fill the other rows.
Subtotals, 計 rows and the two rates are computed here, in Python, and written as plain values so
the file reads back (:func:`read_form`) without Excel recalculating anything.

Rules for the computed cells
----------------------------
* Flow rows (``FLOW_ROWS``: counts of a month): 上半期小計 / 下半期小計 = sum of the months of
  the half that have a value, 合計 = sum of the two halves.
* Stock rows (``STOCK_ROWS``: a state at month end): 小計 = value of the last month of the half
  that has one, 合計 = last value of the year.
* 計 rows: per column, the sum over tiers of those that have a value; blank when none has.
* 実施率 = (Ｂ − Ａ) / Ｂ × 100 and 把握率 = Ｄ / Ｃ × 100, one decimal (rounded half up), per
  column where both figures are present and the divisor is positive.
* 住民基本台帳世帯数 (Ｃ) and 案内簿一般世帯数 (Ｄ) given as yearly figures fill every month; a
  month given in ``FormData.cells`` changes the figure from that month on.
* A cell without data stays empty, never 0.

The sheet carries a hidden second sheet ``_rows`` that maps each sheet row to its (row key, tier
code) so that :func:`read_form` does not depend on the printed labels.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.files import atomic_path
from planner.policy import Tier

TOTAL = "total"
"""Tier code of 計 rows and of the rows that are not split by tier (read_form keys)."""

ROWS: tuple[str, ...] = (
    "targets",  # 対象数 (Ｂ): targets of the tier at month end (stock)
    "plan",  # 実施計画: planned first visits in the month (flow)
    "done",  # 実施数: first interviews this year in the month; 2nd visits not counted (flow, 注2)
    "not_done",  # 未実施数 (Ａ): targets not yet interviewed this year at month end (stock)
    "new",  # 新規把握数: new 巡回連絡カード made at an interview (flow, 注3)
    "prov_made",  # 仮カード当月作成数: 仮カード made without an interview (flow, 注4)
    "prov_resolved",  # 仮カード当月解消数: 仮カード turned into real cards (flow, 注5)
    "prov_total",  # 仮カード総数: 仮カード outstanding at month end (stock)
    "moved",  # 転出数: targets that moved out in the month (flow)
    "patrol_card",  # パトロールカード活用数: patrol cards left (flow, one row)
    "cr_card",  # CR名刺活用数: CR business cards left (flow, one row)
    "registry",  # 住民基本台帳世帯数 (Ｃ): registered households of the beat (stock, one row, 注6)
    "register",  # 案内簿一般世帯数 (Ｄ): households in the 案内簿 without businesses (stock, 注7)
    "rate",  # 実施率 % = (Ｂ − Ａ) / Ｂ (computed, one row)
    "grasp",  # 把握率 % = Ｄ / Ｃ (computed, one row)
)
"""Row keys of the form, in print order (each documented beside it)."""

ROW_LABELS: Mapping[str, str] = {
    "targets": "対象数",
    "plan": "実施計画",
    "done": "実施数",
    "not_done": "未実施数",
    "new": "新規把握数",
    "prov_made": "当月作成数",
    "prov_resolved": "当月解消数",
    "prov_total": "仮カード総数",
    "moved": "転出数",
    "patrol_card": "パトロールカード活用数",
    "cr_card": "ＣＲ名刺活用数",
    "registry": "住民基本台帳世帯数（Ｃ）",
    "register": "案内簿一般世帯数（Ｄ）",
    "rate": "実施率％　（Ｂ－Ａ）／Ｂ",
    "grasp": "把握率％　（Ｄ／Ｃ）",
}
"""Japanese label printed for each row key (for the 仮カード rows, the sub-group label)."""

TIER_ROWS: tuple[str, ...] = ROWS[:9]
"""Rows with one line per tier plus a 計 line."""
SINGLE_ROWS: tuple[str, ...] = ("patrol_card", "cr_card", "registry", "register")
"""Rows printed as one line (read_form tier key ``TOTAL``)."""
RATE_ROWS: tuple[str, ...] = ("rate", "grasp")
"""Computed percentage rows; they cannot be given in :attr:`FormData.cells`."""
FLOW_ROWS = frozenset(
    {"plan", "done", "new", "prov_made", "prov_resolved", "moved", "patrol_card", "cr_card"}
)
"""Rows whose 小計 / 合計 are sums."""
STOCK_ROWS = frozenset({"targets", "not_done", "prov_total", "registry", "register"})
"""Rows whose 小計 / 合計 are the last value given."""
PROV_ROWS: tuple[str, ...] = ("prov_made", "prov_resolved", "prov_total")
"""Sub-groups of the 仮カード group."""

COLUMNS: tuple[str, ...] = (
    *(f"{m}月" for m in range(1, 7)),
    "上半期小計",
    *(f"{m}月" for m in range(7, 13)),
    "下半期小計",
    "合計",
)
"""The 15 value columns, in sheet order (the order of :func:`read_form` lists)."""

NOTES: tuple[str, ...] = (
    "注１　実施計画は、受持世帯数（事業所等を含む。）を重点対象及び一般対象に区分の上、"
    "当年の実施予定数を月ごとに計上する。",
    "注２　実施数は、当年初めて面接した世帯数のみを計上し、未実施世帯数把握のため、"
    "当年の２回目以降の実施数は計上しない。",
    "注３　新規把握数は、面接により新たに巡回連絡（官公署・事業所等）カードを作成した"
    "世帯数・事業所数を計上する。",
    "注４　仮カード作成数は、表札、電気使用等により転入者の一部を把握し、又は面接によらず"
    "転入を把握して仮カードを作成した世帯数・事業所数を計上する。",
    "注５　仮カード解消数は、仮カード対象世帯等を訪問し、面接により巡回連絡カード等を"
    "新たに作成した世帯数・事業所数を計上する。",
    "注６　住民基本台帳世帯数は、市町村住民課等で発行している住民基本台帳世帯数"
    "（町名、小字別の詳細版）を参考に受持区ごとの住民登録世帯数を計上する。",
    "注７　案内簿一般世帯数は、官公署・事業所数を除いた一般世帯数を計上する。",
)
"""The notes 注1–注7 of the directive, printed under the table."""

FONT_NAME = "MS ゴシック"
"""Font of the sheet (Excel on a police PC has it; other programs substitute a Japanese font)."""

SHEET_TITLE = "年間実施計画・結果表"
KEY_SHEET = "_rows"

Value = int | float | None

# sheet geometry: columns A (区分), B (仮カード sub-group), C (tier), D..R (COLUMNS)
_FIRST_VALUE_COL = 4
_LAST_COL = _FIRST_VALUE_COL + len(COLUMNS) - 1
_TITLE_ROW = 1
_HEAD_ROWS = (3, 4)
_TABLE_HEAD = 6
_FIRST_BODY = _TABLE_HEAD + 2
_WIDTHS = {1: 7.0, 2: 12.0, 3: 17.0}
_MONTH_WIDTH = 7.0
_SUBTOTAL_WIDTH = 8.5

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SHADE = PatternFill("solid", fgColor="F2F2F2")
_COUNT_FORMAT = "#,##0"
_RATE_FORMAT = "0.0"


@dataclass(frozen=True)
class FormHeader:
    """What the form's head says: year, 警察署, 交番・駐在所, 受持区 and the officer's 氏名."""

    year: int
    station: str
    post: str
    beat_id: str
    beat_name: str
    officer: str


@dataclass
class FormData:
    """The numbers of one beat's form.

    Attributes
    ----------
    tiers
        ``(tier code, Japanese label)`` in policy order, e.g. ``(("priority", "重点対象"),
        ("general", "一般対象"))``; Aomori has one tier ``(("standard", "対象"),)``.
    cells
        ``(row key, tier code, month 1..12) -> count``; a missing key is a blank cell.  Rows in
        ``TIER_ROWS`` take tier codes.  ``patrol_card`` / ``cr_card`` take either tier codes
        (summed) or ``TOTAL``, not both in one month; ``registry`` / ``register`` take ``TOTAL``
        (a month given here overrides the yearly figure below).  Rate rows are computed.
    registry_households
        住民基本台帳世帯数 (Ｃ) at the start of the year.  When set, every month is filled: a
        month without a ``("registry", "total", m)`` cell repeats the latest figure before it.
    register_households
        案内簿一般世帯数 (Ｄ), filled in the same way from ``("register", "total", m)`` cells.
    note
        Extra text printed under the table.
    exempted
        Targets of the beat the 署長 has exempted (Miyagi 第5-1(1)); they are not in 対象数.
        When positive, :func:`exemption_note` is printed as the first line under the table.
    review
        Who reviewed the plan and when (:func:`planner.supervision.review_line`), printed
        under the table; empty: no line.
    """

    tiers: tuple[tuple[str, str], ...]
    cells: dict[tuple[str, str, int], int] = field(default_factory=dict)
    registry_households: int | None = None
    register_households: int | None = None
    note: str = ""
    exempted: int = 0
    review: str = ""


def exemption_note(n: int) -> str:
    """The line printed under the table of a beat with ``n`` exempt targets."""
    return f"署長指示による除外 {n:,} 件（対象数に含まない。exemptions.csv 参照）"


# --------------------------------------------------------------------------------------------
# building the data


def form_tiers(tiers: Iterable[tuple[str, str] | Tier]) -> tuple[tuple[str, str], ...]:
    """``(code, label)`` pairs from pairs or from :class:`~planner.policy.Tier` objects.

    Raises
    ------
    ValueError
        If there is no tier, a code repeats, or a code is ``"total"``.
    """
    pairs = tuple(
        (t.code, t.label) if isinstance(t, Tier) else (str(t[0]), str(t[1])) for t in tiers
    )
    codes = [code for code, _ in pairs]
    if not codes:
        raise ValueError("a form needs at least one tier")
    if len(set(codes)) != len(codes):
        raise ValueError(f"tier codes repeat: {codes}")
    if TOTAL in codes:
        raise ValueError(f"{TOTAL!r} is reserved for 計 rows and cannot be a tier code")
    return pairs


def plan_form_data(
    tiers: Iterable[tuple[str, str] | Tier],
    planned: Mapping[tuple[str, int], int],
    targets: Mapping[str, int],
    *,
    registry_households: int | None = None,
    register_households: int | None = None,
) -> FormData:
    """Form data of a year plan: 対象数 and 実施計画 filled, result rows left blank.

    Parameters
    ----------
    tiers
        The policy's tiers in order (``policy.tiers`` or ``(code, label)`` pairs).
    planned
        ``(tier code, month 1..12) -> planned first visits``; months not given stay blank.
    targets
        ``tier code -> number of targets`` (対象数, Ｂ); the same stock figure goes in every month.
    registry_households, register_households
        住民基本台帳世帯数 (Ｃ) and 案内簿一般世帯数 (Ｄ), when known.

    Raises
    ------
    ValueError
        On an unknown tier, a month outside 1..12 or a count that is not a whole number >= 0.
    """
    pairs = form_tiers(tiers)
    codes = {code for code, _ in pairs}
    cells: dict[tuple[str, str, int], int] = {}
    for code, n in targets.items():
        if code not in codes:
            raise ValueError(f"targets: unknown tier {code!r} (tiers: {sorted(codes)})")
        for month in range(1, 13):
            cells["targets", code, month] = _count(n, f"targets[{code!r}]")
    for (code, month), n in planned.items():
        if code not in codes:
            raise ValueError(f"planned: unknown tier {code!r} (tiers: {sorted(codes)})")
        _check_month(month, f"planned[{code!r}, {month!r}]")
        cells["plan", code, month] = _count(n, f"planned[{code!r}, {month}]")
    return FormData(
        tiers=pairs,
        cells=cells,
        registry_households=_optional_count(registry_households, "registry_households"),
        register_households=_optional_count(register_households, "register_households"),
    )


def form_values(data: FormData) -> dict[tuple[str, str], list[Value]]:
    """Every line of the form with its 15 values (``COLUMNS`` order), subtotals and rates computed.

    Keys are ``(row key, tier code)`` for tier lines and ``(row key, TOTAL)`` for 計 lines and
    one-line rows, in print order.  This is exactly what :func:`read_form` returns for the file.

    Raises
    ------
    ValueError
        If ``data`` has an invalid tier, row key, month or count.
    """
    tiers = form_tiers(data.tiers)
    _check_cells(data, tiers)
    cells = data.cells
    out: dict[tuple[str, str], Sequence[Value]] = {}
    for key in TIER_ROWS:
        stock = key in STOCK_ROWS
        lines: list[list[int | None]] = []
        for code, _ in tiers:
            line = _with_subtotals([cells.get((key, code, m)) for m in range(1, 13)], stock=stock)
            out[key, code] = line
            lines.append(line)
        out[key, TOTAL] = [_sum(column) for column in zip(*lines, strict=True)]
    for key in ("patrol_card", "cr_card"):
        months = []
        for m in range(1, 13):
            given = cells.get((key, TOTAL, m))
            months.append(
                given if given is not None else _sum(cells.get((key, c, m)) for c, _ in tiers)
            )
        out[key, TOTAL] = _with_subtotals(months, stock=False)
    for key, yearly in (
        ("registry", data.registry_households),
        ("register", data.register_households),
    ):
        months = _carry(yearly, [cells.get((key, TOTAL, m)) for m in range(1, 13)])
        out[key, TOTAL] = _with_subtotals(months, stock=True)
    b, a = out["targets", TOTAL], out["not_done", TOTAL]
    out["rate", TOTAL] = [
        _percent(bi - ai, bi) if bi is not None and ai is not None else None
        for bi, ai in zip(b, a, strict=True)
    ]
    c, d = out["registry", TOTAL], out["register", TOTAL]
    out["grasp", TOTAL] = [
        _percent(di, ci) if ci is not None and di is not None else None
        for ci, di in zip(c, d, strict=True)
    ]
    return {k: [_plain(v) for v in vals] for k, vals in out.items()}


def _carry(yearly: int | None, months: list[int | None]) -> list[int | None]:
    """Months given stand; with a yearly figure, a month without one repeats the latest before."""
    if yearly is None:
        return months
    out: list[int | None] = []
    current = yearly
    for value in months:
        current = value if value is not None else current
        out.append(current)
    return out


def _with_subtotals(months: list[int | None], *, stock: bool) -> list[int | None]:
    first, second = months[:6], months[6:]
    if stock:
        h1, h2 = _last(first), _last(second)
        year = h2 if h2 is not None else h1
    else:
        h1, h2 = _sum(first), _sum(second)
        year = _sum((h1, h2))
    return [*first, h1, *second, h2, year]


def _sum(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _last(values: list[int | None]) -> int | None:
    for v in reversed(values):
        if v is not None:
            return v
    return None


def _percent(numerator: Value, denominator: Value) -> float | None:
    """``numerator / denominator × 100`` to one decimal, rounded half up; None if not computable."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    exact = Decimal(int(numerator)) * 100 / Decimal(int(denominator))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _rate(v: Value) -> float | None:
    return None if v is None else float(v)


def _plain(v: Value) -> Value:
    if v is None or isinstance(v, float):
        return v
    return int(v)


# --------------------------------------------------------------------------------------------
# validation


def _count(n: object, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"{where}: {n!r} is not a whole number >= 0")
    return int(n)


def _optional_count(n: object, where: str) -> int | None:
    return None if n is None else _count(n, where)


def _check_month(month: object, where: str) -> None:
    if (
        isinstance(month, bool)
        or not isinstance(month, numbers.Integral)
        or not 1 <= int(month) <= 12
    ):
        raise ValueError(f"{where}: month {month!r} is not 1..12")


def _check_cells(data: FormData, tiers: tuple[tuple[str, str], ...]) -> None:
    codes = {code for code, _ in tiers}
    by_total: set[tuple[str, int]] = set()
    by_tier: set[tuple[str, int]] = set()
    for cell, n in data.cells.items():
        if not (isinstance(cell, tuple) and len(cell) == 3):
            raise ValueError(f"cells: key {cell!r} is not (row key, tier code, month)")
        key, code, month = cell
        where = f"cells[{key!r}, {code!r}, {month!r}]"
        if key not in ROWS or key in RATE_ROWS:
            raise ValueError(f"{where}: unknown or computed row {key!r}")
        allowed = {TOTAL} if key in ("registry", "register") else set(codes)
        if key in ("patrol_card", "cr_card"):
            allowed.add(TOTAL)
        if code not in allowed:
            raise ValueError(f"{where}: tier must be one of {sorted(allowed)}")
        _check_month(month, where)
        _count(n, where)
        if key in ("patrol_card", "cr_card"):
            (by_total if code == TOTAL else by_tier).add((key, month))
    both = sorted(by_total & by_tier)
    if both:
        raise ValueError(f"cells: {both[0][0]} month {both[0][1]} given both per tier and as total")
    _optional_count(data.registry_households, "registry_households")
    _optional_count(data.register_households, "register_households")


# --------------------------------------------------------------------------------------------
# writing


@dataclass(frozen=True, slots=True)
class _Line:
    key: str
    tier: str  # tier code or TOTAL
    label: str  # printed in column C (or A:C for one-line rows)


def _layout(data: FormData, values: Mapping[tuple[str, str], list[Value]]) -> list[list[_Line]]:
    """The form's lines grouped as printed: one list per row group (仮カード: one per sub-group)."""
    groups: list[list[_Line]] = []
    for key in TIER_ROWS:
        lines = [
            _Line(key, code, _tier_label(key, code, label, values)) for code, label in data.tiers
        ]
        total = {"targets": "計（Ｂ）", "not_done": "計（Ａ）"}.get(key, "計")
        groups.append([*lines, _Line(key, TOTAL, total)])
    for key in (*SINGLE_ROWS, *RATE_ROWS):
        groups.append([_Line(key, TOTAL, ROW_LABELS[key])])
    return groups


def _tier_label(
    key: str, code: str, label: str, values: Mapping[tuple[str, str], list[Value]]
) -> str:
    """Tier label; on 実施計画 lines with the tier's households as on the paper form (注1)."""
    if key != "plan":
        return label
    n = next((v for v in values["targets", code] if v is not None), None)
    return label if n is None else f"{label}（{n:,}世帯）"


def write_form(path: str | Path, header: FormHeader, data: FormData) -> None:
    """Write the 巡回連絡年間実施計画・結果表 of one beat as an xlsx file.

    One A4 landscape page: title with the year, head (警察署, 交番・駐在所, 受持区, 氏名), the table
    (区分 / tier / 1月…6月, 上半期小計, 7月…12月, 下半期小計, 合計) with every subtotal, 計 line
    and rate computed as plain values (see the module docstring), the exemption note (when
    ``data.exempted`` > 0), ``data.note`` and the notes 注1–注7.  The file is written atomically
    and is not owner-only: it holds counts and the officer's official name, no personal data of
    residents.

    Raises
    ------
    ValueError
        If ``data`` has an invalid tier, row key, month or count (nothing is written).
    """
    values = form_values(data)
    exempted = _count(data.exempted, "exempted")
    groups = _layout(data, values)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    keys = wb.create_sheet(KEY_SHEET)
    keys.sheet_state = "hidden"
    keys.append(["row", "key", "tier"])

    _write_title(ws, header)
    _write_table_head(ws)
    row = _FIRST_BODY
    for group in groups:
        _write_group(ws, row, group, values)
        for line in group:
            keys.append([row, line.key, line.tier])
            row += 1
    _merge_prov_label(ws, groups)
    row += 1
    if exempted:
        row = _write_text(ws, row, exemption_note(exempted))
    if data.note:
        row = _write_text(ws, row, data.note)
    if data.review:
        row = _write_text(ws, row, data.review)
    for note in NOTES:
        row = _write_text(ws, row, note)
    _page_setup(ws, last_row=row - 1)
    wb.properties.title = f"巡回連絡年間実施計画・結果表（{header.year}年）"
    wb.properties.creator = "junkai-planner"
    ws.freeze_panes = ws.cell(_FIRST_BODY, _FIRST_VALUE_COL)
    with atomic_path(path, private=False) as tmp:
        wb.save(tmp)


def _font(*, bold: bool = False, size: float = 10) -> Font:
    return Font(name=FONT_NAME, charset=128, bold=bold, size=size)


def _put(
    ws: Worksheet,
    row: int,
    col: int,
    value: Value | str,
    *,
    horizontal: str = "center",
    shade: bool = False,
    bold: bool = False,
    number_format: str | None = None,
) -> None:
    cell = ws.cell(row, col)
    if value is not None:
        cell.value = value
    cell.font = _font(bold=bold)
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
    if shade:
        cell.fill = _SHADE
    if number_format:
        cell.number_format = number_format


def _put_label(ws: Worksheet, row: int, col: int, text: str) -> None:
    """A row label: shaded, its characters spread over the cell (均等割付)."""
    _put(ws, row, col, text, horizontal="distributed", shade=True)


def _merge(ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> None:
    for r in range(r1, r2 + 1):  # border every cell of the range so the frame prints whole
        for c in range(c1, c2 + 1):
            ws.cell(r, c).border = _BORDER
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _write_title(ws: Worksheet, header: FormHeader) -> None:
    cell = ws.cell(_TITLE_ROW, 1, f"巡回連絡年間実施計画・結果表（{header.year}年）")
    cell.font = _font(bold=True, size=16)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=_TITLE_ROW, start_column=1, end_row=_TITLE_ROW, end_column=_LAST_COL)
    ws.row_dimensions[_TITLE_ROW].height = 28
    beat = header.beat_id
    if not (beat.startswith("第") and beat.endswith("受持区")):
        beat = f"第{beat}受持区"
    if header.beat_name:
        beat = f"{beat}　{header.beat_name}"
    pairs = (
        (("警察署", header.station), ("交番・駐在所", header.post)),
        (("受持区", beat), ("氏名", header.officer)),
    )
    # label A:B, value C:I, label J:L, value M:R
    spans = ((1, 2), (3, 9), (10, 12), (13, _LAST_COL))
    for row, line in zip(_HEAD_ROWS, pairs, strict=True):
        texts = (line[0][0], line[0][1], line[1][0], line[1][1])
        for i, ((c1, c2), text) in enumerate(zip(spans, texts, strict=True)):
            is_label = i % 2 == 0
            _put(ws, row, c1, text, shade=is_label, horizontal="center" if is_label else "left")
            _merge(ws, row, c1, row, c2)
        ws.row_dimensions[row].height = 20


def _write_table_head(ws: Worksheet) -> None:
    top, bottom = _TABLE_HEAD, _TABLE_HEAD + 1
    _put(ws, top, 1, "区　分", shade=True, bold=True)
    _merge(ws, top, 1, bottom, 3)
    _put(ws, top, _FIRST_VALUE_COL, "上　半　期", shade=True, bold=True)
    _merge(ws, top, _FIRST_VALUE_COL, top, _FIRST_VALUE_COL + 6)
    _put(ws, top, _FIRST_VALUE_COL + 7, "下　半　期", shade=True, bold=True)
    _merge(ws, top, _FIRST_VALUE_COL + 7, top, _FIRST_VALUE_COL + 13)
    _put(ws, top, _LAST_COL, "合　計", shade=True, bold=True)
    _merge(ws, top, _LAST_COL, bottom, _LAST_COL)
    for i, name in enumerate(COLUMNS[:-1]):
        _put(
            ws,
            bottom,
            _FIRST_VALUE_COL + i,
            name.replace("上半期", "").replace("下半期", ""),
            shade=True,
            bold=True,
        )
    for col, width in _WIDTHS.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, name in enumerate(COLUMNS):
        width = _MONTH_WIDTH if name.endswith("月") else _SUBTOTAL_WIDTH
        ws.column_dimensions[get_column_letter(_FIRST_VALUE_COL + i)].width = width
    ws.row_dimensions[top].height = ws.row_dimensions[bottom].height = 18


def _write_group(
    ws: Worksheet, first: int, group: list[_Line], values: Mapping[tuple[str, str], list[Value]]
) -> None:
    key = group[0].key
    last = first + len(group) - 1
    if key in TIER_ROWS:
        if key in PROV_ROWS:  # 仮カード | sub-group | tier
            _put_label(ws, first, 2, ROW_LABELS[key])
            _merge(ws, first, 2, last, 2)
        else:
            _put_label(ws, first, 1, ROW_LABELS[key])
            _merge(ws, first, 1, last, 2)
        for i, line in enumerate(group):
            _put(ws, first + i, 3, line.label, shade=True, bold=line.tier == TOTAL)
    else:
        _put_label(ws, first, 1, group[0].label)
        _merge(ws, first, 1, first, 3)
    fmt = _RATE_FORMAT if key in RATE_ROWS else _COUNT_FORMAT
    for i, line in enumerate(group):
        row = first + i
        for j, (name, value) in enumerate(zip(COLUMNS, values[key, line.tier], strict=True)):
            subtotal = not name.endswith("月")
            _put(
                ws,
                row,
                _FIRST_VALUE_COL + j,
                value,
                horizontal="right",
                shade=subtotal,
                bold=line.tier == TOTAL,
                number_format=fmt,
            )
        ws.row_dimensions[row].height = 16


def _merge_prov_label(ws: Worksheet, groups: list[list[_Line]]) -> None:
    """The 仮カード label in column A, merged over its three sub-groups, written vertically."""
    row = _FIRST_BODY
    first = last = None
    for group in groups:
        if group[0].key in PROV_ROWS:
            first = row if first is None else first
            last = row + len(group) - 1
        row += len(group)
    if first is None or last is None:
        return
    _put(ws, first, 1, "仮カード", shade=True)
    ws.cell(first, 1).alignment = Alignment(
        horizontal="center", vertical="center", text_rotation=255, wrap_text=True
    )
    _merge(ws, first, 1, last, 1)


def _write_text(ws: Worksheet, row: int, text: str) -> int:
    """A line of text across the table's width under it; returns the next free row."""
    cell = ws.cell(row, 1, text)
    cell.font = _font(size=9)
    cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=_LAST_COL)
    width = sum(_WIDTHS.values()) + 12 * _MONTH_WIDTH + 3 * _SUBTOTAL_WIDTH
    lines = max(1, math.ceil(_display_width(text) * 0.9 / width))
    ws.row_dimensions[row].height = 13 * lines + 2
    return row + 1


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "FWA" else 1 for ch in text)


def _page_setup(ws: Worksheet, *, last_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_area = f"A1:{get_column_letter(_LAST_COL)}{last_row}"
    ws.sheet_view.showGridLines = False


# --------------------------------------------------------------------------------------------
# reading back


def read_form(path: str | Path) -> dict[tuple[str, str], list[Value]]:
    """Read a form written by :func:`write_form`.

    Returns
    -------
    dict
        ``(row key, tier code or "total") -> 15 values`` in ``COLUMNS`` order (1月…6月,
        上半期小計, 7月…12月, 下半期小計, 合計); blank cells are ``None``.  One-line rows
        (パトロールカード, CR名刺, Ｃ, Ｄ, rates) use ``"total"``.

    Raises
    ------
    ValueError
        If the workbook was not written by :func:`write_form` (no ``_rows`` sheet).
    """
    wb = load_workbook(Path(path), data_only=True)
    if KEY_SHEET not in wb.sheetnames or SHEET_TITLE not in wb.sheetnames:
        raise ValueError(f"{path}: not a 巡回連絡年間実施計画・結果表 written by this planner")
    ws, keys = wb[SHEET_TITLE], wb[KEY_SHEET]
    out: dict[tuple[str, str], list[Value]] = {}
    for row, key, tier in keys.iter_rows(min_row=2, values_only=True):
        cells = next(
            ws.iter_rows(
                min_row=int(row),
                max_row=int(row),
                min_col=_FIRST_VALUE_COL,
                max_col=_LAST_COL,
                values_only=True,
            )
        )
        conv = _rate if key in RATE_ROWS else _plain
        out[str(key), str(tier)] = [conv(v) for v in cells]
    wb.close()
    return out
