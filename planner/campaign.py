"""Visiting campaigns (Aomori 第4-3): after a serious crime that worries residents, the chief
orders every household and business around it visited within a few days.

The campaign is the scenarios' own: :func:`planner.scenarios.campaign_of` finds the targets in
the circle and builds the :class:`planner.plan.Campaign`; the year plan does the rest.
:func:`plan_campaign` re-plans from the campaign's first day with
:func:`planner.replan.replan_year` (the old plan kept where the campaign leaves room), only for
the beats the circle touches, and reports

* the campaign targets planned inside the window, and those that cannot be planned however long
  the campaign lasts (no window, no street to them, no officer, no duty slot long enough);
* the visits of the old plan the campaign moved or pushed out (:class:`Displaced`);
* when the window is too short for the officers' hours, the days it needs (:func:`days_needed`):
  a lower bound from the campaign's visit and travel minutes — the year plan's own estimates —
  against the officers' visit minutes from the first day, confirmed by planning with longer
  windows until every campaign target fits, or the rest of the year is not enough.

Solver code does no I/O; :func:`write_displaced` writes ``displaced.csv``.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import networkx as nx

from planner import geo
from planner._errors import InputError
from planner.files import atomic_path
from planner.model import CampaignOrder, Station, TargetKind
from planner.patrol import PatrolRoute, patrol_routes
from planner.plan import Campaign, PlannedVisit, Unplanned, YearPlan
from planner.policy import Policy, due_targets
from planner.replan import replan_year
from planner.routes import RouteParams
from planner.scenarios import campaign_of
from planner.schedule import (
    SCALE,
    SLOT_GROUP,
    BeatProblem,
    YearParams,
    build_problem,
    plan_year,
    with_campaign,
)
from planner.store import station_update

KINDS: tuple[str, ...] = tuple(k.value for k in TargetKind)
"""Target kinds a campaign may cover (``--kinds``)."""

DISPLACED_COLUMNS = ("target_id", "beat_id", "old_date", "new_date", "reason")
"""Columns of ``displaced.csv``."""

NEVER_FITS = ("no_window", "unreachable", "no_officer")
"""Unplanned reasons no campaign length can cure."""

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------------------------
# the order


def parse_center(text: str) -> tuple[float, float]:
    """``"LON,LAT"`` in degrees -> ``(lon, lat)``.

    Raises
    ------
    InputError
        When the text is not two numbers, or they are no longitude and latitude.
    """
    parts = [p.strip() for p in str(text).split(",")]
    example = "e.g. 140.871,38.270"
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"--center must be LON,LAT in degrees ({example}), got {text!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(f"--center must be finite degrees ({example}), got {text!r}")
    if not -90 <= lat <= 90:
        hint = " (longitude first)" if -90 <= lon <= 90 else ""
        raise InputError(f"--center latitude {lat} is not in [-90, 90]{hint}; {example}")
    if not -180 <= lon <= 180:
        raise InputError(f"--center longitude {lon} is not in [-180, 180]; {example}")
    return lon, lat


def parse_kinds(text: str) -> tuple[str, ...]:
    """``"household,business"`` -> the kinds, checked.

    Raises
    ------
    InputError
        On an empty list or an unknown kind.
    """
    kinds = tuple(dict.fromkeys(k.strip() for k in re.split(r"[,\s]+", str(text)) if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        bad = f"unknown kind {unknown[0]!r}" if unknown else "no kind given"
        raise InputError(f"--kinds: {bad} (known: {', '.join(KINDS)})")
    return kinds


def campaign_order(
    station: Station,
    year: int,
    *,
    center: tuple[float, float],
    radius_m: float,
    start: date,
    days: int,
    kinds: Sequence[str] = KINDS,
) -> Campaign:
    """The chief's order as a :class:`Campaign`: the targets of ``kinds`` (not moved out) within
    ``radius_m`` of ``center``, to be visited from ``start`` for ``days`` days.

    The targets are found by :func:`planner.scenarios.campaign_of`, as in a scenario file.

    Raises
    ------
    InputError
        On a radius that is not a positive number of metres, fewer than one day, a start outside
        ``year``, an unknown kind, or no target in the circle (the message gives the nearest).
    """
    if not (isinstance(radius_m, int | float) and math.isfinite(radius_m) and radius_m > 0):
        raise InputError(f"--radius must be metres > 0, got {radius_m}")
    if not isinstance(days, int) or days < 1:
        raise InputError(f"--days must be a whole number of days >= 1, got {days}")
    if start.year != year:
        raise InputError(f"--start {start} is not in the plan year {year}")
    kinds = parse_kinds(",".join(kinds))
    lon, lat = center
    camp = campaign_of(
        station,
        {
            "center": [lon, lat],
            "radius_m": radius_m,
            "start": start,
            "days": days,
            "kinds": list(kinds),
        },
    )
    if not camp.target_ids:
        near = [
            geo.great_circle_m(lon, lat, t.lon, t.lat)
            for t in station.targets
            if t.kind.value in kinds and t.moved_out is None
        ]
        nearest = f"; the nearest is {min(near):.0f} m away" if near else ""
        raise InputError(
            f"no {'/'.join(kinds)} target within {radius_m:g} m of {lon},{lat}{nearest}"
        )
    return camp


def campaign_days(campaign: Campaign) -> int:
    """Length of the campaign's window in days."""
    return (campaign.end - campaign.start).days + 1


