"""A year of 巡回連絡 played duty day by duty day: the planner against hand planning.

Each duty slot the officer leaves the post, walks (or rides) to the slot's doors in order and
back, within the slot's visit minutes.  At each door somebody answers with the chance of the
contact model (:mod:`planner.contact`: household type, weekday or weekend, slot), which also
says what an answered door gives (interview, refusal, moved out) and how long each takes.

Where the officer's minutes go
------------------------------
* **walking** (or riding): post to the first door, door to door, last door back to the post,
  along the streets when the station has a street graph (door-to-door street metres), else
  straight lines x :data:`planner.geo.DETOUR` (also where the streets have no path), at the
  officer's mode's speed;
* **waiting** at the door: ``wait_answer_min`` (0.5 min) until somebody answers, or
  ``wait_absent_min`` (1.0 min: two rings and a pause) before a door is judged unanswered
  (estimates, :class:`planner.contact.FieldParams`);
* **at the door**: the interview itself (the target's ``visit_minutes``: 5–15 min, domain
  notes), or ``card_min`` (2 min) to leave a CR名刺 at an unanswered door, take a refusal or
  hear that the household has moved out.

Interview minutes are a floor every strategy pays: the rest (walking, waiting, doors that give
no interview) is the *overhead* a plan can cut.  :meth:`SimResult.summary` reports both per
completed first interview.

The year around the doors
-------------------------
Refusals and moves are drawn at the doors; refused households are not called again that year,
moved-out ones leave the due set.  A never-met household found absent may get a 仮カード from
its nameplate.  Every month ``new_per_month`` new households move into each beat (next to an
existing door, unknown to the officer); one is noticed (a 仮カード) when the officer calls at a
door within ``new_seen_m`` of it, joins the due set as never met and is planned like the others.
実施率 is per tier over the start-of-year due set plus the households found during the year.

Strategies
----------
``planner``
    The year plan (CP-SAT, :func:`planner.schedule.plan_year`) at the start of the year and again
    at the start of every month from the recorded doors (absent households stay due, refused ones
    are left out).  Each slot the officer calls at the plan's doors for that slot in an order
    from the project's route seam (:func:`planner.routes.solve_tsp`, engine ``route_engine``,
    ``auto`` by default: LKH for a plain tour, deterministic), plus *optional stops*: due
    households not met yet, close to that route (``optional_detour_min``), likely at home in
    this slot (``optional_min_chance``) and not planned later in a slot where they are more
    likely at home (or as likely, this month); with ``retry_other_slot`` an absent household
    is not retried in a kind of slot (weekday day, weekend day, evening, night) it was already
    absent in (off by default: under this contact model, where every call is an independent
    draw, it only removes candidates).  Optional stops go by expected first interviews per
    minute, only into time the plan's doors leave free.  A slot the plan left free gets a
    round of optional stops alone (``free_trips``) only when its expected minutes per expected
    first interview are no worse than those of the plan's own routes so far; otherwise the
    officer stays at the post.
``baseline``
    How beats are planned by hand today (:mod:`planner.baseline`): the due targets in address
    order (丁目-番-号), a fixed number of doors per duty day (the day's visit minutes less the
    plan's reserve, divided by the mean visit plus :data:`planner.baseline.ALLOWANCE_MIN`
    minutes of walking), by day only, walked in that order; absent doors and doors the day did
    not reach go to the end of the list and are retried on the next pass; households found
    during the year are added at the end.

The door draws come from one seeded generator and the town's new households from another, so
the same seed gives the same year and both strategies see the same households move in.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import networkx as nx
import numpy as np

from planner import geo
from planner._errors import InputError
from planner.baseline import ALLOWANCE_MIN, address_key
from planner.contact import AbsenceTable, FieldParams, draw_outcome, load_absence
from planner.model import Card, HouseholdType, Outcome, Station, Target, TargetKind, Visit
from planner.network import speed_mps, street_or_straight_metres
from planner.policy import Policy, due_targets
from planner.routes import ENGINES, solve_tsp
from planner.schedule import SLOT_GROUP, DaySlot, YearParams, allowed_slots, duty_slots, plan_year

STRATEGIES = ("planner", "baseline")
ROUTE_ORDERS = ("solver", "nearest")


@dataclass(frozen=True, slots=True)
class SimParams:
    """Settings of a simulated year.

    Attributes
    ----------
    strategy
        ``planner`` or ``baseline`` (module docstring).
    seed
        Seed of the door draws and of the households moving in.
    doors
        The contact model's rates and minutes (:class:`planner.contact.FieldParams`).
    plan
        Year-plan parameters of the planner strategy (time limit per beat and re-plan).
    replan_monthly
        Planner: re-plan at the start of every month (else only in January).
    baseline_allowance
        Baseline: walking minutes a hand planner allows per door.
    route
        Planner: order of a slot's doors, ``solver`` (:func:`planner.routes.solve_tsp`) or
        ``nearest`` (nearest neighbour from the post).
    route_solutions
        Deterministic stop of the route solver: OR-Tools solutions, PyVRP iterations without
        improvement (LKH stops by its runs).
    route_engine
        Routing engine of the seam (:data:`planner.routes.ENGINES`; ``auto``: LKH for a
        slot's tour, OR-Tools where elkai is missing).
    optional
        Planner: add optional stops to the slot's route.
    max_optional
        At most this many optional stops per slot.
    optional_min_chance
        Optional stops only where somebody answers with at least this chance in the slot.
    optional_detour_min
        ... and the stop adds at most this many minutes of walking to the route.
    retry_other_slot
        An absent household is not an optional stop in a kind of slot it was absent in (off:
        every call is an independent draw in this contact model, so the rule only removes
        candidates; on the benchmark towns it cost first interviews and did not lower the
        hours per interview consistently).
    free_trips
        A slot the plan left free may get a round of optional stops alone, when its expected
        minutes per expected first interview are no worse than those of the plan's routes.
    """

    strategy: str = "planner"
    seed: int = 0
    doors: FieldParams = field(default_factory=FieldParams)
    plan: YearParams = field(default_factory=lambda: YearParams(time_limit_s=3.0))
    replan_monthly: bool = True
    baseline_allowance: int = ALLOWANCE_MIN
    route: str = "solver"
    route_solutions: int = 50
    route_engine: str = "auto"
    optional: bool = True
    max_optional: int = 15
    optional_min_chance: float = 0.5
    optional_detour_min: float = 3.0
    retry_other_slot: bool = False
    free_trips: bool = True


@dataclass(frozen=True, slots=True)
class DoorRecord:
    """One door the officer called at (doors the slot did not reach are not recorded)."""

    date: date
    officer_id: str
    slot: str  # day / evening / night
    target_id: str
    outcome: Outcome
    optional: bool  # planner: an optional stop, not one of the plan's doors


MONTH_COLUMNS = (
    "month",
    "walk_hours",
    "visit_hours",
    "interview_hours",
    "wait_hours",
    "km",
    "doors",
    "optional_doors",
    "interviews",
    "first_interviews",
    "absent",
    "refused",
    "moved_out",
    "night_visits",
    "provisional",
    "provisional_resolved",
    "new_appeared",
    "new_found",
    "new_interviews",
    "overdue_left",
    "never_met_left",
)
"""Columns of :meth:`MonthStats.row` (then ``rate_<tier>`` per tier)."""


@dataclass(slots=True)
class MonthStats:
    """What one month of the simulation cost and achieved.

    ``visit_min`` is every minute at the doors except waiting (interviews, cards left, refusals,
    moves); ``interview_min`` the interviews alone.  ``rate`` (cumulative first-interview
    実施率 per tier), ``overdue_left`` and ``never_met_left`` are as at the end of the month.
    """

    month: int
    walk_min: float = 0.0
    visit_min: float = 0.0
    interview_min: float = 0.0
    wait_min: float = 0.0
    metres: float = 0.0
    doors: int = 0
    optional_doors: int = 0
    interviews: int = 0
    first_interviews: int = 0
    absent: int = 0
    refused: int = 0
    moved_out: int = 0
    night_visits: int = 0
    provisional: int = 0
    provisional_resolved: int = 0
    new_appeared: int = 0
    new_found: int = 0
    new_interviews: int = 0
    overdue_left: int = 0
    never_met_left: int = 0
    rate: dict[str, float] = field(default_factory=dict)

    @property
    def officer_min(self) -> float:
        """Walking, waiting and door minutes."""
        return self.walk_min + self.wait_min + self.visit_min

    def row(self) -> dict[str, float | int]:
        """The month as a flat row (:data:`MONTH_COLUMNS`, then ``rate_<tier>``)."""
        hours = {
            "walk_hours": self.walk_min,
            "visit_hours": self.visit_min,
            "interview_hours": self.interview_min,
            "wait_hours": self.wait_min,
        }
        out: dict[str, float | int] = {"month": self.month}
        out.update({k: round(v / 60, 2) for k, v in hours.items()})
        out["km"] = round(self.metres / 1000, 1)
        for c in MONTH_COLUMNS[6:]:
            out[c] = getattr(self, c)
        out.update({f"rate_{t}": round(r, 3) for t, r in self.rate.items()})
        return out


@dataclass(slots=True)
class SimResult:
    """A simulated year: per month, the doors called, and the year-end figures.

    ``curve`` holds, after every slot in which a first interview was made or a household joined
    the due set: the officer minutes so far, first interviews per tier and due targets per tier
    (tiers in ``tiers`` order).
    """

    strategy: str
    tiers: tuple[str, ...]
    months: list[MonthStats]
    due: dict[str, int]
    met: dict[str, int]
    explained: dict[str, int]
    overdue_left: int
    never_met_left: int
    log: list[DoorRecord] = field(default_factory=list)
    curve: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    def month_rows(self) -> list[dict[str, float | int]]:
        """One row per month (:meth:`MonthStats.row`), for ``months.csv``."""
        return [m.row() for m in self.months]

    def summary(self) -> dict:
        """The year-end figures (``summary.json`` and the benchmark).

        Keys: ``officer_hours``, ``first_interviews`` (completed first interviews of due
        targets, households found during the year included), ``hours_per_interview``, ``km``,
        ``rate`` (tier -> first-interview 実施率), the split of the hours (walking, waiting,
        door minutes, interviews) and per first interview in minutes (``interview_min_per``,
        ``overhead_min_per`` = walking + waiting + doors without an interview), what the doors
        gave, what is left, and ``months`` (:meth:`month_rows`).
        """
        ms = self.months
        total = sum(m.officer_min for m in ms)
        walk = sum(m.walk_min for m in ms)
        wait = sum(m.wait_min for m in ms)
        visit = sum(m.visit_min for m in ms)
        interview = sum(m.interview_min for m in ms)
        first = sum(m.first_interviews for m in ms)

        def per(minutes: float) -> float | None:
            return round(minutes / first, 2) if first else None

        def total_of(name: str) -> int:
            return sum(getattr(m, name) for m in ms)

        out = {
            "strategy": self.strategy,
            "officer_hours": round(total / 60, 1),
            "first_interviews": first,
            "hours_per_interview": round(total / 60 / first, 3) if first else None,
            "km": round(sum(m.metres for m in ms) / 1000, 1),
            "rate": {
                t: round(self.met[t] / self.due[t], 3) if self.due[t] else 1.0 for t in self.tiers
            },
            "rate_explained": {
                t: round(self.explained[t] / self.due[t], 3) if self.due[t] else 1.0
                for t in self.tiers
            },
            "walk_hours": round(walk / 60, 1),
            "wait_hours": round(wait / 60, 1),
            "visit_hours": round(visit / 60, 1),
            "interview_hours": round(interview / 60, 1),
            "overhead_hours": round((total - interview) / 60, 1),
            "interview_min_per": per(interview),
            "overhead_min_per": per(total - interview),
            "walk_min_per": per(walk),
            "wait_min_per": per(wait),
            "other_door_min_per": per(visit - interview),
            "due": dict(self.due),
            "met": dict(self.met),
        }
        for name in (
            "doors",
            "optional_doors",
            "interviews",
            "absent",
            "refused",
            "moved_out",
            "night_visits",
            "provisional",
            "provisional_resolved",
            "new_appeared",
            "new_found",
            "new_interviews",
        ):
            out[name] = total_of(name)
        out["overdue_left"] = self.overdue_left
        out["never_met_left"] = self.never_met_left
        out["months"] = self.month_rows()
        return out

    def reached(self, rates: Mapping[str, float]) -> tuple[float, int] | None:
        """Officer hours and first interviews at the end of the first slot where every tier's
        実施率 was at least ``rates[tier]`` (``None`` if that never happened)."""
        for minutes, met, due in self.curve:
            if all(
                (met[k] / due[k] if due[k] else 1.0) >= rates.get(t, 0.0) - 1e-9
                for k, t in enumerate(self.tiers)
            ):
                return minutes / 60, sum(met)
        return None


@dataclass(frozen=True, slots=True)
class _Stop:
    target_id: str
    slot: str
    optional: bool = False


class _Travel:
    """Door-to-door metres within one beat (street network or straight lines); node 0 = post."""

    def __init__(self, station: Station, beat_id: str, graph: nx.MultiDiGraph | None) -> None:
        post = station.post_of(beat_id)
        targets = [t for t in station.targets if t.beat_id == beat_id]
        self.index = {t.target_id: i + 1 for i, t in enumerate(targets)}
        lons = [post.lon, *(t.lon for t in targets)]
        lats = [post.lat, *(t.lat for t in targets)]
        self.m = street_or_straight_metres(lons, lats, graph)

    def alias(self, target_id: str, anchor_id: str) -> None:
        """A new household at the door of ``anchor_id`` (same point)."""
        self.index[target_id] = self.index[anchor_id]

    def node(self, target_id: str | None) -> int:
        return 0 if target_id is None else self.index[target_id]

    def metres(self, a: str | None, b: str | None) -> float:
        """Metres from door ``a`` to door ``b`` (``None`` = the post)."""
        return float(self.m[self.node(a), self.node(b)])

    def tour_metres(self, ids: Sequence[str]) -> float:
        """Metres of post -> the doors in order -> post."""
        nodes = [0, *(self.node(t) for t in ids), 0]
        return float(self.m[nodes[:-1], nodes[1:]].sum())

    def order(
        self, ids: Sequence[str], how: str, solutions: int, engine: str = "auto"
    ) -> list[str]:
        """The doors in route order from the post: the route seam's ``engine`` (``auto``: LKH
        for this plain tour) or nearest neighbour."""
        if len(ids) <= 2 or how == "nearest":
            return self._nearest(ids)
        nodes = [0, *(self.node(t) for t in ids)]
        sub = np.rint(self.m[np.ix_(nodes, nodes)]).astype(np.int64)
        tour = solve_tsp(
            sub, time_limit_s=10.0, solution_limit=solutions, engine=engine, iterations=solutions
        )
        return [ids[k - 1] for k in tour[1:]]

    def _nearest(self, ids: Sequence[str]) -> list[str]:
        left, out, here = sorted(ids), [], None
        while left:
            nxt = min(left, key=lambda t: (self.metres(here, t), t))
            left.remove(nxt)
            out.append(nxt)
            here = nxt
        return out

    def insertions(self, ids: Sequence[str], cand: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """For each candidate door: the cheapest place to insert it into post -> ``ids`` -> post
        (index of the door it goes after, 0 = right after the post) and the metres it adds."""
        tour = np.array([0, *(self.node(t) for t in ids), 0])
        c = np.array([self.node(t) for t in cand])
        a, b = tour[:-1], tour[1:]
        add = self.m[np.ix_(a, c)] + self.m[np.ix_(c, b)].T - self.m[a, b][:, None]
        pos = add.argmin(axis=0)
        return pos, add[pos, np.arange(len(c))]


class _Year:
    """The state of one simulated year: the register as the officers know it, what is met."""

    def __init__(
        self,
        station: Station,
        policy: Policy,
        year: int,
        graph: nx.MultiDiGraph | None,
        params: SimParams,
        absence: AbsenceTable,
        say: Callable[[str], None],
    ) -> None:
        self.p, self.policy, self.year, self.graph, self.absence = (
            params,
            policy,
            year,
            graph,
            absence,
        )
        self.say = say
        self.st = replace(station, targets=list(station.targets), visits=list(station.visits))
        self.pos = {t.target_id: k for k, t in enumerate(self.st.targets)}
        beats = {b.beat_id: b for b in self.st.beats}
        self.tiers = tuple(policy.tier_codes)
        self.due0 = due_targets(self.st.targets, policy, year, beats)
        self.due: dict[str, tuple[str, str]] = {
            d.target.target_id: (d.target.tier, d.reason.value) for d in self.due0
        }
        self.due_of_beat: dict[str, list[str]] = defaultdict(list)
        for d in self.due0:
            self.due_of_beat[d.target.beat_id].append(d.target.target_id)
        self.start_ids = set(self.due)
        self.met: set[str] = set()
        self.refused: set[str] = set()
        self.absent_kinds: dict[str, set[tuple[bool, str]]] = defaultdict(set)
        self.hidden: dict[str, list[tuple[Target, str]]] = defaultdict(list)
        self.homes: dict[str, list[Target]] = defaultdict(list)  # where newcomers move in
        for t in station.targets:
            if t.kind is TargetKind.HOUSEHOLD:
                self.homes[t.beat_id].append(t)
        self.travel = {b: _Travel(self.st, b, graph) for b in beats}
        self.officer_beat = {o.officer_id: o.beat_id for o in self.st.officers}
        # the year plan's speeds (YearParams.speeds_kmh): one travel model for plan and play
        speeds = params.plan.speeds_kmh
        self.speed = {o.officer_id: speed_mps(o.mode, speeds) * 60 for o in self.st.officers}
        self.rng = np.random.default_rng(params.seed)
        self.town_rng = np.random.default_rng([params.seed, 1])
        self.months = [MonthStats(m) for m in range(1, 13)]
        self.log: list[DoorRecord] = []
        self.curve: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = []
        self.minutes = 0.0
        self.met_tier: Counter[str] = Counter()
        self.due_tier: Counter[str] = Counter(tier for tier, _ in self.due.values())

    # -- the register -------------------------------------------------------------------------

    def target(self, target_id: str) -> Target:
        return self.st.targets[self.pos[target_id]]

    def is_open(self, target_id: str) -> bool:
        """Known, due, not interviewed, refused or moved out yet."""
        if target_id not in self.due or target_id in self.met or target_id in self.refused:
            return False
        return target_id in self.pos and self.target(target_id).moved_out is None

    def chance(self, t: Target, weekend: bool, slot: str) -> float:
        return self.absence.answer_chance(t.household_type, weekend=weekend, slot=slot)

    def planning_station(self) -> Station:
        """The register a re-plan sees: refused households left out for the rest of the year."""
        return replace(
            self.st, targets=[t for t in self.st.targets if t.target_id not in self.refused]
        )

    def _set(self, t: Target, **changes) -> Target:
        new = replace(t, **changes)
        self.st.targets[self.pos[t.target_id]] = new
        return new

    # -- households moving in -------------------------------------------------------------------

    def move_in(self, month: int) -> None:
        """``new_per_month`` households move into each beat, next to a random door."""
        n = self.p.doors.new_per_month
        for beat in sorted(self.travel):
            homes = self.homes[beat]
            if not homes:
                continue
            for k in range(n):
                anchor = homes[int(self.town_rng.integers(len(homes)))]
                kind = homes[int(self.town_rng.integers(len(homes)))].household_type
                new = Target(
                    target_id=f"N{self.year % 100:02d}{month:02d}-{beat}-{k + 1}",
                    beat_id=beat,
                    kind=TargetKind.HOUSEHOLD,
                    address=f"{anchor.address}（新規{month}-{k + 1}）",
                    lon=anchor.lon,
                    lat=anchor.lat,
                    tier=self.tiers[-1],
                    building_id=anchor.building_id,
                    household_type=HouseholdType(kind),
                    visit_minutes=15,
                )
                self.hidden[beat].append((new, anchor.target_id))
                self.months[month - 1].new_appeared += 1

    def notice(
        self,
        beat: str,
        door: Target,
        s: DaySlot,
        stats: MonthStats,
        found: Callable[[Target], None],
    ) -> None:
        """New households within ``new_seen_m`` of a door the officer called at: a 仮カード."""
        keep = []
        for new, anchor in self.hidden[beat]:
            if geo.great_circle_m(door.lon, door.lat, new.lon, new.lat) > self.p.doors.new_seen_m:
                keep.append((new, anchor))
                continue
            new = replace(new, card=Card.PROVISIONAL)
            self.pos[new.target_id] = len(self.st.targets)
            self.st.targets.append(new)
            self.st.visits.append(
                Visit(
                    new.target_id,
                    s.date,
                    s.officer_id,
                    Outcome.PROVISIONAL,
                    "新規転入（表札）",
                    Card.NONE,
                )
            )
            self.travel[beat].alias(new.target_id, anchor)
            self.due[new.target_id] = (new.tier, "provisional")
            self.due_tier[new.tier] += 1
            self.due_of_beat[beat].append(new.target_id)
            stats.new_found += 1
            stats.provisional += 1
            found(new)
        self.hidden[beat] = keep

    # -- one slot -------------------------------------------------------------------------------

    def walk(
        self, s: DaySlot, stops: Sequence[_Stop], found: Callable[[Target], None]
    ) -> list[tuple[str, Outcome | None]]:
        """Call at the slot's doors in order within its minutes; ``None`` = not reached."""
        beat = self.officer_beat[s.officer_id]
        travel, per_min, f = self.travel[beat], self.speed[s.officer_id], self.p.doors
        stats = self.months[s.date.month - 1]
        here: str | None = None
        used = 0.0
        out: list[tuple[str, Outcome | None]] = []
        for k, stop in enumerate(stops):
            tid = stop.target_id
            if not self.is_open(tid):
                continue
            t = self.target(tid)
            leg = travel.metres(here, tid)
            if stop.optional:  # only if the plan's doors after it still fit (expected)
                after = self._rest(travel, tid, stops[k + 1 :], per_min, s.weekend)
            else:
                after = travel.metres(tid, None) / per_min
            if used + leg / per_min + f.wait_answer_min + t.visit_minutes + after > s.minutes:
                out.append((tid, None))
                continue
            chance = self.chance(t, s.weekend, stop.slot)
            outcome = draw_outcome(self.rng, chance, f)
            wait = f.wait_absent_min if outcome is Outcome.ABSENT else f.wait_answer_min
            at_door = t.visit_minutes if outcome is Outcome.VISITED else f.card_min
            used += leg / per_min + wait + at_door
            stats.walk_min += leg / per_min
            stats.metres += leg
            stats.wait_min += wait
            stats.visit_min += at_door
            stats.doors += 1
            stats.optional_doors += stop.optional
            stats.night_visits += stop.slot == "night"
            self.minutes += leg / per_min + wait + at_door
            self.log.append(
                DoorRecord(s.date, s.officer_id, stop.slot, tid, outcome, stop.optional)
            )
            self._apply(t, outcome, s, stop.slot, stats)
            self.notice(beat, t, s, stats, found)
            here = tid
            out.append((tid, outcome))
        if here is not None:
            back = travel.metres(here, None)
            stats.walk_min += back / per_min
            stats.metres += back
            self.minutes += back / per_min
        return out

    def _rest(
        self, travel: _Travel, here: str, rest: Sequence[_Stop], per_min: float, weekend: bool
    ) -> float:
        """Expected minutes from door ``here`` through the plan's doors still ahead, back."""
        ahead = [x for x in rest if not x.optional and self.is_open(x.target_id)]
        path = [here, *(x.target_id for x in ahead), None]
        metres = sum(travel.metres(a, b) for a, b in itertools.pairwise(path))
        doors = sum(self.expected_min(self.target(x.target_id), weekend, x.slot) for x in ahead)
        return metres / per_min + doors

    def expected_min(self, t: Target, weekend: bool, slot: str) -> float:
        """Expected minutes at a door, waiting included."""
        return self.p.doors.expected_door_min(self.chance(t, weekend, slot), t.visit_minutes)

    def _apply(self, t: Target, outcome: Outcome, s: DaySlot, slot: str, stats: MonthStats) -> None:
        tid = t.target_id
        self.st.visits.append(Visit(tid, s.date, s.officer_id, outcome, "", t.card))
        if outcome is Outcome.VISITED:
            stats.interviews += 1
            stats.interview_min += t.visit_minutes
            if tid in self.due and tid not in self.met:
                stats.first_interviews += 1
                stats.new_interviews += tid not in self.start_ids
                self.met.add(tid)
                self.met_tier[self.due[tid][0]] += 1
            stats.provisional_resolved += t.card is Card.PROVISIONAL
            self._set(t, last_visit=s.date, card=Card.FULL)
        elif outcome is Outcome.ABSENT:
            stats.absent += 1
            self.absent_kinds[tid].add((s.weekend, slot))
            if t.card is Card.NONE and self.rng.random() < self.p.doors.provisional_from_absent:
                self._set(t, card=Card.PROVISIONAL)
                self.st.visits.append(
                    Visit(tid, s.date, s.officer_id, Outcome.PROVISIONAL, "表札", Card.NONE)
                )
                stats.provisional += 1
        elif outcome is Outcome.MOVED_OUT:
            stats.moved_out += 1
            self._set(t, moved_out=s.date)
        elif outcome is Outcome.REFUSED:
            stats.refused += 1
            self.refused.add(tid)

    # -- month ends -----------------------------------------------------------------------------

    def close_month(self, month: int) -> None:
        stats = self.months[month - 1]
        stats.rate = {
            t: self.met_tier[t] / self.due_tier[t] if self.due_tier[t] else 1.0 for t in self.tiers
        }
        stats.overdue_left, stats.never_met_left = self.left()

    def left(self) -> tuple[int, int]:
        """Due targets neither interviewed nor moved out: overdue (any reason but the cycle
        top-up: 重点 yearly, never met, 仮カード, overdue) and never met."""
        overdue = never = 0
        for tid, (_tier, reason) in self.due.items():
            if tid in self.met or tid not in self.pos:
                continue
            t = self.target(tid)
            if t.moved_out is not None:
                continue
            overdue += reason != "cycle"
            never += t.never_met
        return overdue, never

    def snapshot(self) -> None:
        point = (
            self.minutes,
            tuple(self.met_tier[t] for t in self.tiers),
            tuple(self.due_tier[t] for t in self.tiers),
        )
        if not self.curve or self.curve[-1][1:] != point[1:]:
            self.curve.append(point)


