"""Year plan: CP-SAT assigns every due target to a month, a duty day and a slot.

How it works (per beat)
-----------------------
1. **Due set** from the policy (:func:`planner.policy.due_targets`), most urgent first.
2. **Windows**: a target's card availability gives the slots it may be visited in (day,
   evening, and night where the policy allows it with approval); the absence table gives the
   chance that somebody answers in each slot on a weekday or a weekend.
3. **Aggregation**: targets -> street clusters -> neighbourhoods (:mod:`planner.clusters`), then
   *units*: the targets of one cluster with the same tier, urgency and windows, cut into pieces
   of at most ``unit_max_minutes``.  Units, not targets, are the decisions.
4. **Month model** (CP-SAT): each unit to at most one (month, slot) within the month's visit
   hours less the reserve kept for revisits; rewards expected contacts weighted by tier and
   urgency; penalises delaying the urgent, uneven monthly load and splitting a cluster across
   months.
5. **Day model** (CP-SAT, one per month): each of the month's units to one duty day of an officer
   of the beat, within that day's slot minutes *including travel* (trip to each neighbourhood,
   hops between clusters, walking inside them); rewards contact on that weekday/weekend and
   penalises travel, so nearby clusters share a day.  Then each duty slot's doors are walked as
   one tour from the post and back on the router's street distances (:func:`fit_tours`): a
   slot whose tour does not fit gives up units, and units waiting go where a tour still fits.
   Units that do not fit roll to the next month; what is left in December is reported
   unplanned with the hours it would need.

One travel model: every minute (units, ``no_window``, the tours, ``est_minutes``) comes from
:class:`planner.clusters.Travel`, the street metres :func:`planner.routes.route_day` routes on.
``no_window`` means that even a lone visit (post -> door -> post) does not fit the longest
slot the target's card allows.  Never-met, provisional and overdue targets of the first tier
(重点) lead: they take the earliest months' hours as far as those allow
(:func:`front_load_rule`).  Solver limits are deterministic (:data:`MONTH_SHARE`,
:data:`DAY_SHARE` of ``YearParams.time_limit_s``); a wall-clock guard per beat
(:func:`wall_guard`) never changes a plan, it fails the beat.

Every rule is one ``add_<rule>`` function; the objective is booked per rule, so the plan can
say what each rule cost.  Solver code does no I/O; progress goes to an optional callback.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from statistics import median

import networkx as nx

from planner import cpsat, geo
from planner._errors import InputError
from planner.clusters import Geography, Travel, build_geography
from planner.contact import ALLOWED_SLOTS, AbsenceTable, load_absence
from planner.model import Beat, DutyDay, Mode, Officer, OfficerDay, Station, Target
from planner.plan import Campaign, MonthLoad, PlannedVisit, Shortfall, Unplanned, YearPlan
from planner.policy import DueReason, DueTarget, Policy, due_targets, station_under
from planner.roster import duty_calendar, japanese_holidays

SLOT_GROUP = {"day": "day", "evening": "eve", "night": "eve"}
URGENT = frozenset({DueReason.NEVER_MET, DueReason.PROVISIONAL, DueReason.OVERDUE})
SCALE = 10  # minutes are tenths inside the models


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights of the year plan (points; a visit of a first-tier target ~1000).

    Attributes
    ----------
    tier_points
        Value of planning a target, by tier rank in the policy (重点 1000, 一般 150): the first
        tier is planned before any other when hours are short.
    never_met_bonus, provisional_bonus, overdue_bonus
        Extra value for 未把握, 仮カード and overdue targets of any tier.
    contact_low, contact_high
        Multipliers of a visit's value when nobody / everybody answers in its slot; in between
        linearly with the answer chance (absence table).  This moves households to the slots
        where they are home and, when hours are short, keeps likely interviews first.
    night_factor
        Multiplier of a visit's value in a slot that needs approval (night): such visits bother
        residents and cost the 地域課長's approval, so they are planned only where the answer
        chance is much better than by day or early evening.
    early_urgent
        Share of an urgent visit's value lost per month of delay (front-loads the overdue).
    early_all
        Share of any visit's value lost per month of delay: the most valuable visits go first,
        so that what slips at the end of the year is the least valuable.
    first_tier_urgent, first_tier_urgent_max
        Never-met, provisional and overdue targets of the first tier (Miyagi 重点) first: each
        month of delay costs them this share of their value, up to ``first_tier_urgent_max``
        (so a late one is still worth more than any other tier's visit).  They take the
        earliest months' hours as far as those allow (:func:`front_load_rule`).
    travel_per_min
        Points per estimated minute of walking/riding (day model) and per minute of a cluster
        split over months (month model).
    level_per_min
        Points per minute of a month's load above its even share of the year.
    campaign
        Extra points per campaign target: a campaign is planned before everything else.
    keep
        Points per target for staying in the month (or on the day) of the plan being re-planned,
        so that officers' printed monthly counts stay true where possible.
    """

    tier_points: tuple[int, ...] = (1000, 150, 60)
    never_met_bonus: int = 100
    provisional_bonus: int = 80
    overdue_bonus: int = 50
    contact_low: float = 0.7
    contact_high: float = 1.3
    night_factor: float = 0.8
    early_urgent: float = 0.05
    early_all: float = 0.001
    first_tier_urgent: float = 0.1
    first_tier_urgent_max: float = 0.5
    travel_per_min: int = 10
    level_per_min: int = 3
    keep: int = 300
    campaign: int = 5000


@dataclass(frozen=True, slots=True)
class YearParams:
    """Parameters of :func:`plan_year` (all have sane defaults).

    ``time_limit_s`` is per beat, in CP-SAT's deterministic time (a count of work, not of
    seconds: :meth:`planner.cpsat.Model.solve`): 40 % for the month model, 5 % for each of the
    twelve day models.  The same input, seed and parameters give the same plan whatever the
    machine's load or the number of workers.  ``wall_guard_s`` is a wall-clock guard per beat
    (default :func:`wall_guard`): it never changes a plan; if it runs out, the beat raises
    :class:`planner.cpsat.WallClockGuard` instead of returning a plan.
    """

    time_limit_s: float = 20.0
    wall_guard_s: float | None = None
    workers: int = 1
    seed: int = 0
    reserve: float = 0.2
    unit_max_minutes: int = 45
    cluster_m: float = 150.0
    neighbourhood_m: float = 600.0
    detour: float = geo.DETOUR
    allow_night: bool = True
    speeds_kmh: Mapping[str, float] | None = None
    start: date | None = None  # plan only from this date (re-plans)
    keep: Mapping[str, date] = field(default_factory=dict)  # target -> date in the old plan
    keep_mode: str = "month"  # re-plans: "day", "month" or "none"
    campaign: Campaign | None = None
    weights: Weights = field(default_factory=Weights)
    max_beat_targets: int = 20_000  # larger beats are refused with a clear message (bench_plan)


# ----------------------------------------------------------------------------------------------
# inputs of one beat


@dataclass(frozen=True, slots=True)
class DaySlot:
    """Capacity of one officer on one date in one slot group (``day`` or ``eve``)."""

    officer_id: str
    date: date
    group: str
    minutes: int
    weekend: bool


@dataclass(frozen=True, slots=True)
class Unit:
    """Targets of one cluster with the same tier, urgency and windows, decided together."""

    uid: int
    cluster: int
    neighbourhood: int
    members: tuple[int, ...]  # indices into the beat's due list
    slots: tuple[str, ...]
    visit_min: int
    est_min: float  # visit minutes plus a share of travel (month model)
    solo_min: float = 0.0  # minutes when it is the only unit of its trip (fits a slot?)
    walk_min: float = 0.0  # its share of the walking between the cluster's doors
    hop_min: float = 0.0  # hop to its cluster (paid once per cluster and trip)
    trip_min: float = 0.0  # round trip post -> its neighbourhood
    campaign: bool = False  # its targets must be visited in the campaign's window

    def est_for(self, slot_minutes: float) -> float:
        """Estimated minutes in slots of this length: visits, walking, and a share of the trip
        and hop split among the whole units that fit in one slot beside them."""
        per_unit = self.visit_min + self.walk_min
        fixed = self.trip_min + self.hop_min
        fit = max(1, math.floor((slot_minutes - fixed) / per_unit))
        return per_unit + fixed / fit


