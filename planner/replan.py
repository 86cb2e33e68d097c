"""Re-plan the rest of the year after outcomes are recorded.

Everything before the re-plan date stays as it was.  From that date every still-due target —
absent households, newly found ones and provisional cards included, interviewed and moved-out ones
excluded — is planned again over the remaining duty days with the year-plan model.  ``keep``
chooses how much of the old future plan is rewarded for staying put: ``day`` (same date where
possible), ``month`` (same month: officers' printed monthly counts stay true) or ``none``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

import networkx as nx

from planner._errors import InputError
from planner.model import Station
from planner.policy import Policy
from planner.schedule import PlannedVisit, YearParams, YearPlan, plan_year

KEEP_MODES = ("day", "month", "none")


def replan_year(
    station: Station,
    policy: Policy,
    year: int,
    old: Sequence[PlannedVisit],
    start: date,
    *,
    keep: str = "month",
    beats: Sequence[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
    params: YearParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[YearPlan, list[PlannedVisit]]:
    """Re-plan from ``start``; return the new plan (visits from ``start`` on) and the kept past.

    Raises
    ------
    InputError
        If ``start`` is not in ``year`` or ``keep`` is unknown.
    """
    if start.year != year:
        raise InputError(f"--from {start} is not in {year}")
    if keep not in KEEP_MODES:
        raise InputError(f"--keep must be one of {', '.join(KEEP_MODES)}")
    wanted = set(beats) if beats else {b.beat_id for b in station.beats}
    past = [v for v in old if v.date < start and v.beat_id in wanted]
    future = {v.target_id: v.date for v in old if v.date >= start}
    params = replace(params or YearParams(), start=start, keep=future, keep_mode=keep)
    order = [b.beat_id for b in station.beats if b.beat_id in wanted]
    plan = plan_year(station, policy, year, beats=order, graph=graph, params=params,
                     progress=progress)  # fmt: skip
    return plan, past


def kept_share(old: Sequence[PlannedVisit], new: Sequence[PlannedVisit], start: date) -> float:
    """Share of the old plan's future visits that stayed in the same month (still planned)."""
    before = {v.target_id: v.date for v in old if v.date >= start}
    after = {v.target_id: v.date for v in new}
    common = [t for t in before if t in after]
    if not common:
        return 1.0
    return sum(before[t].month == after[t].month for t in common) / len(common)
