"""One patrol day end to end: the plan's doors, the officer's minutes, the route, the sheets.

For each beat with planned visits on a date, and each slot of that day, the shift is the slot's
start (:func:`planner.routes.slot_window`) plus the officer's visit minutes for that duty and
slot (the roster, net of the policy's month factor), never past the slot's end.  Absent
households not yet met this year are offered as optional stops to retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import networkx as nx

from planner._errors import InputError, RowError
from planner._validate import read_table, row_numbers
from planner.model import Outcome, Station
from planner.plan import PlannedVisit
from planner.policy import Policy
from planner.routes import DayRoute, RouteParams, day_stops, route_day, slot_window
from planner.schedule import SLOT_GROUP, duty_slots


@dataclass(frozen=True, slots=True)
class PatrolRoute:
    """A routed officer-slot of one beat and date, with the shift used and its stops."""

    beat_id: str
    route: DayRoute
    shift: tuple[int, int]
    mandatory: tuple[str, ...]


def absent_to_retry(station: Station, beat_id: str, before: date) -> list[str]:
    """Targets of the beat whose last recorded outcome this year is ``absent`` (not met since)."""
    last: dict[str, Outcome] = {}
    for x in sorted(station.visits, key=lambda x: x.date):
        if x.date.year == before.year and x.date < before:
            last[x.target_id] = x.outcome
    mine = {
        t.target_id for t in station.targets if t.beat_id == beat_id and t.active_in(before.year)
    }
    return sorted(t for t, o in last.items() if o is Outcome.ABSENT and t in mine)


def plan_problems(
    visits: Sequence[PlannedVisit], station: Station, policy: Policy
) -> list[tuple[int, str, str]]:
    """``(index, column, message)`` for every plan row a route cannot follow.

    A row must name a target of the register in its own beat, an officer who works that beat,
    and a slot of the policy that has duty minutes (day, evening, night); ``index`` counts the
    plan's rows from 0.
    """
    targets = {t.target_id: t for t in station.targets}
    officers = {o.officer_id: o for o in station.officers}
    beats = {b.beat_id for b in station.beats}
    slots = [s.code for s in policy.slots if s.code in SLOT_GROUP]
    out = []
    for i, x in enumerate(visits):
        t = targets.get(x.target_id)
        if t is None:
            out.append((i, "target_id", f"unknown target {x.target_id!r}"))
        if x.beat_id not in beats:
            out.append((i, "beat_id", f"unknown beat {x.beat_id!r}"))
        elif t is not None and t.beat_id != x.beat_id:
            out.append((i, "beat_id", f"{x.target_id} is in beat {t.beat_id}, not {x.beat_id}"))
        o = officers.get(x.officer_id)
        if o is None:
            out.append((i, "officer_id", f"unknown officer {x.officer_id!r}"))
        elif o.beat_id != x.beat_id:
            out.append(
                (
                    i,
                    "officer_id",
                    f"officer {x.officer_id!r} works beat {o.beat_id}, not {x.beat_id}",
                )
            )
        if x.slot not in slots:
            out.append(
                (
                    i,
                    "slot",
                    f"{x.slot!r} is not a slot of policy {policy.name} ({', '.join(slots)})",
                )
            )
    return out


def check_plan(
    path: str | Path, visits: Sequence[PlannedVisit], station: Station, policy: Policy
) -> None:
    """Refuse a plan file (read by :func:`planner.planfiles.read_plan`) with rows a route
    cannot follow (:func:`plan_problems`).

    Raises
    ------
    RowError
        Naming the file and, by the row numbers a spreadsheet shows (the file is read again
        for them only when there is a problem), every bad row and column.
    """
    problems = plan_problems(visits, station, policy)
    if problems:
        rows = row_numbers(read_table(path))
        raise RowError(str(path), [(rows[i], column, msg) for i, column, msg in problems])


def shift_for(
    station: Station, policy: Policy, officer_id: str, day: date, slot: str, params: RouteParams
) -> tuple[int, int]:
    """``(start, end)`` minutes of an officer's visits in one slot of one day.

    The officer starts at the usual time of the slot (``params``), or earlier when the day's
    visit minutes need it (a 専従日 starts in the morning), never before the slot opens.
    """
    if slot not in SLOT_GROUP:
        raise InputError(f"slot {slot!r} has no duty minutes ({', '.join(SLOT_GROUP)})")
    start, end = slot_window(policy, slot, params)
    opens = policy.slot(slot).start.hour * 60 + policy.slot(slot).start.minute
    officer = next((o for o in station.officers if o.officer_id == officer_id), None)
    if officer is None:
        raise InputError(f"unknown officer {officer_id!r}")
    slots = duty_slots(
        [officer],
        day.year,
        station.officer_days,
        policy,
        incident_hours=station.incident_hours(),
    )
    minutes = sum(s.minutes for s in slots if s.date == day and s.group == SLOT_GROUP[slot])
    start = max(opens, min(start, end - minutes))
    return start, min(end, start + minutes)


def patrol_routes(
    station: Station,
    policy: Policy,
    visits: Sequence[PlannedVisit],
    day: date,
    *,
    beats: Iterable[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
    mode: str | None = None,
    params: RouteParams | None = None,
) -> list[PatrolRoute]:
    """Route every (beat, officer, slot) with planned visits on ``day``, busiest slot first.

    Raises
    ------
    InputError
        If no beat has planned visits that day, or a visit names an unknown officer or slot
        (:func:`check_plan` names the plan's rows).
    """
    params = params or RouteParams()
    wanted = set(beats) if beats else {b.beat_id for b in station.beats}
    todays = [v for v in visits if v.date == day and v.beat_id in wanted]
    if not todays:
        raise InputError(f"no planned visits on {day.isoformat()} for beat(s) {sorted(wanted)}")
    out = []
    for beat in station.beats:
        mine = [v for v in todays if v.beat_id == beat.beat_id]
        size = {
            k: sum((v.officer_id, v.slot) == k for v in mine)
            for k in {(v.officer_id, v.slot) for v in mine}
        }
        groups = sorted(size, key=lambda k: (-size[k], k))
        for officer_id, slot in groups:
            stops, officer_id, slot = day_stops(
                station,
                visits,
                day,
                beat.beat_id,
                policy,
                slot=slot,
                officer_id=officer_id,
                retry=absent_to_retry(station, beat.beat_id, day),
                params=params,
            )
            officer = next((o for o in station.officers if o.officer_id == officer_id), None)
            if officer is None:
                raise InputError(
                    f"unknown officer {officer_id!r} in the plan of beat "
                    f"{beat.beat_id} on {day.isoformat()}"
                )
            shift = shift_for(station, policy, officer_id, day, slot, params)
            post = station.post_of(beat.beat_id)
            route = route_day(
                stops,
                (post.lon, post.lat),
                shift=shift,
                graph=graph,
                mode=mode or officer.mode.value,
                params=params,
                officer_id=officer_id,
                day=day,
                slot=slot,
            )
            mandatory = tuple(s.target_id for s in stops if s.mandatory)
            out.append(PatrolRoute(beat.beat_id, route, shift, mandatory))
    return out


def busiest_day(visits: Sequence[PlannedVisit], beat_id: str) -> date:
    """The date with most planned visits of a beat (earliest on a tie)."""
    counts: dict[date, int] = {}
    for v in visits:
        if v.beat_id == beat_id:
            counts[v.date] = counts.get(v.date, 0) + 1
    if not counts:
        raise InputError(f"the plan has no visit for beat {beat_id}")
    return min(counts, key=lambda d: (-counts[d], d))