@dataclass(slots=True)
class BeatProblem:
    """Everything the two models need for one beat."""

    beat: Beat
    due: list[DueTarget]
    days: list[DaySlot]
    geography: Geography
    units: list[Unit]
    values: dict[tuple[int, bool, str], int]  # (due index, weekend, slot) -> points
    month_factors: tuple[float, ...]
    unplanned: list[Unplanned]
    first_tier: str = ""  # the policy's most important tier (重点): its urgent targets lead


def duty_slots(
    officers: Sequence[Officer],
    year: int,
    officer_days: Sequence[OfficerDay],
    policy: Policy,
    *,
    start: date | None = None,
    incident_hours: Mapping[str, float] | None = None,
) -> list[DaySlot]:
    """Capacities of every duty day of the officers, per slot group, net of the policy's month
    factors.

    Days before ``start`` and the days the policy keeps free of visits
    (:meth:`planner.policy.Policy.visits_allowed`, 年末年始) have none.
    ``incident_hours`` maps beat ids to ``Beat.incident_hours``: each officer's days are net of
    their beat's incident hours (:func:`planner.roster.duty_calendar`); missing beats lose none.
    """
    holidays = japanese_holidays(year)
    lost = incident_hours or {}
    out = []
    for o in officers:
        for d in duty_calendar(
            o, year, officer_days=officer_days, incident_hours=lost.get(o.beat_id, 0.0)
        ):
            if (start and d.date < start) or not policy.visits_allowed(d.date):
                continue
            weekend = d.date.weekday() >= 5 or d.date in holidays
            out.extend(_day_slots(d, policy.month_factors, weekend))
    return sorted(out, key=lambda s: (s.date, s.officer_id, s.group))


def _day_slots(d: DutyDay, factors: Sequence[float], weekend: bool) -> list[DaySlot]:
    f = factors[d.date.month - 1]
    out = []
    for group, minutes in (("day", d.day_minutes), ("eve", d.evening_minutes)):
        usable = math.floor(minutes * f)
        if usable > 0:
            out.append(DaySlot(d.officer_id, d.date, group, usable, weekend))
    return out


def allowed_slots(target: Target, policy: Policy, allow_night: bool) -> tuple[str, ...]:
    """Slots a target may be visited in under its card availability and the policy."""
    have = {s.code for s in policy.slots}
    if not allow_night:
        have.discard("night")
    return tuple(
        s
        for s in ("day", "evening", "night")
        if s in have and s in ALLOWED_SLOTS[target.availability]
    )


def target_points(d: DueTarget, policy: Policy, w: Weights) -> int:
    """Value of planning one due target before its contact chance (see :class:`Weights`)."""
    rank = policy.tier_codes.index(d.target.tier)
    base = w.tier_points[min(rank, len(w.tier_points) - 1)]
    bonus = {
        DueReason.NEVER_MET: w.never_met_bonus,
        DueReason.PROVISIONAL: w.provisional_bonus,
        DueReason.OVERDUE: w.overdue_bonus,
        DueReason.CAMPAIGN: w.campaign,
    }.get(d.reason, 0)
    return base + bonus


def build_problem(
    beat: Beat,
    due: list[DueTarget],
    officers: Sequence[Officer],
    officer_days: Sequence[OfficerDay],
    post: tuple[float, float],
    policy: Policy,
    year: int,
    *,
    graph: nx.MultiDiGraph | None = None,
    absence: AbsenceTable | None = None,
    params: YearParams = YearParams(),
) -> BeatProblem:
    """Prepare one beat: duty slots, windows, values, aggregation into units."""
    absence = absence or load_absence()
    w = params.weights
    days = duty_slots(
        officers,
        year,
        officer_days,
        policy,
        start=params.start,
        incident_hours={beat.beat_id: beat.incident_hours},
    )
    mode = officers[0].mode if officers else Mode.WALK
    geography = build_geography(
        [d.target.lon for d in due],
        [d.target.lat for d in due],
        post,
        graph=graph,
        mode=mode,
        speeds_kmh=params.speeds_kmh,
        cluster_m=params.cluster_m,
        neighbourhood_m=params.neighbourhood_m,
        detour=params.detour,
    )
    approval = policy.approval_slots
    values: dict[tuple[int, bool, str], int] = {}
    for i, d in enumerate(due):
        pts = target_points(d, policy, w)
        for weekend in (False, True):
            for slot in ("day", "evening", "night"):
                p = absence.answer_chance(d.target.household_type, weekend=weekend, slot=slot)
                mult = w.contact_low + (w.contact_high - w.contact_low) * p
                if slot in approval:
                    mult *= w.night_factor
                values[(i, weekend, slot)] = round(pts * mult)
    groups_with_capacity = {s.group for s in days}
    unplanned: list[Unplanned] = []
    if not officers:
        # hours it would take: visit minutes and, for want of routes, half as much again to travel
        unplanned = [
            _unplanned(d, "no_officer", "the beat has no officer", 1.5 * d.target.visit_minutes)
            for d in due
        ]
        return BeatProblem(
            beat,
            due,
            days,
            geography,
            [],
            values,
            policy.month_factors,
            unplanned,
            policy.tier_codes[0],
        )
    units = _make_units(due, geography, policy, params, days, groups_with_capacity, unplanned)
    return BeatProblem(
        beat,
        due,
        days,
        geography,
        units,
        values,
        policy.month_factors,
        unplanned,
        policy.tier_codes[0],
    )


def _unplanned(d: DueTarget, reason: str, message: str, est: float = 0.0) -> Unplanned:
    t = d.target
    return Unplanned(t.target_id, t.beat_id, t.tier, reason, message, math.ceil(est))


