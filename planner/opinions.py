"""Residents' opinions and requests heard at the door (意見・要望), the month's report and the
complaints for headquarters.

Aomori 第4-5 and 第5-5: the officer reports every opinion in writing to the chief through the
地域課長, and the chief reports at once to the 警察本部長 any that is a complaint about police work
(苦情).  :func:`opinion_rows` gathers one month's opinions from the recorded visits,
:func:`write_opinions_xlsx` lays them out as the written report (Japanese, A4 landscape,
complaints first and shaded), :func:`write_complaints_csv` writes the complaints alone for
headquarters.  Both files hold addresses (and, on request, residents' names): they are written
owner-only.
"""

from __future__ import annotations

import csv
import datetime as dt  # for annotations after a field named ``date``, which hides the class
import logging
import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.files import atomic_path
from planner.forms import FONT_NAME
from planner.model import OPINION_LABELS_JA, OpinionKind, Station

log = logging.getLogger(__name__)

HEADERS_JA: tuple[str, ...] = ("日付", "受持区", "受持警察官", "所在地", "区分", "内容", "措置状況")
"""Column headers of the report, in sheet order (``氏名`` follows ``所在地`` with names)."""
NAME_HEADER_JA = "氏名"
NIL_RETURN_JA = "該当なし"
"""What the report's only body row says when the month has no opinion."""

COMPLAINT_COLUMNS: tuple[str, ...] = (
    "date",
    "beat_id",
    "beat_name",
    "officer_id",
    "officer_name",
    "target_id",
    "address",
    "opinion",
    "action",
    "reported_on",
    "status",
)
"""Columns of ``complaints_<YYYY-MM>.csv`` (``name`` follows ``address`` with names)."""

REPORT_DAYS = 1
"""A complaint is reported to headquarters "at once" (Aomori 第4-5): by the day after it was heard.
Later than that, or still unreported after it, the HQ list marks it ``overdue``."""

SHEET_TITLE = "意見・要望等"
COMPLAINT_NOTE_JA = (
    "※ 網掛けの行は警察活動に関する苦情（区分「苦情」）：速やかに警察本部長へ報告すること。"
)
"""Printed under the title: how complaint rows are marked and what they call for."""


@dataclass(frozen=True, slots=True)
class OpinionRow:
    """One opinion heard at one door, with where, when, who heard it and what was done."""

    date: date
    beat_id: str
    beat_name: str
    officer_id: str
    officer_name: str
    target_id: str
    address: str
    name: str  # the resident's name: personal data, printed only on request
    kind: OpinionKind
    text: str
    action: str
    reported_on: dt.date | None = None

    @property
    def is_complaint(self) -> bool:
        """True for a complaint about police work (苦情), which headquarters must be told of."""
        return self.kind is OpinionKind.COMPLAINT

    def status(self, today: dt.date) -> str:
        """For a complaint: ``reported``, ``reported_late``, ``overdue`` (not reported and past
        :data:`REPORT_DAYS`) or ``due`` (not reported yet, still in time)."""
        deadline = self.date + timedelta(days=REPORT_DAYS)
        if self.reported_on is not None:
            return "reported" if self.reported_on <= deadline else "reported_late"
        return "overdue" if today > deadline else "due"


@dataclass(frozen=True, slots=True)
class OpinionOutputs:
    """What :func:`write_opinion_outputs` wrote: the month's rows and the two files."""

    rows: tuple[OpinionRow, ...]
    report: Path
    complaints_csv: Path

    @property
    def complaints(self) -> int:
        """Number of complaints in the month (rows of the headquarters csv)."""
        return sum(r.is_complaint for r in self.rows)

    def counts(self) -> dict[OpinionKind, int]:
        """Opinions per kind, every kind present (0 when none)."""
        found = Counter(r.kind for r in self.rows)
        return {k: found[k] for k in OpinionKind}


# --------------------------------------------------------------------------------------------
# building the rows


