"""What happens at the doors: outcomes drawn from the contact model (for the demo and tests).

Each planned visit up to a date becomes an outcome row as an officer would record it, with the
numbers of :mod:`planner.contact` (where each comes from is said there):

* somebody answers with the chance of the absence table (household type, weekday or weekend,
  slot); of those who answer, ``move_rate`` turn out to have moved out (転出) and ``refusal``
  refuse (:func:`planner.contact.draw_outcome`);
* nobody answers: ``absent`` (a CR名刺 left, or every third time a パトロールカード); a never-met
  household's nameplate gives a 仮カード with chance ``provisional_from_absent``;
* ``new_per_month`` new households per beat and month are found next to a visited door.

Deterministic for a seed.  The rows have the columns ``planner record`` reads.  For a whole
simulated year, the planner against hand planning, see :mod:`planner.simulator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from planner.contact import AbsenceTable, FieldParams, draw_outcome, load_absence
from planner.model import Card, Outcome, Station
from planner.plan import PlannedVisit
from planner.roster import japanese_holidays

OUTCOME_COLUMNS = (
    "target_id",
    "date",
    "officer_id",
    "outcome",
    "notes",
    "beat_id",
    "kind",
    "address",
    "lon",
    "lat",
    "household_type",
)


def simulate_outcomes(
    station: Station,
    visits: Sequence[PlannedVisit],
    upto: date,
    *,
    seed: int = 0,
    absence: AbsenceTable | None = None,
    params: FieldParams | None = None,
) -> list[dict[str, str]]:
    """Outcome rows for every planned visit on or before ``upto``, in date order
    (``params``: the contact model's rates, default :class:`planner.contact.FieldParams`)."""
    absence = absence or load_absence()
    params = params or FieldParams()
    rng = np.random.default_rng(seed)
    targets = {t.target_id: t for t in station.targets}
    holidays = japanese_holidays(upto.year)
    rows: list[dict[str, str]] = []
    absent_count = 0
    found: dict[tuple[str, int], int] = {}
    for v in sorted(visits, key=lambda v: (v.date, v.target_id)):
        if v.date > upto:
            continue
        t = targets[v.target_id]
        weekend = v.date.weekday() >= 5 or v.date in holidays
        answer = absence.answer_chance(t.household_type, weekend=weekend, slot=v.slot)
        base = {"target_id": t.target_id, "date": v.date.isoformat(), "officer_id": v.officer_id}
        outcome = draw_outcome(rng, answer, params)
        if outcome is not Outcome.ABSENT:
            if outcome is Outcome.MOVED_OUT:
                rows.append({**base, "outcome": "moved_out", "notes": "転居済み"})
            elif outcome is Outcome.REFUSED:
                rows.append({**base, "outcome": "refused", "notes": ""})
            else:
                rows.append({**base, "outcome": "visited", "notes": ""})
                key = (t.beat_id, v.date.month)
                if found.get(key, 0) < params.new_per_month and rng.random() < 0.1:
                    found[key] = found.get(key, 0) + 1
                    rows.append(_new_household(t, v, found[key], rng))
        else:
            absent_count += 1
            note = "パトロールカード" if absent_count % 3 == 0 else "CR名刺"
            rows.append({**base, "outcome": "absent", "notes": note})
            if t.card is Card.NONE and rng.random() < params.provisional_from_absent:
                rows.append({**base, "outcome": "provisional", "notes": "表札"})
    return [{c: r.get(c, "") for c in OUTCOME_COLUMNS} for r in rows]


def _new_household(t, v: PlannedVisit, k: int, rng: np.random.Generator) -> dict[str, str]:
    dx, dy = rng.normal(0, 0.00015, 2)
    return {
        "target_id": f"N{v.date:%y%m}{t.beat_id.replace('-', '')}{k:02d}",
        "date": v.date.isoformat(),
        "officer_id": v.officer_id,
        "outcome": "new",
        "notes": "新規転入",
        "beat_id": t.beat_id,
        "kind": "household",
        "address": f"{t.address.split(' ')[0]}（新規{k}）",
        "lon": f"{t.lon + dx:.6f}",
        "lat": f"{t.lat + dy:.6f}",
        "household_type": "family",
    }