def _make_units(
    due: list[DueTarget],
    geo: Geography,
    policy: Policy,
    params: YearParams,
    days: list[DaySlot],
    groups: set[str],
    unplanned: list[Unplanned],
) -> list[Unit]:
    typical = {g: median([s.minutes for s in days if s.group == g] or [1]) for g in ("day", "eve")}
    longest = {g: max([s.minutes for s in days if s.group == g] or [0]) for g in ("day", "eve")}
    nb_trip = {n.neighbourhood_id: n.trip_min for n in geo.neighbourhoods}
    travel = geo.travel
    lone = (
        dict(zip(range(len(due)), travel.lone_minutes(range(len(due))), strict=True))
        if (travel is not None)
        else {}
    )
    units: list[Unit] = []
    for c in geo.clusters:
        buckets: dict[tuple, list[int]] = defaultdict(list)
        for i in c.members:
            d = due[i]
            slots = tuple(
                s
                for s in allowed_slots(d.target, policy, params.allow_night)
                if SLOT_GROUP[s] in groups
            )
            if not c.reachable or lone.get(i, 0.0) == math.inf:
                why = "no street connects the target to the post"
                unplanned.append(_unplanned(d, "unreachable", why))
                continue
            if not slots:
                unplanned.append(_unplanned(d, "no_window", _no_window_message(d.target, groups)))
                continue
            if travel is not None and i in lone:
                alone = d.target.visit_minutes + lone[i]
                best = max(longest[SLOT_GROUP[s]] for s in slots)
                if alone > best:
                    unplanned.append(
                        _unplanned(
                            d,
                            "no_window",
                            _too_far_message(d.target, lone[i], alone, best, slots, travel),
                            alone,
                        )
                    )
                    continue
            campaign = d.reason is DueReason.CAMPAIGN
            buckets[(d.target.tier, d.reason in URGENT or campaign, campaign, slots)].append(i)
        cluster_visit = sum(due[i].target.visit_minutes for i in c.members) or 1
        for (_tier, _urgent, _campaign, slots), idx in sorted(
            buckets.items(), key=lambda kv: kv[1][0]
        ):
            idx.sort(key=lambda i: (due[i].target.building_id, due[i].urgency))
            # a unit should fit a typical slot of its windows with its trip, with room to spare
            room = min(typical[SLOT_GROUP[s]] for s in slots) - nb_trip[c.neighbourhood] - c.hop_min
            cap = min(params.unit_max_minutes, max(1, int(0.7 * room)))
            slot_max = max(longest[SLOT_GROUP[s]] for s in slots)
            for chunk in _fitting_chunks(idx, due, cap, slot_max, travel):
                visit = sum(due[i].target.visit_minutes for i in chunk)
                share = visit / cluster_visit
                slot_len = min(typical[SLOT_GROUP[s]] for s in slots)
                # a trip is shared by the units that fit in one slot beside it
                walk = c.intra_min * share
                trip = nb_trip[c.neighbourhood]
                # a tour of its own doors; without a full matrix (huge beats) the aggregate
                solo = visit + (
                    travel.tour_minutes(chunk)
                    if travel is not None and travel.full
                    else walk + c.hop_min + trip
                )
                unit = Unit(
                    len(units),
                    c.cluster_id,
                    c.neighbourhood,
                    tuple(chunk),
                    slots,
                    visit,
                    0.0,
                    solo,
                    walk,
                    c.hop_min,
                    trip,
                    _campaign,
                )
                units.append(replace(unit, est_min=unit.est_for(slot_len)))
    return units


def _fitting_chunks(
    idx: list[int], due: Sequence[DueTarget], cap: int, slot_max: int, travel: Travel | None
) -> list[list[int]]:
    """Chunks of at most ``cap`` visit minutes; a chunk whose lone tour from the post does not
    fit the longest slot is cut into single targets (each fits alone: checked before)."""
    out: list[list[int]] = []
    for chunk in _chunks(idx, [due[i].target.visit_minutes for i in idx], cap):
        visit = sum(due[i].target.visit_minutes for i in chunk)
        if (
            len(chunk) > 1
            and travel is not None
            and travel.full
            and visit + travel.tour_minutes(chunk) > slot_max
        ):
            out.extend([i] for i in chunk)
        else:
            out.append(chunk)
    return out


def _too_far_message(
    t: Target, there_back: float, alone: float, best: int, slots: Sequence[str], travel: Travel
) -> str:
    metres = there_back * travel.m_per_min / 2
    return (
        f"even a lone visit does not fit: post → door → post is ≈{there_back:.0f} min "
        f"(≈{metres:.0f} m each way) + {t.visit_minutes} min "
        f"visit = ≈{alone:.0f} min, the longest {'/'.join(slots)} slot has {best} min"
    )


def _chunks(idx: list[int], minutes: list[int], cap: int) -> list[list[int]]:
    out: list[list[int]] = [[]]
    total = 0
    for i, m in zip(idx, minutes, strict=True):
        if out[-1] and total + m > cap:
            out.append([])
            total = 0
        out[-1].append(i)
        total += m
    return out


def _no_window_message(t: Target, groups: set[str]) -> str:
    if t.availability.value == "evening" and "eve" not in groups:
        return "evening-only household, but the officer's roster has no evening visit hours"
    return f"availability '{t.availability.value}' matches no slot with visit hours"


# ----------------------------------------------------------------------------------------------
# the month model


@dataclass(slots=True)
class MonthModel:
    """Variables of the month model: ``b[(unit, month, slot)]`` booleans."""

    model: cpsat.Model
    b: dict[tuple[int, int, str], cpsat.Var]
    over: dict[int, tuple[cpsat.Var, list, int]] = field(default_factory=dict)
    used: dict[tuple[int, int], cpsat.Var] = field(default_factory=dict)
    nb_used: dict[tuple[int, int], cpsat.Var] = field(default_factory=dict)


def month_capacity(days: Sequence[DaySlot], reserve: float) -> dict[tuple[int, str], int]:
    """Usable minutes per (month, group) after the reserve kept for revisits."""
    cap: dict[tuple[int, str], int] = defaultdict(int)
    for s in days:
        cap[(s.date.month, s.group)] += s.minutes
    return {k: math.floor(v * (1 - reserve)) for k, v in cap.items()}


def typical_slot(days: Sequence[DaySlot]) -> dict[tuple[int, str], float]:
    """Median minutes of the duty slots per (month, group)."""
    out: dict[tuple[int, str], list[int]] = defaultdict(list)
    for s in days:
        out[(s.date.month, s.group)].append(s.minutes)
    return {k: float(median(v)) for k, v in out.items()}


def longest_slot(days: Sequence[DaySlot]) -> dict[tuple[int, str], int]:
    """Minutes of the longest duty slot per (month, group)."""
    out: dict[tuple[int, str], int] = defaultdict(int)
    for s in days:
        key = (s.date.month, s.group)
        out[key] = max(out[key], s.minutes)
    return out


def month_values(p: BeatProblem) -> dict[tuple[int, int, str], int]:
    """Value of putting unit u in (month, slot): its members' values mixed over the month's days."""
    mix: dict[tuple[int, str], list[tuple[bool, int]]] = defaultdict(list)
    for s in p.days:
        mix[(s.date.month, s.group)].append((s.weekend, s.minutes))
    out = {}
    for u in p.units:
        for month in range(1, 13):
            for slot in u.slots:
                days = mix.get((month, SLOT_GROUP[slot]))
                if not days:
                    continue
                total = sum(m for _, m in days)
                weekend_share = sum(m for we, m in days if we) / total
                v = 0.0
                for i in u.members:
                    v += (1 - weekend_share) * p.values[(i, False, slot)]
                    v += weekend_share * p.values[(i, True, slot)]
                out[(u.uid, month, slot)] = round(v)
    return out


def add_each_unit_at_most_once(mm: MonthModel, units: Sequence[Unit]) -> None:
    """Rule: a unit (and so each due target) is planned at most once in the year."""
    by_unit = defaultdict(list)
    for (uid, _m, _s), var in mm.b.items():
        by_unit[uid].append(var)
    for u in units:
        mm.model.at_most_one(by_unit[u.uid])


def add_month_capacity(
    mm: MonthModel, est: Mapping[tuple[int, int, str], int], capacity: Mapping[tuple[int, str], int]
) -> None:
    """Rule: estimated minutes (visits + travel) per month and slot group within usable hours.

    ``est[(unit, month, group)]`` is the unit's estimate in tenths of a minute for that month's
    typical slot length (short winter slots carry fewer visits per trip).
    """
    load = defaultdict(list)
    for (uid, m, s), var in mm.b.items():
        g = SLOT_GROUP[s]
        load[(m, g)].append((est[(uid, m, g)], var))
    for key, terms in load.items():
        mm.model.at_most(terms, capacity.get(key, 0) * SCALE)


def campaign_capacity(days: Sequence[DaySlot], c: Campaign | None) -> dict[tuple[int, str], int]:
    """Minutes per (month, group) of the duty slots inside a campaign's window (no reserve: a
    campaign may use all of its days)."""
    if c is None:
        return {}
    return month_capacity([s for s in days if c.covers(s.date)], 0.0)


