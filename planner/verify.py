"""Check a year plan against the rules, independently of the solver, and score it.

A plan is a list of :class:`~planner.plan.PlannedVisit` rows: the solver's, or a hand plan an
officer wrote in the same ``plan.csv`` columns.  :func:`verify_plan` re-derives every rule from
the register, the policy and the duty rosters (it shares no model code with
:mod:`planner.schedule`, so it can catch the solver's mistakes) and returns a
:class:`VerifyReport`: the :class:`Violation` list and a :class:`PlanScore` that lets a
supervisor compare a hand plan with the optimised one.

Rules (rule ids of :attr:`Violation.rule`)
-----------------------------------------
``known_target``
    The planned target is in the register.
``beat``
    The row's beat is the register's beat of the target.
``officer``
    The officer exists and works the target's beat.
``exactly_once``
    No target is planned twice.
``due``
    Every planned target is due in the year (:func:`planner.policy.due_targets`).
``due_missing``
    Every due target of the checked beats is planned or listed as unplanned.
``year``
    The date lies in the plan year (and not before ``start`` for a re-plan).
``duty_day``
    The officer has visit minutes in the slot's group on that date.
``leave``
    The officer is not on leave (休暇) that day.
``slot``
    The slot is one of the policy's slots and has a slot group (:data:`SLOT_GROUPS`).
``window``
    The slot suits the target's availability (:data:`WINDOWS`).
``capacity``
    Per officer, date and slot group, planned minutes fit the month-adjusted visit minutes,
    net of the beat's incident hours (``Beat.incident_hours``, Miyagi 第7-2): a slot that
    incidents leave without minutes is over capacity, not a ``duty_day`` mistake.
``route``
    Per officer, date and slot group, the planned doors can be walked (ridden) from the post
    and back along the streets within the same minutes, visits included: a nearest-neighbour
    tour that fits proves it; otherwise the day is routed by the router given
    (:func:`planner.routes.route_check`, passed in so that this module imports no solver), and a
    day whose route drops a planned door breaks the rule; without a router the tour decides.
    Travel is the router's: street metres (:func:`planner.network.distance_matrix`), or
    straight lines x 1.3 without a street network, at the officer's speed.
``approval``
    A visit in a slot that requires approval is listed in approvals.csv.
``tier``
    The row's tier is the register's tier.
``unplanned``
    An unplanned.csv row names a target of the register that the plan does not also place.

Planned minutes are the row's ``est_minutes``, or the register's ``visit_minutes`` of the target
when the row gives 0 (a hand plan may leave the column empty).  No I/O happens here: the CLI reads
the files and passes objects.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import networkx as nx
import numpy as np

from planner import geo, network
from planner._errors import InputError
from planner.model import Availability, DutyDay, DutyType, Mode, Officer, Post, Station, Target
from planner.plan import Campaign, PlannedVisit, Unplanned
from planner.policy import DueTarget, Policy, due_targets, station_under
from planner.roster import duty_calendar

__all__ = [
    "RULES",
    "SLOT_GROUPS",
    "WINDOWS",
    "PlanScore",
    "VerifyReport",
    "Violation",
    "score_plan",
    "verify_plan",
]

SLOT_GROUPS: Mapping[str, str] = {"day": "day", "evening": "evening", "night": "evening"}
"""Slot code -> duty-minute group: ``day`` uses ``DutyDay.day_minutes``, ``evening`` and
``night`` share ``DutyDay.evening_minutes``."""

WINDOWS: Mapping[Availability, frozenset[str]] = {
    Availability.DAY: frozenset({"day"}),
    Availability.EVENING: frozenset({"evening", "night"}),
    Availability.ANY: frozenset({"day", "evening", "night"}),
    Availability.UNKNOWN: frozenset({"day", "evening", "night"}),
}
"""Slots a target's card availability allows (the checker's own table, not the solver's)."""

RULES: tuple[str, ...] = (
    "known_target",
    "beat",
    "officer",
    "exactly_once",
    "due",
    "due_missing",
    "year",
    "duty_day",
    "leave",
    "no_visit_day",
    "slot",
    "window",
    "capacity",
    "route",
    "approval",
    "tier",
    "unplanned",
    "campaign",
)
"""Every rule id a :class:`Violation` can carry, in the order they are reported."""


