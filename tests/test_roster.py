"""Tests of planner.roster: duty calendars, holidays and visit capacity."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import holidays
import pytest

from planner._errors import InputError
from planner.model import DutyDay, DutyType, Officer, OfficerDay
from planner.roster import (
    DEFAULT_VISIT_HOURS,
    PATTERN_LABELS_JA,
    PATTERN_VISIT_HOURS,
    PATTERNS,
    duty_calendar,
    duty_counts,
    japanese_holidays,
    monthly_capacity,
)

T = DutyType
YEAR = 2027


def officer(pattern: str = "koban3", phase: int = 0, oid: str = "o1", **kw) -> Officer:
    return Officer(officer_id=oid, beat_id="b1", name="", pattern=pattern, phase=phase, **kw)


def jp_holidays(year: int) -> set[date]:
    """Holiday dates straight from the holidays package (independent of roster.py)."""
    return set(holidays.Japan(years=year))


def year_dates(year: int) -> list[date]:
    cal = calendar.Calendar()
    return [d for m in range(1, 13) for d in cal.itermonthdates(year, m) if d.month == m]


# --- patterns and holidays -------------------------------------------------------------------


def test_patterns_and_labels() -> None:
    assert PATTERNS["koban3"] == (T.TOBAN, T.HIBAN, T.NIKKIN, T.TOBAN, T.HIBAN, T.SHUKYU)
    assert PATTERNS["koban4"] == (T.NIKKIN, T.YAKIN, T.HIBAN, T.SHUKYU)
    assert set(PATTERN_LABELS_JA) == set(PATTERNS)
    assert set(PATTERN_VISIT_HOURS) <= set(PATTERNS)
    # every duty type has both slots in the defaults
    assert set(DEFAULT_VISIT_HOURS) == {k for d in T for k in (d.value, d.value + ".evening")}


def test_japanese_holidays_2027() -> None:
    hol = japanese_holidays(YEAR)
    assert hol[date(2027, 1, 1)] == "元日"
    assert set(hol) == jp_holidays(YEAR)
    assert list(hol) == sorted(hol)
    assert date(2027, 1, 4) not in hol


# --- day counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "n"), [(2027, 365), (2028, 366)])
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_one_day_per_date(pattern: str, year: int, n: int) -> None:
    days = duty_calendar(officer(pattern), year)
    assert len(days) == n
    assert [d.date for d in days] == year_dates(year)
    assert all(d.officer_id == "o1" for d in days)


def test_koban3_counts_phase0() -> None:
    days = duty_calendar(officer("koban3", 0), YEAR)
    counts = duty_counts(days)
    hol = jp_holidays(YEAR)
    n = len(year_dates(YEAR))
    # the cycle has 当番 at positions 0 and 3: every third day from 1 January
    assert counts[T.TOBAN] == len(range(0, n, 3)) == 122
    assert counts[T.HIBAN] == len(range(1, n, 3))
    # 日勤 at position 2, 週休 at 5; a 日勤 on a public holiday becomes a 祝日
    nikkin_dates = [date(YEAR, 1, 1) + timedelta(k) for k in range(2, n, 6)]
    on_holiday = sum(d in hol for d in nikkin_dates)
    assert on_holiday > 0  # otherwise the next line tests nothing
    assert counts[T.HOLIDAY] == on_holiday
    assert counts[T.NIKKIN] == len(nikkin_dates) - on_holiday
    assert counts[T.SHUKYU] == len(range(5, n, 6))
    assert sum(counts.values()) == n
    assert counts[T.SENJU] == counts[T.LEAVE] == counts[T.YAKIN] == 0


def test_koban4_counts_and_yakin_on_holiday() -> None:
    days = duty_calendar(officer("koban4", 1), YEAR)  # 1 January is a 夜勤
    assert days[0].duty is T.YAKIN  # a holiday, but police work nights
    counts = duty_counts(days)
    n = len(days)
    assert counts[T.YAKIN] == len(range(0, n, 4))
    assert counts[T.HIBAN] == len(range(1, n, 4))
    assert counts[T.SHUKYU] == len(range(2, n, 4))
    assert counts[T.NIKKIN] + counts[T.HOLIDAY] == len(range(3, n, 4))
    assert counts[T.TOBAN] == 0


def test_chuzai_weekdays_minus_holidays() -> None:
    days = duty_calendar(officer("chuzai"), YEAR)
    hol = jp_holidays(YEAR)
    weekdays = [d for d in year_dates(YEAR) if calendar.weekday(d.year, d.month, d.day) < 5]
    counts = duty_counts(days)
    assert counts[T.NIKKIN] == len([d for d in weekdays if d not in hol])
    assert counts[T.HOLIDAY] == len([d for d in weekdays if d in hol])
    assert counts[T.SHUKYU] == len(days) - len(weekdays)
    by_date = {d.date: d.duty for d in days}
    assert by_date[date(2027, 1, 1)] is T.HOLIDAY  # Friday, 元日
    assert by_date[date(2027, 1, 2)] is T.SHUKYU  # Saturday
    assert by_date[date(2027, 1, 4)] is T.NIKKIN  # Monday


def test_holiday_rules_for_rotation() -> None:
    # phase 2: 1 January 2027 (元日) is the 日勤 position -> 祝日; phase 0: a 当番, worked
    assert duty_calendar(officer("koban3", 2), YEAR)[0].duty is T.HOLIDAY
    assert duty_calendar(officer("koban3", 0), YEAR)[0].duty is T.TOBAN
    # 4 January is no holiday: phase 5 puts it at position (5 + 3) % 6 = 2, a plain 日勤
    assert duty_calendar(officer("koban3", 5), YEAR)[3].duty is T.NIKKIN


def test_phase_staggering_koban3() -> None:
    cals = [duty_calendar(officer("koban3", p, oid=f"o{p}"), YEAR) for p in (0, 2, 4)]
    for same_day in zip(*cals, strict=True):
        assert len({d.date for d in same_day}) == 1
        # exactly one of the three is on 当番 every day: the 交番 is always staffed
        assert sum(d.duty is T.TOBAN for d in same_day) == 1
    # control: phases 0 and 3 put both officers on the same 当番 days
    a, b = (duty_calendar(officer("koban3", p), YEAR) for p in (0, 3))
    assert [d.duty is T.TOBAN for d in a] == [d.duty is T.TOBAN for d in b]


def test_cycle_runs_on_across_years_and_ranges() -> None:
    o = officer("koban3", 4)
    full = duty_calendar(o, YEAR)
    part = duty_calendar(o, YEAR, start=date(2027, 3, 10), end=date(2027, 3, 20))
    assert len(part) == 11
    assert part == [d for d in full if date(2027, 3, 10) <= d.date <= date(2027, 3, 20)]
    # running into the next year equals next year's calendar with the phase moved on by 365 days
    tail = duty_calendar(o, YEAR, start=date(2027, 12, 30), end=date(2028, 1, 15))
    nxt = duty_calendar(officer("koban3", (4 + 365) % 6), 2028, end=date(2028, 1, 15))
    assert [d.duty for d in tail[2:]] == [d.duty for d in nxt]
    assert tail[:2] == full[-2:]


# --- officer days ----------------------------------------------------------------------------


def test_leave_wins_over_senju_in_any_order() -> None:
    d1, d2 = date(2027, 5, 10), date(2027, 5, 11)
    ods = [
        OfficerDay("o1", d1, T.SENJU),
        OfficerDay("o1", d1, T.LEAVE),
        OfficerDay("o1", d2, T.LEAVE),
        OfficerDay("o1", d2, T.SENJU),
    ]
    by_date = {d.date: d for d in duty_calendar(officer(), YEAR, officer_days=ods)}
    for d in (d1, d2):
        assert by_date[d].duty is T.LEAVE
        assert by_date[d].visit_minutes == 0


def test_senju_gets_senju_hours_and_overrides_pattern() -> None:
    shukyu_day = date(2027, 1, 6)  # koban3 phase 0: position 5 = 週休
    toban_day = date(2027, 1, 4)  # position 3 = 当番
    ods = [OfficerDay("o1", shukyu_day, T.SENJU), OfficerDay("o1", toban_day, T.SENJU)]
    by_date = {d.date: d for d in duty_calendar(officer(), YEAR, officer_days=ods)}
    for d in (shukyu_day, toban_day):
        assert by_date[d].duty is T.SENJU
        assert by_date[d].day_minutes == round(DEFAULT_VISIT_HOURS["senju"] * 60) == 300
        assert by_date[d].evening_minutes == 60


def test_officer_days_of_others_are_ignored() -> None:
    ods = [
        OfficerDay("someone", date(2027, 2, 1), T.LEAVE),
        OfficerDay("someone", date(2027, 2, 2), T.TOBAN),  # bad kind, but not ours
        OfficerDay("o1", date(2030, 1, 1), T.LEAVE),  # outside the range
    ]
    assert duty_calendar(officer(), YEAR, officer_days=ods) == duty_calendar(officer(), YEAR)


# --- visit hours -----------------------------------------------------------------------------


def test_default_minutes_per_duty() -> None:
    days = duty_calendar(officer("koban3", 0), YEAR)
    toban = next(d for d in days if d.duty is T.TOBAN)
    hiban = next(d for d in days if d.duty is T.HIBAN)
    nikkin = next(d for d in days if d.duty is T.NIKKIN)
    assert (toban.day_minutes, toban.evening_minutes) == (48, 24)  # 0.8 h + 0.4 h
    assert (hiban.day_minutes, hiban.evening_minutes) == (0, 0)
    assert (nikkin.day_minutes, nikkin.evening_minutes) == (30, 0)
    assert all(d.visit_minutes == 0 for d in days if d.duty is T.HOLIDAY)


def test_pattern_defaults_for_chuzai() -> None:
    days = duty_calendar(officer("chuzai"), YEAR)
    nikkin = next(d for d in days if d.duty is T.NIKKIN)
    assert (nikkin.day_minutes, nikkin.evening_minutes) == (36, 18)  # 0.6 h + 0.3 h
    # the same duty in a rotation pattern keeps the global default
    k3 = next(d for d in duty_calendar(officer("koban3", 2), YEAR) if d.duty is T.NIKKIN)
    assert k3.evening_minutes == 0


def test_visit_hours_precedence() -> None:
    arg = {"toban": 2.0, "nikkin.evening": 0.25, "toban.evening": 0.0}
    plain = officer("chuzai")
    days = duty_calendar(plain, YEAR, visit_hours=arg)
    nikkin = next(d for d in days if d.duty is T.NIKKIN)
    assert nikkin.evening_minutes == 15  # argument beats the chuzai pattern default (18)
    assert nikkin.day_minutes == 36  # untouched key keeps the pattern default

    own = officer("koban3", 0, visit_hours={"toban": 0.5})
    toban = duty_calendar(own, YEAR, visit_hours=arg)[0]
    assert toban.duty is T.TOBAN
    assert toban.day_minutes == 30  # officer beats argument (120)
    assert toban.evening_minutes == 0  # argument beats default (24)


def test_minutes_are_rounded() -> None:
    o = officer("koban3", 0, visit_hours={"toban": 0.9999, "toban.evening": 0.9999})
    first = duty_calendar(o, YEAR)[0]
    assert (first.day_minutes, first.evening_minutes) == (60, 60)  # 59.994 min, not truncated
    assert isinstance(first.day_minutes, int)


# --- capacity --------------------------------------------------------------------------------


def test_monthly_capacity_sums_to_total() -> None:
    ods = [OfficerDay("o1", date(2027, 7, d), T.SENJU) for d in range(1, 6)]
    days = duty_calendar(officer("koban3", 1), YEAR, officer_days=ods)
    cap = monthly_capacity(days)
    assert list(cap) == list(range(1, 13))
    assert sum(cap.values()) == sum(d.visit_minutes for d in days)
    jan = sum(d.day_minutes + d.evening_minutes for d in days if d.date.month == 1)
    assert cap[1] == jan > 0
    assert cap[7] > cap[6]  # five 専従日 in July


def test_monthly_capacity_partial_range_has_all_months() -> None:
    days = duty_calendar(officer(), YEAR, start=date(2027, 4, 1), end=date(2027, 4, 30))
    cap = monthly_capacity(days)
    assert set(cap) == set(range(1, 13))
    assert cap[4] > 0
    assert sum(v for m, v in cap.items() if m != 4) == 0
    assert monthly_capacity([]) == dict.fromkeys(range(1, 13), 0)


def test_duty_counts_all_keys() -> None:
    day = DutyDay("o1", date(2027, 1, 1), T.SENJU, 300, 60)
    counts = duty_counts([day, day])
    assert set(counts) == set(T)
    assert counts[T.SENJU] == 2
    assert sum(counts.values()) == 2


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("o", "kwargs", "match"),
    [
        (officer("koban5"), {}, "unknown duty pattern 'koban5'"),
        (officer("koban3", 6), {}, "phase 6 out of range"),
        (officer("koban3", -1), {}, "phase -1 out of range"),
        (officer("koban4", 4), {}, "phase 4 out of range"),
        (officer("chuzai", 1), {}, "takes no phase"),
        (
            officer(),
            {"officer_days": [OfficerDay("o1", date(2027, 1, 5), T.TOBAN)]},
            "only 'leave' and 'senju'",
        ),
        (officer(), {"visit_hours": {"toban": -1.0}}, "must be a finite number >= 0"),
        (officer(visit_hours={"senju.evening": -0.5}), {}, "officer 'o1' visit_hours"),
        (officer(), {"visit_hours": {"toban.night": 1.0}}, "unknown visit-hours key"),
        (officer(), {"visit_hours": {"toban": float("nan")}}, "finite"),
        (officer(), {"start": date(2027, 5, 1), "end": date(2027, 4, 1)}, "after end"),
    ],
)
def test_errors(o: Officer, kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        duty_calendar(o, YEAR, **kwargs)