def add_campaign_window(
    mm: MonthModel,
    est: Mapping[tuple[int, int, str], int],
    window: Mapping[tuple[int, str], int],
    campaign_units: Collection[int],
) -> None:
    """Rule: a campaign's units in a month fit that month's minutes inside the window.

    A window that ends (or starts) mid-month has only those days for the campaign: without
    this rule the month model would count the whole month's hours for it, and the units that
    the window's days cannot hold would roll past the window and end up unplanned.
    """
    load = defaultdict(list)
    for (uid, m, s), var in mm.b.items():
        if uid in campaign_units:
            g = SLOT_GROUP[s]
            load[(m, g)].append((est[(uid, m, g)], var))
    for key, terms in load.items():
        mm.model.at_most(terms, window.get(key, 0) * SCALE)


def month_estimates(p: BeatProblem) -> dict[tuple[int, int, str], int]:
    """Each unit's estimated tenths of a minute per (month, group), for that month's slots."""
    typical = typical_slot(p.days)
    return {
        (u.uid, m, g): round(u.est_for(length) * SCALE)
        for u in p.units
        for (m, g), length in typical.items()
    }


def add_contact_value(
    mm: MonthModel,
    values: Mapping[tuple[int, int, str], int],
    urgent: Mapping[int, float],
    early: float,
    early_all: float = 0.0,
    lead: Mapping[int, float] | None = None,
    lead_rate: float = 0.0,
    lead_max: float = 0.0,
) -> None:
    """Reward: planned visits weighted by tier, urgency and answer chance; the urgent earlier.

    ``urgent[uid]`` is the share of the unit's value that is urgent (never met, provisional,
    overdue); that share loses ``early`` of its value per month of delay, and every visit loses
    ``early_all`` per month.  ``lead[uid]`` is the share that is urgent *and* of the first tier
    (重点): it loses ``lead_rate`` per month of delay, at most ``lead_max`` (:func:`delay_cost`).
    """
    for key, var in mm.b.items():
        uid, month, _slot = key
        v = values[key]
        late = delay_cost(
            v,
            month,
            urgent.get(uid, 0.0),
            early,
            early_all,
            (lead or {}).get(uid, 0.0),
            lead_rate,
            lead_max,
        )
        mm.model.reward("contact", v, var)
        if late:
            mm.model.penalty("front_load", round(late), var)


def delay_cost(
    value: float,
    month: int,
    urgent: float,
    early: float,
    early_all: float,
    lead: float = 0.0,
    lead_rate: float = 0.0,
    lead_max: float = 0.0,
) -> float:
    """Points a unit worth ``value`` loses by going to ``month`` rather than January."""
    late = (urgent * early + early_all) * value * (month - 1)
    return late + lead * value * min(lead_max, lead_rate * (month - 1))


def front_load_rule(policy: Policy, w: Weights = Weights()) -> str:
    """The front-loading rule in one sentence, for the plan's printout."""
    first = policy.tier(policy.tier_codes[0]).label
    return (
        f"rule: never-met, provisional and overdue {first} first: they take the earliest "
        f"months' visit hours as far as those allow (each month of delay costs them "
        f"{w.first_tier_urgent:.0%} of their value, up to {w.first_tier_urgent_max:.0%}); "
        "other urgent targets come next"
    )


