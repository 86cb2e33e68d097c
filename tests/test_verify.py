"""Tests of planner.verify: one hand-written plan per rule, and the plan score.

Stations are built by hand here (not with the solver) so that every expectation can be checked
with pencil and paper: a 駐在所 officer ("chuzai") works weekdays with 36 day minutes and 18
evening minutes (0.6 h + 0.3 h); Miyagi's month factor is 1.0 in April and 0.85 in January.
"""

from __future__ import annotations

import math
from datetime import date

import networkx as nx
import pytest

from planner._errors import InputError
from planner.model import (
    Availability,
    Beat,
    Card,
    DutyType,
    Mode,
    Officer,
    OfficerDay,
    Post,
    PostKind,
    Station,
    Target,
    TargetKind,
)
from planner.plan import PlannedVisit, Unplanned
from planner.policy import Policy, load_policy
from planner.roster import duty_calendar
from planner.routes import route_check
from planner.verify import RULES, VerifyReport, Violation, score_plan, verify_plan

YEAR = 2027
POST = (140.8700, 38.2700)
M_PER_DEG_LAT = 2 * math.pi * 6_371_008.8 / 360  # ≈ 111 195 m per degree of latitude

# weekdays of April 2027 (no public holidays) and a Saturday
MON, TUE, WED, THU, SAT = (date(2027, 4, d) for d in (5, 6, 7, 8, 10))


@pytest.fixture(scope="module")
def miyagi() -> Policy:
    return load_policy("miyagi")


@pytest.fixture(scope="module")
def aomori() -> Policy:
    return load_policy("aomori")


def at(east_m: float = 0.0, north_m: float = 0.0) -> tuple[float, float]:
    """Lon/lat of a point so many metres east and north of the post (small offsets)."""
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(POST[1]))
    return POST[0] + east_m / m_per_deg_lon, POST[1] + north_m / M_PER_DEG_LAT


def target(
    tid: str,
    tier: str = "priority",
    *,
    last_visit: date | None = date(2026, 5, 1),
    card: Card = Card.FULL,
    availability: Availability = Availability.ANY,
    east_m: float = 50.0,
    north_m: float = 0.0,
    beat: str = "B1",
) -> Target:
    lon, lat = at(east_m, north_m)
    return Target(
        target_id=tid,
        beat_id=beat,
        kind=TargetKind.HOUSEHOLD,
        address=f"みどり町1丁目{tid}",
        lon=lon,
        lat=lat,
        tier=tier,
        last_visit=last_visit,
        card=card,
        availability=availability,
        visit_minutes=10,
    )


def station(
    targets: list[Target],
    *,
    pattern: str = "chuzai",
    policy: str = "miyagi",
    officer_days: tuple[OfficerDay, ...] = (),
    mode: Mode = Mode.WALK,
    frequency_years: int | None = None,
) -> Station:
    return Station(
        name="テスト警察署",
        policy=policy,
        posts=[Post("P1", "テスト駐在所", PostKind.CHUZAISHO, *POST)],
        beats=[
            Beat("B1", "P1", "第1受持区", frequency_years=frequency_years),
            Beat("B2", "P1", "第2受持区"),
        ],
        targets=targets,
        officers=[
            Officer("O1", "B1", "巡査 一", pattern, 0, mode),
            Officer("O2", "B2", "巡査 二", pattern, 0, mode),
        ],
        officer_days=list(officer_days),
    )


def visit(
    t: Target | str,
    day: date,
    slot: str = "day",
    *,
    officer: str = "O1",
    beat: str | None = None,
    tier: str | None = None,
    minutes: int = 10,
) -> PlannedVisit:
    tid = t if isinstance(t, str) else t.target_id
    beat = beat or ("B1" if isinstance(t, str) else t.beat_id)
    tier = tier or ("priority" if isinstance(t, str) else t.tier)
    return PlannedVisit(tid, beat, officer, tier, day, slot, "", minutes)


