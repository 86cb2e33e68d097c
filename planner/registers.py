"""Registers (案内簿) as offices keep them: Excel workbooks and Shift_JIS CSV with Japanese headers.

:func:`read_register` turns an ``.xlsx`` sheet or a CSV into the rows the importer already checks
(:func:`planner.store.targets_from_file`): the header row is found wherever it is (title rows and
merged cells above it are skipped), Japanese headers are mapped by :data:`HEADERS` (or a
``--columns`` TOML file), Japanese values (``世帯``, ``重点``, ``昼間``, ``仮カード`` …) become the
planner's codes, full-width ids become ASCII, date cells become dates, and blank or totals rows
below the table are left out.  Rows keep the numbers Excel shows, so every error names sheet,
row and column as the office sees them.

:func:`geocode_register` adds ``lon``, ``lat``, ``geocode_level`` and ``geocode_note`` to every
row (:mod:`planner.geocode`); :func:`write_review` writes ``geocode_review.csv`` and an offline
review map of the rows that reached only the 町丁目 or nothing.  :func:`write_register_xlsx`
writes a station's register back as the office's workbook (owner-only: names and addresses).
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from planner import _validate as v
from planner import geo
from planner._errors import InputError, RowError
from planner.geocode import LEVEL_BLOCK, LEVEL_CHOME, LEVEL_GO, LEVEL_NONE, Geocoded, Geocoder
from planner.model import Availability, Card, HouseholdType, Station, TargetKind

HEADERS: dict[str, tuple[str, ...]] = {
    "target_id": ("世帯番号", "整理番号", "番号", "対象番号", "ID"),
    "beat_id": ("受持区", "受持区番号", "受持"),
    "kind": ("区分", "種別", "世帯・事業所", "世帯/事業所", "世帯事業所"),
    "address": ("住所", "所在地"),
    "name": ("世帯主・名称", "世帯主", "氏名", "名称", "世帯主名", "事業所名"),
    "tier": ("重点/一般", "重点・一般", "重点一般", "重点区分", "対象区分"),
    "reasons": ("別表", "該当区分", "別表該当", "別表区分"),
    "last_visit": ("最終面接日", "前回訪問", "前回訪問日", "最終訪問日"),
    "availability": ("在宅時間帯",),
    "building_id": ("建物番号", "建物ID"),
    "card": ("カード", "巡回連絡カード", "カード区分"),
    "household_type": ("世帯類型",),
    "visit_minutes": ("所要時間(分)", "所要分"),
    "moved_out": ("転出日",),
    "lon": ("経度",),
    "lat": ("緯度",),
    "geocode_level": ("位置精度",),
    "geocode_note": ("位置の注記",),
    "address_number": ("番地", "番地・号", "丁目・番地", "住所2"),
    "address_building": ("方書", "建物名", "アパート名", "住所3"),
}
"""Japanese header names of each register column (the first is what the export writes); the
planner's own column names (``target_id``, ``address`` …) are recognised too.  A register that
splits the address (住所 + 番地 + 方書) has the parts joined into ``address``."""

# fmt: off
VALUES: dict[str, dict[str, str]] = {
    "kind": {"世帯": "household", "一般世帯": "household", "住宅": "household",
             "事業所": "business", "事業者": "business", "店舗": "business"},
    "availability": {"昼間": "day", "昼": "day", "日中": "day", "夜間": "evening", "夜": "evening",
                     "夕方": "evening", "終日": "any", "いつでも": "any", "不明": "unknown"},
    "card": {"未作成": "none", "なし": "none", "無": "none", "仮カード": "provisional",
             "仮": "provisional", "作成済": "full", "作成済カード": "full", "済": "full"},
    "household_type": {"高齢者": "elderly", "高齢者世帯": "elderly", "家族": "family",
                       "共働き": "dual_earner", "単身勤労": "single_worker",
                       "単身": "single_worker", "事業所": "business", "不明": "unknown"},
}
# fmt: on
"""Japanese cell values the importer's codes stand for (tiers come from the policy's labels)."""

EXPORT_VALUES: dict[str, dict[str, str]] = {
    "kind": {TargetKind.HOUSEHOLD: "世帯", TargetKind.BUSINESS: "事業所"},
    "availability": {
        Availability.DAY: "昼間",
        Availability.EVENING: "夜間",
        Availability.ANY: "終日",
        Availability.UNKNOWN: "不明",
    },
    "card": {Card.NONE: "未作成", Card.PROVISIONAL: "仮カード", Card.FULL: "作成済"},
    "household_type": {
        HouseholdType.ELDERLY: "高齢者",
        HouseholdType.FAMILY: "家族",
        HouseholdType.DUAL_EARNER: "共働き",
        HouseholdType.SINGLE_WORKER: "単身勤労",
        HouseholdType.BUSINESS: "事業所",
        HouseholdType.UNKNOWN: "不明",
    },
}
EXPORT_COLUMNS = (
    "target_id",
    "beat_id",
    "kind",
    "address",
    "name",
    "tier",
    "reasons",
    "last_visit",
    "availability",
    "building_id",
    "card",
    "household_type",
    "visit_minutes",
    "moved_out",
    "lon",
    "lat",
)
GEOCODE_COLUMNS = ("lon", "lat", "geocode_level", "geocode_note")
HEADER_SEARCH_ROWS = 50
"""Rows searched for the header row."""
_TOTALS = re.compile(r"^(合計|総計|小計|計|備考|注|※)")
_ID_COLUMNS = ("target_id", "beat_id", "building_id")


@dataclass(frozen=True, slots=True)
class ColumnLabel:
    """Where a register column is: its header as written and its spreadsheet letter."""

    header: str
    letter: str

    def __str__(self) -> str:
        return f"{self.header} ({self.letter})"


class RegisterTable(v.Table):
    """A register's data rows as the importer reads them (a :class:`planner._validate.Table`).

    ``path`` names file and sheet (``案内簿.xlsx [sheet 案内簿]``); rows carry the numbers the
    spreadsheet shows; ``labels`` maps each planner column to its header and letter;
    ``header`` is the header row as written (every column, mapped or not).
    """

    def __init__(
        self,
        label: str,
        header_row: int,
        header: list[str],
        columns: list[str],
        rows: list[tuple[int, dict[str, str]]],
        raw: list[list[str]] | None = None,
    ) -> None:
        self.path = label
        self.header_row = header_row
        self.header = header
        self.columns = columns
        self._data = rows
        self.raw = raw  # the cells as the register writes them (世帯, 重点 …), by position
        self._cache = None
        self._rows = None
        self.labels = {
            c: ColumnLabel(h, _letter(i))
            for i, (c, h) in enumerate(zip(columns, header, strict=True))
        }

    def numbered(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self._data)

    def label(self, column: str) -> str:
        """How an error names ``column``: ``住所 (D)``; a column the register lacks by its
        Japanese header and the planner's name, ``受持区 (beat_id)``."""
        known = self.labels.get(column)
        if known:
            return f"{known.header} ({known.letter})"
        return f"{HEADERS[column][0]} ({column})" if column in HEADERS else column