_EPS = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    rule
        Rule id, one of :data:`RULES`.
    target_id
        The target concerned, or ``None`` for a rule about a group of rows (``capacity``).
    message
        One sentence with ids, dates and numbers only (no names or addresses).
    """

    rule: str
    target_id: str | None
    message: str


@dataclass(frozen=True)
class PlanScore:
    """Figures to compare plans of the same beats.

    Attributes
    ----------
    visits
        Number of plan rows.
    walk_minutes
        Travel minutes of all rounds: per officer, date and slot group, a nearest-neighbour tour
        from the post through the distinct door points and back, at the officer's mode speed.
    walk_minutes_per_visit
        ``walk_minutes / visits`` (0 for an empty plan).
    days_used
        Distinct (officer, date) pairs with at least one visit.
    monthly_load_cv
        Coefficient of variation (population standard deviation / mean) of the planned minutes
        per month, over the months in which the plan's officers have any visit capacity.
    months
        Visits per month, every month 1..12 present.
    """

    visits: int
    walk_minutes: float
    walk_minutes_per_visit: float
    days_used: int
    monthly_load_cv: float
    months: dict[int, int]


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_plan` found: the violations and the plan's score."""

    violations: list[Violation]
    score: PlanScore

    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations


@dataclass(frozen=True)
class _Context:
    """Everything the rule checks look up, derived once from the inputs."""

    station: Station
    policy: Policy
    year: int
    start: date | None
    targets: Mapping[str, Target]
    officers: Mapping[str, Officer]
    calendars: Mapping[str, Mapping[date, DutyDay]]
    """Duty days by officer and date, gross of incident hours (duty days, leave)."""
    net: Mapping[str, Mapping[date, DutyDay]]
    """The same days net of the officer's beat's incident hours (capacity)."""
    due: Mapping[str, DueTarget]
    checked_beats: frozenset[str]
    unplanned: Sequence[Unplanned] | None
    approvals: frozenset[str] | None
    campaign: Campaign | None = None
    graph: nx.MultiDiGraph | None = None
    speeds_kmh: Mapping[Mode | str, float] | None = None
    route_days: bool = True
    router: DayRouter | None = None


# --------------------------------------------------------------------------- small helpers


def _slot_group(slot: str) -> str | None:
    """Duty-minute group of a slot code, ``None`` for a slot without one."""
    return SLOT_GROUPS.get(slot)


def _group_minutes(day: DutyDay, group: str) -> int:
    """Visit minutes of a duty day in one slot group."""
    return day.day_minutes if group == "day" else day.evening_minutes


def _duty_day(ctx: _Context, v: PlannedVisit) -> DutyDay | None:
    """The officer's duty on the visit's date (``None``: unknown officer or date off the year)."""
    return ctx.calendars.get(v.officer_id, {}).get(v.date)


def _planned_minutes(v: PlannedVisit, targets: Mapping[str, Target]) -> int:
    """The row's ``est_minutes``, or the target's ``visit_minutes`` when the row gives 0."""
    if v.est_minutes > 0:
        return v.est_minutes
    t = targets.get(v.target_id)
    return t.visit_minutes if t is not None else 0


def _capacity(minutes: int, factor: float) -> int:
    """``floor(minutes * factor)``, robust to float error (``30 * 0.7`` is 21, not 20)."""
    return math.floor(minutes * factor + _EPS)


def _home_beat(ctx: _Context, v: PlannedVisit) -> str:
    """The register's beat of the visit's target, else the row's beat."""
    t = ctx.targets.get(v.target_id)
    return t.beat_id if t is not None else v.beat_id


# --------------------------------------------------------------------------- rules