def rules(report: VerifyReport) -> list[str]:
    return [v.rule for v in report.violations]


# --- a Miyagi 駐在所 beat: three due targets and one that is not due -------------------------
#
# P1  重点, full card, last visit 2026          -> due (重点: every year)
# P2  重点, evening-only household, last 2026    -> due
# G1  一般, never met                            -> due (未把握)
# G2  一般, full card, last visit 2026           -> not due: 一般 is every 3 years and the level
#     cycle quota ceil(2 / 3) = 1 is already met by G1

P1 = target("P1")
P2 = target("P2", availability=Availability.EVENING, east_m=80)
G1 = target("G1", "general", last_visit=None, card=Card.NONE, east_m=120)
G2 = target("G2", "general", last_visit=date(2026, 2, 1), east_m=160)
REGISTER = [P1, P2, G1, G2]


def good_plan() -> list[PlannedVisit]:
    return [visit(P1, MON), visit(P2, TUE, "evening"), visit(G1, WED)]


def check(plan: list[PlannedVisit], policy: Policy, **kw) -> VerifyReport:
    st = kw.pop("st", None) or station(REGISTER)
    return verify_plan(st, policy, YEAR, plan, **kw, router=route_check)


def test_correct_plan_passes(miyagi: Policy) -> None:
    report = check(good_plan(), miyagi, unplanned=[], approvals=[])
    assert report.violations == []
    assert report.ok
    assert report.score.visits == 3
    assert report.score.days_used == 3
    assert report.score.months[4] == 3


def test_every_rule_id_is_listed() -> None:
    assert set(RULES) >= {
        "known_target",
        "beat",
        "officer",
        "exactly_once",
        "due",
        "due_missing",
        "year",
        "duty_day",
        "leave",
        "slot",
        "window",
        "capacity",
        "approval",
        "tier",
    }


def test_unknown_target(miyagi: Policy) -> None:
    report = check([*good_plan(), visit("X9", THU)], miyagi)
    assert rules(report) == ["known_target"]
    assert report.violations[0].target_id == "X9"
    assert not report.ok


def test_wrong_beat(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "evening"), visit(G1, WED, beat="B2")]
    report = check(plan, miyagi)
    assert rules(report) == ["beat"]
    assert report.violations[0].target_id == "G1"


def test_unknown_officer(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "evening"), visit(G1, WED, officer="O9")]
    assert rules(check(plan, miyagi)) == ["officer"]


def test_officer_of_another_beat(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "evening"), visit(G1, WED, officer="O2")]
    report = check(plan, miyagi)
    assert rules(report) == ["officer"]
    assert "B2" in report.violations[0].message


def test_target_planned_twice(miyagi: Policy) -> None:
    report = check([*good_plan(), visit(P1, THU)], miyagi)
    assert rules(report) == ["exactly_once"]
    assert report.violations[0].target_id == "P1"


def test_target_not_due(miyagi: Policy) -> None:
    report = check([*good_plan(), visit(G2, THU)], miyagi)
    assert rules(report) == ["due"]
    assert report.violations[0].target_id == "G2"


def test_due_target_missing_without_unplanned_entry(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "evening")]
    report = check(plan, miyagi)
    assert rules(report) == ["due_missing"]
    assert report.violations[0].target_id == "G1"
    # the same plan with G1 reported unplanned accounts for every due target
    why = Unplanned("G1", "B1", "general", "no_capacity", "no hours left")
    assert check(plan, miyagi, unplanned=[why]).ok
    # and a beat that is not checked is not reported
    assert check(plan, miyagi, beats=["B2"]).ok


def test_unknown_beat_to_check(miyagi: Policy) -> None:
    with pytest.raises(InputError, match="B9"):
        check(good_plan(), miyagi, beats=["B9"])


