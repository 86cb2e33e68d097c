"""Re-plan the rest of the year after outcomes are recorded.

Everything before the re-plan date stays as it was.  From that date every still-due target —
absent households, newly found ones and provisional cards included, interviewed and moved-out ones
excluded — is planned again over the remaining duty days with the year-plan model.  ``keep``
chooses how much of the old future plan is rewarded for staying put: ``day`` (same date where
possible), ``month`` (same month: officers' printed monthly counts stay true) or ``none``.

``front_load`` (months) is for a beat that changes hands (Aomori 第6-8, Miyagi 第5-5): every
overdue and never-met target of the re-planned beats (as :mod:`planner.handover` counts them on
the re-plan date) is planned within the first months where the hours allow.  It is the year
plan's campaign mechanism (:class:`planner.plan.Campaign`): those targets go inside the
window first; those the window has no hours for are then planned later in the year, in the hours
left (a second plan from the day after the window), and only what fits nowhere stays unplanned.
One campaign at a time: ``front_load`` with a campaign already in ``params`` is an error.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import networkx as nx

from planner._errors import InputError
from planner.handover import target_statuses
from planner.model import Card, Station
from planner.plan import Campaign, PlannedVisit, Unplanned, YearPlan
from planner.policy import Policy, due_targets
from planner.schedule import YearParams, plan_year

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
    front_load: int | None = None,
) -> tuple[YearPlan, list[PlannedVisit]]:
    """Re-plan from ``start``; return the new plan (visits from ``start`` on) and the kept past.

    Parameters
    ----------
    front_load
        Months from ``start``: plan every overdue and never-met target of the re-planned beats
        inside them where the hours allow (:func:`front_load_campaign`); those that do not fit
        are unplanned with a message naming the window.  Their plan rows keep their due reason
        (``never_met``, ``provisional``, ``overdue`` or ``yearly``).  Sum it up with
        :func:`front_load_summary`.

    Raises
    ------
    InputError
        If ``start`` is not in ``year``, ``keep`` is unknown, ``front_load`` is below 1, or
        ``front_load`` is asked with a campaign already in ``params`` (one campaign at a time).
    """
    if start.year != year:
        raise InputError(f"--from {start} is not in {year}")
    if keep not in KEEP_MODES:
        raise InputError(f"--keep must be one of {', '.join(KEEP_MODES)}")
    params = params or YearParams()
    wanted = set(beats) if beats else {b.beat_id for b in station.beats}
    past = [v for v in old if v.date < start and v.beat_id in wanted]
    station = assume_done(station, unrecorded(station, past))
    campaign = None
    if front_load is not None:
        if params.campaign is not None:
            raise InputError(
                "--front-load cannot be combined with a campaign: one campaign at a time "
                "(plan the campaign first, then front-load from the day after it)"
            )
        campaign = front_load_campaign(station, policy, year, start, front_load, beats=beats)
        params = replace(params, campaign=campaign)
    future = {v.target_id: v.date for v in old if v.date >= start}
    params = replace(params, start=start, keep=future, keep_mode=keep)
    order = [b.beat_id for b in station.beats if b.beat_id in wanted]
    plan = plan_year(
        station, policy, year, beats=order, graph=graph, params=params, progress=progress
    )
    if campaign is not None:
        _label_front_load(plan, station, policy, campaign)
        plan = _rest_after_window(plan, station, policy, campaign, order, graph, params, progress)
    return plan, past


def _rest_after_window(
    plan: YearPlan,
    station: Station,
    policy: Policy,
    c: Campaign,
    beats: Sequence[str],
    graph: nx.MultiDiGraph | None,
    params: YearParams,
    progress: Callable[[str], None] | None,
) -> YearPlan:
    """Plan the front-loaded targets the window had no hours for later in the year.

    A second plan from the day after the window takes the window's visits as done (so its due
    set holds everything not yet placed) and rewards every later visit of the first plan for
    keeping its day; the window's visits stay exactly as they were.  Nothing is lost: a
    front-loaded target is unplanned only when the rest of the year has no hours for it either.
    """
    if not any(u.target_id in c.target_ids for u in plan.unplanned):
        return plan
    after = c.end + timedelta(days=1)
    if after.year != plan.year:
        return plan
    inside = [v for v in plan.visits if v.date < after]
    keep = {v.target_id: v.date for v in plan.visits if v.date >= after}
    later = plan_year(
        assume_done(station, inside),
        policy,
        plan.year,
        beats=beats,
        graph=graph,
        params=replace(params, campaign=None, start=after, keep=keep, keep_mode="day"),
        progress=progress,
    )
    visits = sorted([*inside, *later.visits], key=lambda v: (v.date, v.beat_id, v.target_id))
    loads = []
    for load in plan.loads:
        mine = [v for v in visits if v.beat_id == load.beat_id and v.month == load.month]
        tiers = dict.fromkeys(load.visits, 0)
        for v in mine:
            tiers[v.tier] = tiers.get(v.tier, 0) + 1
        loads.append(replace(load, planned_min=sum(v.est_minutes for v in mine), visits=tiers))
    return replace(
        later,
        visits=visits,
        loads=loads,
        objective=plan.objective,
        stats={**plan.stats, **later.stats},
        campaign=plan.campaign,
    )


def unrecorded(station: Station, past: Sequence[PlannedVisit]) -> list[PlannedVisit]:
    """Kept visits dated after the last outcome recorded for their beat.

    Up to the day a beat's outcomes are recorded, the records tell what happened (an absent
    household is due again); a planned visit after that day has not been recorded yet, so a
    re-plan from a later date takes it as made rather than planning the household twice.
    """
    beat_of = {t.target_id: t.beat_id for t in station.targets}
    recorded: dict[str, date] = {}
    for x in station.visits:
        beat = beat_of.get(x.target_id)
        if beat is not None and x.date > recorded.get(beat, date.min):
            recorded[beat] = x.date
    return [v for v in past if v.date > recorded.get(v.beat_id, date.min)]


def assume_done(station: Station, visits: Sequence[PlannedVisit]) -> Station:
    """The station as if each of ``visits`` had been an interview on its date (the due set then
    holds only what is still to place)."""
    done = {v.target_id: v.date for v in visits}
    if not done:
        return station
    return replace(
        station,
        targets=[
            replace(t, last_visit=done[t.target_id], card=Card.FULL) if t.target_id in done else t
            for t in station.targets
        ],
    )


def front_load_window(start: date, months: int) -> date:
    """Last day of a front-load window of ``months`` months from ``start``, within its year.

    2027-04-01 and 3 months end on 2027-06-30; 2027-01-31 and 1 month on 2027-02-28 (the
    month's end when its day does not exist); 2027-11-01 and 6 months on 2027-12-31.

    Raises
    ------
    InputError
        If ``months`` is below 1.
    """
    if months < 1:
        raise InputError(f"--front-load must be at least 1 month, got {months}")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > start.year:
        return date(start.year, 12, 31)
    last = calendar.monthrange(year, month)[1]
    if start.day > last:  # no such day in that month: the window runs to the month's end
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def front_load_campaign(
    station: Station,
    policy: Policy,
    year: int,
    start: date,
    months: int,
    *,
    beats: Sequence[str] | None = None,
) -> Campaign:
    """The campaign that front-loads a beat handed over on ``start``.

    Its targets are the overdue and never-met targets of ``beats`` (default all) as
    :func:`planner.handover.target_statuses` counts them on ``start`` — all of them in the
    year's due set (:func:`planner.policy.due_targets`); its window runs from ``start`` for
    ``months`` months (:func:`front_load_window`).

    Raises
    ------
    InputError
        If ``months`` is below 1 or a beat is unknown.
    """
    end = front_load_window(start, months)
    known = {b.beat_id: b for b in station.beats}
    wanted = list(beats) if beats else list(known)
    unknown = [b for b in wanted if b not in known]
    if unknown:
        raise InputError(f"unknown beat(s): {', '.join(unknown)}")
    due = {d.target.target_id for d in due_targets(station.targets, policy, year, known)}
    ids = {
        s.target_id
        for beat_id in wanted
        for s in target_statuses(station, policy, beat_id, start)
        if (s.overdue or s.never_met) and s.target_id in due
    }
    return Campaign(frozenset(ids), start, end)


_CAMPAIGN_REASON = "campaign"


def _label_front_load(plan: YearPlan, station: Station, policy: Policy, c: Campaign) -> None:
    """Give front-loaded rows their own due reason back and say why the unfitting are unplanned
    (the campaign mechanism marks them ``campaign``, which the chief did not order)."""
    beats = {b.beat_id: b for b in station.beats}
    reason = {
        d.target.target_id: d.reason.value
        for d in due_targets(station.targets, policy, plan.year, beats)
    }
    plan.visits = [
        replace(v, due_reason=reason.get(v.target_id, v.due_reason))
        if v.target_id in c.target_ids and v.due_reason == _CAMPAIGN_REASON
        else v
        for v in plan.visits
    ]
    window = f"{c.start.isoformat()} – {c.end.isoformat()}"
    plan.unplanned = [
        replace(
            u,
            message=f"front-loaded (overdue or never met) but does not fit the visit "
            f"hours of {window} after the other front-loaded targets",
        )
        if u.target_id in c.target_ids
        and u.reason in ("no_capacity", "no_window")
        and _CAMPAIGN_REASON in u.message
        else u
        for u in plan.unplanned
    ]


@dataclass(frozen=True, slots=True)
class FrontLoadSummary:
    """What a front-loaded re-plan did with the overdue and never-met targets."""

    start: date
    end: date
    targets: int
    planned_in_window: int
    planned_outside: int  # the window had no hours for them: planned later in the year
    not_fitting: tuple[Unplanned, ...]  # front-loaded targets left unplanned, any reason

    @property
    def by_beat(self) -> dict[str, int]:
        """Front-loaded targets left unplanned, per beat."""
        out: dict[str, int] = {}
        for u in self.not_fitting:
            out[u.beat_id] = out.get(u.beat_id, 0) + 1
        return out


def front_load_summary(plan: YearPlan, campaign: Campaign) -> FrontLoadSummary:
    """Count the front-loaded targets planned inside the window, outside it, and not at all."""
    ids = campaign.target_ids
    mine = [v for v in plan.visits if v.target_id in ids]
    inside = sum(campaign.covers(v.date) for v in mine)
    left = tuple(u for u in plan.unplanned if u.target_id in ids)
    return FrontLoadSummary(
        campaign.start, campaign.end, len(ids), inside, len(mine) - inside, left
    )


def kept_share(old: Sequence[PlannedVisit], new: Sequence[PlannedVisit], start: date) -> float:
    """Share of the old plan's future visits that stayed in the same month (still planned)."""
    before = {v.target_id: v.date for v in old if v.date >= start}
    after = {v.target_id: v.date for v in new}
    common = [t for t in before if t in after]
    if not common:
        return 1.0
    return sum(before[t].month == after[t].month for t in common) / len(common)