def opinion_rows(station: Station, year: int, month: int) -> list[OpinionRow]:
    """The opinions recorded on visits of one month: complaints first, then by date.

    A visit counts when it carries opinion text or a kind (text without a kind, possible only
    through the Python API, counts as ``other``).  Ties are broken by beat, target and officer,
    so the order is the same on every run.

    Raises
    ------
    ValueError
        If ``month`` is not 1..12.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1..12")
    targets = {t.target_id: t for t in station.targets}
    officers = {o.officer_id: o for o in station.officers}
    beats = {b.beat_id: b for b in station.beats}
    rows = []
    for x in station.visits:
        if (x.date.year, x.date.month) != (year, month):
            continue
        if not x.opinion and x.opinion_kind is None:
            continue
        target = targets.get(x.target_id)
        officer = officers.get(x.officer_id)
        beat_id = target.beat_id if target else officer.beat_id if officer else ""
        beat = beats.get(beat_id)
        rows.append(
            OpinionRow(
                date=x.date,
                beat_id=beat_id,
                beat_name=beat.name if beat else "",
                officer_id=x.officer_id,
                officer_name=officer.name if officer else "",
                target_id=x.target_id,
                address=target.address if target else "",
                name=target.name if target else "",
                kind=x.opinion_kind or OpinionKind.OTHER,
                text=x.opinion,
                action=x.action,
                reported_on=x.reported_on,
            )
        )
    rows.sort(key=lambda r: (not r.is_complaint, r.date, r.beat_id, r.target_id, r.officer_id))
    return rows


# --------------------------------------------------------------------------------------------
# writing


def mark_reported(station: Station, year: int, month: int, on: date) -> int:
    """Record that the month's unreported complaints were reported to headquarters on ``on``.

    Returns the number marked (0 when every complaint of the month already has a date).

    Raises
    ------
    ValueError
        If ``on`` is before a complaint it would mark was heard.
    """
    marked = 0
    for i, x in enumerate(station.visits):
        if (x.date.year, x.date.month) != (
            year,
            month,
        ) or x.opinion_kind is not OpinionKind.COMPLAINT:
            continue
        if x.reported_on is not None:
            continue
        if on < x.date:
            raise ValueError(f"reported on {on}, before the complaint heard on {x.date}")
        station.visits[i] = replace(x, reported_on=on)
        marked += 1
    return marked


def write_opinion_outputs(
    out_dir: str | Path,
    station: Station,
    year: int,
    month: int,
    *,
    with_names: bool = False,
    today: date | None = None,
) -> OpinionOutputs:
    """Write ``opinions_<YYYY-MM>.xlsx`` and ``complaints_<YYYY-MM>.csv`` for one month.

    Both are written even when the month has no opinion (a 該当なし row, a header-only csv),
    so that the chief sees a nil return.  ``with_names`` adds the residents' names; ``today``
    (default: today) decides which unreported complaints are overdue.
    """
    out = Path(out_dir)
    rows = opinion_rows(station, year, month)
    stem = f"{year}-{month:02d}"
    report = out / f"opinions_{stem}.xlsx"
    complaints = out / f"complaints_{stem}.csv"
    write_opinions_xlsx(
        report, rows, station_name=station.name, year=year, month=month, with_names=with_names
    )
    write_complaints_csv(complaints, rows, with_names=with_names, today=today)
    result = OpinionOutputs(tuple(rows), report, complaints)
    log.info("opinions %s: %d opinions, %d complaints", stem, len(rows), result.complaints)
    return result


def write_complaints_csv(
    path: str | Path,
    rows: Sequence[OpinionRow],
    *,
    with_names: bool = False,
    today: date | None = None,
) -> None:
    """Write the complaints among ``rows`` (others are left out) for headquarters, owner-only.

    Columns ``COMPLAINT_COLUMNS`` (and ``name`` after ``address`` when ``with_names``), a header
    even when there is no complaint; UTF-8 with a BOM so that Excel opens it in Japanese.
    ``reported_on`` is the day headquarters was told, ``status`` :meth:`OpinionRow.status` as
    of ``today`` (default: today).
    """
    today = today or date.today()
    columns = list(COMPLAINT_COLUMNS)
    if with_names:
        columns.insert(columns.index("address") + 1, "name")
    with (
        atomic_path(path, private=True) as tmp,
        tmp.open("w", encoding="utf-8-sig", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            if r.is_complaint:
                values = {
                    "date": r.date.isoformat(),
                    "beat_id": r.beat_id,
                    "beat_name": r.beat_name,
                    "officer_id": r.officer_id,
                    "officer_name": r.officer_name,
                    "target_id": r.target_id,
                    "address": r.address,
                    "name": r.name,
                    "opinion": r.text,
                    "action": r.action,
                    "reported_on": r.reported_on.isoformat() if r.reported_on else "",
                    "status": r.status(today),
                }
                w.writerow([values[c] for c in columns])


# sheet geometry
_TITLE_ROW, _INFO_ROW, _NOTE_ROW, _HEAD_ROW = 1, 2, 3, 5
_WIDTHS = {
    "日付": 11.0,
    "受持区": 16.0,
    "受持警察官": 13.0,
    "所在地": 26.0,
    NAME_HEADER_JA: 13.0,
    "区分": 10.0,
    "内容": 44.0,
    "措置状況": 34.0,
}
_WRAPPED = ("受持区", "所在地", NAME_HEADER_JA, "内容", "措置状況")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
_COMPLAINT_FILL = PatternFill("solid", fgColor="FCE4E4")
_COMPLAINT_COLOUR = "C00000"
_DATE_FORMAT = 'm"月"d"日"'


def report_headers(*, with_names: bool = False) -> tuple[str, ...]:
    """The report's column headers, with ``氏名`` after ``所在地`` when ``with_names``."""
    if not with_names:
        return HEADERS_JA
    i = HEADERS_JA.index("所在地") + 1
    return (*HEADERS_JA[:i], NAME_HEADER_JA, *HEADERS_JA[i:])