def campaign_beats(station: Station, campaign: Campaign) -> list[str]:
    """The beats with a campaign target, in the station's order."""
    touched = {t.beat_id for t in station.targets if t.target_id in campaign.target_ids}
    return [b.beat_id for b in station.beats if b.beat_id in touched]


def _horizon(campaign: Campaign, year: int) -> int:
    """Days from the campaign's start to 31 December of the plan year."""
    return (date(year, 12, 31) - campaign.start).days + 1


def _window(campaign: Campaign, days: int) -> Campaign:
    return Campaign(campaign.target_ids, campaign.start, campaign.start + timedelta(days=days - 1))


# ----------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True)
class Displaced:
    """A visit of the old plan (from the campaign's start) that the campaign moved or dropped.

    ``reason``: ``moved`` (planned on ``new_date`` instead), an unplanned reason
    (``no_capacity`` …: no longer fits) or ``not_due`` (no longer due: visited, moved out or
    exempted since the old plan was made).
    """

    target_id: str
    beat_id: str
    old_date: date
    new_date: date | None
    reason: str


@dataclass(frozen=True, slots=True)
class DaysNeeded:
    """How long a campaign must last for every campaign target that can be planned to fit.

    Attributes
    ----------
    days
        The shortest window found to hold them all (the window one day shorter was planned and
        did not hold them, or is too short by the lower bound); ``None`` when not even the rest of
        the year holds them.
    lower_bound
        Days by the minutes alone: the campaign's visit and travel minutes (each street cluster
        and neighbourhood walked to once) against the officers' visit minutes from the first
        day; ``None`` when those minutes exceed the officers' up to 31 December.
    horizon
        Days from the campaign's first day to 31 December.
    tried
        ``(window days, all fitted)`` of each planning, in the order they were made.
    exact
        False when the search stopped at its budget of plannings before narrowing ``days``
        down (then one day fewer may also do), or before planning the rest of the year.
    """

    days: int | None
    lower_bound: int | None
    horizon: int
    tried: tuple[tuple[int, bool], ...] = ()
    exact: bool = True


