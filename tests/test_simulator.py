"""The simulated year: the contact model's statistics, the baseline's rules, the minutes and
households it counts, the planner's optional stops, determinism."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np
from conftest import POST, tiny_station

from planner.contact import COLUMNS, AbsenceTable, FieldParams, draw_outcome, load_absence
from planner.model import Availability, Card, HouseholdType, Outcome
from planner.policy import load_policy
from planner.schedule import YearParams, duty_slots
from planner.simulator import MONTH_COLUMNS, MonthStats, SimParams, SimResult, simulate_year

MIYAGI = load_policy("miyagi")
FAST = YearParams(time_limit_s=0.5)
QUIET = FieldParams(new_per_month=0, provisional_from_absent=0.0)


def table(absent: float) -> AbsenceTable:
    """Every household type absent with the same share in every column."""
    return AbsenceTable({h: dict.fromkeys(COLUMNS, absent) for h in HouseholdType})


def shuffled_addresses(n: int):
    """tiny_station(n) with 2 h day / 30 min evening slots and addresses in another order than
    the ids and the positions: T{i} lives at 1丁目{(7 i mod n) + 1}番."""
    st = tiny_station(n, visit_hours={"nikkin": 2.0, "nikkin.evening": 0.5})
    st.targets = [
        replace(t, address=f"みどり町1丁目{(7 * i) % n + 1}番1号") for i, t in enumerate(st.targets)
    ]
    order = sorted(st.targets, key=lambda t: (7 * int(t.target_id[1:])) % n)
    return st, [t.target_id for t in order]


def test_answer_rate_and_door_outcomes_match_the_contact_model():
    absence = load_absence()
    params = FieldParams(refusal=0.08, move_rate=0.03)
    for kind, weekend, slot in [
        (HouseholdType.DUAL_EARNER, False, "day"),
        (HouseholdType.ELDERLY, True, "day"),
        (HouseholdType.SINGLE_WORKER, False, "evening"),
        (HouseholdType.FAMILY, False, "night"),
    ]:
        chance = absence.answer_chance(kind, weekend=weekend, slot=slot)
        rng = np.random.default_rng(1)
        draws = Counter(draw_outcome(rng, chance, params) for _ in range(10_000))
        answered = 10_000 - draws[Outcome.ABSENT]
        assert abs(answered / 10_000 - chance) < 0.02, (kind, slot, answered, chance)
        assert abs(draws[Outcome.MOVED_OUT] / answered - 0.03) < 0.02
        refusals = draws[Outcome.REFUSED] / (answered - draws[Outcome.MOVED_OUT])
        assert abs(refusals - 0.08) < 0.02


def test_answer_chance_is_the_table_read_by_slot():
    absence = load_absence()  # elderly: weekday 0.30 / 0.30 / 0.25 by day, 0.15 at 17–19
    assert math.isclose(
        absence.answer_chance(HouseholdType.ELDERLY, weekend=False, slot="day"),
        1 - (0.30 + 0.30 + 0.25) / 3,
    )
    assert math.isclose(
        absence.answer_chance(HouseholdType.ELDERLY, weekend=False, slot="evening"), 0.85
    )
    assert math.isclose(
        absence.answer_chance(HouseholdType.ELDERLY, weekend=True, slot="day"), 0.75
    )


def test_baseline_sweeps_address_order_fixed_doors_by_day_and_retries_next_pass():
    station, order = shuffled_addresses(20)
    params = SimParams(strategy="baseline", doors=QUIET)
    result = simulate_year(station, MIYAGI, 2027, params=params, absence=table(1.0))
    called = [r.target_id for r in result.log]
    assert result.summary()["absent"] == len(called) > 60
    # address order (natural: 2番 before 10番), then the absent doors again on the next pass
    passes = [called[k : k + 20] for k in range(0, len(called) - 20, 20)]
    assert passes and all(p == order for p in passes)
    # T{i} lives at (7 i mod 20) + 1番: 1番 T000, 2番 T003 (21), 3番 T006 (42), 10番 T007 (49);
    # a string sort would put 10番 second
    assert order[:3] == ["T000", "T003", "T006"] and order[9] == "T007"
    # a fixed number of doors per duty day (day minutes less the 20 % reserve over the mean
    # visit of 10 min + 5 min walking), by day only: evening slots call at no door
    slots = duty_slots(
        station.officers,
        2027,
        station.officer_days,
        MIYAGI,
    )
    per_day = {s.date: math.floor(s.minutes * 0.8 / 15) for s in slots if s.group == "day"}
    assert any(s.group == "eve" for s in slots)
    doors = Counter(r.date for r in result.log)
    assert doors == {d: n for d, n in per_day.items() if n}
    assert {r.slot for r in result.log} == {"day"}


def test_baseline_meets_everybody_once_when_all_are_home():
    station, order = shuffled_addresses(20)
    params = SimParams(strategy="baseline", doors=replace(QUIET, refusal=0.0, move_rate=0.0))
    result = simulate_year(station, MIYAGI, 2027, params=params, absence=table(0.0))
    s = result.summary()
    assert [r.target_id for r in result.log] == order
    assert s["first_interviews"] == 20 and s["rate"] == {"priority": 1.0, "general": 1.0}
    assert s["interview_hours"] == round(20 * 10 / 60, 1)  # 10 min each
    assert s["wait_min_per"] == 0.5  # until somebody answers
    assert s["overdue_left"] == s["never_met_left"] == 0
    total = sum(m.officer_min for m in result.months)
    assert math.isclose(total, 60 * s["first_interviews"] * s["hours_per_interview"], rel_tol=1e-2)
    assert math.isclose(s["overhead_min_per"], s["walk_min_per"] + s["wait_min_per"], abs_tol=0.02)


def test_one_door_costs_the_walk_there_and_back_the_wait_and_the_interview():
    station = tiny_station(1)
    door = station.targets[0]
    params = SimParams(strategy="baseline", doors=replace(QUIET, refusal=0.0, move_rate=0.0))
    s = simulate_year(station, MIYAGI, 2027, params=params, absence=table(0.0)).summary()
    # haversine by hand, times the detour factor of straight lines (1.3), walking 4 km/h
    lat1, lat2 = math.radians(POST[1]), math.radians(door.lat)
    dlon = math.radians(door.lon - POST[0])
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    metres = 2 * 6_371_008.8 * math.asin(math.sqrt(a)) * 1.3
    minutes = 2 * metres / (4000 / 60) + 0.5 + 10
    assert s["doors"] == s["first_interviews"] == 1
    assert math.isclose(s["km"], round(2 * metres / 1000, 1))
    assert math.isclose(s["walk_min_per"], 2 * metres / (4000 / 60), rel_tol=0.01)
    assert math.isclose(s["hours_per_interview"], minutes / 60, rel_tol=0.01)


def test_absent_never_met_households_get_provisional_cards_and_new_households_are_found():
    station = tiny_station(20, visit_hours={"nikkin": 2.0})
    never_met = sum(t.card is Card.NONE for t in station.targets)  # every 一般 target: 13
    doors = FieldParams(provisional_from_absent=1.0, new_per_month=1, new_seen_m=1e6)
    params = SimParams(strategy="baseline", doors=doors)
    result = simulate_year(station, MIYAGI, 2027, params=params, absence=table(1.0))
    s = result.summary()
    assert never_met == 13
    assert s["new_appeared"] == s["new_found"] == 12  # one a month, seen at the first door
    assert s["provisional"] == never_met + 12  # a nameplate each; absent again changes nothing
    assert s["due"] == {"priority": 7, "general": 13 + 12}
    assert s["first_interviews"] == 0 and s["never_met_left"] == 25
    assert [m.new_found for m in result.months] == [1] * 12
    assert station.visits == [] and len(station.targets) == 20  # the base station unchanged


def test_summary_and_month_rows():
    station, _ = shuffled_addresses(20)
    result = simulate_year(station, MIYAGI, 2027, params=SimParams(strategy="baseline", seed=2))
    s = result.summary()
    assert set(s) >= {
        "officer_hours",
        "first_interviews",
        "hours_per_interview",
        "km",
        "rate",
        "interview_min_per",
        "overhead_min_per",
        "months",
    }
    assert set(s["rate"]) == {"priority", "general"}
    rows = s["months"]
    assert [r["month"] for r in rows] == list(range(1, 13))
    assert set(rows[0]) == {*MONTH_COLUMNS, "rate_priority", "rate_general"}
    assert sum(r["first_interviews"] for r in rows) == s["first_interviews"]
    assert rows[-1]["rate_priority"] == s["rate"]["priority"]
    rates = [r["rate_general"] for r in rows]
    assert rates == sorted(rates)
    assert s["night_visits"] == 0


def test_reached_finds_the_first_slot_at_given_rates():
    months = [MonthStats(m) for m in range(1, 13)]
    curve = [(60.0, (1, 0), (2, 4)), (150.0, (2, 1), (2, 4)), (240.0, (2, 2), (2, 5))]
    result = SimResult("planner", ("priority", "general"), months, {}, {}, {}, 0, 0, [], curve)
    assert result.reached({"priority": 0.5}) == (1.0, 1)
    assert result.reached({"priority": 1.0, "general": 0.25}) == (2.5, 3)
    assert result.reached({"general": 0.5}) is None  # 2 of 5 once a household joined


def test_planner_is_deterministic_and_its_optional_stops_follow_the_rules():
    station = tiny_station(30, availability=Availability.ANY)
    absence = load_absence()
    params = SimParams(
        strategy="planner",
        seed=3,
        plan=FAST,
        replan_monthly=False,
        free_trips=False,
        retry_other_slot=True,
    )
    a = simulate_year(station, MIYAGI, 2027, params=params, absence=absence)
    b = simulate_year(station, MIYAGI, 2027, params=params, absence=absence)
    assert a.summary() == b.summary() and a.log == b.log
    assert station.visits == []
    kinds = {t.target_id: t.household_type for t in station.targets}
    planned_slots = {(r.date, r.officer_id, r.slot != "day") for r in a.log if not r.optional}
    absent_in: dict[str, set] = defaultdict(set)
    optional = 0
    for r in a.log:
        weekend = r.date.weekday() >= 5
        if r.optional:
            optional += 1
            chance = absence.answer_chance(kinds[r.target_id], weekend=weekend, slot=r.slot)
            assert chance >= params.optional_min_chance
            assert (r.date, r.officer_id, r.slot != "day") in planned_slots  # no trip of its own
            assert (weekend, r.slot) not in absent_in[r.target_id]  # another kind of slot
        if r.outcome is Outcome.ABSENT:
            absent_in[r.target_id].add((weekend, r.slot))
    assert optional > 0