def test_date_outside_year(miyagi: Policy) -> None:
    plan = [visit(P1, date(2028, 4, 5)), visit(P2, TUE, "evening"), visit(G1, WED)]
    report = check(plan, miyagi)
    assert rules(report) == ["year"]
    assert report.violations[0].target_id == "P1"


def test_date_before_replan_start(miyagi: Policy) -> None:
    assert rules(check(good_plan(), miyagi, start=TUE)) == ["year"]
    assert check(good_plan(), miyagi, start=MON).ok


def test_rest_day(miyagi: Policy) -> None:
    plan = [visit(P1, SAT), visit(P2, TUE, "evening"), visit(G1, WED)]
    report = check(plan, miyagi)
    assert rules(report) == ["duty_day"]
    assert report.violations[0].target_id == "P1"


def test_public_holiday_is_a_rest_day_for_chuzai(miyagi: Policy) -> None:
    showa_day = date(2027, 4, 29)  # 昭和の日, a Thursday
    plan = [visit(P1, showa_day), visit(P2, TUE, "evening"), visit(G1, WED)]
    assert rules(check(plan, miyagi)) == ["duty_day"]


def test_evening_slot_on_a_day_without_evening_minutes(aomori: Policy) -> None:
    # koban3 日勤: 30 day minutes, no evening minutes; the night slot shares the evening group
    never_met = target("A1", "standard", last_visit=None, card=Card.NONE)
    st = station([never_met], pattern="koban3", policy="aomori")
    nikkin = next(
        d.date
        for d in duty_calendar(st.officers[0], YEAR)
        if d.duty is DutyType.NIKKIN and d.date.day > 3  # not a 年末年始 day
    )
    assert verify_plan(
        st, aomori, YEAR, [visit("A1", nikkin, tier="standard")], router=route_check
    ).ok
    for slot in ("evening", "night"):
        plan = [visit("A1", nikkin, slot, tier="standard")]
        assert rules(verify_plan(st, aomori, YEAR, plan, router=route_check)) == ["duty_day"]


def test_leave_day(miyagi: Policy) -> None:
    st = station(REGISTER, officer_days=(OfficerDay("O1", MON, DutyType.LEAVE),))
    report = check(good_plan(), miyagi, st=st)
    assert rules(report) == ["leave"]
    assert report.violations[0].target_id == "P1"


def test_unknown_slot(miyagi: Policy) -> None:
    plan = [visit(P1, MON, "lunch"), visit(P2, TUE, "evening"), visit(G1, WED)]
    assert rules(check(plan, miyagi)) == ["slot"]


def test_evening_only_household_in_day_slot(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "day"), visit(G1, WED)]
    report = check(plan, miyagi)
    assert rules(report) == ["window"]
    assert report.violations[0].target_id == "P2"


def test_day_only_household_in_evening_slot(miyagi: Policy) -> None:
    day_only = target("P1", availability=Availability.DAY)
    st = station([day_only, P2, G1, G2])
    plan = [visit(P1, MON, "evening"), visit(P2, TUE, "evening"), visit(G1, WED)]
    assert rules(check(plan, miyagi, st=st)) == ["window"]


def test_capacity_exceeded_by_the_sum_of_a_day(miyagi: Policy) -> None:
    # 20 + 20 = 40 planned minutes > 36 day minutes of a chuzai weekday in April (factor 1.0)
    plan = [visit(P1, MON, minutes=20), visit(P2, TUE, "evening"), visit(G1, MON, minutes=20)]
    report = check(plan, miyagi)
    assert rules(report) == ["capacity"]
    assert report.violations[0].target_id is None
    assert "40" in report.violations[0].message and "36" in report.violations[0].message
    # 18 + 18 = 36 fits exactly
    plan = [visit(P1, MON, minutes=18), visit(P2, TUE, "evening"), visit(G1, MON, minutes=18)]
    assert check(plan, miyagi).ok