@dataclass(slots=True)
class CampaignResult:
    """What :func:`plan_campaign` returns.

    Attributes
    ----------
    campaign
        The campaign as ordered.
    beats
        The beats the circle touches: the ones re-planned.
    plan
        The new plan: visits of the re-planned beats before the start kept, from the start
        re-planned; the old plan's other beats unchanged.  ``loads``, ``shortfalls`` and forms
        cover the re-planned beats.
    in_window
        The campaign targets' visits inside the window.
    missing
        Campaign targets not planned inside the window (see ``plan.unplanned`` for why).
    blocked
        Campaign target -> unplanned reason, for those no campaign length can bring in.
    displaced
        Old-plan visits from the start that moved or dropped (campaign targets excluded).
    needed
        When targets that can be planned are missing: the days the campaign needs.
    not_due
        Campaign targets planned that are not due this year otherwise (the campaign adds them).
    """

    campaign: Campaign
    beats: list[str]
    plan: YearPlan
    in_window: list[PlannedVisit]
    missing: list[str]
    blocked: dict[str, str]
    displaced: list[Displaced]
    needed: DaysNeeded | None = None
    not_due: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        """True when every campaign target that can be planned is planned inside the window."""
        return all(t in self.blocked for t in self.missing)


# ----------------------------------------------------------------------------------------------
# the lower bound


@dataclass(frozen=True, slots=True)
class _Need:
    """One beat's campaign minutes (tenths) and its officers' cumulative minutes per day."""

    total: int  # visits, walking, each cluster hop and neighbourhood trip once
    day_only: int  # visits + walking of units that may only go by day
    eve_only: int
    cum: tuple[tuple[int, int, int], ...]  # per day from the start: (usable, day, eve) minutes


def _problems(
    station: Station,
    policy: Policy,
    year: int,
    campaign: Campaign,
    beats: Sequence[str],
    graph: nx.MultiDiGraph | None,
    params: YearParams,
) -> dict[str, BeatProblem]:
    """Each beat's year-plan problem from the campaign's start, as :func:`plan_year` builds it."""
    params = replace(params, start=campaign.start, campaign=campaign)
    beat_map = {b.beat_id: b for b in station.beats}
    due = with_campaign(
        due_targets(station.targets, policy, year, beat_map), station, campaign, year
    )
    out = {}
    for beat_id in beats:
        post = station.post_of(beat_id)
        out[beat_id] = build_problem(
            beat_map[beat_id],
            [d for d in due if d.target.beat_id == beat_id],
            station.officers_of(beat_id),
            station.officer_days,
            (post.lon, post.lat),
            policy,
            year,
            graph=graph,
            params=params,
        )
    return out


def _blocked(p: BeatProblem, campaign: Campaign) -> dict[str, str]:
    """Campaign targets of one beat no window can hold, with the unplanned reason."""
    out = {
        u.target_id: u.reason
        for u in p.unplanned
        if u.target_id in campaign.target_ids and u.reason in NEVER_FITS
    }
    longest: dict[str, int] = defaultdict(int)
    for s in p.days:
        longest[s.group] = max(longest[s.group], s.minutes)
    for u in p.units:
        if u.campaign and u.solo_min > max((longest[SLOT_GROUP[s]] for s in u.slots), default=0):
            out.update({p.due[i].target.target_id: "no_window" for i in u.members})
    return out