def _letter(i: int) -> str:
    """Spreadsheet column letter of 0-based column ``i`` (0 → A, 26 → AA)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _key(text: str) -> str:
    value = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", value).lower()


def header_map(columns: Mapping[str, str | Sequence[str]] | None = None) -> dict[str, str]:
    """Normalised header text → planner column, from :data:`HEADERS` and ``columns`` (a
    ``--columns`` file's ``[columns]`` table: planner column = header or list of headers)."""
    out: dict[str, str] = {}
    for field, names in HEADERS.items():
        out[_key(field)] = field
        for n in names:
            out[_key(n)] = field
    for field, given in (columns or {}).items():
        if field not in HEADERS:
            known = ", ".join(HEADERS)
            raise InputError(f"--columns: unknown column {field!r} (one of {known})")
        for n in [given] if isinstance(given, str) else given:
            out[_key(str(n))] = field
    return out


def load_columns(path: str | Path) -> dict[str, Any]:
    """Read a ``--columns`` TOML file: ``[columns]`` (planner column = header text) and
    optionally ``sheet`` and ``header_row``.

    Raises
    ------
    InputError
        If the file is not TOML or names an unknown key or column.
    """
    try:
        data = tomllib.loads(v.read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not TOML: {exc}") from None
    unknown = set(data) - {"columns", "sheet", "header_row"}
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r} (columns, sheet, header_row)")
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        raise InputError(f"{path}: [columns] must be a table of column = header")
    header_map(cols)  # checks the names
    return data


# --------------------------------------------------------------------------------------------
# reading


def read_register(
    path: str | Path,
    *,
    sheet: str | None = None,
    columns: Mapping[str, Any] | None = None,
    tiers: Mapping[str, str] | None = None,
) -> RegisterTable:
    """Read a register (``.xlsx`` or CSV) into the rows the importer checks.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` workbook, or a CSV (UTF-8, Shift_JIS/CP932 or UTF-16).
    sheet
        The sheet to read (default: the first, or the ``--columns`` file's ``sheet``).
    columns
        A ``--columns`` file as :func:`load_columns` returns it.
    tiers
        Tier labels → codes (``{"重点対象": "priority", "重点": "priority", …}``); default
        from the Miyagi policy's labels.

    Raises
    ------
    InputError
        If the file cannot be read, has no such sheet, or no header row is found; a header given
        twice is named with its cells.
    """
    path = Path(path)
    columns = dict(columns or {})
    sheet = sheet or columns.get("sheet")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        label, records = _xlsx_records(path, sheet)
    elif path.suffix.lower() in {".csv", ".txt"}:
        if sheet:
            raise InputError(f"{path}: --sheet is for .xlsx workbooks, not CSV")
        label = str(path)
        records = _csv_records(path)
    else:
        raise InputError(f"{path}: not a register (.xlsx or .csv)")
    mapping = header_map(columns.get("columns"))
    return _table(label, records, mapping, columns.get("header_row"), tiers or _default_tiers())


def _default_tiers() -> dict[str, str]:
    from planner.policy import load_policy

    return tier_labels(load_policy("miyagi").tiers)


def tier_labels(tiers: Iterable[Any]) -> dict[str, str]:
    """Tier label → code for a policy's tiers: ``重点対象`` and ``重点`` → ``priority``."""
    out: dict[str, str] = {}
    for t in tiers:
        out[t.label] = t.code
        if t.label.endswith("対象") and len(t.label) > 2:
            out[t.label[:-2]] = t.code
    return out


def _xlsx_records(path: Path, sheet: str | None) -> tuple[str, list[tuple[int, list[Any]]]]:
    """``(label, [(row, cells)])`` of a sheet, read in openpyxl's read-only mode (a
    50,000-row register in bounded memory); a cell merged down stands for every row it covers
    (the merged ranges are read from the sheet's XML, which read-only mode skips)."""
    import zipfile

    import openpyxl

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            names = ", ".join(wb.sheetnames)
            raise InputError(f"{path}: no sheet {sheet!r} (sheets: {names})")
        if hasattr(ws, "reset_dimensions"):  # some writers store a wrong sheet size
            ws.reset_dimensions()
        merged = _merged_down(path, getattr(ws, "_worksheet_path", ""))
        records: list[tuple[int, list[Any]]] = []
        for row, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(values)
            for col, source in merged.get(row, ()):
                top = records[source - 1][1] if 0 < source <= len(records) else []
                if col <= len(top):
                    cells += [None] * (col - len(cells))
                    cells[col - 1] = top[col - 1]
            records.append((row, cells))
        return f"{path} [sheet {ws.title}]", records
    finally:
        wb.close()


def _merged_down(path: Path, member: str) -> dict[int, list[tuple[int, int]]]:
    """``{row: [(column, row of the merged cell's value)]}`` for the rows below the top of every
    merged range of the sheet XML ``member`` (1-based rows and columns)."""
    import zipfile

    from openpyxl.utils import range_boundaries

    out: dict[int, list[tuple[int, int]]] = {}
    if not member:
        return out
    with zipfile.ZipFile(path) as z:
        try:
            xml = z.read(member.lstrip("/")).decode("utf-8", "replace")
        except KeyError:
            return out
    for ref in re.findall(r'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', xml):
        min_col, min_row, _, max_row = range_boundaries(ref)
        for r in range(min_row + 1, max_row + 1):
            out.setdefault(r, []).append((min_col, min_row))
    return out


def _csv_records(path: Path) -> list[tuple[int, list[Any]]]:
    text = v.read_text(path)
    delimiter = (
        "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
    )
    records = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if cells and cells[0].lstrip().startswith("#"):
                continue  # a comment line, as in the planner's own CSV files
            records.append((reader.line_num, list(cells)))
    except csv.Error as exc:
        raise InputError(f"{path}: row {reader.line_num}: not a CSV row: {exc}") from None
    return records


def _cell_text(value: Any) -> str:
    """A cell as the importer's parsers read it (dates ISO, whole floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _find_header(
    records: list[tuple[int, list[Any]]], mapping: dict[str, str], header_row: int | None
) -> int:
    if header_row is not None:
        for i, (row, _) in enumerate(records):
            if row == header_row:
                return i
        raise InputError(f"header_row {header_row}: no such row")
    for i, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        fields = {mapping.get(_key(_cell_text(c))) for c in cells} - {None}
        if "address" in fields and len(fields) >= 2:
            return i
    return -1


def _table(
    label: str,
    records: list[tuple[int, list[Any]]],
    mapping: dict[str, str],
    header_row: int | None,
    tiers: Mapping[str, str],
) -> RegisterTable:
    at = _find_header(records, mapping, header_row)
    if at < 0:
        raise InputError(
            f"{label}: no header row in the first {HEADER_SEARCH_ROWS} rows: a row naming 住所 "
            "and at least one more column (世帯番号, 受持区, 区分 …; see docs/formats.md, or "
            "map your headers with --columns FILE.toml)"
        )
    hrow, hcells = records[at]
    header = [_cell_text(c).strip() for c in hcells]
    columns: list[str] = []
    first: dict[str, int] = {}
    for i, h in enumerate(header):
        name = mapping.get(_key(h), _key(h) or f"\0col{i}")
        if name in first and name in HEADERS:
            j = first[name]
            why = f"column {name} given twice (also {header[j]} ({_letter(j)}))"
            raise RowError(label, [(hrow, f"{h} ({_letter(i)})", why)])
        first.setdefault(name, i)
        columns.append(name)
    width = len(columns)
    value_maps = {**VALUES, "tier": dict(tiers)}
    rows: list[tuple[int, dict[str, str]]] = []
    as_written: list[list[str]] = []
    for row, cells in records[at + 1 :]:
        texts = [_cell_text(c) for c in cells[:width]]
        texts += [""] * (width - len(texts))
        out = dict(zip(columns, texts, strict=True))
        if "address_number" in out or "address_building" in out:
            out["address"] = _joined_address(out)
        if not out.get("address", "").strip():
            nonempty = [t for t in texts if t.strip()]
            if not nonempty or _TOTALS.match(nonempty[0].strip()):
                continue  # blank, totals and notes rows below the table
        for c in _ID_COLUMNS:
            if c in out and not out[c].isascii():
                out[c] = unicodedata.normalize("NFKC", out[c]).strip()
        for c, table in value_maps.items():
            raw = out.get(c)
            if raw:
                hit = table.get(unicodedata.normalize("NFKC", raw).strip())
                if hit is not None:
                    out[c] = hit
        rows.append((row, out))
        as_written.append(texts)
    if not rows:
        raise InputError(f"{label}: no data rows below the header (row {hrow})")
    return RegisterTable(label, hrow, header, columns, rows, as_written)


def _joined_address(cells: Mapping[str, str]) -> str:
    """住所 + 番地 + (space) 方書: ``みどり町`` + ``1-2-3`` + ``コーポ緑 101`` →
    ``みどり町1-2-3 コーポ緑 101``."""
    head = (cells.get("address", "").strip() + cells.get("address_number", "").strip()).strip()
    more = cells.get("address_building", "").strip()
    return f"{head} {more}".strip() if more else head


def relabel(error: RowError, table: RegisterTable) -> RowError:
    """The same problems with each column named as the register writes it (``住所 (D)``)."""
    return RowError(error.path, [(r, table.label(c), m) for r, c, m in error.problems])


# --------------------------------------------------------------------------------------------
# geocoding a register


@dataclass
class GeocodeRun:
    """A register with every row placed: ``table`` (with ``lon``, ``lat``, ``geocode_level``,
    ``geocode_note``), the per-row results (``None`` where the register had coordinates)."""

    table: RegisterTable
    results: list[Geocoded | None]

    def counts(self) -> dict[str, int]:
        """Rows per level (``given``: coordinates were in the register)."""
        out = dict.fromkeys((LEVEL_GO, LEVEL_BLOCK, LEVEL_CHOME, LEVEL_NONE, "given"), 0)
        for r in self.results:
            out["given" if r is None else r.level] += 1
        return out

    def review(self) -> list[tuple[int, dict[str, str]]]:
        """Rows at 町丁目 or none, as ``(row, cells)``."""
        return [
            (row, cells)
            for (row, cells), r in zip(self.table.numbered(), self.results, strict=True)
            if r is not None and r.level in (LEVEL_CHOME, LEVEL_NONE)
        ]


def geocode_register(
    table: RegisterTable, geocoder: Geocoder, *, every_row: bool = False
) -> GeocodeRun:
    """Place the register's rows: those without ``lon``/``lat`` (or every row).

    Returns
    -------
    GeocodeRun
        A new table; the input is not changed.  A row the geocoder cannot place keeps empty
        coordinates, so the importer refuses it with its row.
    """
    columns = list(table.columns)
    header = list(table.header)
    for c in GEOCODE_COLUMNS:
        if c not in columns:
            columns.append(c)
            header.append(c)
    cache: dict[str, Geocoded] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    results: list[Geocoded | None] = []
    for row, cells in table.numbered():
        out = {c: cells.get(c, "") for c in columns}
        has_point = out["lon"].strip() and out["lat"].strip()
        if has_point and not every_row:
            results.append(None)
            out["geocode_note"] = out["geocode_note"] or "coordinates from the register"
        else:
            address = out.get("address", "")
            hit = cache.get(address)
            if hit is None:
                hit = cache[address] = geocoder.geocode(address)
            results.append(hit)
            out["lon"] = "" if hit.lon is None else repr(hit.lon)
            out["lat"] = "" if hit.lat is None else repr(hit.lat)
            out["geocode_level"] = hit.level
            out["geocode_note"] = hit.note
        rows.append((row, out))
    new = RegisterTable(table.path, table.header_row, header, columns, rows, table.raw)
    return GeocodeRun(new, results)


def unplaced_problems(run: GeocodeRun) -> list[tuple[int, str, str]]:
    """``(row, 住所 (D), why)`` for every row the geocoder could not place."""
    col = run.table.label("address")
    return [
        (row, col, f"not placed by the geocoder: {r.note} (see geocode_review.csv)")
        for (row, _), r in zip(run.table.numbered(), run.results, strict=True)
        if r is not None and r.level == LEVEL_NONE
    ]


# --------------------------------------------------------------------------------------------
# writing (owner-only: names and addresses)

REVIEW_COLUMNS = ("row", "target_id", "address", "geocode_level", "geocode_note", "lon", "lat")


def review_csv(run: GeocodeRun) -> str:
    """``geocode_review.csv``: the rows at 町丁目 or none, with the row the register shows."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REVIEW_COLUMNS)
    for row, cells in run.review():
        w.writerow([row, *(cells.get(c, "") for c in REVIEW_COLUMNS[1:])])
    return "\ufeff" + buf.getvalue()


def review_map_html(run: GeocodeRun) -> str:
    """An offline page: 町丁目-level rows at their 町丁目 point (orange), 街区-level rows as grey
    dots, and a list of the rows not placed at all (no Leaflet CDN, no tiles)."""
    import folium
    from branca.element import Element

    from planner.maps import TooltipBind, map_page, offline_map, route_map_html

    placed = [
        (cells, r, r.lon, r.lat)
        for (_, cells), r in zip(run.table.numbered(), run.results, strict=True)
        if r is not None and r.lon is not None and r.lat is not None
    ]
    lats = [lat for *_, lat in placed] or [35.68]
    lons = [lon for *_, lon, _ in placed] or [139.76]
    m = offline_map(
        ((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2),
        None,
        "位置参照情報: 国土交通省 / Geolonia 住所データ (CC BY 4.0)",
    )
    groups: dict[tuple[str, float, float], list[tuple[dict[str, str], Geocoded]]] = {}
    for cells, r, lon, lat in placed:  # rows of one 街区 or 町丁目 share its point: one marker
        groups.setdefault((r.level, lon, lat), []).append((cells, r))
    for (level, lon, lat), rows in groups.items():
        chome = level == LEVEL_CHOME
        marker = folium.CircleMarker(
            (lat, lon),
            radius=7 if chome else 3,
            weight=1,
            color="#e65100" if chome else "#757575",
            fill=True,
            fill_opacity=0.8,
        )
        lines = [f"{c.get('target_id', '')} {c.get('address', '')}" for c, _ in rows[:8]]
        more = f"<br>… {len(rows) - 8} more" if len(rows) > 8 else ""
        text = (
            f"<b>{html.escape(level)}</b> {len(rows)} rows — {html.escape(rows[0][1].note)}"
            "<br>" + "<br>".join(html.escape(x) for x in lines) + more
        )
        marker.add_child(TooltipBind(tooltip=text))
        marker.add_to(m)
    none_rows = [
        (row, cells) for row, cells in run.review() if cells.get("geocode_level") == LEVEL_NONE
    ]
    items = "".join(
        f"<li>{row}: {html.escape(cells.get('address', ''))} — "
        f"{html.escape(cells.get('geocode_note', ''))}</li>"
        for row, cells in none_rows[:300]
    )
    if len(none_rows) > 300:
        items += f"<li>… {len(none_rows) - 300} more in geocode_review.csv</li>"
    counts = run.counts()
    panel = (
        '<div style="position:fixed;top:10px;right:10px;z-index:1000;background:#fff;'
        "padding:8px;max-width:360px;max-height:70%;overflow:auto;font-size:12px;"
        'border:1px solid #888">'
        f"<b>位置の確認</b><br>街区 {counts[LEVEL_BLOCK]}・町丁目 {counts[LEVEL_CHOME]}"
        f"（橙）・不明 {counts[LEVEL_NONE]}<br><ol>{items}</ol></div>"
    )
    map_page(m).html.add_child(Element(panel), name="geocode_review")
    if len(placed) > 1:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return route_map_html(m)


def write_review(run: GeocodeRun, folder: str | Path) -> tuple[Path, Path]:
    """Write ``geocode_review.csv`` and ``geocode_review.html`` into ``folder`` (owner-only)."""
    from planner.files import atomic_path

    folder = Path(folder)
    out_csv, out_html = folder / "geocode_review.csv", folder / "geocode_review.html"
    text, page = review_csv(run), review_map_html(run)
    with atomic_path(out_csv, private=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    with atomic_path(out_html, private=True) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out_csv, out_html


def write_table(table: RegisterTable, path: str | Path) -> None:
    """Write a register's rows (its own headers and cells as it wrote them, then any added
    columns) as ``.xlsx`` or a UTF-8 CSV with a BOM, owner-only."""
    from planner.files import atomic_path

    path = Path(path)
    rows = []
    for i, (_, cells) in enumerate(table.numbered()):
        raw = table.raw[i] if table.raw is not None else []
        rows.append(
            [
                raw[j] if j < len(raw) and c not in GEOCODE_COLUMNS else cells.get(c, "")
                for j, c in enumerate(table.columns)
            ]
        )
    with atomic_path(path, private=True) as tmp:
        if path.suffix.lower() == ".xlsx":
            import openpyxl

            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("案内簿")
            ws.append(table.header)
            for r in rows:
                ws.append(r)
            wb.save(tmp)
        else:
            buf = io.StringIO(newline="")
            w = csv.writer(buf, lineterminator="\r\n")
            w.writerow(table.header)
            w.writerows(rows)
            tmp.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")


def register_rows(
    station: Station, tiers: Mapping[str, str], columns: Sequence[str] = EXPORT_COLUMNS
) -> list[list[Any]]:
    """The station's targets as the export writes them: Japanese values, real dates."""
    labels = {code: label for label, code in tiers.items() if label.endswith("対象")} or {
        code: label for label, code in tiers.items()
    }
    out = []
    for t in station.targets:
        row: list[Any] = []
        for c in columns:
            value = getattr(t, c)
            if c in EXPORT_VALUES:
                value = EXPORT_VALUES[c][value]
            elif c == "tier":
                value = labels.get(value, value)
            elif c == "reasons":
                value = "、".join(value)
            elif c in ("lon", "lat"):
                value = float(value)
            row.append(value)
        out.append(row)
    return out


def write_register_xlsx(
    station: Station, path: str | Path, *, tiers: Mapping[str, str], coordinates: bool = True
) -> int:
    """Write the station's register as the office's workbook (owner-only), one row a target.

    A merged title row (``案内簿 — station``) sits above the Japanese header row, dates are
    date cells shown as 和暦, and :func:`read_register` reads it back to the same targets.
    Without ``coordinates`` the 経度・緯度 columns are left out (a register as offices keep it).

    Returns
    -------
    int
        Rows written.
    """
    import openpyxl
    from openpyxl.styles import Font

    from planner.files import atomic_path

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案内簿"
    columns = [c for c in EXPORT_COLUMNS if coordinates or c not in ("lon", "lat")]
    ws.append([f"案内簿 — {station.name}"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([HEADERS[c][0] for c in columns])
    rows = register_rows(station, tiers, columns)
    dates = [i + 1 for i, c in enumerate(columns) if c in ("last_visit", "moved_out")]
    for r in rows:
        ws.append(r)
    for col in dates:
        for (cell,) in ws.iter_rows(min_row=3, min_col=col, max_col=col):
            cell.number_format = "[$-411]ggge年m月d日"
    ws.freeze_panes = "A3"
    with atomic_path(path, private=True) as tmp:
        wb.save(tmp)
    return len(rows)


# --------------------------------------------------------------------------------------------
# import: registers read, placed and checked before anything is written


def needs_register(path: str | Path, *, options: bool) -> bool:
    """Whether a targets file goes through :func:`read_register`: a workbook always; a CSV when
    ``options`` (``--sheet``, ``--columns`` or ``--geocode-ref``) are given or its first line
    does not name ``target_id`` (Japanese headers, a title row); other files never."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return True
    if suffix not in {".csv", ".txt"}:
        return False
    if options:
        return True
    try:
        table = v.read_table(path)
    except InputError:
        return False  # the importer reports it
    return "target_id" not in table.columns


@dataclass
class RegisterImport:
    """What :func:`prepare_targets` made: the targets to import (paths or tables), the geocoding
    runs, the review files written and the problems that stop the import."""

    targets: list[str | Path | RegisterTable]
    runs: list[GeocodeRun]
    review: list[Path]
    problems: list[RowError]


def prepare_targets(
    paths: Sequence[str | Path],
    *,
    sheet: str | None = None,
    columns: Mapping[str, Any] | None = None,
    tiers: Mapping[str, str] | None = None,
    geocoder: Geocoder | None = None,
    review_dir: str | Path | None = None,
) -> RegisterImport:
    """Read registers and place their rows without coordinates (when a geocoder is given).

    Review files (``geocode_review.csv`` / ``.html``) are written to ``review_dir`` (default:
    the register's folder) for every register geocoded; they are not the station file.  Rows the
    geocoder cannot place are returned as problems (sheet, row, 住所 column), so the caller
    writes nothing to the station.
    """
    options = bool(sheet or columns or geocoder)
    out = RegisterImport([], [], [], [])
    for path in paths:
        if not needs_register(path, options=options):
            out.targets.append(path)
            continue
        table = read_register(path, sheet=sheet, columns=columns, tiers=tiers)
        if geocoder is not None:
            run = geocode_register(table, geocoder)
            out.runs.append(run)
            table = run.table
            out.review.extend(write_review(run, review_dir or Path(path).parent))
            problems = unplaced_problems(run)
            if problems:
                out.problems.append(RowError(table.path, problems))
        out.targets.append(table)
    return out


NO_COORDINATES_HINT = (
    "hint: rows without coordinates can be placed from their addresses offline: add "
    "--geocode-ref with MLIT 位置参照情報 (街区 / 大字・町丁目) or Geolonia 町丁目 files, or run "
    "planner geocode first (README: From your 案内簿 to a plan)"
)


def import_registers(
    db: str | Path,
    *,
    targets: Sequence[str | Path],
    sheet: str | None = None,
    columns_file: str | Path | None = None,
    refs: Sequence[str | Path] = (),
    review_dir: str | Path | None = None,
    **kwargs: Any,
) -> tuple[Station, RegisterImport]:
    """:func:`planner.store.import_files` with registers as offices keep them.

    Targets that are workbooks, CSV with Japanese headers, or need ``--sheet``/``--columns``/
    ``--geocode-ref`` are read by :func:`read_register` and, with ``refs``, placed by the
    geocoder (posts of the station and of this import make its area); the rest go to the
    importer as they are.  Errors name sheet, row and column as the register writes them.

    Raises
    ------
    InputError
        On any bad or unplaced row; the station file is then left as it was.
    """
    from planner.geocode import load_reference
    from planner.policy import load_policy
    from planner.store import posts_from_file, read_station

    options = bool(sheet or columns_file or refs)
    if not any(needs_register(p, options=options) for p in targets):
        plain: list[str | Path | RegisterTable] = list(targets)
        return _import(db, plain, {}, refs, kwargs), RegisterImport(plain, [], [], [])
    known = None
    with contextlib.suppress(InputError):
        known = read_station(db)
    policy_name = kwargs.get("policy_name") or (known.policy if known else None) or "miyagi"
    tiers = tier_labels(load_policy(policy_name).tiers)
    columns = load_columns(columns_file) if columns_file else None
    geocoder = None
    if refs:
        posts = list(known.posts) if known else []
        if kwargs.get("posts"):
            posts += posts_from_file(kwargs["posts"])
        geocoder = Geocoder(load_reference(refs), near=[(p.lon, p.lat) for p in posts])
    prepared = prepare_targets(
        targets, sheet=sheet, columns=columns, tiers=tiers, geocoder=geocoder, review_dir=review_dir
    )
    tables = {t.path: t for t in prepared.targets if isinstance(t, RegisterTable)}
    if len(prepared.problems) == 1:
        raise prepared.problems[0]
    if prepared.problems:
        raise InputError("\n".join(str(e) for e in prepared.problems))
    return _import(db, prepared.targets, tables, refs, kwargs), prepared


def _import(
    db: str | Path,
    targets: list[str | Path | RegisterTable],
    tables: Mapping[str, RegisterTable],
    refs: Sequence[str | Path],
    kwargs: dict[str, Any],
) -> Station:
    """:func:`planner.store.import_files`, its errors named as the registers write them."""
    from planner.store import import_files

    try:
        return import_files(db, targets=targets, **kwargs)
    except RowError as exc:
        table = tables.get(exc.path)
        err = relabel(exc, table) if table is not None else exc
        if not refs and any(
            c in ("lon", "lat") or "経度" in c or "緯度" in c
            for _, c, m in err.problems
            if "missing" in m
        ):
            err.args = (f"{err}\n{NO_COORDINATES_HINT}",)
        raise err from None


def parse_near(values: Iterable[str]) -> list[tuple[float, float]]:
    """``["140.87,38.26"]`` → ``[(140.87, 38.26)]``.

    Raises
    ------
    InputError
        If a value is not ``LON,LAT`` in range.
    """
    out = []
    for raw in values:
        try:
            lon, lat = (float(x) for x in unicodedata.normalize("NFKC", raw).split(","))
        except ValueError:
            raise InputError(f"--near {raw!r}: write LON,LAT, e.g. 140.8700,38.2700") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"--near {raw!r}: out of range (lon and lat swapped?)")
        out.append((lon, lat))
    return out


def geocode_file(
    register: str | Path,
    *,
    refs: Sequence[str | Path],
    out: str | Path,
    sheet: str | None = None,
    columns_file: str | Path | None = None,
    near: Iterable[str] = (),
) -> tuple[dict[str, int], list[Path]]:
    """``planner geocode``: read, place and write a register, with its review list and map.

    Everything is read and placed before the first file is written; ``out`` (``.xlsx`` or
    ``.csv``) and the review files beside it are owner-only.

    Returns
    -------
    tuple
        Rows per level (:meth:`GeocodeRun.counts`) and the files written.
    """
    from planner.geocode import load_reference

    points = parse_near(near)
    out = Path(out)
    if out.suffix.lower() not in {".xlsx", ".csv"}:
        raise InputError(f"--out {out}: write .xlsx or .csv")
    if out.resolve() == Path(register).resolve():
        raise InputError(f"--out {out}: must not overwrite the register")
    columns = load_columns(columns_file) if columns_file else None
    table = read_register(register, sheet=sheet, columns=columns)
    geocoder = Geocoder(load_reference(refs), near=points)
    run = geocode_register(table, geocoder)
    write_table(run.table, out)
    return run.counts(), [out, *write_review(run, out.parent)]


def export_register(db: str | Path, out: str | Path, *, redact: bool = False) -> tuple[int, int]:
    """``planner export --format xlsx``: the station's register as the office's workbook.

    Written owner-only; an export with names is entered in the station's access log.

    Returns
    -------
    tuple of int
        Rows written and named records (0 when ``redact``).
    """
    from planner.policy import load_policy
    from planner.redact import named_records, redacted
    from planner.store import log_access, read_station

    if Path(out).suffix.lower() != ".xlsx":
        raise InputError(f"--out {out}: a register workbook ends in .xlsx")
    station = read_station(db)
    policy = load_policy(station.policy)
    copy = redacted(station, policy.sensitive_reasons) if redact else station
    rows = write_register_xlsx(copy, out, tiers=tier_labels(policy.tiers))
    records = named_records(copy)
    if records:
        log_access(db, f"export → {out} (案内簿)", records)
    return rows, records


# --------------------------------------------------------------------------------------------
# the demo's register, kept as an office keeps it

DEMO_CITY = ("宮城県", "緑ケ丘市")
"""Prefecture and (made-up) city of the demo's reference file."""
_DEMO_CHOME = re.compile(r"^(?P<town>.+?)(?P<chome>\d+)丁目(?P<block>\d+)番")
_DEMO_BANCHI = re.compile(r"^大字(?P<town>[^字]+)字(?P<koaza>[^0-9]+?)(?P<block>\d+)番地")


def demo_reference_rows(station: Station, *, leave_out: int = 40) -> list[tuple]:
    """A 街区 file for the demo town: each 街区 (and 地番) at the mean of its targets; every
    ``leave_out``-th 街区 left out, so that its households reach only the 町丁目 (review)."""
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for t in station.targets:
        m = _DEMO_CHOME.match(t.address)
        if m:
            key = (f"{m['town']}{m['chome']}丁目", "", m["block"])
        else:
            m = _DEMO_BANCHI.match(t.address)
            if m is None:
                continue
            key = (m["town"], m["koaza"], m["block"])
        groups.setdefault(key, []).append((t.lon, t.lat))
    rows = []
    for i, (key, pts) in enumerate(sorted(groups.items())):
        if leave_out and i % leave_out == leave_out - 1:
            continue
        lon = sum(p[0] for p in pts) / len(pts)
        lat = sum(p[1] for p in pts) / len(pts)
        rows.append((*DEMO_CITY, key[0], key[1], key[2], round(lon, 6), round(lat, 6)))
    return rows


def demo_register(station: Station, out_dir: str | Path, *, today: date) -> list[str]:
    """The demo's register as an office keeps it, placed by the geocoder and imported.

    Writes ``out_dir/案内簿.xlsx`` (no coordinates) and into ``out_dir/register/``:
    ``街区_demo.csv`` (a small reference in the MLIT 街区レベル shape, CP932), ``案内簿.gpkg``
    (a station with the demo's posts, beats and officers and the register imported through the
    geocoder) and the review files.  The demo's own station file is not touched.

    Returns
    -------
    list of str
        Lines for the demo to print.
    """
    from planner.files import atomic_path
    from planner.geocode import block_csv
    from planner.policy import load_policy
    from planner.roster import PATTERNS
    from planner.store import write_station

    folder = Path(out_dir) / "register"
    tiers = tier_labels(load_policy(station.policy).tiers)
    xlsx, ref, db = Path(out_dir) / "案内簿.xlsx", folder / "街区_demo.csv", folder / "案内簿.gpkg"
    write_register_xlsx(station, xlsx, tiers=tiers, coordinates=False)
    with atomic_path(ref, private=False) as tmp:
        tmp.write_bytes(block_csv(demo_reference_rows(station)))
    empty = Station(
        station.name,
        station.policy,
        posts=list(station.posts),
        beats=list(station.beats),
        officers=list(station.officers),
    )
    write_station(empty, db)
    placed, prepared = import_registers(
        db, targets=[xlsx], refs=[ref], patterns=set(PATTERNS), today=today, review_dir=folder
    )
    true = {t.target_id: (t.lon, t.lat) for t in station.targets}
    errors = sorted(geo.great_circle_m(t.lon, t.lat, *true[t.target_id]) for t in placed.targets)
    counts = prepared.runs[0].counts()
    share = 100 * (counts[LEVEL_BLOCK] + counts[LEVEL_GO]) / max(1, len(placed.targets))
    return [
        f"wrote {xlsx} (no coordinates) and {ref}",
        f"imported through the geocoder into {db}: {len(placed.targets)} targets, "
        f"{share:.1f} % at 街区, {counts[LEVEL_CHOME]} at 町丁目 and {counts[LEVEL_NONE]} "
        f"not placed (listed in {folder / 'geocode_review.csv'}); median "
        f"{errors[len(errors) // 2]:.0f} m from the demo's own points",
    ]