def _check_known_target(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Every planned target is in the register."""
    return [
        Violation("known_target", v.target_id, f"target {v.target_id} is not in the register")
        for v in visits
        if v.target_id not in ctx.targets
    ]


def _check_beat(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The row's beat is the register's beat of the target."""
    out = []
    for v in visits:
        t = ctx.targets.get(v.target_id)
        if t is not None and t.beat_id != v.beat_id:
            msg = f"planned in beat {v.beat_id} but the register puts it in beat {t.beat_id}"
            out.append(Violation("beat", v.target_id, msg))
    return out


def _check_officer(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The officer exists and works the target's beat."""
    out = []
    for v in visits:
        officer = ctx.officers.get(v.officer_id)
        beat = _home_beat(ctx, v)
        if officer is None:
            out.append(Violation("officer", v.target_id, f"unknown officer {v.officer_id}"))
        elif officer.beat_id != beat:
            msg = f"officer {v.officer_id} works beat {officer.beat_id}, not beat {beat}"
            out.append(Violation("officer", v.target_id, msg))
    return out


def _check_exactly_once(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """No target is planned twice (one violation per extra row)."""
    seen: dict[str, date] = {}
    out = []
    for v in visits:
        if v.target_id in seen:
            msg = f"planned again on {v.date} (first on {seen[v.target_id]})"
            out.append(Violation("exactly_once", v.target_id, msg))
        else:
            seen[v.target_id] = v.date
    return out


def _check_due(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Every planned (known) target is due in the plan year, or inside the campaign ordered."""
    ordered = ctx.campaign.target_ids if ctx.campaign else frozenset()
    return [
        Violation("due", v.target_id, f"target {v.target_id} is not due in {ctx.year}")
        for v in visits
        if v.target_id in ctx.targets and v.target_id not in ctx.due and v.target_id not in ordered
    ]


def _check_campaign(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Every target of a campaign order (still in the register) is planned inside its window,
    or listed as unplanned; a moved-out or exempt one need not be."""
    c = ctx.campaign
    if c is None:
        return []
    planned = {v.target_id: v.date for v in visits}
    listed = {u.target_id for u in ctx.unplanned or ()}
    window = f"{c.start.isoformat()} – {c.end.isoformat()}"
    out = []
    for target_id in sorted(c.target_ids):
        t = ctx.targets.get(target_id)
        if t is None or not t.active_in(c.start.year):
            continue
        day = planned.get(target_id)
        if day is not None and not c.start <= day <= c.end:
            msg = f"campaign target planned on {day.isoformat()}, outside {window}"
            out.append(Violation("campaign", target_id, msg))
        elif day is None and target_id not in listed:
            msg = f"campaign target ({window}) neither planned nor listed as unplanned"
            out.append(Violation("campaign", target_id, msg))
    return out


def _check_due_missing(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Every due target of the checked beats is planned or listed in unplanned."""
    accounted = {v.target_id for v in visits} | {u.target_id for u in ctx.unplanned or ()}
    out = []
    for target_id, d in ctx.due.items():
        if d.target.beat_id in ctx.checked_beats and target_id not in accounted:
            msg = (
                f"due in {ctx.year} ({d.reason.value}, beat {d.target.beat_id}) but neither "
                "planned nor listed as unplanned"
            )
            out.append(Violation("due_missing", target_id, msg))
    return out


def _check_year(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Dates lie in the plan year and not before ``start``."""
    out = []
    for v in visits:
        if v.date.year != ctx.year:
            out.append(Violation("year", v.target_id, f"date {v.date} is not in {ctx.year}"))
        elif ctx.start is not None and v.date < ctx.start:
            msg = f"date {v.date} is before the re-plan start {ctx.start}"
            out.append(Violation("year", v.target_id, msg))
    return out


def _check_duty_day(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The officer has visit minutes in the slot's group that day (leave days: rule ``leave``)."""
    out = []
    for v in visits:
        day = _duty_day(ctx, v)
        group = _slot_group(v.slot)
        if day is None or group is None or day.duty is DutyType.LEAVE:
            continue
        if _group_minutes(day, group) <= 0:
            msg = (
                f"{v.date} is a {day.duty.value} day of officer {v.officer_id} with no "
                f"{group} visit minutes (slot {v.slot})"
            )
            out.append(Violation("duty_day", v.target_id, msg))
    return out


def _check_leave(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """No visits on the officer's leave days."""
    out = []
    for v in visits:
        day = _duty_day(ctx, v)
        if day is not None and day.duty is DutyType.LEAVE:
            msg = f"officer {v.officer_id} is on leave on {v.date}"
            out.append(Violation("leave", v.target_id, msg))
    return out


def _check_no_visit_day(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """No visits on the days the policy keeps free (年末年始)."""
    return [
        Violation("no_visit_day", v.target_id, f"{v.date} is a day without visits (年末年始)")
        for v in visits
        if not ctx.policy.visits_allowed(v.date)
    ]


def _check_slot(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The slot is a policy slot with a slot group."""
    codes = {s.code for s in ctx.policy.slots}
    out = []
    for v in visits:
        if v.slot not in codes:
            msg = f"slot {v.slot!r} is not a slot of policy {ctx.policy.name} ({sorted(codes)})"
            out.append(Violation("slot", v.target_id, msg))
        elif _slot_group(v.slot) is None:
            msg = f"slot {v.slot!r} has no duty minutes (known groups: {sorted(SLOT_GROUPS)})"
            out.append(Violation("slot", v.target_id, msg))
    return out


def _check_window(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The slot suits the target's availability."""
    out = []
    for v in visits:
        t = ctx.targets.get(v.target_id)
        if t is None or _slot_group(v.slot) is None:
            continue
        allowed = WINDOWS.get(t.availability, WINDOWS[Availability.UNKNOWN])
        if v.slot not in allowed:
            msg = f"availability {t.availability.value} does not allow slot {v.slot}"
            out.append(Violation("window", v.target_id, msg))
    return out


def _check_capacity(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Per (officer, date, slot group), planned minutes <= floor(group minutes x month factor),
    the group minutes net of the beat's incident hours.

    Groups without any minutes before incidents are left to ``duty_day`` / ``leave``, so one
    mistake is reported once; a group that incidents empty has a capacity of 0.
    """
    out = []
    for (officer_id, day_date, group), (rows, total, cap) in _over_capacity(visits, ctx).items():
        ids = ", ".join(v.target_id for v in rows)
        lost = _incident_hours(ctx.station, ctx.officers[officer_id])
        net = f" net of {lost:g} incident hours a duty day" if lost > 0 else ""
        msg = (
            f"officer {officer_id} on {day_date} ({group}): {total} planned minutes exceed "
            f"the {cap} available{net} ({ids})"
        )
        out.append(Violation("capacity", None, msg))
    return out


def _over_capacity(
    visits: Sequence[PlannedVisit], ctx: _Context
) -> dict[tuple[str, date, str], tuple[list[PlannedVisit], int, int]]:
    """The (officer, date, slot group) whose planned minutes exceed the group's capacity, with
    their rows, planned minutes and capacity (groups without minutes before incidents left out).
    """
    loads: dict[tuple[str, date, str], list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        group = _slot_group(v.slot)
        if group is not None and _duty_day(ctx, v) is not None:
            loads[(v.officer_id, v.date, group)].append(v)
    out = {}
    for (officer_id, day_date, group), rows in loads.items():
        if _group_minutes(ctx.calendars[officer_id][day_date], group) <= 0:
            continue
        minutes = _group_minutes(ctx.net[officer_id][day_date], group)
        cap = _capacity(minutes, ctx.policy.month_factors[day_date.month - 1])
        total = sum(_planned_minutes(v, ctx.targets) for v in rows)
        if total > cap:
            out[(officer_id, day_date, group)] = (rows, total, cap)
    return out


def _check_route(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Per (officer, date, slot group): the planned doors fit one route from the post and back
    within the group's minutes (the ``capacity`` rule's), visits included.  A group already
    over capacity is the ``capacity`` rule's alone: one mistake is reported once."""
    if not ctx.route_days:
        return []
    over = _over_capacity(visits, ctx)
    days: dict[tuple[str, date, str], list[Target]] = defaultdict(list)
    for v in visits:
        group = _slot_group(v.slot)
        if group is None or _duty_day(ctx, v) is None or v.target_id not in ctx.targets:
            continue
        if (v.officer_id, v.date, group) in over:
            continue
        if _group_minutes(ctx.calendars[v.officer_id][v.date], group) <= 0:
            continue
        doors = days[(v.officer_id, v.date, group)]
        if all(t.target_id != v.target_id for t in doors):  # a row twice: rule exactly_once
            doors.append(ctx.targets[v.target_id])
    out = []
    per_post: dict[tuple[str, Mode], list[tuple[str, date, str]]] = defaultdict(list)
    posts: dict[str, Post] = {}
    for key, doors in days.items():
        post = _round_post(ctx.station, ctx.officers.get(key[0]), doors)
        if post is not None:
            posts[post.post_id] = post
            per_post[(post.post_id, ctx.officers[key[0]].mode)].append(key)
    for (post_id, mode), keys in per_post.items():
        post = posts[post_id]
        doors_xy = [(t.lon, t.lat) for k in keys for t in days[k]]
        points = list(dict.fromkeys([(post.lon, post.lat), *doors_xy]))
        index = {p: i for i, p in enumerate(points)}
        streets = network.mode_graph(ctx.graph, mode) if ctx.graph is not None else None
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        dist = network.street_or_straight_metres(lons, lats, streets)
        for key in keys:
            officer_id, day_date, group = key
            doors = days[key]
            minutes = _group_minutes(ctx.net[officer_id][day_date], group)
            cap = _capacity(minutes, ctx.policy.month_factors[day_date.month - 1])
            m_per_min = network.speed_mps(mode, ctx.speeds_kmh) * 60.0
            visit = sum(t.visit_minutes for t in doors)
            nn = _nn_tour_metres(dist, [index[(t.lon, t.lat)] for t in doors]) / m_per_min
            if visit + nn <= cap:
                continue  # this tour is a route that fits
            msg = _route_problem(ctx, post, key, doors, cap, mode, nn)
            if msg:
                out.append(Violation("route", None, msg))
    return out


class DayRouter(Protocol):
    """Routes one officer-day's doors (:func:`planner.routes.route_check` is one): the planned
    doors its route drops and the minutes the day overruns by.  The checker takes it as an
    argument so that it imports no solver."""

    def __call__(
        self,
        policy: Policy,
        post: Post,
        doors: Sequence[Target],
        *,
        slot: str,
        cap: int,
        graph: nx.MultiDiGraph | None,
        mode: Mode,
        speeds_kmh: Mapping[Mode | str, float] | None,
        officer_id: str,
        day: date,
    ) -> tuple[tuple[str, ...], int]: ...


def _route_problem(
    ctx: _Context,
    post: Post,
    key: tuple[str, date, str],
    doors: Sequence[Target],
    cap: int,
    mode: Mode,
    nn_minutes: float,
) -> str | None:
    """A sentence when one officer-day's planned doors do not fit: the router's route drops a
    door, or (without a router) the nearest-neighbour tour does not fit."""
    officer_id, day_date, group = key
    visit = sum(t.visit_minutes for t in doors)
    what = (
        f"officer {officer_id} on {day_date} ({group}): the {len(doors)} planned doors "
        f"({visit} min of visits) do not fit one route from the post and back in the "
        f"{cap} min available"
    )
    if ctx.router is None:
        over = math.ceil(visit + nn_minutes - cap)
        return f"{what}; the nearest-neighbour tour overruns by about {over} min (no router)"
    dropped, overrun = ctx.router(
        ctx.policy,
        post,
        doors,
        slot="day" if group == "day" else "evening",
        cap=cap,
        graph=ctx.graph,
        mode=mode,
        speeds_kmh=ctx.speeds_kmh,
        officer_id=officer_id,
        day=day_date,
    )
    if not dropped:
        return None
    return f"{what}; the route drops {', '.join(dropped)} (overruns by about {overrun} min)"


def _check_approval(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Visits in a slot that requires approval are listed in approvals (when given)."""
    if ctx.approvals is None:
        return []
    out = []
    for v in visits:
        if v.slot in ctx.policy.approval_slots and v.target_id not in ctx.approvals:
            slot = ctx.policy.slot(v.slot)
            who = slot.approver or "the approver"
            msg = f"{v.slot} visit on {v.date} needs approval by {who}; not in approvals"
            out.append(Violation("approval", v.target_id, msg))
    return out


def _check_tier(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """The row's tier is the register's tier."""
    out = []
    for v in visits:
        t = ctx.targets.get(v.target_id)
        if t is not None and t.tier != v.tier:
            msg = f"planned as tier {v.tier} but the register says {t.tier}"
            out.append(Violation("tier", v.target_id, msg))
    return out


def _check_unplanned(visits: Sequence[PlannedVisit], ctx: _Context) -> list[Violation]:
    """Unplanned rows name register targets that the plan does not also place."""
    planned = {v.target_id for v in visits}
    out = []
    for u in ctx.unplanned or ():
        if u.target_id not in ctx.targets:
            msg = f"unplanned row names {u.target_id}, which is not in the register"
            out.append(Violation("unplanned", u.target_id, msg))
        elif u.target_id in planned:
            msg = f"listed as unplanned ({u.reason}) but also planned"
            out.append(Violation("unplanned", u.target_id, msg))
    return out


_CHECKS: tuple[Callable[[Sequence[PlannedVisit], _Context], list[Violation]], ...] = (
    _check_known_target,
    _check_beat,
    _check_officer,
    _check_exactly_once,
    _check_due,
    _check_due_missing,
    _check_year,
    _check_duty_day,
    _check_leave,
    _check_no_visit_day,
    _check_slot,
    _check_window,
    _check_capacity,
    _check_route,
    _check_approval,
    _check_tier,
    _check_unplanned,
    _check_campaign,
)


# --------------------------------------------------------------------------- verify


def _incident_hours(station: Station, officer: Officer) -> float:
    """Incident hours per duty day of the officer's beat (0 for a beat the station lacks)."""
    return next((b.incident_hours for b in station.beats if b.beat_id == officer.beat_id), 0.0)


def _calendars(
    station: Station, year: int, officer_ids: Iterable[str], *, net: bool = False
) -> dict[str, dict[date, DutyDay]]:
    """Duty days of the year by date, for each named officer that exists; with ``net``, net of
    the officer's beat's incident hours."""
    officers = {o.officer_id: o for o in station.officers}
    out = {}
    for oid in dict.fromkeys(officer_ids):
        if oid in officers:
            lost = _incident_hours(station, officers[oid]) if net else 0.0
            days = duty_calendar(
                officers[oid], year, officer_days=station.officer_days, incident_hours=lost
            )
            out[oid] = {d.date: d for d in days}
    return out


def _checked_beats(station: Station, beats: Sequence[str] | None) -> frozenset[str]:
    """The beats whose due set must be accounted for (default: every beat of the station)."""
    known = {b.beat_id for b in station.beats}
    if beats is None:
        return frozenset(known)
    unknown = sorted(set(beats) - known)
    if unknown:
        raise InputError(f"unknown beat(s) to check: {', '.join(unknown)}")
    return frozenset(beats)


def verify_plan(
    station: Station,
    policy: Policy,
    year: int,
    visits: Sequence[PlannedVisit],
    *,
    unplanned: Sequence[Unplanned] | None = None,
    approvals: Iterable[str] | None = None,
    beats: Sequence[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
    speeds_kmh: Mapping[Mode | str, float] | None = None,
    start: date | None = None,
    campaign: Campaign | None = None,
    route_days: bool = True,
    router: DayRouter | None = None,
) -> VerifyReport:
    """Check a year plan against every rule and score it.

    Parameters
    ----------
    station
        The register, posts, beats, officers and their leave / 専従日.
    policy
        The prefecture's rules (tiers, slots, month factors).
    year
        The plan year.
    visits
        The plan rows (the solver's or a hand plan).
    unplanned
        Rows of unplanned.csv.  ``None`` counts as an empty file: every due target of the
        checked beats must then be planned.
    approvals
        Target ids listed in approvals.csv.  ``None`` skips the ``approval`` rule.
    beats
        Beats whose due targets must all be accounted for (``due_missing``); default every beat
        of the station.  The other rules check every row whatever its beat.
    graph
        Street network for the score's walking distances; ``None``: straight lines x 1.3.
    speeds_kmh
        Overrides of the travel speeds by mode (:data:`planner.network.SPEEDS_KMH`).
    start
        First date of a re-plan: earlier dates break rule ``year`` and the load spread counts
        capacity from this date.
    campaign
        A campaign order the plan follows (``campaign.csv`` beside a campaign plan): its
        targets may be planned though not otherwise due, and must lie inside its window.
    route_days
        Check rule ``route`` (each officer-day walked along the streets); ``False`` skips it.
    router
        Routes an officer-day whose nearest-neighbour tour does not fit
        (:func:`planner.routes.route_check`); ``None``: that tour decides.

    Returns
    -------
    VerifyReport
        Violations in the order of :data:`RULES`, then of the plan rows, and the score.

    Raises
    ------
    InputError
        If ``beats`` names a beat the station does not have, or an officer's roster is invalid.
    """
    station, _mapping = station_under(station, policy)  # tiers the policy lacks: mapped
    beat_map = {b.beat_id: b for b in station.beats}
    due = {d.target.target_id: d for d in due_targets(station.targets, policy, year, beat_map)}
    ctx = _Context(
        station=station,
        policy=policy,
        year=year,
        start=start,
        targets={t.target_id: t for t in station.targets},
        officers={o.officer_id: o for o in station.officers},
        calendars=_calendars(station, year, (v.officer_id for v in visits)),
        net=_calendars(station, year, (v.officer_id for v in visits), net=True),
        due=due,
        checked_beats=_checked_beats(station, beats),
        unplanned=unplanned,
        approvals=None if approvals is None else frozenset(approvals),
        campaign=campaign,
        graph=graph,
        speeds_kmh=speeds_kmh,
        route_days=route_days,
        router=router,
    )
    violations = [x for check in _CHECKS for x in check(visits, ctx)]
    score = score_plan(
        station,
        visits,
        graph=graph,
        speeds_kmh=speeds_kmh,
        year=year,
        month_factors=policy.month_factors,
        start=start,
    )
    return VerifyReport(violations, score)


# --------------------------------------------------------------------------- score


def _nn_tour_metres(dist: np.ndarray, stops: Sequence[int]) -> float:
    """Length of a nearest-neighbour tour from index 0 through ``stops`` and back to 0."""
    here, left, total = 0, list(dict.fromkeys(stops)), 0.0
    while left:
        nxt = min(left, key=lambda j: (dist[here, j], j))
        total += float(dist[here, nxt])
        left.remove(nxt)
        here = nxt
    return total + float(dist[here, 0])


def _round_post(station: Station, officer: Officer | None, doors: Sequence[Target]) -> Post | None:
    """The post a round starts from: the officer's beat's, else the first door's beat's."""
    beats = [officer.beat_id] if officer is not None else []
    beats += [t.beat_id for t in doors]
    for beat_id in beats:
        try:
            return station.post_of(beat_id)
        except KeyError:
            continue
    return None


_Round = tuple[str, list[tuple[float, float]]]  # officer id, door points in plan order


def _rounds_by_post(
    station: Station, visits: Sequence[PlannedVisit]
) -> dict[str, tuple[Post, list[_Round]]]:
    """Rounds (one per officer, date and slot group) grouped by the post they start from."""
    targets = {t.target_id: t for t in station.targets}
    officers = {o.officer_id: o for o in station.officers}
    rounds: dict[tuple[str, date, str], list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        rounds[(v.officer_id, v.date, _slot_group(v.slot) or v.slot)].append(v)
    per_post: dict[str, tuple[Post, list[_Round]]] = {}
    for (officer_id, _, _), rows in rounds.items():
        doors = [targets[v.target_id] for v in rows if v.target_id in targets]
        post = _round_post(station, officers.get(officer_id), doors)
        if post is not None and doors:
            points = [(t.lon, t.lat) for t in doors]
            per_post.setdefault(post.post_id, (post, []))[1].append((officer_id, points))
    return per_post


def _walk_minutes(
    station: Station,
    visits: Sequence[PlannedVisit],
    graph: nx.MultiDiGraph | None,
    speeds_kmh: Mapping[Mode | str, float] | None,
    detour: float,
) -> float:
    """Minutes of all rounds, a nearest-neighbour tour each; one distance matrix per post."""
    officers = {o.officer_id: o for o in station.officers}
    total = 0.0
    for post, rounds in _rounds_by_post(station, visits).values():
        doors = [p for _, round_doors in rounds for p in round_doors]
        points = list(dict.fromkeys([(post.lon, post.lat), *doors]))
        index = {p: i for i, p in enumerate(points)}
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        dist = network.street_or_straight_metres(lons, lats, graph, detour=detour)
        for officer_id, round_doors in rounds:
            metres = _nn_tour_metres(dist, [index[p] for p in round_doors if index[p] != 0])
            officer = officers.get(officer_id)
            mode = officer.mode if officer is not None else Mode.WALK
            total += metres / network.speed_mps(mode, speeds_kmh) / 60.0
    return total


def _capacity_months(
    station: Station,
    visits: Sequence[PlannedVisit],
    year: int,
    month_factors: Sequence[float],
    start: date | None,
) -> set[int]:
    """Months in which the officers of the plan's beats have any (month-adjusted) capacity,
    net of their beat's incident hours."""
    targets = {t.target_id: t for t in station.targets}
    officers = {o.officer_id: o for o in station.officers}
    beats = {targets[v.target_id].beat_id for v in visits if v.target_id in targets}
    beats |= {officers[v.officer_id].beat_id for v in visits if v.officer_id in officers}
    months: set[int] = set()
    for officer in station.officers:
        if officer.beat_id not in beats:
            continue
        lost = _incident_hours(station, officer)
        for day in duty_calendar(
            officer, year, officer_days=station.officer_days, incident_hours=lost
        ):
            if start is not None and day.date < start:
                continue
            if day.visit_minutes > 0 and month_factors[day.date.month - 1] > 0:
                months.add(day.date.month)
    return months


def _cv(values: Sequence[float]) -> float:
    """Population standard deviation / mean (0 for no values or a zero mean)."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0 or arr.mean() <= 0:
        return 0.0
    return float(arr.std() / arr.mean())


def _plan_year(visits: Sequence[PlannedVisit]) -> int | None:
    """The most common year of the plan's dates."""
    years = Counter(v.date.year for v in visits)
    return years.most_common(1)[0][0] if years else None


def score_plan(
    station: Station,
    visits: Sequence[PlannedVisit],
    *,
    graph: nx.MultiDiGraph | None = None,
    speeds_kmh: Mapping[Mode | str, float] | None = None,
    detour: float = geo.DETOUR,
    year: int | None = None,
    month_factors: Sequence[float] | None = None,
    start: date | None = None,
) -> PlanScore:
    """Score a plan: walking minutes, days used and how evenly the load spreads over the year.

    Parameters
    ----------
    station
        The register (door points), posts, beats and officers (mode of travel, rosters).
    visits
        The plan rows; rows of unknown targets add no walking.
    graph
        Street network: distances from :func:`planner.network.distance_matrix`.  ``None``:
        straight-line metres on a local equirectangular projection times ``detour`` (also used
        for a pair the network cannot connect).
    speeds_kmh
        Overrides of the travel speeds by mode.
    detour
        Factor from straight-line to street distance when there is no graph.
    year
        Year of the rosters that decide which months have capacity; default the most common year
        of the plan's dates.
    month_factors
        The policy's usable share of each month's hours; a month with factor 0 has no capacity.
        Default 1 for every month.
    start
        First date of a re-plan: capacity before it does not count.

    Returns
    -------
    PlanScore
        The plan's figures.
    """
    months = dict.fromkeys(range(1, 13), 0)
    minutes = dict.fromkeys(range(1, 13), 0)
    targets = {t.target_id: t for t in station.targets}
    for v in visits:
        months[v.date.month] += 1
        minutes[v.date.month] += _planned_minutes(v, targets)
    year = _plan_year(visits) if year is None else year
    factors = tuple(month_factors) if month_factors is not None else (1.0,) * 12
    active = _capacity_months(station, visits, year, factors, start) if year is not None else set()
    walk = _walk_minutes(station, visits, graph, speeds_kmh, detour)
    return PlanScore(
        visits=len(visits),
        walk_minutes=walk,
        walk_minutes_per_visit=walk / len(visits) if visits else 0.0,
        days_used=len({(v.officer_id, v.date) for v in visits}),
        monthly_load_cv=_cv([minutes[m] for m in sorted(active)]),
        months=months,
    )


# --------------------------------------------------------------------------- day routes


def _minutes_of(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def verify_route_rows(
    rows: Sequence[Mapping[str, object]],
    mandatory: Iterable[str],
    shift: tuple[int, int],
    *,
    dropped: Iterable[str] = (),
) -> list[Violation]:
    """Check a day route as written to ``route_<beat>_<date>.csv``, apart from the router.

    Rules: ``route_mandatory`` (every mandatory door visited once, or reported dropped),
    ``route_twice`` (no door twice), ``route_window`` (each arrival inside the row's window),
    ``route_shift`` (every visit between the shift's start and end), ``route_order`` (a door is
    reached after leaving the previous one).  The CSV's last row without a ``target_id`` is the
    walk back to the post: ``route_shift`` and ``route_order`` check its arrival too.
    """
    out: list[Violation] = []
    seen: set[str] = set()
    dropped = set(dropped)
    last_depart = shift[0]
    for r in rows:
        tid = str(r["target_id"])
        if not tid:  # back at the post
            back = _minutes_of(str(r["arrive"]))
            if back < last_depart or back > shift[1]:
                why = f"back at the post {r['arrive']}: before the last door or after the shift"
                out.append(Violation("route_shift", "post", why))
            continue
        arrive, depart = _minutes_of(str(r["arrive"])), _minutes_of(str(r["depart"]))
        lo, hi = (_minutes_of(x) for x in str(r["window"]).split("-"))
        if tid in seen:
            out.append(Violation("route_twice", tid, f"{tid} visited twice"))
        seen.add(tid)
        if not lo <= arrive <= hi:
            out.append(
                Violation("route_window", tid, f"arrives {r['arrive']} outside {r['window']}")
            )
        if arrive < shift[0] or depart > shift[1]:
            out.append(
                Violation("route_shift", tid, f"{r['arrive']}–{r['depart']} outside the shift")
            )
        if arrive < last_depart or depart < arrive:
            out.append(
                Violation(
                    "route_order", tid, f"arrives {r['arrive']} before leaving the previous door"
                )
            )
        last_depart = depart
    for tid in sorted(set(mandatory) - seen - dropped):
        out.append(
            Violation(
                "route_mandatory", tid, f"mandatory {tid} neither visited nor reported dropped"
            )
        )
    return out
