"""Incident hours (Miyagi 第7-2): capacity net of incidents in the roster, the plan, verify,
the summary and scenarios, and the estimate from recorded visit times.

Visit minutes by hand: a 駐在所 officer ("chuzai") has 36 day + 18 evening minutes on a weekday,
a 交番 当番 48 + 24, a 専従日 300 + 60; Miyagi's month factor is 1.0 in March and April and 0.9
in December.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from conftest import tiny_station

from planner import schedule as sch
from planner._errors import InputError
from planner.model import DutyType, Officer, OfficerDay, Outcome, Station, Visit
from planner.plan import PlannedVisit
from planner.policy import load_policy
from planner.progress import MIN_TIMED_VISITS, estimate_incident_hours
from planner.roster import duty_calendar, duty_counts, net_of_incidents
from planner.routes import route_check
from planner.scenarios import apply_scenario, scenario_from_dict
from planner.summary import summarize
from planner.verify import verify_plan

MIYAGI = load_policy("miyagi")
YEAR = 2027
MON = date(2027, 4, 5)  # a Monday of April 2027, no public holiday
SAT = date(2027, 4, 10)


def with_incidents(station: Station, hours: float) -> Station:
    station.beats = [replace(b, incident_hours=hours) for b in station.beats]
    return station


def day_of(officer: Officer, day: date, **kw):
    return duty_calendar(officer, YEAR, start=day, end=day, **kw)[0]


# --------------------------------------------------------------------------- roster


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (0.0, (36, 18)),
        (0.5, (6, 18)),  # 30 minutes off the day slot
        (0.6, (0, 18)),  # exactly the day slot
        (0.75, (0, 9)),  # 45: 36 by day, the other 9 in the evening
        (1.0, (0, 0)),  # 60 > 54: nothing left, never below 0
    ],
)
def test_chuzai_weekday_net_minutes_by_hand(hours, expected):
    o = Officer("O1", "B1", "巡査", "chuzai")
    d = day_of(o, MON, incident_hours=hours)
    assert (d.day_minutes, d.evening_minutes) == expected


def test_days_without_visit_minutes_are_untouched():
    o = Officer("O1", "B1", "巡査", "chuzai")
    d = day_of(o, SAT, incident_hours=2.0)
    assert d.duty is DutyType.SHUKYU and (d.day_minutes, d.evening_minutes) == (0, 0)


def test_toban_senju_and_evening_only_days():
    koban = Officer("O1", "B1", "巡査", "koban3", 0)  # 1 January is a 当番 (then 非番, 日勤)
    toban = duty_calendar(koban, YEAR, end=date(2027, 1, 1), incident_hours=1.0)[0]
    assert toban.duty is DutyType.TOBAN and (toban.day_minutes, toban.evening_minutes) == (0, 12)
    senju = duty_calendar(
        Officer("O1", "B1", "巡査", "chuzai"),
        YEAR,
        start=MON,
        end=MON,
        officer_days=[OfficerDay("O1", MON, DutyType.SENJU)],
        incident_hours=1.0,
    )[0]
    assert (senju.day_minutes, senju.evening_minutes) == (240, 60)
    yakin = Officer("O1", "B1", "巡査", "koban4", 1)  # 1 January is a 夜勤: 0 + 60
    night = duty_calendar(yakin, YEAR, end=date(2027, 1, 1), incident_hours=0.25)[0]
    assert (night.day_minutes, night.evening_minutes) == (0, 45)


def test_net_of_incidents_directly():
    assert net_of_incidents(36, 18, 0) == (36, 18)
    assert net_of_incidents(0, 0, 30) == (0, 0)
    assert net_of_incidents(0, 60, 20) == (0, 40)
    assert net_of_incidents(10, 5, 100) == (0, 0)


@pytest.mark.parametrize("bad", [-0.5, math.nan, math.inf, "x"])
def test_bad_incident_hours_are_input_errors(bad):
    with pytest.raises(InputError, match="incident hours"):
        duty_calendar(Officer("O1", "B1", "巡査", "chuzai"), YEAR, incident_hours=bad)


def test_duty_slots_use_each_officers_beat():
    a = Officer("O1", "B1", "巡査", "chuzai")
    b = Officer("O2", "B2", "巡査", "chuzai")
    slots = sch.duty_slots([a, b], YEAR, [], MIYAGI, start=MON, incident_hours={"B1": 0.5})
    on_mon = {(s.officer_id, s.group): s.minutes for s in slots if s.date == MON}
    assert on_mon == {("O1", "day"): 6, ("O1", "eve"): 18, ("O2", "day"): 36, ("O2", "eve"): 18}


# --------------------------------------------------------------------------- plan and verify


def _binding_station(hours: float) -> Station:
    # 100 never-met households 8 m apart, one hour of day visits per weekday, planned for
    # December only: the hours bind with or without incidents
    st = tiny_station(100, spacing_deg=0.0001, visit_hours={"nikkin": 1.0, "nikkin.evening": 0})
    return with_incidents(st, hours)


DECEMBER = sch.YearParams(time_limit_s=4.0, start=date(2027, 12, 1))


@pytest.fixture(scope="module")
def plans():
    return {
        k: sch.plan_year(_binding_station(k), MIYAGI, YEAR, params=DECEMBER) for k in (0.0, 0.5)
    }


def test_plan_keeps_net_capacity_per_day(plans):
    # 60 minutes less 30 of incidents, times December's factor 0.9: floor(27.0) = 27 a day
    used = Counter()
    for v in plans[0.5].visits:
        assert v.slot == "day" and v.date.month == 12
        used[(v.officer_id, v.date)] += v.est_minutes
    assert used and max(used.values()) <= 27
    gross = Counter()
    for v in plans[0.0].visits:
        gross[(v.officer_id, v.date)] += v.est_minutes
    assert max(gross.values()) <= 54 and max(gross.values()) > 27  # the gross plan uses more


def test_incidents_cut_the_plan_when_hours_bind(plans):
    free, busy = plans[0.0], plans[0.5]
    assert Counter(u.reason for u in free.unplanned)["no_capacity"] > 0  # hours bind
    assert len(busy.visits) < len(free.visits)
    assert len(busy.visits) + len(busy.unplanned) == len(free.visits) + len(free.unplanned)
    # the monthly loads report the net hours: 20 weekdays from 1 to 28 December x 27 minutes
    december = next(ld for ld in busy.loads if ld.month == 12)
    assert december.capacity_min == 20 * 27


def test_verify_flags_a_plan_made_without_incident_hours(plans):
    free = plans[0.0]
    start = DECEMBER.start
    ok = verify_plan(
        _binding_station(0.0),
        MIYAGI,
        YEAR,
        free.visits,
        unplanned=free.unplanned,
        start=start,
        router=route_check,
    )
    assert ok.violations == []
    late = verify_plan(
        _binding_station(0.5),
        MIYAGI,
        YEAR,
        free.visits,
        unplanned=free.unplanned,
        start=start,
        router=route_check,
    )
    rules = Counter(v.rule for v in late.violations)
    assert set(rules) == {"capacity"}
    over = {d for (_, d), m in _per_day(free.visits).items() if m > 27}
    assert rules["capacity"] == len(over) > 0
    assert all("net of 0.5 incident hours" in v.message for v in late.violations)
    busy = plans[0.5]
    again = verify_plan(
        _binding_station(0.5),
        MIYAGI,
        YEAR,
        busy.visits,
        unplanned=busy.unplanned,
        start=start,
        router=route_check,
    )
    assert again.violations == []


def _per_day(visits) -> Counter:
    out = Counter()
    for v in visits:
        out[(v.officer_id, v.date)] += v.est_minutes
    return out


def test_verify_a_slot_emptied_by_incidents_is_over_capacity_not_off_duty():
    st = with_incidents(tiny_station(12), 0.6)  # a weekday's 36 day minutes all go
    plan = [PlannedVisit("T000", "B1", "O1", "priority", MON, "day", "", 10)]
    report = verify_plan(st, MIYAGI, YEAR, plan, router=route_check)
    mine = [v for v in report.violations if v.target_id in (None, "T000")]
    assert [v.rule for v in mine] == ["capacity"]
    assert "10 planned minutes exceed the 0 available" in mine[0].message
    evening = [PlannedVisit("T000", "B1", "O1", "priority", MON, "evening", "", 18)]
    report = verify_plan(st, MIYAGI, YEAR, evening, router=route_check)
    assert not [v for v in report.violations if v.rule in ("capacity", "duty_day")]


# --------------------------------------------------------------------------- summary, scenarios


def test_summary_hours_are_net_of_incidents():
    st = tiny_station(12)
    days = duty_calendar(st.officers[0], YEAR)
    working = sum(1 for d in days if d.visit_minutes > 0)
    assert working == duty_counts(days)[DutyType.NIKKIN]  # weekdays not holidays
    gross = summarize(st, MIYAGI, YEAR)[0].visit_hours
    net = summarize(with_incidents(st, 0.5), MIYAGI, YEAR)[0].visit_hours
    assert gross == pytest.approx(working * 54 / 60)
    assert net == pytest.approx(gross - 0.5 * working)


def _two_beats() -> Station:
    st = tiny_station(12)
    st.beats.append(replace(st.beats[0], beat_id="B2", name="第2受持区", incident_hours=0.2))
    return st


def test_scenario_sets_incident_hours_for_every_beat_or_per_beat():
    st = _two_beats()
    every = apply_scenario(scenario_from_dict({"incident_hours": 1}), st, MIYAGI, YEAR)
    assert [b.incident_hours for b in every.station.beats] == [1.0, 1.0]
    per = apply_scenario(scenario_from_dict({"incident_hours": {"B1": 1.5}}), st, MIYAGI, YEAR)
    assert [b.incident_hours for b in per.station.beats] == [1.5, 0.2]
    assert [b.incident_hours for b in st.beats] == [0.0, 0.2]  # the base is not changed


def test_scenario_file_with_incident_hours(tmp_path):
    from planner.scenarios import load_scenario

    path = tmp_path / "busy.toml"
    path.write_text('name = "多忙"\n[incident_hours]\nB2 = 1.5\n', encoding="utf-8")
    applied = apply_scenario(load_scenario(path), _two_beats(), MIYAGI, YEAR)
    assert [b.incident_hours for b in applied.station.beats] == [0.0, 1.5]


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"incident_hours": -1}, "'incident_hours' must be hours"),
        ({"incident_hours": {"B1": "x"}}, "'incident_hours.B1' must be hours"),
        ({"incident_hours": {"B1": 25}}, "'incident_hours.B1' must be hours"),
        ({"incident_hours": True}, "'incident_hours' must be hours"),
    ],
)
def test_scenario_bad_incident_hours(raw, match):
    with pytest.raises(InputError, match=match):
        scenario_from_dict(raw)


def test_scenario_unknown_beat_for_incident_hours():
    scen = scenario_from_dict({"incident_hours": {"Z9": 1.0}}, source="s.toml")
    with pytest.raises(InputError, match=r"'incident_hours\.Z9' is not a beat"):
        apply_scenario(scen, _two_beats(), MIYAGI, YEAR)


def test_scenario_incident_hours_lower_the_officer_hours():
    from planner.scenarios import run_scenario

    st = tiny_station(6)
    fast = sch.YearParams(time_limit_s=2.0)
    scen = scenario_from_dict({"incident_hours": 0.5})
    base = run_scenario(apply_scenario(scenario_from_dict({}), st, MIYAGI, YEAR, fast), YEAR)
    busy = run_scenario(apply_scenario(scen, st, MIYAGI, YEAR, fast), YEAR)
    # every weekday with minutes loses 30 of its 54; month factors apply to what is left
    days = [
        d
        for d in duty_calendar(st.officers[0], YEAR)
        if d.visit_minutes > 0 and MIYAGI.visits_allowed(d.date)
    ]
    by_hand = (
        sum(
            math.floor(6 * f) + math.floor(18 * f)
            for f in (MIYAGI.month_factors[d.date.month - 1] for d in days)
        )
        / 60
    )
    assert busy.officer_hours == pytest.approx(round(by_hand, 1))
    assert busy.officer_hours < base.officer_hours


# --------------------------------------------------------------------------- the estimate

MARCH_DUTY_DAYS = 22  # 23 weekdays in March 2027 less 22 March (振替休日 for 春分の日 on a Sunday)
EST, DOOR = 44, 10  # each plan row: 10 door minutes + 34 of walking


def _march_days(n: int) -> list[date]:
    days = [date(2027, 3, 1) + timedelta(days=i) for i in range(31)]
    work = [d for d in days if d.weekday() < 5 and d != date(2027, 3, 22)]
    assert len(work) == MARCH_DUTY_DAYS
    return [work[i % len(work)] for i in range(n)]


def _estimate_case(timed: int, untimed: int, door_spent: int, planned: int = 30):
    st = tiny_station(planned)
    plan = [
        PlannedVisit(f"T{i:03d}", "B1", "O1", st.targets[i].tier, d, "day", "", EST)
        for i, d in enumerate(_march_days(planned))
    ]
    visits = [
        Visit(
            plan[i].target_id,
            plan[i].date,
            "O1",
            Outcome.VISITED,
            minutes_spent=door_spent if i < timed else None,
        )
        for i in range(timed + untimed)
    ]
    st.visits = visits
    return st, plan


def test_estimate_by_hand_all_timed():
    # 30 planned x 44 = 1320 minutes; 22 visits took their 10 door minutes + 34 of walking
    st, plan = _estimate_case(timed=22, untimed=0, door_spent=10)
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.months == (3,) and e.duty_days == MARCH_DUTY_DAYS
    assert (e.visits, e.timed) == (22, 22)
    lost_min = (30 * EST - 22 * EST) / MARCH_DUTY_DAYS
    assert e.lost_per_day == pytest.approx(lost_min / 60)
    assert e.planned_hours == pytest.approx(1320 / 60)
    assert e.spent_hours == pytest.approx(22 * EST / 60)
    assert e.suggested == round(lost_min / 60, 1) == 0.3
    msg = e.message()
    assert msg.startswith("B1: visits took 0.3 h per duty day less than planned")
    assert msg.endswith("→ set incident_hours ≈ 0.3 in beats.csv")


def test_estimate_scales_untimed_visits_like_the_timed_ones():
    # 22 timed visits took 5 door minutes (39 with the walk, planned 44); 3 untimed count as
    # 44 x 39/44 = 39 each
    st, plan = _estimate_case(timed=22, untimed=3, door_spent=5)
    st.beats = [replace(st.beats[0], incident_hours=0.5)]
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    spent = 25 * 39
    lost = (30 * EST - spent) / MARCH_DUTY_DAYS / 60
    assert e.spent_hours == pytest.approx(spent / 60)
    assert e.lost_per_day == pytest.approx(lost)
    assert e.suggested == round(0.5 + lost, 1)
    assert "(now 0.5)" in e.message()


def test_estimate_needs_enough_timed_visits():
    st, plan = _estimate_case(timed=MIN_TIMED_VISITS - 1, untimed=0, door_spent=10)
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.lost_per_day is None and e.suggested is None
    assert f"{MIN_TIMED_VISITS - 1} timed visits" in e.note and e.reason == "few_timed"
    assert e.message().startswith("B1: no incident-hours estimate")
    # 20 timed, 6 untimed: 77 % of March's visits carry times, below 80 %: March does not count
    st, plan = _estimate_case(timed=20, untimed=6, door_spent=10)
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.months == () and e.lost_per_day is None and "80%" in e.note
    assert e.reason == "no_month"


def test_estimate_counts_unplanned_visits_and_skips_months_without_times():
    st, plan = _estimate_case(timed=22, untimed=0, door_spent=10)
    # February: planned and visited, but no times: it does not count
    plan.append(PlannedVisit("T029", "B1", "O1", "general", date(2027, 2, 3), "day", "", EST))
    plan = [v for v in plan if v.target_id != "T029" or v.month == 2]
    st.visits.append(Visit("T029", date(2027, 2, 3), "O1", Outcome.VISITED))
    # a household found in March, not in the plan: 20 door minutes + the median walk (34)
    st.targets.append(replace(st.targets[1], target_id="N001", visit_minutes=15))
    st.visits.append(Visit("N001", date(2027, 3, 30), "O1", Outcome.NEW, minutes_spent=20))
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.months == (3,)
    planned = 29 * EST  # T029 moved to February
    spent = 22 * EST + 20 + 34
    assert e.lost_per_day == pytest.approx((planned - spent) / MARCH_DUTY_DAYS / 60)


def test_estimate_when_visits_took_longer_keeps_zero():
    st, plan = _estimate_case(timed=30, untimed=0, door_spent=30, planned=30)
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.lost_per_day == pytest.approx(-30 * 20 / MARCH_DUTY_DAYS / 60)
    assert e.suggested == 0.0
    assert "more than planned" in e.message() and "keep incident_hours = 0" in e.message()


def test_estimate_without_officer():
    st, plan = _estimate_case(timed=22, untimed=0, door_spent=10)
    st.officers = []
    (e,) = estimate_incident_hours(st, MIYAGI, YEAR, plan, upto=date(2027, 3, 31))
    assert e.lost_per_day is None and e.note == "the beat has no officer"