def _need(p: BeatProblem, blocked: Mapping[str, str], start: date, horizon: int) -> _Need:
    """The beat's campaign minutes in the day model's own tenths, and its officers' minutes."""
    units = [
        u for u in p.units if u.campaign and p.due[u.members[0]].target.target_id not in blocked
    ]
    clusters = {c.cluster_id: c for c in p.geography.clusters}
    trips = {n.neighbourhood_id: n.trip_min for n in p.geography.neighbourhoods}
    own = {u.uid: u.visit_min * SCALE + round(u.walk_min * SCALE) for u in units}
    total = sum(own.values())
    total += sum(round(clusters[c].hop_min * SCALE) for c in {u.cluster for u in units})
    total += sum(round(trips[n] * SCALE) for n in {u.neighbourhood for u in units})
    groups = {u.uid: {SLOT_GROUP[s] for s in u.slots} for u in units}
    day_only = sum(own[u.uid] for u in units if groups[u.uid] == {"day"})
    eve_only = sum(own[u.uid] for u in units if groups[u.uid] == {"eve"})
    usable = set().union(*groups.values()) if groups else set()
    per_day = [[0, 0, 0] for _ in range(horizon)]
    for s in p.days:
        k = (s.date - start).days
        if 0 <= k < horizon:
            per_day[k][1 if s.group == "day" else 2] += s.minutes
            if s.group in usable:
                per_day[k][0] += s.minutes
    cum, run = [], [0, 0, 0]
    for day in per_day:
        run = [a + b for a, b in zip(run, day, strict=True)]
        cum.append((run[0], run[1], run[2]))
    return _Need(total, day_only, eve_only, tuple(cum))


def _first_day(need: _Need, minutes: int = 0, after: int = 0) -> int | None:
    """Fewest days holding ``minutes`` (tenths; default the campaign's) more than the first
    ``after`` days, with the day-only and evening-only parts in their own slots."""
    if need.total == 0 and minutes == 0:
        return max(1, after)
    base = need.cum[after - 1] if after else (0, 0, 0)
    for k, (usable, day, eve) in enumerate(need.cum):
        if k + 1 <= after:
            continue
        if minutes:
            if (usable - base[0]) * SCALE >= minutes:
                return k + 1
        elif (
            usable * SCALE >= need.total
            and day * SCALE >= need.day_only
            and eve * SCALE >= need.eve_only
        ):
            return k + 1
    return None


# ----------------------------------------------------------------------------------------------
# planning


@dataclass(slots=True)
class _Trials:
    """Re-plans of some beats with windows of several lengths (each length planned once)."""

    station: Station
    policy: Policy
    year: int
    old: Sequence[PlannedVisit]
    campaign: Campaign
    beats: list[str]
    blocked: Mapping[str, str]
    graph: nx.MultiDiGraph | None
    params: YearParams
    keep: str
    progress: Progress | None = None
    plans: dict[int, tuple[YearPlan, list[PlannedVisit]]] = field(default_factory=dict)
    order: list[tuple[int, bool]] = field(default_factory=list)

    def plan(self, days: int, progress: Progress | None = None) -> tuple[YearPlan, list]:
        """The re-plan with a window of ``days`` days (planned once, then remembered)."""
        if days not in self.plans:
            camp = _window(self.campaign, days)
            params = replace(self.params, campaign=camp)
            plan, past = replan_year(
                self.station,
                self.policy,
                self.year,
                self.old,
                camp.start,
                keep=self.keep,
                beats=self.beats,
                graph=self.graph,
                params=params,
                progress=progress,
            )
            self.plans[days] = (plan, past)
            left = self.missing(days)
            self.order.append((days, not left))
            if self.progress:
                fits = f"{len(left)} campaign targets left out" if left else "all fit"
                self.progress(
                    f"campaign: {', '.join(self.beats)} planned with a {days}-day window: {fits}"
                )
        return self.plans[days]

    def missing(self, days: int) -> list[str]:
        """Campaign targets of these beats that can be planned but are not inside the window."""
        camp = _window(self.campaign, days)
        plan, _ = self.plan(days)
        inside = {
            v.target_id
            for v in plan.visits
            if v.target_id in camp.target_ids and camp.covers(v.date)
        }
        mine = {
            t.target_id
            for t in self.station.targets
            if t.beat_id in self.beats and t.target_id in camp.target_ids
        }
        return sorted(mine - inside - set(self.blocked))

    def fits(self, days: int) -> bool:
        """True when the window holds every campaign target of these beats that can be planned."""
        return not self.missing(days)