def test_capacity_uses_the_month_factor(miyagi: Policy) -> None:
    # January: floor(36 x 0.85) = 30 day minutes on a weekday (12 Jan 2027 is a Tuesday)
    jan = date(2027, 1, 12)
    rest = [visit(P2, TUE, "evening"), visit(G1, WED)]
    assert check([visit(P1, jan, minutes=30), *rest], miyagi).ok
    assert rules(check([visit(P1, jan, minutes=31), *rest], miyagi)) == ["capacity"]
    assert check([visit(P1, MON, minutes=31), *rest], miyagi).ok  # April: factor 1.0


def test_zero_est_minutes_fall_back_to_the_register(miyagi: Policy) -> None:
    # a hand plan without est_minutes: each door counts its register visit_minutes (10)
    four = [target(f"H{i}", last_visit=None, card=Card.NONE) for i in range(4)]
    plan = [visit(t, MON, minutes=0) for t in four]  # 4 x 10 = 40 > 36
    # (40 minutes of visits cannot be routed in 36 either: one mistake, reported once)
    assert rules(verify_plan(station(four), miyagi, YEAR, plan, router=route_check)) == ["capacity"]


def test_night_visit_without_approval(miyagi: Policy) -> None:
    plan = [visit(P1, MON), visit(P2, TUE, "night"), visit(G1, WED)]
    report = check(plan, miyagi, approvals=[])
    assert rules(report) == ["approval"]
    assert report.violations[0].target_id == "P2"
    assert check(plan, miyagi, approvals=["P2"]).ok
    assert check(plan, miyagi, approvals=None).ok  # no approvals file: rule not checked


def test_wrong_tier(miyagi: Policy) -> None:
    plan = [visit(P1, MON, tier="general"), visit(P2, TUE, "evening"), visit(G1, WED)]
    report = check(plan, miyagi)
    assert rules(report) == ["tier"]
    assert report.violations[0].target_id == "P1"


def test_unplanned_row_for_a_planned_target(miyagi: Policy) -> None:
    why = Unplanned("G1", "B1", "general", "no_capacity", "no hours left")
    assert rules(check(good_plan(), miyagi, unplanned=[why])) == ["unplanned"]


def test_several_mistakes_are_all_reported(miyagi: Policy) -> None:
    plan = [visit(P1, SAT, tier="general"), visit(P2, TUE, "day"), visit(G2, WED)]
    expected = ["due", "due_missing", "duty_day", "tier", "window"]
    assert sorted(rules(check(plan, miyagi))) == expected


def test_violation_is_a_frozen_value() -> None:
    v = Violation("due", "P1", "not due")
    with pytest.raises(AttributeError):
        v.rule = "tier"  # type: ignore[misc]


# --- Aomori, a 交番 officer on a three-shift rotation ----------------------------------------


def test_aomori_koban3_plan_and_per_beat_frequency(aomori: Policy) -> None:
    # the chief set 3 years for beat B1: a 2024 visit is due in 2027, a 2025 visit is not
    a1 = target("A1", "standard", last_visit=date(2024, 6, 1))
    a2 = target("A2", "standard", last_visit=date(2025, 6, 1))
    a3 = target("A3", "standard", card=Card.PROVISIONAL, availability=Availability.EVENING)
    st = station([a1, a2, a3], pattern="koban3", policy="aomori", frequency_years=3)
    cal = duty_calendar(st.officers[0], YEAR, start=date(YEAR, 5, 1))
    toban = [d.date for d in cal if d.duty is DutyType.TOBAN]
    hiban = next(d.date for d in cal if d.duty is DutyType.HIBAN)
    plan = [visit(a1, toban[0]), visit(a3, toban[1], "night")]
    assert verify_plan(
        st, aomori, YEAR, plan, approvals=["A3"], unplanned=[], router=route_check
    ).ok
    assert rules(
        verify_plan(st, aomori, YEAR, [*plan, visit(a2, toban[2])], router=route_check)
    ) == ["due"]
    assert rules(
        verify_plan(st, aomori, YEAR, [plan[0], visit(a3, hiban, "evening")], router=route_check)
    ) == ["duty_day"]
    # night on a 当番 needs the 地域課長等's approval in Aomori too
    assert rules(verify_plan(st, aomori, YEAR, plan, approvals=[], router=route_check)) == [
        "approval"
    ]


