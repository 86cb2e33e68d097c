"""Field parsers, the CSV reader and the row-checking loop shared by every input file.

Each parser takes the raw text of one cell and returns a typed value or raises ``ValueError`` with
a message meant for the user; :func:`check_rows` runs them over a file and gathers every problem
with its row and column, so one run shows the user everything to fix.

:func:`read_table` reads what Japanese offices write: UTF-8 with or without a BOM, UTF-16 with a
BOM (Excel's "Unicode テキスト", tab-separated), or Shift_JIS (CP932).  Rows are numbered as a
spreadsheet shows them (the header is row 1; comment and blank lines count as rows), and rows are
parsed lazily, so a huge or garbage file is refused early and in bounded memory.  Dates may be
written the Japanese way too (:func:`parse_date`: ``2027/4/1``, ``令和9年4月1日``, ``R9.4.1``).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, overload

from planner._errors import InputError, RowError

Parser = Callable[[str], Any]

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest input file read (a 100,000-target register is about 15 MB)."""
MAX_ROWS = 1_000_000
"""Most data rows one input file may have."""
MAX_PROBLEMS = 1000
"""Problems gathered before :func:`check_rows` stops reading a file."""
EXTRA = "\0extra"
"""Key set in a row that has more (non-empty) cells than the header has columns."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an input file: its name, whether it is required, and its parser."""

    name: str
    parse: Parser
    required: bool = True
    default: Any = None


# --------------------------------------------------------------------------------------------
# cell parsers


def text(raw: str) -> str:
    """Stripped text; empty is allowed."""
    return raw.strip()


def nonempty(raw: str) -> str:
    """Stripped text that must not be empty."""
    value = raw.strip()
    if not value:
        raise ValueError("empty value")
    return value


def _numeric(raw: str) -> str:
    """Cell text for a number: full-width digits, points and minus signs made ASCII."""
    value = raw.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value).replace("\u2212", "-").strip()
    return value


def integer(lo: int | None = None, hi: int | None = None) -> Parser:
    """A parser for whole numbers within ``[lo, hi]`` (full-width digits are accepted)."""

    def parse(raw: str) -> int:
        cell = _numeric(raw)
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"{raw.strip()!r} is not a number") from None
        if not value.is_integer():
            raise ValueError(f"{raw.strip()!r} is not a whole number")
        value = int(value)
        if lo is not None and value < lo:
            raise ValueError(f"{value} is below the minimum {lo}")
        if hi is not None and value > hi:
            raise ValueError(f"{value} is above the maximum {hi}")
        return value

    return parse


def optional(parse: Parser) -> Parser:
    """Wrap a parser so that an empty cell gives ``None``."""

    def wrapped(raw: str) -> Any:
        return None if not raw.strip() else parse(raw)

    return wrapped


def number(lo: float, hi: float, what: str) -> Parser:
    """A parser for finite floats within ``[lo, hi]`` (full-width digits are accepted)."""

    def parse(raw: str) -> float:
        cell = _numeric(raw)
        if not cell:
            raise ValueError(f"missing {what}")
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"{raw.strip()!r} is not a number") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"{what} {value} is out of range [{lo}, {hi}]")
        return value

    return parse


def choice(enum: type[StrEnum]) -> Parser:
    """A parser for one value of a string enum (case-insensitive, full-width accepted)."""
    allowed = {e.value: e for e in enum}
    names = ", ".join(allowed)
    seen: dict[str, StrEnum] = {}

    def parse(raw: str) -> StrEnum:
        hit = seen.get(raw)
        if hit is not None:
            return hit
        value = unicodedata.normalize("NFKC", raw).strip().lower()
        if value not in allowed:
            raise ValueError(f"{raw.strip()!r} is not one of {names}")
        if len(seen) < 1000:
            seen[raw] = allowed[value]
        return allowed[value]

    return parse


# --------------------------------------------------------------------------------------------
# dates, Western and Japanese