def _search(
    trials: _Trials, needs: Mapping[str, _Need], bound: int | None, max_plans: int
) -> DaysNeeded:
    """The shortest window that holds everything: longer and longer windows from what is known
    to fail (the guess from what was left out, at least twice the last step; the last planning
    of the budget is the rest of the year), then halving the gap between failed and fit."""
    camp = trials.campaign
    horizon = _horizon(camp, trials.year)
    n0 = campaign_days(camp)

    def result(days: int | None, exact: bool = True) -> DaysNeeded:
        return DaysNeeded(days, bound, horizon, tuple(trials.order), exact)

    if trials.fits(n0):
        return result(n0)
    if bound is None or bound > horizon:
        return result(None)  # the minutes alone say so
    failed = max(n0, bound - 1)  # below the bound nothing fits by the minutes alone
    fit = None
    budget, step = max(1, max_plans), 1
    while budget > 0 and failed < horizon:
        guess = _next_guess(trials, needs, failed)
        n = horizon if budget == 1 else min(horizon, max(failed + step, guess))
        budget -= 1
        if trials.fits(n):
            fit = n
            break
        failed, step = n, 2 * step
    if fit is None:
        return result(None, failed >= horizon)
    while fit - failed > 1 and budget > 0:
        budget -= 1
        mid = (failed + fit) // 2
        if trials.fits(mid):
            fit = mid
        else:
            failed = mid
    return result(fit, fit - failed == 1)


def _next_guess(trials: _Trials, needs: Mapping[str, _Need], failed: int) -> int:
    """Days that would add the visit minutes of the campaign targets left out with ``failed``
    days (at least ``failed + 1``): the first longer window worth planning."""
    left = trials.missing(failed) if failed in trials.plans else []
    targets = {t.target_id: t for t in trials.station.targets}
    guess = failed + 1
    for beat_id, need in needs.items():
        minutes = sum(targets[t].visit_minutes for t in left if targets[t].beat_id == beat_id)
        if minutes and failed < len(need.cum):
            k = _first_day(need, minutes * SCALE, after=failed)
            guess = max(guess, k if k is not None else len(need.cum))
    return guess


def _find_days(
    trials: _Trials, needs: Mapping[str, _Need], bound: int | None, max_plans: int
) -> DaysNeeded:
    """Days needed, after the campaign's own window: only the beats it left targets out of
    are planned again (beats are planned independently of each other)."""
    n0 = campaign_days(trials.campaign)
    if trials.fits(n0):  # not shortened: exact only when the bound says so
        horizon = _horizon(trials.campaign, trials.year)
        return DaysNeeded(
            n0, bound, horizon, tuple(trials.order), bound is not None and n0 <= bound
        )
    beat_of = {t.target_id: t.beat_id for t in trials.station.targets}
    short = {beat_of[t] for t in trials.missing(n0)}
    sub = replace(
        trials,
        beats=[b for b in trials.beats if b in short],
        plans={n0: trials.plans[n0]},
        order=list(trials.order),
    )
    return _search(sub, {b: n for b, n in needs.items() if b in short}, bound, max_plans)


def _old_plan(
    station: Station,
    policy: Policy,
    year: int,
    campaign: Campaign,
    beats: list[str],
    old_plan: Sequence[PlannedVisit] | None,
    old_unplanned: Sequence[Unplanned] | None,
    graph: nx.MultiDiGraph | None,
    params: YearParams,
    progress: Progress | None,
) -> tuple[list[PlannedVisit], list[Unplanned]]:
    """The plan the campaign changes: the given one, else the touched beats' plan from the
    campaign's start without the campaign."""
    if old_plan is not None:
        return list(old_plan), list(old_unplanned or [])
    base = plan_year(
        station,
        policy,
        year,
        beats=beats,
        graph=graph,
        params=replace(params, start=campaign.start, campaign=None),
        progress=progress,
    )
    return base.visits, base.unplanned


