"""The chance that somebody answers the door, by household type, weekday/weekend and time slot.

The numbers are the absence table of ``shared/domain.md`` (estimates shaped to the Kumamoto
metropolitan survey of 2012, where 51.5 % of households had every member out at 11:00 on a
weekday), shipped as ``planner/data/absence.csv`` so a 地域課 can replace them with its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planner._errors import InputError
from planner.model import Availability, HouseholdType

ABSENCE_FILE = Path(__file__).parent / "data" / "absence.csv"
COLUMNS = (
    "weekday_9_12", "weekday_12_15", "weekday_15_17", "weekday_17_19", "weekday_19_21",
    "weekend_10_18",
)  # fmt: skip

# Which columns of the table a plan slot stands for.  A weekday day slot spans 9:00–17:00, so it
# is the mean of the three day columns; the weekend has one daytime column and, for lack of data,
# the weekday evening columns in the evening.
SLOT_COLUMNS: Mapping[tuple[bool, str], tuple[str, ...]] = {
    (False, "day"): ("weekday_9_12", "weekday_12_15", "weekday_15_17"),
    (False, "evening"): ("weekday_17_19",),
    (False, "night"): ("weekday_19_21",),
    (True, "day"): ("weekend_10_18",),
    (True, "evening"): ("weekday_17_19",),
    (True, "night"): ("weekday_19_21",),
}

# Slots a household's card availability allows (``unknown``: any slot, chance from the table).
ALLOWED_SLOTS: Mapping[Availability, frozenset[str]] = {
    Availability.DAY: frozenset({"day"}),
    Availability.EVENING: frozenset({"evening", "night"}),
    Availability.ANY: frozenset({"day", "evening", "night"}),
    Availability.UNKNOWN: frozenset({"day", "evening", "night"}),
}


@dataclass(frozen=True, slots=True)
class AbsenceTable:
    """Share of doors where nobody answers, per household type and column of :data:`COLUMNS`."""

    rows: Mapping[HouseholdType, Mapping[str, float]]

    def answer_chance(self, household_type: HouseholdType, *, weekend: bool, slot: str) -> float:
        """Chance that somebody answers in a slot (``day``, ``evening``, ``night``)."""
        cols = SLOT_COLUMNS[(weekend, slot)]
        row = self.rows[household_type]
        return 1.0 - sum(row[c] for c in cols) / len(cols)


def load_absence(path: str | Path | None = None) -> AbsenceTable:
    """Read an absence table (default: the shipped ``planner/data/absence.csv``).

    Raises
    ------
    InputError
        If a household type or column is missing or a value is not a share in [0, 1].
    """
    path = Path(path) if path else ABSENCE_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    rows: dict[HouseholdType, dict[str, float]] = {}
    for i, rec in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        try:
            kind = HouseholdType(rec["household_type"].strip())
        except (KeyError, ValueError):
            raise InputError(f"{path}: row {i}: unknown household_type") from None
        values = {}
        for col in COLUMNS:
            try:
                value = float(rec[col])
            except (KeyError, TypeError, ValueError):
                raise InputError(
                    f"{path}: row {i}, column {col}: missing or not a number"
                ) from None
            if not 0.0 <= value <= 1.0:
                raise InputError(f"{path}: row {i}, column {col}: {value} is not in [0, 1]")
            values[col] = value
        rows[kind] = values
    missing = [h.value for h in HouseholdType if h not in rows]
    if missing:
        raise InputError(f"{path}: no row for household types {', '.join(missing)}")
    return AbsenceTable(rows)