# --- score -----------------------------------------------------------------------------------

WALK_M_PER_MIN = 4000 / 60  # 4 km/h


def test_walk_minutes_of_one_door_straight_line(miyagi: Policy) -> None:
    # 1 km north and back, x 1.3 detour, at 4 km/h: 2600 m / 66.7 m/min = 39 min
    far = target("F1", north_m=1000, east_m=0)
    score = score_plan(station([far]), [visit(far, MON)])
    assert score.walk_minutes == pytest.approx(39.0, rel=0.005)
    assert score.walk_minutes_per_visit == pytest.approx(39.0, rel=0.005)
    # a bicycle is three times as fast; speeds can be overridden
    bike = station([far], mode=Mode.BIKE)
    assert score_plan(bike, [visit(far, MON)]).walk_minutes == pytest.approx(13.0, rel=0.005)
    slow = score_plan(station([far]), [visit(far, MON)], speeds_kmh={"walk": 2.0})
    assert slow.walk_minutes == pytest.approx(78.0, rel=0.005)
    assert score_plan(station([far]), [visit(far, MON)], detour=1.0).walk_minutes == (
        pytest.approx(30.0, rel=0.005)
    )


def test_units_of_one_building_are_one_stop(miyagi: Policy) -> None:
    units = [target(f"U{i}", north_m=1000, east_m=0) for i in range(3)]
    score = score_plan(station(units), [visit(u, MON) for u in units])
    assert score.walk_minutes == pytest.approx(39.0, rel=0.005)
    assert score.walk_minutes_per_visit == pytest.approx(13.0, rel=0.005)


def test_grouping_nearby_doors_walks_less_than_alternating_clusters() -> None:
    # cluster A next to the post, cluster B 2 km north
    a = [target("A1", east_m=100), target("A2", east_m=140)]
    b = [target("B1", north_m=2000, east_m=0), target("B2", north_m=2000, east_m=40)]
    st = station(a + b)
    alternating = [visit(a[0], MON), visit(b[0], MON), visit(a[1], TUE), visit(b[1], TUE)]
    grouped = [visit(a[0], MON), visit(a[1], MON), visit(b[0], TUE), visit(b[1], TUE)]
    alt, grp = score_plan(st, alternating), score_plan(st, grouped)
    assert alt.days_used == grp.days_used == 2
    assert alt.visits == grp.visits == 4
    # grouped: post-A1-A2-post, then post-B1-B2-post; alternating: post-A-B-post twice
    hyp = math.hypot
    grouped_m = (100 + 40 + 140) + (2000 + 40 + hyp(40, 2000))
    alternating_m = (100 + hyp(100, 2000) + 2000) + (140 + hyp(100, 2000) + hyp(40, 2000))
    assert grp.walk_minutes == pytest.approx(grouped_m * 1.3 / WALK_M_PER_MIN, rel=0.01)
    assert alt.walk_minutes == pytest.approx(alternating_m * 1.3 / WALK_M_PER_MIN, rel=0.01)
    assert alt.walk_minutes > 1.5 * grp.walk_minutes
    assert alt.walk_minutes_per_visit > grp.walk_minutes_per_visit


def test_day_and_evening_rounds_are_separate_trips() -> None:
    far = [target("F1", north_m=1000, east_m=0), target("F2", north_m=1000, east_m=0)]
    st = station(far)
    same_round = score_plan(st, [visit(far[0], MON), visit(far[1], MON)])
    two_rounds = score_plan(st, [visit(far[0], MON), visit(far[1], MON, "evening")])
    assert two_rounds.walk_minutes == pytest.approx(2 * same_round.walk_minutes)
    assert two_rounds.days_used == same_round.days_used == 1