def _check(station: Station, year: int, campaign: Campaign) -> list[str]:
    if campaign.start.year != year:
        raise InputError(f"the campaign's start {campaign.start} is not in the plan year {year}")
    if campaign.end < campaign.start:
        raise InputError("the campaign ends before it starts")
    if not campaign.target_ids:
        raise InputError("the campaign has no target")
    beats = campaign_beats(station, campaign)
    if not beats:
        raise InputError("no campaign target is in the register")
    return beats


def lower_bound_days(
    station: Station,
    policy: Policy,
    year: int,
    campaign: Campaign,
    *,
    graph: nx.MultiDiGraph | None = None,
    params: YearParams | None = None,
) -> tuple[int | None, dict[str, str]]:
    """Fewest days the campaign could take by the minutes alone, and the targets it never holds.

    For each beat the circle touches: the campaign targets' visit minutes, the walking between
    their doors, and each of their street clusters and neighbourhoods walked to once (the year
    plan's own estimates, :func:`planner.schedule.build_problem`), against the cumulative visit
    minutes of the beat's officers from the campaign's start (:func:`planner.schedule.duty_slots`:
    duty roster, leave, 専従日, month factors, days without visits); targets that may only be
    visited by day (or in the evening) need that slot's minutes.  The campaign needs at least
    the largest of the beats' days.

    Returns
    -------
    tuple
        The bound in days (``None`` when even 31 December is not enough), and campaign target ->
        unplanned reason for those no window can hold (no slot, no street, no officer, no duty
        slot long enough for the visit and the trip).
    """
    beats = _check(station, year, campaign)
    params = params or YearParams()
    bound, blocked, _needs = _bound(station, policy, year, campaign, beats, graph, params)
    return bound, blocked


def _bound(
    station: Station,
    policy: Policy,
    year: int,
    campaign: Campaign,
    beats: list[str],
    graph: nx.MultiDiGraph | None,
    params: YearParams,
) -> tuple[int | None, dict[str, str], dict[str, _Need]]:
    horizon = _horizon(campaign, year)
    problems = _problems(station, policy, year, campaign, beats, graph, params)
    blocked: dict[str, str] = {}
    for p in problems.values():
        blocked.update(_blocked(p, campaign))
    needs = {b: _need(p, blocked, campaign.start, horizon) for b, p in problems.items()}
    days = [_first_day(n) for n in needs.values()]
    bound = None if any(d is None for d in days) else max(d for d in days if d is not None)
    return bound, blocked, needs


def days_needed(
    station: Station,
    policy: Policy,
    year: int,
    old_plan: Sequence[PlannedVisit] | None,
    campaign: Campaign,
    *,
    graph: nx.MultiDiGraph | None = None,
    params: YearParams | None = None,
    keep: str = "day",
    max_plans: int = 8,
    progress: Progress | None = None,
) -> DaysNeeded:
    """Days the campaign needs so that every campaign target that can be planned fits.

    Plans the campaign's own window first; when it leaves targets out, only the beats it left
    them out of are planned again (beats are planned independently), with longer windows: a
    first guess — at least the lower bound (:func:`lower_bound_days`), and the days whose visit
    minutes would hold what was left out — then, if that does not fit, the rest of the year,
    then halving the gap between the longest window that failed and the shortest that fit.
    Each planning is :func:`planner.replan.replan_year` with ``params`` (one worker: the same
    answer every time); at most ``max_plans`` of them after the campaign's own window
    (``DaysNeeded.exact`` says whether that was enough to narrow the answer down).

    When the campaign's own window holds everything, its length is returned as it is (not
    shortened).  ``old_plan`` ``None``: the touched beats' plan from the start without the
    campaign.
    """
    beats = _check(station, year, campaign)
    params = params or YearParams()
    old, _ = _old_plan(station, policy, year, campaign, beats, old_plan, None, graph, params, None)
    bound, blocked, needs = _bound(station, policy, year, campaign, beats, graph, params)
    trials = _Trials(
        station, policy, year, old, campaign, beats, blocked, graph, params, keep, progress
    )
    return _find_days(trials, needs, bound, max_plans)