def add_level_load(
    mm: MonthModel, units: Sequence[Unit], capacity: Mapping[tuple[int, str], int], weight: int
) -> None:
    """Penalty: minutes a month carries above its even share of the year's work."""
    est = {u.uid: round(u.est_min * SCALE) for u in units}
    month_cap: dict[int, int] = defaultdict(int)
    for (m, _g), c in capacity.items():
        month_cap[m] += c
    total_cap = sum(month_cap.values()) or 1
    demand = min(sum(est.values()), total_cap * SCALE)
    by_month = defaultdict(list)
    for (uid, m, _s), var in mm.b.items():
        by_month[m].append((est[uid], var))
    for m, terms in by_month.items():
        share = round(demand * month_cap[m] / total_cap)
        over = mm.model.integer(0, sum(c for c, _ in terms) // SCALE + 1, f"over_{m}")  # minutes
        mm.model.at_most([*terms, (-SCALE, over)], share)
        mm.model.penalty("level_load", weight, over)
        mm.over[m] = (over, terms, share)


def add_cluster_months(mm: MonthModel, p: BeatProblem, weight: int) -> None:
    """Penalty: each extra month a cluster is visited in costs its walking once more."""
    clusters = {c.cluster_id: c for c in p.geography.clusters}
    unit_cluster = {u.uid: u.cluster for u in p.units}
    used = mm.used
    for (uid, m, _s), var in mm.b.items():
        c = unit_cluster[uid]
        if (c, m) not in used:
            used[(c, m)] = mm.model.boolean(f"w_{c}_{m}")
            cl = clusters[c]
            mm.model.penalty("cluster_split", round(weight * cl.hop_min) or 1, used[(c, m)])
        mm.model.implies(var, used[(c, m)])


def add_neighbourhood_months(mm: MonthModel, p: BeatProblem, weight: int) -> None:
    """Penalty: each month a neighbourhood is visited in costs its trip from the post, so a
    month's work sits in few neighbourhoods and its days can share trips."""
    trips = {n.neighbourhood_id: n.trip_min for n in p.geography.neighbourhoods}
    unit_nb = {u.uid: u.neighbourhood for u in p.units}
    for (uid, m, _s), var in mm.b.items():
        n = unit_nb[uid]
        if (n, m) not in mm.nb_used:
            mm.nb_used[(n, m)] = mm.model.boolean(f"n_{n}_{m}")
            mm.model.penalty(
                "neighbourhood_split", round(weight * trips[n]) or 1, mm.nb_used[(n, m)]
            )
        mm.model.implies(var, mm.nb_used[(n, m)])


def add_keep_months(mm: MonthModel, p: BeatProblem, keep: Mapping[str, date], weight: int) -> None:
    """Reward (re-plans): targets staying in the month the previous plan gave them."""
    if not keep:
        return
    members = {u.uid: u.members for u in p.units}
    for (uid, m, _s), var in mm.b.items():
        stay = sum(
            1
            for i in members[uid]
            if (d := keep.get(p.due[i].target.target_id)) is not None and d.month == m
        )
        mm.model.reward("keep", weight * stay, var)


def solve_months(
    p: BeatProblem, params: YearParams, time_limit_s: float, *, deadline: float | None = None
) -> tuple[dict[int, tuple[int, str]], cpsat.Solution, set[int]]:
    """Month model: unit id -> (month, slot) for the units it plans, the model's solution (its
    status, wall time and objective by rule), and the units that had any (month, slot) long
    enough for them."""
    capacity = month_capacity(p.days, params.reserve)
    values = month_values(p)
    longest = longest_slot(p.days)
    solo = {u.uid: u.solo_min for u in p.units}
    est = month_estimates(p)
    campaign_units = {u.uid for u in p.units if u.campaign}
    campaign_months = _campaign_months(params.campaign)
    window = campaign_capacity(p.days, params.campaign)
    mm = MonthModel(cpsat.Model(), {})
    for key in values:
        uid, m, s = key
        if uid in campaign_units and m not in campaign_months:
            continue
        # a unit can only go to a month with a duty slot long enough for it
        if capacity.get((m, SLOT_GROUP[s]), 0) > 0 and solo[uid] <= longest[(m, SLOT_GROUP[s])]:
            mm.b[key] = mm.model.boolean(f"b_{uid}_{m}_{s}")
    urgent, lead = urgent_shares(p)
    w = params.weights
    add_each_unit_at_most_once(mm, p.units)
    add_month_capacity(mm, est, capacity)
    add_campaign_window(mm, est, window, campaign_units)
    add_contact_value(
        mm,
        values,
        urgent,
        w.early_urgent,
        w.early_all,
        lead,
        w.first_tier_urgent,
        w.first_tier_urgent_max,
    )
    net = {
        k: v
        - delay_cost(
            v,
            k[1],
            urgent[k[0]],
            w.early_urgent,
            w.early_all,
            lead[k[0]],
            w.first_tier_urgent,
            w.first_tier_urgent_max,
        )
        for k, v in values.items()
    }
    add_level_load(mm, p.units, capacity, w.level_per_min)
    add_cluster_months(mm, p, w.travel_per_min)
    add_neighbourhood_months(mm, p, w.travel_per_min)
    if params.keep_mode in ("month", "day"):
        add_keep_months(mm, p, params.keep, w.keep)
    _hint_months(mm, p, capacity, net, est, window, campaign_units)
    sol = mm.model.solve(
        time_limit_s=time_limit_s,
        workers=params.workers,
        seed=params.seed,
        keep_hint=True,
        deadline=deadline,
    )
    chosen = {uid: (m, s) for (uid, m, s), var in mm.b.items() if sol(var)}
    return chosen, sol, {uid for uid, _m, _s in mm.b}


def urgent_shares(p: BeatProblem) -> tuple[dict[int, float], dict[int, float]]:
    """Per unit: the share of its value that is urgent (never met, provisional, overdue), and
    the share that is urgent and of the policy's first tier (重点)."""
    urgent, lead = {}, {}
    first = p.first_tier
    for u in p.units:
        value = {i: p.values[(i, False, "day")] for i in u.members}
        total = sum(value.values()) or 1
        hot = [i for i in u.members if p.due[i].reason in URGENT]
        urgent[u.uid] = sum(value[i] for i in hot) / total
        lead[u.uid] = sum(value[i] for i in hot if p.due[i].target.tier == first) / total
    return urgent, lead


def _campaign_months(c: Campaign | None) -> set[int]:
    """Months a campaign's window touches (its targets go to no other month)."""
    if c is None:
        return set()
    last = c.end.month if c.end.year == c.start.year else 12
    return set(range(c.start.month, last + 1))


def _hint_months(
    mm: MonthModel,
    p: BeatProblem,
    capacity: Mapping[tuple[int, str], int],
    values: Mapping[tuple[int, int, str], float],
    est: Mapping[tuple[int, int, str], int],
    window: Mapping[tuple[int, str], int],
    campaign_units: Collection[int],
) -> None:
    """Greedy start, feasible by construction: a campaign's units first, then the first tier's
    units (its never-met and overdue before the rest), within them those with the fewest months
    they fit, then the most valuable per minute; each to its best-valued slot kind and month
    (``values`` net of the delay cost, so the urgent take the earliest months with room), in a
    month where its neighbourhood is already visited if one has room, else in the month with
    most room left (campaign units also within the window's minutes of that month)."""
    left = {k: v * SCALE for k, v in capacity.items()}
    window_left = {k: v * SCALE for k, v in window.items()}
    options: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for uid, m, s in mm.b:
        options[uid].append((m, s))
    chosen: dict[int, tuple[int, str]] = {}
    open_nb: set[tuple[int, int]] = set()

    def density(u: Unit) -> float:
        best = max((values[(u.uid, m, s)] for m, s in options[u.uid]), default=0)
        return -best / max(1.0, u.est_min)

    def order(u: Unit) -> tuple:
        campaign = u.uid in campaign_units  # the chief's order comes before anything else
        first = p.due[u.members[0]].target.tier == p.first_tier
        lead = any(p.due[i].reason in URGENT for i in u.members)
        return (
            not campaign,
            not first,
            not (first and lead),
            len(options[u.uid]),
            density(u),
            u.uid,
        )

    for u in sorted(p.units, key=order):
        fits = [
            (
                values[(u.uid, m, s)] // 50,
                (u.neighbourhood, m) in open_nb,
                left[(m, SLOT_GROUP[s])],
                -m,
                m,
                s,
            )
            for m, s in options[u.uid]
            if left[(m, SLOT_GROUP[s])] >= est[(u.uid, m, SLOT_GROUP[s])]
            and (
                u.uid not in campaign_units
                or window_left.get((m, SLOT_GROUP[s]), 0) >= est[(u.uid, m, SLOT_GROUP[s])]
            )
        ]
        if fits:
            *_, m, s = max(fits)
            left[(m, SLOT_GROUP[s])] -= est[(u.uid, m, SLOT_GROUP[s])]
            if u.uid in campaign_units:
                window_left[(m, SLOT_GROUP[s])] -= est[(u.uid, m, SLOT_GROUP[s])]
            chosen[u.uid] = (m, s)
            open_nb.add((u.neighbourhood, m))
    # a complete start (auxiliary variables too) is accepted by CP-SAT without repair
    value = {var.index: int(chosen.get(uid) == (m, s)) for (uid, m, s), var in mm.b.items()}
    for var in mm.b.values():
        mm.model.hint(var, value[var.index])
    unit_cluster = {u.uid: u.cluster for u in p.units}
    open_months = {(unit_cluster[uid], m) for uid, (m, _s) in chosen.items()}
    for key, var in mm.used.items():
        mm.model.hint(var, int(key in open_months))
    unit_nb = {u.uid: u.neighbourhood for u in p.units}
    open_nb = {(unit_nb[uid], m) for uid, (m, _s) in chosen.items()}
    for key, var in mm.nb_used.items():
        mm.model.hint(var, int(key in open_nb))
    for over, terms, share in mm.over.values():
        load = sum(c * value[v.index] for c, v in terms)
        mm.model.hint(over, max(0, -(-(load - share) // SCALE)))


# ----------------------------------------------------------------------------------------------
# the day model (one month)


@dataclass(slots=True)
class DayModel:
    """Variables of one month's day model: ``a[(unit, slot index)]`` booleans."""

    model: cpsat.Model
    a: dict[tuple[int, int], cpsat.Var]
    y: dict[tuple[int, int], cpsat.Var]  # (cluster, slot index)
    z: dict[tuple[int, int], cpsat.Var]  # (neighbourhood, slot index)


def add_each_unit_one_day(dm: DayModel, units: Sequence[Unit]) -> None:
    """Rule: a unit goes to at most one duty day (one not placed rolls to the next month)."""
    by_unit = defaultdict(list)
    for (uid, _t), var in dm.a.items():
        by_unit[uid].append(var)
    for u in units:
        dm.model.at_most_one(by_unit[u.uid])


def add_trips(dm: DayModel, units: Sequence[Unit]) -> None:
    """Rule: a unit on a day means its cluster and neighbourhood are on that day's trip."""
    by_id = {u.uid: u for u in units}
    for (uid, t), var in dm.a.items():
        u = by_id[uid]
        if (u.cluster, t) not in dm.y:
            dm.y[(u.cluster, t)] = dm.model.boolean(f"y_{u.cluster}_{t}")
        if (u.neighbourhood, t) not in dm.z:
            dm.z[(u.neighbourhood, t)] = dm.model.boolean(f"z_{u.neighbourhood}_{t}")
        dm.model.implies(var, dm.y[(u.cluster, t)])
        dm.model.implies(dm.y[(u.cluster, t)], dm.z[(u.neighbourhood, t)])


def travel_terms(p: BeatProblem, dm: DayModel, t: int) -> list[tuple[int, cpsat.Var]]:
    """Travel minutes (tenths) of duty slot ``t``: trips, hops and walking inside clusters."""
    clusters = {c.cluster_id: c for c in p.geography.clusters}
    trips = {n.neighbourhood_id: n.trip_min for n in p.geography.neighbourhoods}
    walks = {u.uid: u.walk_min for u in p.units}
    terms = [(round(walks[uid] * SCALE), v) for (uid, tt), v in dm.a.items() if tt == t]
    terms += [(round(clusters[c].hop_min * SCALE), v) for (c, tt), v in dm.y.items() if tt == t]
    terms += [(round(trips[n] * SCALE), v) for (n, tt), v in dm.z.items() if tt == t]
    return [(c, v) for c, v in terms if c]


def add_day_capacity(dm: DayModel, p: BeatProblem, units: Sequence[Unit], slots: Sequence[DaySlot]):
    """Rule: visit minutes plus travel within each duty day's slot minutes."""
    by_id = {u.uid: u for u in units}
    for t, s in enumerate(slots):
        terms = [(by_id[uid].visit_min * SCALE, v) for (uid, tt), v in dm.a.items() if tt == t]
        if terms:
            dm.model.at_most(terms + travel_terms(p, dm, t), s.minutes * SCALE)


def add_day_value(
    dm: DayModel,
    p: BeatProblem,
    units: Sequence[Unit],
    slots: Sequence[DaySlot],
    unit_slot: Mapping[int, str],
) -> None:
    """Reward: placing the unit at all (the month model chose it; not placing it postpones it),
    then the contact value on that day (weekday or weekend) of the unit's slot.

    The placing reward is three times the unit's weekday value, so travel never keeps a
    visit out of a month that has room for it; travel only decides which day.
    """
    by_id = {u.uid: u for u in units}
    for (uid, t), var in dm.a.items():
        s = slots[t]
        members = by_id[uid].members
        value = sum(p.values[(i, s.weekend, unit_slot[uid])] for i in members)
        dm.model.reward(
            "place", 3 * sum(p.values[(i, False, unit_slot[uid])] for i in members), var
        )
        dm.model.reward("contact", value, var)


def add_travel_cost(dm: DayModel, p: BeatProblem, slots: Sequence[DaySlot], weight: int) -> None:
    """Penalty: estimated travel minutes, so nearby clusters share a day."""
    for t in range(len(slots)):
        for coef, var in travel_terms(p, dm, t):
            dm.model.penalty("travel", max(1, round(weight * coef / SCALE)), var)


def add_keep_days(
    dm: DayModel,
    p: BeatProblem,
    units: Sequence[Unit],
    slots: Sequence[DaySlot],
    keep: Mapping[str, date],
    weight: int,
) -> None:
    """Reward (re-plans with keep=day): targets staying on the date the previous plan gave."""
    members = {u.uid: u.members for u in units}
    for (uid, t), var in dm.a.items():
        stay = sum(1 for i in members[uid] if keep.get(p.due[i].target.target_id) == slots[t].date)
        dm.model.reward("keep", weight * stay, var)


def solve_days(
    p: BeatProblem,
    units: Sequence[Unit],
    unit_slot: Mapping[int, str],
    slots: Sequence[DaySlot],
    params: YearParams,
    time_limit_s: float,
    *,
    deadline: float | None = None,
) -> tuple[dict[int, int], DayModel, cpsat.Solution]:
    """Day model of one month: unit id -> index into ``slots`` for the units placed."""
    dm = DayModel(cpsat.Model(), {}, {}, {})
    for u in units:
        group = SLOT_GROUP[unit_slot[u.uid]]
        for t, s in enumerate(slots):
            in_window = not u.campaign or params.campaign is None or params.campaign.covers(s.date)
            if s.group == group and u.visit_min <= s.minutes and in_window:
                dm.a[(u.uid, t)] = dm.model.boolean(f"a_{u.uid}_{t}")
    add_each_unit_one_day(dm, units)
    add_trips(dm, units)
    add_day_capacity(dm, p, units, slots)
    add_day_value(dm, p, units, slots, unit_slot)
    add_travel_cost(dm, p, slots, params.weights.travel_per_min)
    if params.keep_mode == "day":
        add_keep_days(dm, p, units, slots, params.keep, params.weights.keep)
    _hint_days(dm, p, units, unit_slot, slots)
    sol = dm.model.solve(
        time_limit_s=time_limit_s,
        workers=params.workers,
        seed=params.seed,
        keep_hint=True,
        deadline=deadline,
    )
    placed = {uid: t for (uid, t), var in dm.a.items() if sol(var)}
    return placed, dm, sol


def _hint_days(
    dm: DayModel,
    p: BeatProblem,
    units: Sequence[Unit],
    unit_slot: Mapping[int, str],
    slots: Sequence[DaySlot],
) -> None:
    """Greedy start: most valuable units first, each where it adds the fewest minutes."""
    clusters = {c.cluster_id: c for c in p.geography.clusters}
    trips = {n.neighbourhood_id: n.trip_min for n in p.geography.neighbourhoods}
    left = [s.minutes * SCALE for s in slots]
    on_y: set[tuple[int, int]] = set()
    on_z: set[tuple[int, int]] = set()
    options = defaultdict(list)
    for uid, t in dm.a:
        options[uid].append(t)
    placed: dict[int, int] = {}
    value = {u.uid: sum(p.values[(i, False, unit_slot[u.uid])] for i in u.members) for u in units}
    for u in sorted(units, key=lambda u: (-value[u.uid] / max(1, u.visit_min), u.uid)):
        c = clusters[u.cluster]
        best = None
        for t in options[u.uid]:
            need = u.visit_min * SCALE + round(u.walk_min * SCALE)
            if (u.cluster, t) not in on_y:
                need += round(c.hop_min * SCALE)
            if (u.neighbourhood, t) not in on_z:
                need += round(trips[u.neighbourhood] * SCALE)
            if need <= left[t] and (best is None or need < best[0]):
                best = (need, t)
        if best:
            need, t = best
            left[t] -= need
            on_y.add((u.cluster, t))
            on_z.add((u.neighbourhood, t))
            placed[u.uid] = t
    for (uid, t), var in dm.a.items():
        dm.model.hint(var, int(placed.get(uid) == t))
    for key, var in dm.y.items():
        dm.model.hint(var, int(key in on_y))
    for key, var in dm.z.items():
        dm.model.hint(var, int(key in on_z))


# ----------------------------------------------------------------------------------------------
# one beat, then the station


def wall_guard(params: YearParams) -> float:
    """Seconds of wall-clock time one beat may take before its guard stops it:
    ``params.wall_guard_s``, else thirty times the deterministic budget and at least 300 s.

    A unit of deterministic time took 1.6–3 s of wall time per solve on an idle 2-core machine
    (model building included), and 5–25 s on the same machine at a load average of 7 (five
    people's tests and benchmarks on two cores): the default lets such a machine finish, and
    still stops a beat that would run for hours.
    """
    if params.wall_guard_s is not None:
        return float(params.wall_guard_s)
    return max(300.0, 30.0 * params.time_limit_s)


def time_bound_message(params: YearParams) -> str:
    """One sentence on how long a beat may take, for the plan's printout."""
    t = params.time_limit_s
    units = "unit" if t == 1 else "units"
    return (
        f"time per beat: CP-SAT stops after {t:g} {units} of deterministic time (month model "
        f"{MONTH_SHARE * t:g}, 12 day models {DAY_SHARE * t:g} each), so the plan is the same "
        f"under any load; wall-clock guard {wall_guard(params):g} s per beat (--wall-guard): "
        "a beat it stops is reported as failed and the run exits 1, it never returns a "
        "different plan"
    )


MONTH_SHARE = 0.4
"""Share of ``YearParams.time_limit_s`` for the month model."""
DAY_SHARE = 0.05
"""Share of ``YearParams.time_limit_s`` for each of the twelve day models."""


def plan_beat(
    p: BeatProblem,
    params: YearParams,
    *,
    progress: Callable[[str], None] | None = None,
    deadline: float | None = None,
) -> tuple[list[PlannedVisit], list[Unplanned], dict[str, float]]:
    """Plan one prepared beat: month model, then a day model per month with roll-over.

    ``deadline`` (a :func:`time.monotonic` time) is the beat's wall-clock guard; a solve it
    stops raises :class:`planner.cpsat.WallClockGuard` (the plan is never cut short silently).
    """
    say = progress or (lambda _msg: None)
    beat_id = p.beat.beat_id
    if not p.units:
        return [], list(p.unplanned), {}
    say(f"{beat_id}: month model, {len(p.units)} units of {len(p.due)} due targets")
    month_limit = MONTH_SHARE * params.time_limit_s
    chosen, month_sol, placeable = solve_months(p, params, month_limit, deadline=deadline)
    say(f"{beat_id}: month model {month_sol.status} in {month_sol.wall_s:.1f} s")
    day_limit = DAY_SHARE * params.time_limit_s
    by_month: dict[int, list[Unit]] = defaultdict(list)
    unit_slot = {uid: s for uid, (_m, s) in chosen.items()}
    for u in p.units:
        if u.uid in chosen:
            by_month[chosen[u.uid][0]].append(u)
    visits: list[PlannedVisit] = []
    carry: list[Unit] = []
    rules: dict[str, float] = defaultdict(float, month_sol.by_rule)
    for month in range(1, 13):
        units = by_month.get(month, []) + carry
        slots = [s for s in p.days if s.date.month == month]
        if not units:
            continue
        placed, dm, sol = solve_days(
            p, units, unit_slot, slots, params, day_limit, deadline=deadline
        )
        for rule, v in sol.by_rule.items():
            rules[f"day_{rule}"] += v
        placed, tours = fit_tours(p, units, unit_slot, slots, placed, params.campaign)
        visits.extend(_visits_of_month(p, units, unit_slot, slots, placed, dm, sol, tours))
        carry = [u for u in units if u.uid not in placed]
        say(f"{beat_id}: {month:2d}月 {len(placed)} units placed, {len(carry)} roll over")
    if carry:
        swept, carry = _sweep(p, carry, unit_slot, visits, params.campaign)
        visits.extend(swept)
    unplanned = list(p.unplanned)
    planned_units = {u.uid for u in p.units if u.uid in chosen} - {u.uid for u in carry}
    longest = longest_slot(p.days)
    for u in p.units:
        if u.uid in planned_units:
            continue
        reason, why = (
            "no_capacity",
            (
                "does not fit the officer's visit hours after more urgent targets"
                if u.uid not in chosen
                else "did not fit any duty day of its month or later"
            ),
        )
        if u.uid not in placeable:
            slot_max = max(
                (longest[(m, SLOT_GROUP[s])] for m in range(1, 13) for s in u.slots), default=0
            )
            reason, why = (
                "no_window",
                (
                    f"no duty slot in its windows ({'/'.join(u.slots)}) is long enough for the "
                    f"visit and the trip: needs ≈{u.solo_min:.0f} min, longest slot {slot_max} min"
                ),
            )
        if u.campaign:
            why = "the campaign's days have no room left for it"
        for i in u.members:
            unplanned.append(
                _unplanned(
                    p.due[i], reason, why, u.est_min * p.due[i].target.visit_minutes / u.visit_min
                )
            )
    return visits, unplanned, dict(rules)


def _sweep(
    p: BeatProblem,
    carry: Sequence[Unit],
    unit_slot: Mapping[int, str],
    visits: Sequence[PlannedVisit],
    campaign: Campaign | None = None,
) -> tuple[list[PlannedVisit], list[Unit]]:
    """Last pass for units left at the year's end: each, most valuable first, on the earliest
    duty slot of the year with room for it as a trip of its own (visits + walk + hop + trip)."""
    used: dict[tuple[str, date, str], int] = defaultdict(int)
    for v in visits:
        used[(v.officer_id, v.date, SLOT_GROUP[v.slot])] += v.est_minutes
    out: list[PlannedVisit] = []
    left: list[Unit] = []
    value = {u.uid: sum(p.values[(i, False, unit_slot[u.uid])] for i in u.members) for u in carry}
    for u in sorted(carry, key=lambda u: (-value[u.uid], u.uid)):
        need = math.ceil(u.solo_min)
        group = SLOT_GROUP[unit_slot[u.uid]]
        room = (
            s
            for s in p.days
            if s.group == group
            and used[(s.officer_id, s.date, group)] + need <= s.minutes
            and (not u.campaign or campaign is None or campaign.covers(s.date))
        )
        slot = next(room, None)
        if slot is None:
            left.append(u)
            continue
        used[(slot.officer_id, slot.date, group)] += need
        travel = need - u.visit_min
        given = 0
        for k, i in enumerate(u.members):
            t = p.due[i].target
            upto = sum(p.due[j].target.visit_minutes for j in u.members[: k + 1])
            share = travel * upto // u.visit_min - given
            given += share
            out.append(
                PlannedVisit(
                    t.target_id,
                    t.beat_id,
                    slot.officer_id,
                    t.tier,
                    slot.date,
                    unit_slot[u.uid],
                    p.due[i].reason.value,
                    t.visit_minutes + share,
                )
            )
    return out, left


def fit_tours(
    p: BeatProblem,
    units: Sequence[Unit],
    unit_slot: Mapping[int, str],
    slots: Sequence[DaySlot],
    placed: Mapping[int, int],
    campaign: Campaign | None = None,
) -> tuple[dict[int, int], dict[int, int]]:
    """The day model's placements that a real tour keeps, and each slot's travel minutes.

    The day model counts travel by its aggregate (trips, hops, walks).  Here each duty slot's
    doors are walked as one tour from the post and back on the same streets the router uses
    (:meth:`planner.clusters.Travel.tour_minutes`); while visits plus the tour (rounded up)
    exceed the slot's minutes, the unit of least value per visit minute leaves the slot.  The
    units that left, and those the day model did not place, then go, most valuable first, to
    the first slot of the month whose tour still fits with them; the rest roll over.  So
    every planned slot fits its route, and ``est_minutes`` share out the tour's real travel.
    """
    travel = p.geography.travel
    if travel is None:
        return dict(placed), {}
    travel.prepare([i for u in units for i in u.members])
    on: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        if u.uid in placed:
            on[placed[u.uid]].append(u)

    def value(u: Unit, t: int) -> float:
        return sum(p.values[(i, slots[t].weekend, unit_slot[u.uid])] for i in u.members)

    def need(us: Sequence[Unit]) -> tuple[int, int]:
        tour = travel.tour_minutes([i for u in us for i in u.members])
        trip = math.ceil(tour - 1e-6) if tour < math.inf else 10**9
        return sum(u.visit_min for u in us) + trip, trip

    kept = dict(placed)
    tours: dict[int, int] = {}
    out: list[Unit] = []
    for t in sorted(on):
        while on[t] and need(on[t])[0] > slots[t].minutes:
            worst = min(on[t], key=lambda u: (value(u, t) / max(1, u.visit_min), -u.uid))
            on[t].remove(worst)
            del kept[worst.uid]
            out.append(worst)
    used = {t: need(us)[0] for t, us in on.items() if us}
    waiting = out + [u for u in units if u.uid not in placed]
    for u in sorted(waiting, key=lambda u: (-value(u, 0) / max(1, u.visit_min), u.uid)):
        group = SLOT_GROUP[unit_slot[u.uid]]
        for t, s in enumerate(slots):
            # a tour through more doors is never shorter: skip slots without room for the visits
            if s.group != group or used.get(t, 0) + u.visit_min > s.minutes:
                continue
            if u.campaign and campaign is not None and not campaign.covers(s.date):
                continue
            total = need([*on[t], u])[0]
            if total <= s.minutes:
                on[t].append(u)
                used[t] = total
                kept[u.uid] = t
                break
    for t, us in on.items():
        if us:
            tours[t] = need(us)[1]
    return kept, tours


def _visits_of_month(
    p: BeatProblem,
    units: Sequence[Unit],
    unit_slot: Mapping[int, str],
    slots: Sequence[DaySlot],
    placed: Mapping[int, int],
    dm: DayModel,
    sol: cpsat.Solution,
    tours: Mapping[int, int] | None = None,
) -> list[PlannedVisit]:
    """Planned visits of one month, with travel shared out to the visits of each duty slot:
    the slot's tour minutes (:func:`fit_tours`), else the day model's travel estimate."""
    by_slot: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        if u.uid in placed:
            by_slot[placed[u.uid]].append(u)
    out = []
    for t, us in sorted(by_slot.items()):
        s = slots[t]
        if tours and t in tours:
            travel = tours[t]
        else:
            travel = sum(c * sol(v) for c, v in travel_terms(p, dm, t)) // SCALE
        members = [(i, u) for u in us for i in u.members]
        visit_total = sum(p.due[i].target.visit_minutes for i, _ in members)
        given = 0
        for k, (i, u) in enumerate(members):
            d = p.due[i]
            mins = d.target.visit_minutes
            # floor of the running share, so the shares add up exactly to the travel
            share = (
                travel
                * sum(p.due[j].target.visit_minutes for j, _ in members[: k + 1])
                // visit_total
            ) - given
            given += share
            out.append(
                PlannedVisit(
                    d.target.target_id,
                    d.target.beat_id,
                    s.officer_id,
                    d.target.tier,
                    s.date,
                    unit_slot[u.uid],
                    d.reason.value,
                    mins + share,
                )
            )
    return out


def plan_year(
    station: Station,
    policy: Policy,
    year: int,
    *,
    beats: Sequence[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
    params: YearParams = YearParams(),
    absence: AbsenceTable | None = None,
    progress: Callable[[str], None] | None = None,
) -> YearPlan:
    """Plan a year of 巡回連絡 for the station's beats.

    Parameters
    ----------
    station
        Register, beats, posts, officers and their leave / 専従日.
    policy
        Prefecture rules (tiers, frequencies, slots, month factors).
    year
        Plan year.
    beats
        Beat ids to plan (default: all).
    graph
        Street network for travel estimates; straight lines times a detour factor without one.
    params
        Time limit, workers, seed, reserve, weights… (:class:`YearParams`).
    absence
        Absence table (default: the shipped one).
    progress
        Called with a short message as each model is solved.

    Returns
    -------
    YearPlan
        Planned visits, unplanned due targets with reasons, monthly loads and shortfalls.
    """
    absence = absence or load_absence()
    station, _mapping = station_under(station, policy)  # a register made under the other rules
    beat_map = {b.beat_id: b for b in station.beats}
    wanted = list(beats) if beats else [b.beat_id for b in station.beats]
    unknown = [b for b in wanted if b not in beat_map]
    if unknown:
        raise InputError(f"unknown beat(s): {', '.join(unknown)}")
    plan = YearPlan(year, policy.name, campaign=params.campaign)
    all_due = with_campaign(
        due_targets(station.targets, policy, year, beat_map), station, params.campaign, year
    )
    per_beat = Counter(d.target.beat_id for d in all_due)
    too_large = [b for b in wanted if per_beat[b] > params.max_beat_targets]
    if too_large:
        b = too_large[0]
        raise InputError(
            f"beat {b} has {per_beat[b]:,} due targets: more than one officer's beat can hold and "
            f"more than one plan can solve in reasonable time and memory (limit "
            f"{params.max_beat_targets:,}, YearParams.max_beat_targets); split it into beats "
            "(beats.csv, targets' beat_id)"
        )
    for beat_id in wanted:
        guard = wall_guard(params)
        deadline = time.monotonic() + guard
        beat = beat_map[beat_id]
        due = [d for d in all_due if d.target.beat_id == beat_id]
        officers = station.officers_of(beat_id)
        post = station.post_of(beat_id)
        problem = build_problem(
            beat,
            due,
            officers,
            station.officer_days,
            (post.lon, post.lat),
            policy,
            year,
            graph=graph,
            absence=absence,
            params=params,
        )
        try:
            visits, unplanned, rules = plan_beat(
                problem, params, progress=progress, deadline=deadline
            )
        except cpsat.WallClockGuard as exc:
            raise cpsat.WallClockGuard(
                f"beat {beat_id}: {exc} (guard {guard:g} s a beat, --wall-guard); the machine "
                "was too slow or too busy to finish the beat's deterministic budget, so no "
                "plan is made for it rather than a different one"
            ) from None
        plan.visits.extend(visits)
        plan.unplanned.extend(unplanned)
        plan.objective[beat_id] = rules
        plan.loads.extend(_loads(beat_id, problem, visits, params, policy))
        plan.shortfalls.extend(
            shortfalls(beat_id, unplanned, policy, problem, allow_night=params.allow_night)
        )
    plan.visits.sort(key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id))
    plan.stats = {
        "due": len(all_due),
        "planned": len(plan.visits),
        "unplanned": len(plan.unplanned),
    }
    return plan


def with_campaign(
    due: list[DueTarget], station: Station, campaign: Campaign | None, year: int
) -> list[DueTarget]:
    """The due set with every campaign target in it (reason ``campaign``), campaign first."""
    if campaign is None:
        return due
    inside = campaign.target_ids
    out = [d for d in due if d.target.target_id not in inside]
    for t in station.targets:
        if t.target_id in inside and t.active_in(year):
            since = (date(year, 1, 1) - t.last_visit).days / 365.25 if t.last_visit else math.inf
            out.append(DueTarget(t, DueReason.CAMPAIGN, since, (-1, t.target_id)))
    return sorted(out, key=lambda d: d.reason is not DueReason.CAMPAIGN)


def _loads(
    beat_id: str,
    p: BeatProblem,
    visits: Sequence[PlannedVisit],
    params: YearParams,
    policy: Policy,
) -> list[MonthLoad]:
    cap: dict[int, int] = defaultdict(int)
    for s in p.days:
        cap[s.date.month] += s.minutes
    planned: dict[int, int] = defaultdict(int)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(policy.tier_codes, 0))
    for v in visits:
        planned[v.month] += v.est_minutes
        counts[v.month][v.tier] += 1
    return [
        MonthLoad(
            beat_id, m, cap[m], math.floor(cap[m] * (1 - params.reserve)), planned[m], counts[m]
        )
        for m in range(1, 13)
    ]


def shortfalls(
    beat_id: str,
    unplanned: Sequence[Unplanned],
    policy: Policy,
    p: BeatProblem,
    *,
    allow_night: bool = True,
) -> list[Shortfall]:
    """Per tier: households that did not fit for lack of hours, and the hours to fit them.

    Households whose card allows only evening visits need evening hours: the message says how
    many hours a month of each kind would close the gap.
    """
    out = []
    months = len({s.date.month for s in p.days}) or 12
    targets = {d.target.target_id: d.target for d in p.due}
    for tier in policy.tier_codes:
        rows = [u for u in unplanned if u.tier == tier and u.reason == "no_capacity"]
        if not rows:
            continue
        need = {"day": 0.0, "eve": 0.0}
        for u in rows:
            slots = allowed_slots(targets[u.target_id], policy, allow_night)
            need["day" if "day" in slots else "eve"] += u.est_minutes / 60
        hours = sum(need.values())
        parts = [
            f"+{need[g] / months:.1f} h of {kind} visits"
            for g, kind in (("day", "daytime"), ("eve", "evening"))
            if need[g] / months >= 0.05
        ]
        when = f"{' and '.join(parts)} per month" if parts else f"+{hours:.1f} h in the year"
        label = policy.tier(tier).label
        message = (
            f"{beat_id} {label}: {len(rows)} households (≈{hours:.0f} h) do not fit; "
            f"{when} would close it (a 専従日 gives about 6 h)"
        )
        if need["eve"] > need["day"]:
            message += "; evening-only households: more evening hours, not more days, help"
        out.append(Shortfall(beat_id, tier, len(rows), round(hours, 1), message))
    return out