def write_opinions_xlsx(
    path: str | Path,
    rows: Sequence[OpinionRow],
    *,
    station_name: str,
    year: int,
    month: int,
    with_names: bool = False,
) -> None:
    """Write 巡回連絡における意見・要望等報告書 for one month as an xlsx file, owner-only.

    Title with the year and month, the station and the counts, a note on complaints, then one
    row per opinion in the order given (:func:`opinion_rows` puts complaints first) under the
    headers of :func:`report_headers`; 区分 is the Japanese label of the kind, complaint rows are
    shaded with 苦情 in bold red.  No opinion: one 該当なし row.  A4 landscape, one page wide,
    the header row repeated on every printed page.
    """
    headers = report_headers(with_names=with_names)
    last_col = len(headers)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    title = f"巡回連絡における意見・要望等報告書（{year}年{month}月）"
    n_complaints = sum(r.is_complaint for r in rows)

    _line(ws, _TITLE_ROW, last_col, title, size=16, bold=True, horizontal="center")
    ws.row_dimensions[_TITLE_ROW].height = 28
    counts = f"件数：{len(rows)} 件（うち苦情 {n_complaints} 件）"
    _line(ws, _INFO_ROW, last_col, f"警察署：{station_name}　　{counts}")
    _line(ws, _NOTE_ROW, last_col, COMPLAINT_NOTE_JA, size=9)
    for col, head in enumerate(headers, start=1):
        cell = _cell(ws, _HEAD_ROW, col, head, bold=True, horizontal="center")
        cell.fill = _HEAD_FILL
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS[head]
    ws.row_dimensions[_HEAD_ROW].height = 20

    row = _HEAD_ROW + 1
    if not rows:
        _cell(ws, row, 1, NIL_RETURN_JA, horizontal="center")
        for col in range(2, last_col + 1):
            ws.cell(row, col).border = _BORDER
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        ws.row_dimensions[row].height = 20
        row += 1
    for r in rows:
        values = {
            "日付": r.date,
            "受持区": r.beat_name or r.beat_id,
            "受持警察官": r.officer_name or r.officer_id,
            "所在地": r.address,
            NAME_HEADER_JA: r.name,
            "区分": OPINION_LABELS_JA[r.kind],
            "内容": r.text,
            "措置状況": r.action,
        }
        for col, head in enumerate(headers, start=1):
            wrapped = head in _WRAPPED
            cell = _cell(
                ws, row, col, values[head], horizontal="left" if wrapped else "center", wrap=wrapped
            )
            if head == "日付":
                cell.number_format = _DATE_FORMAT
            if r.is_complaint:
                cell.fill = _COMPLAINT_FILL
                if head == "区分":
                    cell.font = _font(bold=True, colour=_COMPLAINT_COLOUR)
        ws.row_dimensions[row].height = _height(values, headers)
        row += 1

    _page_setup(ws, last_row=row - 1, last_col=last_col)
    wb.properties.title = title
    wb.properties.creator = "junkai-planner"
    ws.freeze_panes = ws.cell(_HEAD_ROW + 1, 1)
    with atomic_path(path, private=True) as tmp:
        wb.save(tmp)


def _font(*, bold: bool = False, size: float = 10, colour: str | None = None) -> Font:
    return Font(name=FONT_NAME, charset=128, bold=bold, size=size, color=colour)


def _cell(
    ws: Worksheet,
    row: int,
    col: int,
    value: object,
    *,
    bold: bool = False,
    horizontal: str = "left",
    wrap: bool = False,
) -> Cell:
    cell = ws.cell(row, col, value)
    cell.font = _font(bold=bold)
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=wrap)
    return cell


def _line(
    ws: Worksheet,
    row: int,
    last_col: int,
    text: str,
    *,
    size: float = 10,
    bold: bool = False,
    horizontal: str = "left",
) -> None:
    """A line of text across the table's width."""
    cell = ws.cell(row, 1, text)
    cell.font = _font(bold=bold, size=size)
    cell.alignment = Alignment(horizontal=horizontal, vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)


def _height(values: dict[str, object], headers: Sequence[str]) -> float:
    """Row height (points) that shows every wrapped cell whole."""
    lines = 1
    for head in headers:
        if head in _WRAPPED:
            text = str(values[head] or "")
            width = _display_width(text) * 1.1 / _WIDTHS[head]
            lines = max(lines, math.ceil(width), text.count("\n") + 1)
    return 14.0 * lines + 4


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "FWA" else 1 for ch in text)


def _page_setup(ws: Worksheet, *, last_row: int, last_col: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the month needs
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_title_rows = f"{_HEAD_ROW}:{_HEAD_ROW}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.sheet_view.showGridLines = False
