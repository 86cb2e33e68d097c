"""How beats are planned by hand today: the yardstick the planner is measured against.

An officer without a planner sweeps the beat in address order (町名, 丁目-番-号, 号室), takes a
fixed number of doors per duty day, by day only, and starts again where they stopped next time.
:func:`baseline_plan` writes that sweep in the planner's own plan format so that the same checker
and scorer (:mod:`planner.verify`) judge both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

from planner.model import Station, Target
from planner.plan import PlannedVisit
from planner.policy import Policy, due_targets
from planner.schedule import duty_slots

_NUMBER = re.compile(r"(\d+)")
ALLOWANCE_MIN = 5  # minutes a hand planner allows per door for walking


def address_key(address: str) -> tuple:
    """Natural sort key of a Japanese address: numbers compare as numbers (2丁目 < 10丁目)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _NUMBER.split(address.translate(_FULLWIDTH))
        if part
    )


_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def baseline_plan(
    station: Station,
    policy: Policy,
    year: int,
    *,
    beats: Sequence[str] | None = None,
    reserve: float = 0.2,
    allowance_min: int = ALLOWANCE_MIN,
    start: date | None = None,
) -> list[PlannedVisit]:
    """Plan the due targets the way it is done by hand: address order, fixed doors a day.

    Each duty day's daytime visit minutes (less ``reserve``) divided by the average visit plus
    ``allowance_min`` gives the fixed number of doors per day; doors are taken in address order
    whatever their availability.

    Returns
    -------
    list of PlannedVisit
        Visits with ``est_minutes`` = visit minutes + the allowance; targets that do not fit
        in the year are simply left out (as on paper).
    """
    beat_map = {b.beat_id: b for b in station.beats}
    wanted = list(beats) if beats else list(beat_map)
    due = due_targets(station.targets, policy, year, beat_map)
    out: list[PlannedVisit] = []
    for beat_id in wanted:
        mine = [d for d in due if d.target.beat_id == beat_id]
        mine.sort(key=lambda d: (address_key(d.target.address), d.target.target_id))
        if not mine:
            continue
        officers = station.officers_of(beat_id)
        slots = duty_slots(
            officers,
            year,
            station.officer_days,
            policy,
            start=start,
            incident_hours=station.incident_hours(),
        )
        days = [s for s in slots if s.group == "day"]
        avg = sum(d.target.visit_minutes for d in mine) / len(mine) + allowance_min
        queue = iter(mine)
        for slot in days:
            doors = math.floor(slot.minutes * (1 - reserve) / avg)
            for _ in range(doors):
                d = next(queue, None)
                if d is None:
                    break
                out.append(
                    _visit(d.target, slot.officer_id, slot.date, d.reason.value, allowance_min)
                )
    return out


def _visit(t: Target, officer_id: str, day: date, reason: str, allowance: int) -> PlannedVisit:
    return PlannedVisit(
        t.target_id, t.beat_id, officer_id, t.tier, day, "day", reason, t.visit_minutes + allowance
    )