def plan_campaign(
    station: Station,
    policy: Policy,
    year: int,
    old_plan: Sequence[PlannedVisit] | None,
    campaign: Campaign,
    *,
    old_unplanned: Sequence[Unplanned] | None = None,
    graph: nx.MultiDiGraph | None = None,
    params: YearParams | None = None,
    keep: str = "day",
    find_days: bool = True,
    max_plans: int = 8,
    progress: Progress | None = None,
) -> CampaignResult:
    """Re-plan from the campaign's first day so that its targets are visited inside its window.

    Parameters
    ----------
    station, policy, year
        The station, its rules and the plan year (the campaign starts in it).
    old_plan
        The plan in force (``plan.csv``); ``None``: the plan of the beats the circle touches
        from the campaign's start without the campaign, planned first.
    campaign
        The order (:func:`campaign_order` or :func:`planner.scenarios.campaign_of`).
    old_unplanned
        The old plan's ``unplanned.csv`` rows: kept for the beats not re-planned.
    graph
        Street network for travel estimates.
    params
        Year-plan parameters (time limit per beat and planning, seed, reserve…).
    keep
        How much of the old plan stays put (:func:`planner.replan.replan_year`); ``day`` keeps
        the printed route days where the campaign leaves room.
    find_days
        When the window is too short, find the days it needs (:func:`days_needed`).
    max_plans
        At most this many plannings to find the days needed (each takes up to
        ``params.time_limit_s`` per beat left short).
    progress
        Called with a short message as each model is solved.

    Raises
    ------
    InputError
        If the campaign starts outside ``year`` or has no target.
    """
    beats = _check(station, year, campaign)
    params = params or YearParams()
    say = progress or (lambda _msg: None)
    say(f"campaign: {len(campaign.target_ids)} targets in beat(s) {', '.join(beats)}")
    old, old_unplanned = _old_plan(
        station, policy, year, campaign, beats, old_plan, old_unplanned, graph, params, progress
    )
    bound, blocked, needs = _bound(station, policy, year, campaign, beats, graph, params)
    trials = _Trials(
        station, policy, year, old, campaign, beats, blocked, graph, params, keep, progress
    )
    n = campaign_days(campaign)
    new, past = trials.plan(n, progress)
    needed = None
    if trials.missing(n) and find_days:
        needed = _find_days(trials, needs, bound, max_plans)
    touched = set(beats)
    plan = YearPlan(year, policy.name)
    plan.visits = sorted(
        [*past, *new.visits, *(v for v in old if v.beat_id not in touched)],
        key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id),
    )
    plan.unplanned = [*new.unplanned, *(u for u in old_unplanned if u.beat_id not in touched)]
    plan.loads, plan.shortfalls, plan.objective = new.loads, new.shortfalls, new.objective
    plan.stats = {**new.stats, "planned": len(plan.visits), "unplanned": len(plan.unplanned)}
    in_window = [
        v for v in new.visits if v.target_id in campaign.target_ids and campaign.covers(v.date)
    ]
    beat_map = {b.beat_id: b for b in station.beats}
    due = {d.target.target_id for d in due_targets(station.targets, policy, year, beat_map)}
    return CampaignResult(
        campaign=campaign,
        beats=beats,
        plan=plan,
        in_window=in_window,
        missing=sorted(campaign.target_ids - {v.target_id for v in in_window}),
        blocked=blocked,
        displaced=displaced_visits(
            old,
            new.visits,
            new.unplanned,
            campaign.start,
            beats=beats,
            campaign_ids=campaign.target_ids,
        ),
        needed=needed,
        not_due=sorted({v.target_id for v in in_window} - due),
    )


