"""The contact model of the field simulation: who answers the door, what happens there, how long.

One module holds every number the simulators (:mod:`planner.simulator`, :mod:`planner.simulate`)
draw doors with; each says where it comes from (S = a public source, E = an estimate, see
``shared/domain.md``).  All are parameters.

* **Answer chance** by household type, weekday/weekend and slot: the absence table of
  ``shared/domain.md`` (E, shaped to the Kumamoto metropolitan survey of 2012, S: 51.5 % of
  households had every member out at 11:00 on a weekday), shipped as
  ``planner/data/absence.csv`` so that a 地域課 can replace it with its own
  (:func:`load_absence`).
* **What an answered door gives** (:class:`FieldParams`): a refusal in ``refusal`` of contacts
  (domain notes: 5–10 %, E), a household that has moved out in ``move_rate`` of them (E: ~3–8 %
  of households move a year; the share found at one door call is far smaller).
* **Minutes at the door** (:class:`FieldParams`): the interview itself is the target's
  ``visit_minutes`` (domain notes: 15 for a new card, 5 for an update, E); leaving a CR名刺 at
  an unanswered door 2 minutes (domain notes, E); a refusal or a moved-out household takes as
  long as leaving a card.  *Waiting*: before an unanswered door is judged empty the officer
  rings, waits, rings or knocks again and waits: ``wait_absent_min`` = 1.0 min (E: two rings
  about 30 s apart and 30 s more); at an answered door, until somebody comes to the door or
  the intercom, ``wait_answer_min`` = 0.5 min (E).  No source we know measures either for
  巡回連絡 or census work; both are estimates, small next to the interview and the walk, and a
  地域課 can set its own.
* **The year around the doors** (:class:`FieldParams`): ``new_per_month`` new households move into
  each beat a month (E: ~3–8 % turnover a year over a 1,000-household beat is 2.5–7 a month;
  2 keeps the demo small); the officer sees one (a new nameplate) when calling at a door within
  ``new_seen_m`` of it and makes a 仮カード; a never-met household found absent gets a 仮カード from
  its nameplate or meter with chance ``provisional_from_absent`` (E).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner._errors import InputError
from planner.model import Availability, HouseholdType, Outcome

ABSENCE_FILE = Path(__file__).parent / "data" / "absence.csv"
COLUMNS = (
    "weekday_9_12",
    "weekday_12_15",
    "weekday_15_17",
    "weekday_17_19",
    "weekday_19_21",
    "weekend_10_18",
)

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
class FieldParams:
    """What happens at and around the doors (sources in the module docstring).

    Attributes
    ----------
    refusal
        Share of answered doors that refuse the interview (E, domain notes 5–10 %).
    provisional_from_absent
        Chance that an absent never-met household gets a 仮カード from its nameplate (E).
    move_rate
        Share of answered doors where the household turns out to have moved out (E).
    new_per_month
        New households moving into each beat per month (E).
    new_seen_m
        A new household is noticed when the officer calls at a door this close (metres, E).
    card_min
        Minutes to leave a CR名刺 at an unanswered door; also a refusal or a moved-out
        household (domain notes, E).
    wait_absent_min
        Minutes at an unanswered door before it is judged empty (E).
    wait_answer_min
        Minutes at an answered door until somebody comes (E).
    """

    refusal: float = 0.05
    provisional_from_absent: float = 0.3
    move_rate: float = 0.005
    new_per_month: int = 2
    new_seen_m: float = 100.0
    card_min: float = 2.0
    wait_absent_min: float = 1.0
    wait_answer_min: float = 0.5

    def expected_door_min(self, chance: float, visit_min: float) -> float:
        """Expected minutes at a door (waiting included) where somebody answers with ``chance``
        and the interview takes ``visit_min``."""
        answered = self.wait_answer_min + visit_min
        return chance * answered + (1.0 - chance) * (self.wait_absent_min + self.card_min)


def draw_outcome(rng: np.random.Generator, chance: float, params: FieldParams) -> Outcome:
    """One door call: ``absent`` unless somebody answers (with ``chance``); of the answered,
    ``moved_out`` with ``params.move_rate``, else ``refused`` with ``params.refusal``, else
    ``visited`` (an interview).  Draws from ``rng`` in that order (one to three numbers)."""
    if rng.random() >= chance:
        return Outcome.ABSENT
    if rng.random() < params.move_rate:
        return Outcome.MOVED_OUT
    if rng.random() < params.refusal:
        return Outcome.REFUSED
    return Outcome.VISITED


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