_ERAS: dict[str, tuple[date, date | None]] = {
    "令和": (date(2019, 5, 1), None),
    "平成": (date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": (date(1926, 12, 25), date(1989, 1, 7)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}
_WEEKDAYS = "月火水木金土日"
_MONTH_DAY = (
    r"(?:年(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日?"  # 2027年4月1日
    r"|(?P<sep>[/.\-])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2}))"  # 2027/4/1, R9.4.1
)
_MIDNIGHT = re.compile(r"\s+0?0:00(?::00)?$")  # a spreadsheet's date cell written with its time
_WESTERN = re.compile(r"(?P<year>\d{4})" + _MONTH_DAY)
_JAPANESE = re.compile(r"(?P<era>令和|平成|昭和|[RHS])(?P<year>元|\d{1,2})" + _MONTH_DAY, re.I)
_WEEKDAY_SUFFIX = re.compile(r"\(([月火水木金土日])(?:曜日?)?\)$")
DATE_FORMATS = "2027-04-01, 2027/4/1, 2027年4月1日, 令和9年4月1日 or R9.4.1"
"""The ways a date may be written, as error messages list them."""


def parse_date(raw: str) -> date:
    """Parse a date as officers write it.

    Accepted: ISO ``2027-04-01``; ``2027/4/1``, ``2027.4.1``, ``2027年4月1日``; 和暦 with the era
    in kanji or as a letter — ``令和9年4月1日``, ``令和元年5月1日``, ``R9.4.1``, ``H31.4.30``,
    ``S64/1/7`` (令和, 平成, 昭和; ``元`` = year 1); full-width digits; a weekday in brackets at
    the end (``令和9年4月1日(木)``), which must be the date's weekday; a midnight time after the
    date (``2027/4/1 0:00``), as spreadsheets export date cells.

    Raises
    ------
    ValueError
        If the text is none of these, is no calendar day, lies outside its era (平成 ended on
        2019-04-30), or names the wrong weekday.  The message starts ``'…' is not a date``.
    """
    shown = raw.strip()
    cell = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", raw).strip())
    cell = re.sub(r"\s+", "", cell)
    try:
        return date.fromisoformat(cell)
    except ValueError:
        pass
    weekday = None
    suffix = _WEEKDAY_SUFFIX.search(cell)
    if suffix:
        weekday = suffix.group(1)
        cell = cell[: suffix.start()]
    era = None
    m = _WESTERN.fullmatch(cell)
    if m:
        year = int(m["year"])
    else:
        m = _JAPANESE.fullmatch(cell)
        if m is None:
            raise ValueError(f"{shown!r} is not a date (write {DATE_FORMATS})")
        era = _ERA_LETTERS.get(m["era"].upper(), m["era"])
        era_year = 1 if m["year"] == "元" else int(m["year"])
        if era_year < 1:
            raise ValueError(f"{shown!r} is not a date: {era} has no year 0 (write {era}元年)")
        year = _ERAS[era][0].year + era_year - 1
    month, day = (m["m1"], m["d1"]) if m["m1"] else (m["m2"], m["d2"])
    try:
        value = date(year, int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"{shown!r} is not a date: {exc}") from None
    if era is not None:
        first, last = _ERAS[era]
        if value < first or (last is not None and value > last):
            ends = f"ended on {last}" if last and value > last else f"began on {first}"
            raise ValueError(f"{shown!r} is not a date: {era} {ends} (it would be {value})")
    if weekday is not None and _WEEKDAYS[value.weekday()] != weekday:
        raise ValueError(
            f"{shown!r} is not a date: {value} is a "
            f"{_WEEKDAYS[value.weekday()]}曜日, not {weekday}曜日"
        )
    return value


def iso_date(*, not_after: date | None = None) -> Parser:
    """A parser for dates (ISO, ``2027/4/1`` or 和暦: :func:`parse_date`), optionally not later
    than ``not_after``."""

    def parse(raw: str) -> date:
        value = parse_date(raw)
        if not_after is not None and value > not_after:
            raise ValueError(f"{value} is in the future")
        return value

    return parse


def codes(raw: str) -> tuple[str, ...]:
    """Codes such as ``H2,H3``: separated by commas (also 、，), ・, ; or spaces; full-width
    letters and digits are accepted."""
    cleaned = unicodedata.normalize("NFKC", raw).upper()
    for sep in ("、", "・", ";", "，"):
        cleaned = cleaned.replace(sep, ",")
    parts = cleaned.replace(",", " ").split()
    return tuple(sorted(set(parts), key=_code_key))


def _code_key(code: str) -> tuple[str, int]:
    head = code.rstrip("0123456789")
    tail = code[len(head) :]
    return head, int(tail) if tail else 0


# --------------------------------------------------------------------------------------------
# reading files


def decode_text(data: bytes, path: str | Path) -> str:
    """Decode an input file: UTF-8 (BOM or not), UTF-16 with a BOM, or Shift_JIS (CP932).

    Raises
    ------
    InputError
        If the bytes are binary, in no encoding we can read, or could be Shift_JIS as well as
        EUC-JP (the message says to save the file as UTF-8).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not readable UTF-16 text: {exc.reason}") from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError(
            f"{path}: a binary file, not text (NUL byte on line {line}); save it as CSV UTF-8"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    try:
        content = data.decode("cp932")
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: not UTF-8 or Shift_JIS (CP932) text (first bad byte on line "
            f"{line}); save it as CSV UTF-8"
        ) from None
    try:
        other = data.decode("euc_jp")
    except UnicodeDecodeError:
        return content
    if other != content:
        raise InputError(
            f"{path}: cannot tell whether this is Shift_JIS or EUC-JP text; save it as CSV UTF-8"
        )
    return content


def read_text(path: str | Path) -> str:
    """The text of a small input file (TOML, XML) decoded as :func:`decode_text` does.

    Raises
    ------
    InputError
        If the file is missing, too large, or not text we can read.
    """
    return decode_text(_read_bytes(Path(path)), path)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: {size / 2**20:.0f} MB, larger than the "
                f"{MAX_FILE_BYTES // 2**20} MB an input file may have"
            )
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc


class Table(Sequence[dict[str, str]]):
    """The data rows of a CSV file as ``{column: text}``, parsed from the text when iterated.

    ``columns`` are the header's names (stripped, NFKC-normalised, lower case); ``header_row`` is
    the header's row number.  Comment lines (``#``) and blank rows are skipped but counted, so
    :meth:`numbered` gives the row numbers a spreadsheet shows.  A row with more non-empty cells
    than the header has columns carries the key :data:`EXTRA`; missing trailing cells are ``""``.
    """

    def __init__(self, path: str | Path, content: str):
        self.path = str(path)
        self._content = content
        self._delimiter = ","
        self._cache: list[dict[str, str]] | None = None
        self._rows: list[int] | None = None
        header = next(self._records(), None)
        if header is None:
            raise InputError(f"{path}: empty file (no header row)")
        self.header_row, cells = header
        if "\t" in cells[0] and len(cells) == 1:
            self._delimiter = "\t"
            self.header_row, cells = next(self._records())
        self.columns = [unicodedata.normalize("NFKC", c).strip().lower() for c in cells]
        seen: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            if name and name in seen:
                raise RowError(
                    self.path,
                    [
                        (
                            self.header_row,
                            name,
                            f"column given twice (cells {seen[name] + 1} and {i + 1})",
                        )
                    ],
                )
            seen[name] = i

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """``(row, cells)`` of every non-blank record, header included.

        A line starting with ``#`` is a comment unless it continues a quoted cell (quotes are
        counted as a CSV writer writes them: ``""`` inside a quoted cell).
        """
        comments = 0

        def lines() -> Iterator[str]:
            nonlocal comments
            quoted = False  # inside a quoted cell that goes on over the line end
            for line in _lines(self._content):
                if not quoted and line.lstrip().startswith("#"):
                    comments += 1
                    continue
                if line.count('"') % 2:
                    quoted = not quoted
                yield line

        reader = csv.reader(lines(), delimiter=self._delimiter)
        records = 0
        try:
            for cells in reader:
                records += 1
                if any(c.strip() for c in cells):
                    yield records + comments, cells
        except csv.Error as exc:
            raise InputError(
                f"{self.path}: row {records + comments + 1}: not a CSV row: {exc}"
            ) from None

    def numbered(self) -> Iterator[tuple[int, dict[str, str]]]:
        """``(row, {column: text})`` for every data row, as a spreadsheet numbers them."""
        columns = self.columns
        width = len(columns)
        records = self._records()
        for row, _ in records:
            if row == self.header_row:
                break
        for count, (row, cells) in enumerate(records, start=1):
            if count > MAX_ROWS:
                raise InputError(f"{self.path}: more than {MAX_ROWS:,} data rows; split the file")
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            out = dict(zip(columns, cells, strict=False))
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                out[EXTRA] = "1"
            yield row, out

    def row_numbers(self) -> list[int]:
        """The row number of each data row."""
        if self._rows is None:
            self._rows = [row for row, _ in self.numbered()]
        return self._rows

    def __iter__(self) -> Iterator[dict[str, str]]:
        return (r for _, r in self.numbered())

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None

    def __len__(self) -> int:
        return len(self.row_numbers())

    @overload
    def __getitem__(self, i: int) -> dict[str, str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, str]]: ...
    def __getitem__(self, i):
        if self._cache is None:
            self._cache = list(self)
        return self._cache[i]


def _lines(content: str) -> Iterator[str]:
    """The lines of a text with their ends, lazily (no copy of a huge file); a file with only
    ``\\r`` line ends (old Macs) is split on those."""
    end_char = "\n" if "\n" in content or "\r" not in content else "\r"
    start, size = 0, len(content)
    while start < size:
        end = content.find(end_char, start)
        end = size if end < 0 else end + 1
        yield content[start:end]
        start = end


def read_table(path: str | Path) -> Table:
    """Read a CSV file as rows of text (see :class:`Table`).

    UTF-8 (with or without BOM), UTF-16 with a BOM (tab-separated as Excel writes it) or
    Shift_JIS/CP932; lines starting with ``#`` are comments; rows whose cells are all empty
    (as Excel writes below a table) are skipped.

    Raises
    ------
    InputError
        If the file is missing, larger than :data:`MAX_FILE_BYTES`, empty, binary, in no
        encoding we can read unambiguously, not CSV (e.g. one cell over 128 KB), or its header
        names a column twice.
    """
    path = Path(path)
    return Table(path, decode_text(_read_bytes(path), path))


class Rows(list):
    """Parsed rows (a list) that also know the row number of each (``row_numbers``)."""

    row_numbers: list[int]


def row_numbers(rows: Sequence[Any]) -> list[int]:
    """Spreadsheet row numbers of ``rows`` (a :class:`Table` or :func:`check_rows`' result);
    for a plain list, 2, 3, … as if the file had one header row and no blank rows."""
    numbers = getattr(rows, "row_numbers", None)
    if callable(numbers):
        return numbers()
    if numbers is not None:
        return numbers
    return list(range(2, len(rows) + 2))


def check_rows(
    path: str | Path,
    rows: Iterable[Mapping[str, str]],
    columns: Sequence[Column],
    *,
    row_checks: Iterable[Callable[[dict[str, Any]], list[tuple[str, str]]]] = (),
) -> Rows:
    """Parse every row with ``columns`` and run ``row_checks``; raise one error with all problems.

    ``rows`` is a :class:`Table` (from :func:`read_table`) or a list of ``{column: text}``.
    ``row_checks`` take the parsed row and return ``(column, message)`` pairs; they run only on
    rows whose cells all parsed.  Row numbers are as a spreadsheet shows them: the header is
    row 1.  Reading stops after :data:`MAX_PROBLEMS` problems.

    Returns
    -------
    Rows
        The parsed rows, with their ``row_numbers``.

    Raises
    ------
    RowError
        Listing every ``(row, column, message)`` problem found.
    """
    numbered: Iterable[tuple[int, Mapping[str, str]]]
    if isinstance(rows, Table):
        header, header_row, numbered = set(rows.columns), rows.header_row, rows.numbered()
    else:
        rows = list(rows)
        header = set(rows[0]) if rows else set(c.name for c in columns)
        header_row, numbered = 1, enumerate(rows, start=2)
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise RowError(str(path), [(header_row, m, "required column is missing") for m in missing])
    checks = list(row_checks)
    spec = [(c.name, c.parse, c.required, c.default) for c in columns]
    problems: list[tuple[int, str, str]] = []
    parsed = Rows()
    numbers: list[int] = []
    for i, row in numbered:
        if EXTRA in row:
            problems.append((i, "-", "more cells than header columns"))
            continue
        out: dict[str, Any] = {}
        ok = True
        for name, parse, required, default in spec:
            raw = row.get(name) or ""
            if not required and not raw.strip():
                out[name] = default
                continue
            try:
                out[name] = parse(raw)
            except ValueError as exc:
                problems.append((i, name, str(exc)))
                ok = False
        if ok:
            for check in checks:
                problems.extend((i, c, m) for c, m in check(out))
        parsed.append(out)
        numbers.append(i)
        if len(problems) >= MAX_PROBLEMS:
            problems.append((i, "-", f"stopped reading after {MAX_PROBLEMS} problems"))
            break
    if problems:
        raise RowError(str(path), problems)
    parsed.row_numbers = numbers
    return parsed


def duplicates(values: Iterable[str]) -> dict[str, list[int]]:
    """Values that occur more than once, with their 0-based positions."""
    seen: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        seen.setdefault(v, []).append(i)
    return {v: pos for v, pos in seen.items() if len(pos) > 1}


def duplicate_ids(rows: Sequence[Mapping[str, Any]], key: str) -> list[tuple[int, str, str]]:
    """``(row, key, message)`` for every row whose ``key`` an earlier row already has, with
    spreadsheet row numbers (:func:`row_numbers`)."""
    numbers = row_numbers(rows)
    return sorted(
        (numbers[pos], key, f"duplicate id {ident!r} (also on row {numbers[positions[0]]})")
        for ident, positions in duplicates(str(r[key]) for r in rows).items()
        for pos in positions[1:]
    )