def displaced_visits(
    old: Sequence[PlannedVisit],
    new: Sequence[PlannedVisit],
    unplanned: Sequence[Unplanned],
    start: date,
    *,
    beats: Sequence[str] | None = None,
    campaign_ids: frozenset[str] = frozenset(),
) -> list[Displaced]:
    """Old-plan visits from ``start`` (of ``beats``) whose date changed or that left the plan.

    Campaign targets are not listed (they are what moved the others).  Rows are in beat, old
    date and target order.
    """
    wanted = set(beats) if beats is not None else None
    after: dict[str, date] = {}
    for v in sorted(new, key=lambda v: v.date):
        if v.date >= start:
            after.setdefault(v.target_id, v.date)
    why = {u.target_id: u.reason for u in unplanned}
    out: list[Displaced] = []
    seen: set[str] = set()
    for v in sorted(old, key=lambda v: (v.beat_id, v.date, v.target_id)):
        if (
            v.date < start
            or v.target_id in campaign_ids
            or v.target_id in seen
            or (wanted is not None and v.beat_id not in wanted)
        ):
            continue
        seen.add(v.target_id)
        moved_to = after.get(v.target_id)
        if moved_to == v.date:
            continue
        reason = "moved" if moved_to else why.get(v.target_id, "not_due")
        out.append(Displaced(v.target_id, v.beat_id, v.date, moved_to, reason))
    return out


def campaign_patrols(
    station: Station,
    policy: Policy,
    visits: Sequence[PlannedVisit],
    campaign: Campaign,
    *,
    graph: nx.MultiDiGraph | None = None,
    params: RouteParams | None = None,
) -> dict[date, list[PatrolRoute]]:
    """Routes of every campaign day: each beat with campaign visits that day, all its doors."""
    beats_on: dict[date, set[str]] = defaultdict(set)
    for v in visits:
        if v.target_id in campaign.target_ids and campaign.covers(v.date):
            beats_on[v.date].add(v.beat_id)
    order = [b.beat_id for b in station.beats]
    return {
        day: patrol_routes(
            station,
            policy,
            visits,
            day,
            beats=[b for b in order if b in beats],
            graph=graph,
            params=params,
        )
        for day, beats in sorted(beats_on.items())
    }


def write_displaced(path: str | Path, rows: Sequence[Displaced]) -> None:
    """Write ``displaced.csv`` (ids and dates only), with a header even when empty."""
    with (
        atomic_path(Path(path), private=False) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(DISPLACED_COLUMNS)
        w.writerows(
            (
                d.target_id,
                d.beat_id,
                d.old_date.isoformat(),
                d.new_date.isoformat() if d.new_date else "",
                d.reason,
            )
            for d in rows
        )


def order_on_record(
    campaign: Campaign,
    *,
    ordered_by: str,
    reason: str,
    ordered_on: date,
    center: tuple[float, float],
    radius_m: float,
    kinds: Sequence[str],
) -> CampaignOrder:
    """The chief's order as kept in the station file: who, when, why, where and how long.

    Raises
    ------
    InputError
        If who ordered it or why is empty, or the order is dated after the campaign starts.
    """
    if not ordered_by.strip():
        raise InputError("--ordered-by: name who ordered the campaign (e.g. 署長 宮城一郎)")
    if not reason.strip():
        raise InputError("--reason: say why the campaign was ordered (the incident)")
    if ordered_on > campaign.start:
        raise InputError(f"--ordered-on {ordered_on} is after the campaign starts {campaign.start}")
    days = (campaign.end - campaign.start).days + 1
    return CampaignOrder(
        ordered_by.strip(),
        ordered_on,
        reason.strip(),
        campaign.start,
        days,
        center[0],
        center[1],
        float(radius_m),
        ",".join(kinds),
        len(campaign.target_ids),
    )


def record_order(db: str | Path, order: CampaignOrder) -> bool:
    """Keep a campaign order in the station file; ``False`` when the same order is there."""
    with station_update(db) as station:
        if order in station.campaign_orders:
            return False
        station.campaign_orders.append(order)
        return True