def test_street_distances_with_a_graph() -> None:
    # a U-shaped street: the door 110 m north of the post is 1.1 km away along the streets
    corners = {1: (0, 0), 2: (500, 0), 3: (500, 100), 4: (0, 100)}
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, (x, y) in corners.items():
        lon, lat = at(x, y)
        G.add_node(n, x=lon, y=lat)
    for u, v, length in [(1, 2, 500.0), (2, 3, 100.0), (3, 4, 500.0)]:
        G.add_edge(u, v, length=length, highway="residential")
        G.add_edge(v, u, length=length, highway="residential")
    door = target("D1", east_m=0, north_m=105)
    st = station([door])
    st.posts[0] = Post("P1", "テスト駐在所", PostKind.CHUZAISHO, *at(0, -5))
    by_street = score_plan(st, [visit(door, MON)], graph=G)
    straight = score_plan(st, [visit(door, MON)])
    # 5 + 500 + 100 + 500 + 5 = 1110 m each way
    assert by_street.walk_minutes == pytest.approx(2 * 1110 / WALK_M_PER_MIN, rel=0.03)
    assert straight.walk_minutes == pytest.approx(2 * 110 * 1.3 / WALK_M_PER_MIN, rel=0.03)


def test_months_and_load_cv() -> None:
    t = target("M1")
    st = station([t])
    # every visit in April: of 12 months with capacity one carries all -> cv = sqrt(11)
    bunched = score_plan(st, [visit(t, MON), visit(t, TUE), visit(t, WED)])
    assert bunched.months == {m: (3 if m == 4 else 0) for m in range(1, 13)}
    assert bunched.monthly_load_cv == pytest.approx(math.sqrt(11))
    # 10 minutes on the 15th of every month (weekday or not: the score does not judge)
    even = score_plan(st, [visit(t, date(YEAR, m, 15)) for m in range(1, 13)])
    assert even.months == dict.fromkeys(range(1, 13), 1)
    assert even.monthly_load_cv == pytest.approx(0.0)
    # a re-plan from 1 July only spreads over July..December
    late = [visit(t, date(YEAR, m, 15)) for m in range(7, 13)]
    assert score_plan(st, late, start=date(YEAR, 7, 1)).monthly_load_cv == pytest.approx(0.0)
    assert score_plan(st, late).monthly_load_cv == pytest.approx(1.0)


def test_months_without_capacity_do_not_count(miyagi: Policy) -> None:
    t = target("M1")
    st = station([t])
    plan = [visit(t, date(YEAR, m, 15)) for m in range(1, 12)]  # no visit in December
    factors = (1.0,) * 11 + (0.0,)  # and no capacity in December either
    assert score_plan(st, plan, month_factors=factors).monthly_load_cv == pytest.approx(0.0)
    assert score_plan(st, plan).monthly_load_cv > 0.2


def test_empty_plan_scores_zero(miyagi: Policy) -> None:
    score = score_plan(station(REGISTER), [])
    assert (score.visits, score.walk_minutes, score.walk_minutes_per_visit) == (0, 0.0, 0.0)
    assert score.days_used == 0
    assert score.monthly_load_cv == 0.0
    assert sum(score.months.values()) == 0


def test_verify_scores_the_plan(miyagi: Policy) -> None:
    report = check(good_plan(), miyagi)
    assert report.score == score_plan(
        station(REGISTER), good_plan(), year=YEAR, month_factors=miyagi.month_factors
    )
    assert report.score.walk_minutes > 0


def test_no_visits_at_new_year():
    from conftest import tiny_station

    station = tiny_station(3)
    visit = PlannedVisit("T000", "B1", "O1", "priority", date(2027, 12, 29), "day", "yearly", 10)
    rules = {
        v.rule
        for v in verify_plan(
            station, load_policy("miyagi"), 2027, [visit], router=route_check
        ).violations
    }
    assert "no_visit_day" in rules


