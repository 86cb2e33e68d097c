"""A year of 巡回連絡 played duty day by duty day: the planner against hand planning.

Each duty slot the officer leaves the post, walks (or rides) to the day's doors in order and back,
within the slot's visit minutes.  At each door somebody answers with the chance of the contact
model (:mod:`planner.contact`: household type, weekday or weekend, slot); an answered door costs
its visit minutes (the interview), an unanswered one two minutes to leave a CR名刺 (domain notes:
15 min new card, 5 update, 2 to leave a card).  Refusals, moves and provisional cards are drawn
with :class:`planner.simulate.FieldParams`.  Doors the time does not reach stay for later.

Strategies
----------
``planner``
    The year plan (CP-SAT) at the start, routes in street order from the post each day, absent
    households kept due, and a re-plan at the start of every month (``keep=month``).
``baseline``
    How beats are planned by hand (:mod:`planner.baseline`): the due targets in address order
    (丁目-番-号), a fixed number of doors per duty day, by day only, walked in that order; absent
    doors go to the end of the list and are retried on the next pass.

Travel uses the street network when the station has one (door-to-door street metres), else
straight lines times a detour factor.  The simulation draws from one seeded generator, so the
same seed gives the same year.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import networkx as nx
import numpy as np

from planner.baseline import address_key
from planner.contact import ALLOWED_SLOTS, AbsenceTable, load_absence
from planner.model import Card, Outcome, Station, Target, Visit
from planner.network import distance_matrix, speed_mps, straight_metres
from planner.policy import Policy, due_targets
from planner.roster import japanese_holidays
from planner.schedule import SLOT_GROUP, DaySlot, YearParams, duty_slots, plan_year
from planner.simulate import FieldParams

CARD_MINUTES = 2  # leaving a CR名刺 at an unanswered door (domain notes)
DETOUR = 1.3


@dataclass(frozen=True, slots=True)
class SimParams:
    """Settings of a simulated year."""

    strategy: str = "planner"  # or "baseline"
    seed: int = 0
    doors: FieldParams = field(default_factory=FieldParams)
    plan: YearParams = field(default_factory=lambda: YearParams(time_limit_s=3.0))
    replan_monthly: bool = True
    baseline_doors_allowance: int = 5  # walking minutes per door a hand planner allows
    max_extra: int = 15  # planner routes: optional doors offered after the planned ones
    extra_min_chance: float = 0.5  # … only where somebody is likely home at that hour


@dataclass(slots=True)
class MonthStats:
    """What one month of the simulation cost and achieved."""

    month: int
    walk_min: float = 0.0
    visit_min: float = 0.0
    wait_min: float = 0.0
    metres: float = 0.0
    doors: int = 0
    interviews: int = 0
    first_interviews: int = 0
    absent: int = 0
    night_visits: int = 0


@dataclass(slots=True)
class SimResult:
    """A simulated year: per month, and the year-end figures of ``summary.json``."""

    strategy: str
    months: list[MonthStats]
    due: dict[str, int]
    met: dict[str, int]
    overdue_left: int
    never_met_left: int

    def summary(self) -> dict:
        """The year-end figures (keys used by the benchmark and ``summary.json``)."""
        minutes = sum(m.walk_min + m.visit_min + m.wait_min for m in self.months)
        first = sum(m.first_interviews for m in self.months)
        return {
            "strategy": self.strategy,
            "officer_hours": round(minutes / 60, 1),
            "first_interviews": first,
            "hours_per_interview": round(minutes / 60 / first, 3) if first else None,
            "km": round(sum(m.metres for m in self.months) / 1000, 1),
            "rate": {
                t: round(self.met[t] / self.due[t], 3) if self.due[t] else 1.0 for t in self.due
            },
            "walk_hours": round(sum(m.walk_min for m in self.months) / 60, 1),
            "visit_hours": round(sum(m.visit_min for m in self.months) / 60, 1),
            "wait_hours": round(sum(m.wait_min for m in self.months) / 60, 1),
            "doors": sum(m.doors for m in self.months),
            "absent": sum(m.absent for m in self.months),
            "night_visits": sum(m.night_visits for m in self.months),
            "overdue_left": self.overdue_left,
            "never_met_left": self.never_met_left,
        }


class _Travel:
    """Door-to-door metres within one beat (street network or straight lines)."""

    def __init__(self, station: Station, beat_id: str, graph: nx.MultiDiGraph | None):
        post = station.post_of(beat_id)
        targets = [t for t in station.targets if t.beat_id == beat_id]
        self.index = {t.target_id: i + 1 for i, t in enumerate(targets)}
        lons = [post.lon, *(t.lon for t in targets)]
        lats = [post.lat, *(t.lat for t in targets)]
        if graph is not None:
            m = distance_matrix(graph, lons, lats).astype(float)
            m[m >= 1e9] = np.nan
        else:
            m = straight_metres(lons, lats) * DETOUR
        self.m = m

    def metres(self, a: str | None, b: str | None) -> float:
        """Metres between two doors (``None`` = the post); unknown doors count as 0."""
        i = 0 if a is None else self.index.get(a)
        j = 0 if b is None else self.index.get(b)
        if i is None or j is None:
            return 0.0
        d = self.m[i, j]
        return 0.0 if np.isnan(d) else float(d)

    def nearest_order(self, ids: Sequence[str]) -> list[str]:
        """Doors in nearest-neighbour order from the post."""
        left, order, here = list(ids), [], None
        while left:
            nxt = min(left, key=lambda t: (self.metres(here, t), t))
            left.remove(nxt)
            order.append(nxt)
            here = nxt
        return order


def simulate_year(
    station: Station,
    policy: Policy,
    year: int,
    *,
    graph: nx.MultiDiGraph | None = None,
    params: SimParams = SimParams(),
    absence: AbsenceTable | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimResult:
    """Play a year of duty days for every beat of the station (the station is not changed)."""
    say = progress or (lambda _m: None)
    absence = absence or load_absence()
    rng = np.random.default_rng(params.seed)
    st = Station(station.name, station.policy, list(station.posts), list(station.beats),
                 list(station.targets), list(station.officers), list(station.officer_days),
                 list(station.visits))  # fmt: skip
    beats = {b.beat_id: b for b in st.beats}
    due0 = due_targets(st.targets, policy, year, beats)
    due_ids = {d.target.target_id: d for d in due0}
    travel = {b: _Travel(st, b, graph) for b in beats}
    slots = duty_slots(st.officers, year, st.officer_days, policy.month_factors,
                       no_visit_days=policy.no_visit_days)  # fmt: skip
    holidays = japanese_holidays(year)
    months = [MonthStats(m) for m in range(1, 13)]
    met: set[str] = set()
    officer_beat = {o.officer_id: o.beat_id for o in st.officers}
    speed = {o.officer_id: speed_mps(o.mode) * 60 for o in st.officers}  # metres per minute
    agenda = _Agenda(params, st, policy, year, graph, due0, say)
    for month in range(1, 13):
        agenda.start_month(month, met)
        for s in (s for s in slots if s.date.month == month):
            beat = officer_beat[s.officer_id]
            doors = agenda.doors(s, beat, travel[beat], met)
            done = _walk(s, doors, st, travel[beat], speed[s.officer_id], rng, absence, params,
                         holidays, months[month - 1], met, due_ids)  # fmt: skip
            agenda.visited(s, done)
        say(f"{params.strategy}: {month:2d}月 first interviews so far {len(met & set(due_ids))}")
    tiers = policy.tier_codes
    due_count = Counter(d.target.tier for d in due0)
    met_count = Counter(due_ids[t].target.tier for t in met if t in due_ids)
    left = [d for d in due0 if d.target.target_id not in met]
    return SimResult(
        params.strategy, months, {t: due_count[t] for t in tiers}, {t: met_count[t] for t in tiers},
        overdue_left=sum(1 for d in left if d.reason.value != "cycle"),
        never_met_left=sum(1 for d in left if d.target.never_met),
    )  # fmt: skip


class _Agenda:
    """Which doors each duty slot takes, by strategy."""

    def __init__(self, params, station, policy, year, graph, due0, say):
        self.p, self.st, self.policy, self.year, self.graph = params, station, policy, year, graph
        self.say = say
        self.by_slot: dict[tuple[str, date, str], list[str]] = defaultdict(list)
        self.slot_kind: dict[str, str] = {}
        # baseline: one queue per beat in address order, fixed doors a day
        self.queue: dict[str, list[str]] = defaultdict(list)
        for d in sorted(due0, key=lambda d: (address_key(d.target.address), d.target.target_id)):
            self.queue[d.target.beat_id].append(d.target.target_id)
        self.due_by_beat: dict[str, list[str]] = defaultdict(list)
        for d in due0:
            self.due_by_beat[d.target.beat_id].append(d.target.target_id)
        self.availability = {t.target_id: t.availability for t in station.targets}
        self.household = {t.target_id: t.household_type for t in station.targets}
        self.absence = load_absence()
        self.holidays = japanese_holidays(year)
        minutes = [d.target.visit_minutes for d in due0] or [10]
        self.per_door = sum(minutes) / len(minutes) + params.baseline_doors_allowance

    def start_month(self, month: int, met: set[str]) -> None:
        if self.p.strategy != "planner":
            return
        if month == 1 or self.p.replan_monthly:
            params = replace(self.p.plan, start=date(self.year, month, 1))
            plan = plan_year(self.st, self.policy, self.year, graph=self.graph, params=params)
            self.by_slot.clear()
            for v in plan.visits:
                self.by_slot[(v.officer_id, v.date, SLOT_GROUP[v.slot])].append(v.target_id)
                self.slot_kind[v.target_id] = v.slot

    def doors(self, s: DaySlot, beat: str, travel: _Travel, met: set[str]) -> list[tuple[str, str]]:
        if self.p.strategy == "planner":
            ids = [t for t in self.by_slot.get((s.officer_id, s.date, s.group), []) if t not in met]
            planned = [(t, self.slot_kind.get(t, "day")) for t in travel.nearest_order(ids)]
            return planned + self._extras(s, beat, travel, met, set(ids))
        return self._baseline_doors(s, beat)

    def _extras(self, s: DaySlot, beat: str, travel: _Travel, met: set[str], planned: set[str]):
        """Optional stops of the planner's route: unmet due doors nearest the day's last door,
        whose card allows the slot (absent households to retry among them), while time lasts."""
        slot = "day" if s.group == "day" else "evening"
        last = travel.nearest_order(list(planned))[-1:] or [None]
        weekend = s.date.weekday() >= 5 or s.date in self.holidays
        cands = [t for t in self.due_by_beat[beat] if t not in met and t not in planned
                 and slot in ALLOWED_SLOTS[self.availability[t]]
                 and self.absence.answer_chance(self.household[t], weekend=weekend, slot=slot)
                 >= self.p.extra_min_chance]  # fmt: skip
        cands.sort(key=lambda t: (travel.metres(last[0], t), t))
        return [(t, slot) for t in cands[: self.p.max_extra]]

    def _baseline_doors(self, s: DaySlot, beat: str) -> list[tuple[str, str]]:
        if s.group != "day":
            return []
        n = math.floor(s.minutes * (1 - self.p.plan.reserve) / self.per_door)
        take, self.queue[beat] = self.queue[beat][:n], self.queue[beat][n:]
        return [(t, "day") for t in take]

    def visited(self, s: DaySlot, done: list[tuple[str, Outcome | None]]) -> None:
        if self.p.strategy == "planner":
            return
        beat = next((o.beat_id for o in self.st.officers if o.officer_id == s.officer_id), "")
        # absent doors and those the day did not reach: retried on the next pass
        self.queue[beat] += [t for t, o in done if o in (Outcome.ABSENT, None)]


def _walk(
    s: DaySlot, doors, st: Station, travel: _Travel, m_per_min: float, rng, absence, params,
    holidays, stats: MonthStats, met: set[str], due_ids,
) -> list[tuple[str, Outcome | None]]:  # fmt: skip
    """Walk one slot's doors in order within its minutes; record each outcome in the station."""
    by_id = {t.target_id: k for k, t in enumerate(st.targets)}
    weekend = s.date.weekday() >= 5 or s.date in holidays
    here, used, out = None, 0.0, []
    for tid, slot in doors:
        k = by_id.get(tid)
        if k is None or st.targets[k].moved_out is not None or tid in met:
            continue
        t = st.targets[k]
        leg = travel.metres(here, tid)
        back = travel.metres(tid, None)
        if used + (leg + back) / m_per_min + CARD_MINUTES > s.minutes:
            out.append((tid, None))  # not reached today
            continue
        walk = leg / m_per_min
        outcome = _draw(t, weekend, slot, rng, absence, params.doors)
        service = t.visit_minutes if outcome is not Outcome.ABSENT else CARD_MINUTES
        if used + walk + service + back / m_per_min > s.minutes:
            out.append((tid, None))
            continue
        used += walk + service
        stats.walk_min += walk
        stats.visit_min += service
        stats.metres += leg
        stats.doors += 1
        stats.night_visits += slot == "night"
        here = tid
        _apply(st, k, t, outcome, s, stats, met, due_ids)
        out.append((tid, outcome))
    if here is not None:
        stats.walk_min += travel.metres(here, None) / m_per_min
        stats.metres += travel.metres(here, None)
    return out


def _draw(t: Target, weekend: bool, slot: str, rng, absence: AbsenceTable, f) -> Outcome:
    if rng.random() >= absence.answer_chance(t.household_type, weekend=weekend, slot=slot):
        return Outcome.ABSENT
    if rng.random() < f.move_rate:
        return Outcome.MOVED_OUT
    if rng.random() < f.refusal:
        return Outcome.REFUSED
    return Outcome.VISITED


def _apply(st, k, t: Target, outcome: Outcome, s: DaySlot, stats: MonthStats, met, due_ids):
    st.visits.append(Visit(t.target_id, s.date, s.officer_id, outcome, "", t.card))
    if outcome is Outcome.VISITED:
        stats.interviews += 1
        if t.target_id not in met:
            met.add(t.target_id)
            stats.first_interviews += t.target_id in due_ids
        st.targets[k] = replace(t, last_visit=s.date, card=Card.FULL)
    elif outcome is Outcome.ABSENT:
        stats.absent += 1
    elif outcome is Outcome.MOVED_OUT:
        st.targets[k] = replace(t, moved_out=s.date)
