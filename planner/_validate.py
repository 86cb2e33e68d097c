"""Field parsers and the row-checking loop shared by every input file.

Each parser takes the raw text of one cell and returns a typed value or raises ``ValueError`` with
a message meant for the user; :func:`check_rows` runs them over a file and gathers every problem
with its row and column, so one run shows the user everything to fix.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner._errors import InputError, RowError

Parser = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an input file: its name, whether it is required, and its parser."""

    name: str
    parse: Parser
    required: bool = True
    default: Any = None


def text(raw: str) -> str:
    """Stripped text; empty is allowed."""
    return raw.strip()


def nonempty(raw: str) -> str:
    """Stripped text that must not be empty."""
    value = raw.strip()
    if not value:
        raise ValueError("empty value")
    return value


def integer(lo: int | None = None, hi: int | None = None) -> Parser:
    """A parser for whole numbers within ``[lo, hi]``."""

    def parse(raw: str) -> int:
        try:
            value = float(raw.strip())
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
    """A parser for finite floats within ``[lo, hi]``."""

    def parse(raw: str) -> float:
        if not raw.strip():
            raise ValueError(f"missing {what}")
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"{raw.strip()!r} is not a number") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"{what} {value} is out of range [{lo}, {hi}]")
        return value

    return parse


def choice(enum: type[StrEnum]) -> Parser:
    """A parser for one value of a string enum (case-insensitive)."""
    allowed = [e.value for e in enum]

    def parse(raw: str) -> StrEnum:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"{raw.strip()!r} is not one of {', '.join(allowed)}")
        return enum(value)

    return parse


def iso_date(*, not_after: date | None = None) -> Parser:
    """A parser for ISO dates (YYYY-MM-DD), optionally not later than ``not_after``."""

    def parse(raw: str) -> date:
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(f"{raw.strip()!r} is not a date (YYYY-MM-DD)") from None
        if not_after is not None and value > not_after:
            raise ValueError(f"{value} is in the future")
        return value

    return parse


def codes(raw: str) -> tuple[str, ...]:
    """Comma-separated codes (``H2,H3``); full-width commas and spaces are accepted."""
    cleaned = raw.replace("、", ",").replace("，", ",").replace(" ", "")
    return tuple(sorted({c.upper() for c in cleaned.split(",") if c}, key=_code_key))


def _code_key(code: str) -> tuple[str, int]:
    head = code.rstrip("0123456789")
    tail = code[len(head) :]
    return head, int(tail) if tail else 0


def read_table(path: Path) -> list[dict[str, str]]:
    """Read a CSV file as rows of text, UTF-8 (with or without BOM) or Shift_JIS/CP932.

    Raises
    ------
    InputError
        If the file is missing, empty, or in no encoding we can read unambiguously.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    for encoding in ("utf-8-sig", "cp932"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}: not UTF-8 or Shift_JIS (CP932) text")
    lines = [ln for ln in content.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if not reader.fieldnames:
        raise InputError(f"{path}: empty file (no header row)")
    reader.fieldnames = [f.strip() for f in reader.fieldnames]
    rows = []
    for row in reader:
        if None in row:
            rows.append({**{k: v or "" for k, v in row.items() if k is not None}, "\0extra": "1"})
        else:
            rows.append({k: v or "" for k, v in row.items()})
    return rows


def check_rows(
    path: str | Path,
    rows: Sequence[Mapping[str, str]],
    columns: Sequence[Column],
    *,
    row_checks: Iterable[Callable[[dict[str, Any]], list[tuple[str, str]]]] = (),
) -> list[dict[str, Any]]:
    """Parse every row with ``columns`` and run ``row_checks``; raise one error with all problems.

    ``row_checks`` take the parsed row and return ``(column, message)`` pairs.
    Row numbers are as a spreadsheet shows them: the header is row 1.

    Raises
    ------
    RowError
        Listing every ``(row, column, message)`` problem found.
    """
    names = {c.name for c in columns}
    header = set(rows[0]) if rows else set()
    missing = [c.name for c in columns if c.required and rows and c.name not in header]
    if missing:
        raise RowError(str(path), [(1, m, "required column is missing") for m in missing])
    checks = list(row_checks)
    problems: list[tuple[int, str, str]] = []
    parsed: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=2):
        if "\0extra" in row:
            problems.append((i, "-", "more cells than header columns"))
            continue
        out: dict[str, Any] = {}
        for col in columns:
            raw = row.get(col.name, "")
            if raw is None:
                raw = ""
            if not raw.strip() and not col.required:
                out[col.name] = col.default
                continue
            try:
                out[col.name] = col.parse(raw)
            except ValueError as exc:
                problems.append((i, col.name, str(exc)))
        if len(out) == len(names):
            for check in checks:
                problems.extend((i, c, m) for c, m in check(out))
        parsed.append(out)
    if problems:
        raise RowError(str(path), problems)
    return parsed


def duplicates(values: Iterable[str]) -> dict[str, list[int]]:
    """Values that occur more than once, with their 0-based positions."""
    seen: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        seen.setdefault(v, []).append(i)
    return {v: pos for v, pos in seen.items() if len(pos) > 1}