def test_campaign_targets_may_be_off_cycle_but_must_lie_in_the_window():
    from dataclasses import replace

    from conftest import tiny_station

    from planner.plan import Campaign

    station = tiny_station(6)
    # T000 (重点) was interviewed this January: not due again in 2027 but for the campaign
    station.targets[0] = replace(station.targets[0], last_visit=date(2027, 1, 5))
    camp = Campaign(frozenset({"T000", "T003"}), date(2027, 5, 10), date(2027, 5, 23))
    miyagi = load_policy("miyagi")

    def broken(visits, campaign):
        report = verify_plan(station, miyagi, 2027, visits, campaign=campaign, router=route_check)
        return {(v.rule, v.target_id) for v in report.violations if v.rule in ("due", "campaign")}

    inside = [visit("T000", date(2027, 5, 12)), visit("T003", date(2027, 5, 13))]
    assert broken(inside, None) == {("due", "T000")}
    assert broken(inside, camp) == set()
    late = [visit("T000", date(2027, 5, 12)), visit("T003", date(2027, 6, 1))]
    assert broken(late, camp) == {("campaign", "T003")}
    assert broken(inside[:1], camp) == {("campaign", "T003")}  # neither planned nor unplanned


# --------------------------------------------------------------------------- rule route


def test_route_far_doors_whose_est_minutes_understate_the_walk(miyagi: Policy) -> None:
    # two 10-minute visits 600 m east and 600 m north of the post: the est_minutes claim 12
    # minutes each (capacity 36 holds 24), but walking post -> 600 m E -> 600 m N -> post is
    # 1.3 x (600 + 849 + 600) m = 2,664 m = 40 min at 4 km/h, plus 20 min of visits
    far = [target("F1", east_m=600), target("F2", north_m=600)]
    plan = [visit(t, MON, minutes=12) for t in far]
    report = verify_plan(station(far), miyagi, YEAR, plan, router=route_check)
    assert rules(report) == ["route"]
    (v,) = report.violations
    assert "O1 on 2027-04-05 (day)" in v.message and "36 min" in v.message
    assert "F1" in v.message or "F2" in v.message
    # the same two doors on two days fit: 1.3 x 1,200 m = 23.4 min + 10 min <= 36
    apart = [visit(far[0], MON, minutes=12), visit(far[1], TUE, minutes=12)]
    assert verify_plan(station(far), miyagi, YEAR, apart, router=route_check).ok
    assert verify_plan(station(far), miyagi, YEAR, plan, route_days=False, router=route_check).ok


def test_route_without_a_router_the_nearest_neighbour_tour_decides(miyagi: Policy) -> None:
    far = [target("F1", east_m=600), target("F2", north_m=600)]
    plan = [visit(t, MON, minutes=12) for t in far]
    (v,) = verify_plan(station(far), miyagi, YEAR, plan).violations
    # 20 min of visits + 40 min of walking in 36: about 24 min over
    assert v.rule == "route" and "no router" in v.message and "about 24 min" in v.message
    calls = []

    def fits(*args, **kw):  # a router that finds a route for every day
        calls.append(kw["day"])
        return (), 0

    assert verify_plan(station(far), miyagi, YEAR, plan, router=fits).ok
    assert calls == [MON]


def test_route_near_doors_fit(miyagi: Policy) -> None:
    # three doors 50 m out: 30 min of visits and ~2 min of walking fit 36
    near = [target(f"N{i}", east_m=50 + 5 * i) for i in range(3)]
    assert verify_plan(
        station(near), miyagi, YEAR, [visit(t, MON) for t in near], router=route_check
    ).ok


def test_route_counts_a_door_planned_twice_once(miyagi: Policy) -> None:
    near = [target("N1")]
    report = verify_plan(
        station(near), miyagi, YEAR, [visit(near[0], MON), visit(near[0], MON)], router=route_check
    )
    assert rules(report) == ["exactly_once"]