class _Baseline:
    """Hand planning: address order, a fixed number of doors a duty day, by day, retry next pass."""

    def __init__(self, year: _Year) -> None:
        self.y = year
        self.queue: dict[str, list[str]] = defaultdict(list)
        for d in sorted(
            year.due0, key=lambda d: (address_key(d.target.address), d.target.target_id)
        ):
            self.queue[d.target.beat_id].append(d.target.target_id)
        minutes = [d.target.visit_minutes for d in year.due0] or [10]
        self.per_door = sum(minutes) / len(minutes) + year.p.baseline_allowance

    def start_month(self, month: int) -> None:
        pass

    def doors_per_day(self, s: DaySlot) -> int:
        """The fixed number of doors of a duty day: its minutes less the reserve, divided by the
        mean visit plus the walking allowance."""
        return math.floor(s.minutes * (1 - self.y.p.plan.reserve) / self.per_door)

    def stops(self, s: DaySlot, beat: str) -> list[_Stop]:
        if s.group != "day":
            return []
        n = self.doors_per_day(s)
        take, self.queue[beat] = self.queue[beat][:n], self.queue[beat][n:]
        return [_Stop(t, "day") for t in take]

    def after(self, s: DaySlot, beat: str, done: list[tuple[str, Outcome | None]]) -> None:
        # absent doors and those the day did not reach: retried on the next pass
        self.queue[beat] += [t for t, o in done if o in (Outcome.ABSENT, None)]

    def found(self, t: Target) -> None:
        self.queue[t.beat_id].append(t.target_id)


class _Planner:
    """The year plan re-planned monthly, routed by the solver, with optional stops."""

    def __init__(self, year: _Year, slots: Sequence[DaySlot]) -> None:
        self.y = year
        self.weekend = {s.date: s.weekend for s in slots}
        self.by_slot: dict[tuple[str, date, str], list[tuple[str, str]]] = defaultdict(list)
        self.planned: dict[str, tuple[date, bool, str]] = {}
        self.expected = [0.0, 0.0]  # the plan's routes so far: expected minutes, interviews

    def start_month(self, month: int) -> None:
        y = self.y
        if month > 1 and not y.p.replan_monthly:
            return
        params = replace(y.p.plan, start=date(y.year, month, 1))
        plan = plan_year(
            y.planning_station(), y.policy, y.year, graph=y.graph, params=params, absence=y.absence
        )
        y.say(f"{y.p.strategy}: {month:2d}月 plan of {len(plan.visits)} visits")
        self.by_slot.clear()
        self.planned.clear()
        for v in plan.visits:
            self.by_slot[(v.officer_id, v.date, SLOT_GROUP[v.slot])].append((v.target_id, v.slot))
            weekend = self.weekend.get(v.date, v.date.weekday() >= 5)
            self.planned[v.target_id] = (v.date, weekend, v.slot)

    def stops(self, s: DaySlot, beat: str) -> list[_Stop]:
        y, p = self.y, self.y.p
        slot = "day" if s.group == "day" else "evening"
        mine = [
            (t, k) for t, k in self.by_slot.get((s.officer_id, s.date, s.group), []) if y.is_open(t)
        ]
        if not mine:
            return self._free_trip(s, beat, slot) if p.free_trips else []
        slot_of = dict(mine)
        travel, per_min = y.travel[beat], y.speed[s.officer_id]
        ids = travel.order([t for t, _ in mine], p.route, p.route_solutions, p.route_engine)
        expected = travel.tour_metres(ids) / per_min + sum(
            y.expected_min(y.target(t), s.weekend, slot_of[t]) for t in ids
        )
        self.expected[0] += expected
        self.expected[1] += sum(y.chance(y.target(t), s.weekend, slot_of[t]) for t in ids)
        optional: list[str] = []
        if p.optional and p.max_optional > 0:
            optional = self._insert(s, beat, ids, slot, s.minutes - expected)
            slot_of.update(dict.fromkeys(optional, slot))
            if optional:
                ids = travel.order([*ids, *optional], p.route, p.route_solutions, p.route_engine)
        chosen = set(optional)
        return [_Stop(t, slot_of[t], t in chosen) for t in ids]

    def _candidates(self, s: DaySlot, beat: str, slot: str, taken: set[str]) -> list[Target]:
        """Open due households of the beat that may be an optional stop in this slot."""
        y, p = self.y, self.y.p
        out = []
        for tid in y.due_of_beat[beat]:
            if tid in taken or not y.is_open(tid):
                continue
            t = y.target(tid)
            if slot not in allowed_slots(t, y.policy, p.plan.allow_night):
                continue
            chance = y.chance(t, s.weekend, slot)
            if chance < p.optional_min_chance:
                continue
            if p.retry_other_slot and (s.weekend, slot) in y.absent_kinds.get(tid, ()):
                continue
            if self._planned_ahead(s, t, chance):
                continue
            out.append(t)
        return out

    def _insert(self, s: DaySlot, beat: str, ids: list[str], slot: str, left: float) -> list[str]:
        """Optional stops by expected first interviews per minute (first tier counting double),
        each adding at most ``optional_detour_min`` of walking, while ``left`` minutes last."""
        y, p = self.y, self.y.p
        cand = self._candidates(s, beat, slot, set(ids))
        if not cand:
            return []
        travel, per_min = y.travel[beat], y.speed[s.officer_id]
        value = np.array(
            [y.chance(t, s.weekend, slot) * (2.0 if t.tier == y.tiers[0] else 1.0) for t in cand]
        )
        door = np.array([y.expected_min(t, s.weekend, slot) for t in cand])
        route = list(ids)
        out: list[str] = []
        alive = np.ones(len(cand), dtype=bool)
        while len(out) < p.max_optional and alive.any():
            idx = np.flatnonzero(alive)
            pos, add = travel.insertions(route, [cand[i].target_id for i in idx])
            detour = add / per_min
            cost = detour + door[idx]
            alive[idx[cost > left]] = False  # never fits again: the time only shrinks
            ok = (detour <= p.optional_detour_min) & (cost <= left)
            if not ok.any():
                break
            j = int(np.argmax(np.where(ok, value[idx] / np.maximum(cost, 1e-9), -1.0)))
            route.insert(int(pos[j]), cand[idx[j]].target_id)
            out.append(cand[idx[j]].target_id)
            left -= float(cost[j])
            alive[idx[j]] = False
        return out

    def _free_trip(self, s: DaySlot, beat: str, slot: str) -> list[_Stop]:
        """A slot the plan left free: a round of optional stops alone, only if its expected
        minutes per expected first interview are no worse than the plan's own routes so far."""
        y, p = self.y, self.y.p
        if self.expected[1] <= 0 or not p.optional or p.max_optional <= 0:
            return []
        cand = self._candidates(s, beat, slot, set())
        if not cand:
            return []
        travel, per_min = y.travel[beat], y.speed[s.officer_id]
        door = {t.target_id: y.expected_min(t, s.weekend, slot) for t in cand}
        chance = {t.target_id: y.chance(t, s.weekend, slot) for t in cand}

        def trip(tid: str) -> float:
            return travel.tour_metres([tid]) / per_min + door[tid]

        seed = max(cand, key=lambda t: (chance[t.target_id] / trip(t.target_id), t.target_id))
        sid = seed.target_id
        if trip(sid) > s.minutes:
            return []
        ids = [sid, *self._insert(s, beat, [sid], slot, s.minutes - trip(sid))]
        ids = travel.order(ids, p.route, p.route_solutions, p.route_engine)
        minutes = travel.tour_metres(ids) / per_min + sum(door[t] for t in ids)
        if minutes / sum(chance[t] for t in ids) > self.expected[0] / self.expected[1]:
            return []
        return [_Stop(t, slot, True) for t in ids]

    def _planned_ahead(self, s: DaySlot, t: Target, chance: float) -> bool:
        """Whether the plan has a visit of ``t`` ahead that should stand: in a slot where it is
        more likely at home, or later this month where it is as likely at home (a re-plan
        re-arranges later months anyway)."""
        later = self.planned.get(t.target_id)
        if later is None or (later[0], SLOT_GROUP[later[2]]) <= (s.date, s.group):
            return False
        then = self.y.chance(t, later[1], later[2])
        return then > chance or (then >= chance and later[0].month == s.date.month)

    def after(self, s: DaySlot, beat: str, done: list[tuple[str, Outcome | None]]) -> None:
        pass  # absent households stay due: the next re-plan plans them again

    def found(self, t: Target) -> None:
        pass  # due from now on: the next re-plan plans it


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
    """Play a year of duty days for every beat of the station with one strategy.

    Parameters
    ----------
    station
        The register, beats, posts and officers (not changed: the simulation works on a copy).
    policy
        Prefecture rules (tiers, due set, slots, month factors).
    year
        The year to play.
    graph
        Street network for door-to-door metres; straight lines x :data:`planner.geo.DETOUR`
        without one.
    params
        Strategy, seed, contact-model rates and minutes, planner and baseline settings.
    absence
        Absence table (default: the shipped one).
    progress
        Called with a short message every month.

    Returns
    -------
    SimResult
        Per month and year-end figures, every door called, and the first-interview curve.

    Raises
    ------
    InputError
        If the strategy or route order is unknown.
    """
    if params.strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {params.strategy!r}: one of {', '.join(STRATEGIES)}")
    if params.route not in ROUTE_ORDERS:
        raise InputError(f"unknown route order {params.route!r}: one of {', '.join(ROUTE_ORDERS)}")
    if params.route_engine not in ENGINES:
        raise InputError(
            f"unknown routing engine {params.route_engine!r}: one of {', '.join(ENGINES)}"
        )
    say = progress or (lambda _m: None)
    y = _Year(station, policy, year, graph, params, absence or load_absence(), say)
    slots = duty_slots(
        y.st.officers,
        year,
        y.st.officer_days,
        policy,
    )
    agenda = _Planner(y, slots) if params.strategy == "planner" else _Baseline(y)
    for month in range(1, 13):
        y.move_in(month)
        agenda.start_month(month)
        for s in (s for s in slots if s.date.month == month):
            beat = y.officer_beat[s.officer_id]
            done = y.walk(s, agenda.stops(s, beat), agenda.found)
            agenda.after(s, beat, done)
            y.snapshot()
        y.close_month(month)
        say(f"{params.strategy}: {month:2d}月 first interviews so far {len(y.met)}")
    explained = Counter(
        y.due[t][0]
        for t in y.due
        if t in y.met or t in y.refused or y.target(t).moved_out is not None
    )
    overdue, never = y.left()
    return SimResult(
        params.strategy,
        y.tiers,
        y.months,
        due={t: y.due_tier[t] for t in y.tiers},
        met={t: y.met_tier[t] for t in y.tiers},
        explained={t: explained[t] for t in y.tiers},
        overdue_left=overdue,
        never_met_left=never,
        log=y.log,
        curve=y.curve,
    )
