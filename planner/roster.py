"""Duty calendars: each officer's 当番・非番・日勤・週休 for a year and the minutes left for visits.

Pure functions, no I/O.  A calendar is built from the officer's *pattern*:

* **Rotation patterns** (``"koban3"``, ``"koban4"``) run continuously, regardless of weekdays.
  ``Officer.phase`` is the index into the cycle on 1 January of the requested year, so the cycle
  position on date ``d`` is ``(phase + (d - date(year, 1, 1)).days) % len(cycle)``.  Police work
  24/7: a 当番 or 夜勤 on a public holiday is worked, but a 日勤 on a public holiday becomes
  :attr:`DutyType.HOLIDAY`.
* **Weekday patterns** (``"chuzai"``, listed in :data:`WEEKDAY_PATTERNS`) follow the calendar
  week instead of a cycle: ``PATTERNS["chuzai"]`` holds seven entries indexed by
  :meth:`datetime.date.weekday` (Monday = 0).  Public holidays become :attr:`DutyType.HOLIDAY`
  unless the weekday is already a 週休.  A phase makes no sense here, so it must be 0.

On top of the pattern, an :class:`OfficerDay` of kind ``SENJU`` (専従日) turns the date into a day
dedicated to 巡回連絡, and one of kind ``LEAVE`` (休暇) turns it into leave; leave wins.

Visit hours per duty type and slot come from, in increasing precedence,
:data:`DEFAULT_VISIT_HOURS`, :data:`PATTERN_VISIT_HOURS` for the officer's pattern, the
``visit_hours`` argument of :func:`duty_calendar`, and ``Officer.visit_hours``.  Keys are
``"<duty>"`` for the day slot and ``"<duty>.evening"`` for the evening slot (19:00 onwards).

Incidents and other calls (110番, accidents, lost property at the counter) take time out of the
visit hours: ``Beat.incident_hours`` hours per duty day (Miyagi 第7-2: a plan is feasible only
net of the beat's incident workload).  :func:`duty_calendar` takes them off every day that has
visit minutes, from the day slot first and then from the evening slot, never below zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import holidays as _holidays

from planner._errors import InputError
from planner.model import DutyDay, DutyType, Officer, OfficerDay

__all__ = [
    "DEFAULT_VISIT_HOURS",
    "PATTERNS",
    "PATTERN_LABELS_JA",
    "PATTERN_VISIT_HOURS",
    "WEEKDAY_PATTERNS",
    "duty_calendar",
    "duty_counts",
    "japanese_holidays",
    "monthly_capacity",
    "net_of_incidents",
]

_T = DutyType

PATTERNS: dict[str, tuple[DutyType, ...]] = {
    # 交番 3-shift rotation (most prefectures): 当番 → 非番 → 日勤 → 当番 → 非番 → 週休,
    # 6-day cycle, 2 当番 per 6 days ≈ 10 当番 a month.
    "koban3": (_T.TOBAN, _T.HIBAN, _T.NIKKIN, _T.TOBAN, _T.HIBAN, _T.SHUKYU),
    # Tokyo 4-shift rotation: 日勤 → 夜勤 → 非番 → 週休, 4-day cycle.
    "koban4": (_T.NIKKIN, _T.YAKIN, _T.HIBAN, _T.SHUKYU),
    # 駐在所: weekday day work 08:30–17:15.  Not a cycle: indexed by date.weekday() (Mon = 0).
    "chuzai": (_T.NIKKIN,) * 5 + (_T.SHUKYU,) * 2,
}
"""Duty patterns by name: a cycle for rotation patterns, a Mon..Sun week for weekday patterns."""

WEEKDAY_PATTERNS: frozenset[str] = frozenset({"chuzai"})
"""Patterns of :data:`PATTERNS` indexed by weekday rather than by a continuous cycle."""

PATTERN_LABELS_JA: dict[str, str] = {
    "koban3": "交番 三交替制",
    "koban4": "交番 四交替制（警視庁）",
    "chuzai": "駐在所 日勤制",
}
"""Japanese names of the patterns, for forms and reports."""

DEFAULT_VISIT_HOURS: dict[str, float] = {
    # 当番 (08:30 → 08:30): example duty days put 巡回連絡 at 13:00–15:00 or 14:00–16:00 (S),
    # about 2 h nominal, "often eaten by 110番 calls: 8–15 h a month in practice" (E).  With
    # koban3 (~10 当番 a month) 0.8 h by day + 0.4 h in the evening gives ~12 h a month, plus
    # ~2.5 h of 日勤 and one 専従日: ~20 h, the top of domain.md's 12–20 h a month.
    "toban": 0.8,
    "toban.evening": 0.4,
    # 日勤: day shift, mostly desk and patrol work; E: half an hour of visits, none in the evening.
    "nikkin": 0.5,
    "nikkin.evening": 0.0,
    # 夜勤 (Tokyo 4-shift): no day slot; E: 1 h early in the evening (19:00–21:00 with approval).
    "yakin": 0.0,
    "yakin.evening": 1.0,
    # 専従日: a day dedicated to 巡回連絡, ~6 h (E): 5 h by day + 1 h in the evening.
    "senju": 5.0,
    "senju.evening": 1.0,
    # 非番・週休・祝日・休暇: off duty, no visits (S: visits are duty work).
    "hiban": 0.0,
    "hiban.evening": 0.0,
    "shukyu": 0.0,
    "shukyu.evening": 0.0,
    "holiday": 0.0,
    "holiday.evening": 0.0,
    "leave": 0.0,
    "leave.evening": 0.0,
}
"""Visit hours per duty type (day slot ``"<duty>"``, evening slot ``"<duty>.evening"``)."""

PATTERN_VISIT_HOURS: dict[str, dict[str, float]] = {
    # 駐在所: the officer lives on site (S) and can call on households after 17:15 without a
    # journey; E: 0.6 h by day + 0.3 h in the evening on ~20 weekdays ≈ 18 h a month.
    "chuzai": {"nikkin": 0.6, "nikkin.evening": 0.3},
}
"""Per-pattern overrides of :data:`DEFAULT_VISIT_HOURS` (only the keys that differ)."""

_EVENING = ".evening"
_VALID_HOUR_KEYS: frozenset[str] = frozenset(
    key for d in DutyType for key in (d.value, d.value + _EVENING)
)
_OFFICER_DAY_KINDS = (DutyType.LEAVE, DutyType.SENJU)


def japanese_holidays(year: int) -> dict[date, str]:
    """Public holidays (国民の祝日・振替休日・国民の休日) of Japan in one year.

    Parameters
    ----------
    year
        Calendar year.  The ``holidays`` package covers 1949–2099; other years have none.

    Returns
    -------
    dict[date, str]
        Holiday dates in increasing order, mapped to their Japanese names (English names if the
        installed ``holidays`` package has no Japanese translation).
    """
    languages = getattr(_holidays.Japan, "supported_languages", ())
    if "ja" in languages:
        table = _holidays.Japan(years=year, language="ja")
    else:  # pragma: no cover - depends on the installed holidays version
        table = _holidays.Japan(years=year)
    return {d: str(name) for d, name in sorted(table.items())}


def check_hours(hours: Mapping[str, float], source: str) -> None:
    """Raise :class:`InputError` for an unknown key or a negative / non-finite value."""
    for key, value in hours.items():
        if key not in _VALID_HOUR_KEYS:
            raise InputError(
                f"{source}: unknown visit-hours key {key!r}; expected '<duty>' or "
                f"'<duty>.evening' with duty one of {', '.join(d.value for d in DutyType)}"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            msg = f"{source}: visit hours for {key!r} are not a number: {value!r}"
            raise InputError(msg) from None
        if not math.isfinite(number) or number < 0:
            raise InputError(
                f"{source}: visit hours for {key!r} must be a finite number >= 0, got {value!r}"
            )


def _resolve_minutes(
    officer: Officer, visit_hours: Mapping[str, float] | None
) -> dict[DutyType, tuple[int, int]]:
    """(day, evening) visit minutes per duty type after applying every layer of overrides."""
    layers: list[tuple[str, Mapping[str, float]]] = [
        ("DEFAULT_VISIT_HOURS", DEFAULT_VISIT_HOURS),
        (f"PATTERN_VISIT_HOURS[{officer.pattern!r}]", PATTERN_VISIT_HOURS.get(officer.pattern, {})),
        ("visit_hours argument", visit_hours or {}),
        (f"officer {officer.officer_id!r} visit_hours", officer.visit_hours),
    ]
    merged: dict[str, float] = {}
    for source, layer in layers:
        check_hours(layer, source)
        merged.update({k: float(v) for k, v in layer.items()})
    return {
        d: (
            round(merged.get(d.value, 0.0) * 60),
            round(merged.get(d.value + _EVENING, 0.0) * 60),
        )
        for d in DutyType
    }


def _check_pattern(officer: Officer) -> tuple[DutyType, ...]:
    """The officer's pattern, after checking its name and the phase."""
    cycle = PATTERNS.get(officer.pattern)
    if cycle is None:
        raise InputError(
            f"officer {officer.officer_id!r}: unknown duty pattern {officer.pattern!r}; "
            f"expected one of {', '.join(sorted(PATTERNS))}"
        )
    phase = officer.phase
    if officer.pattern in WEEKDAY_PATTERNS:
        if phase != 0:
            raise InputError(
                f"officer {officer.officer_id!r}: pattern {officer.pattern!r} follows the "
                f"weekdays and takes no phase; phase must be 0, got {phase!r}"
            )
    elif not isinstance(phase, int) or isinstance(phase, bool) or not 0 <= phase < len(cycle):
        raise InputError(
            f"officer {officer.officer_id!r}: phase {phase!r} out of range for pattern "
            f"{officer.pattern!r}; expected an integer 0..{len(cycle) - 1}"
        )
    return cycle


def _overrides(officer: Officer, officer_days: Iterable[OfficerDay]) -> dict[date, DutyType]:
    """LEAVE / SENJU per date for this officer; LEAVE wins when both are given."""
    result: dict[date, DutyType] = {}
    for od in officer_days:
        if od.officer_id != officer.officer_id:
            continue
        if od.kind not in _OFFICER_DAY_KINDS:
            raise InputError(
                f"officer {officer.officer_id!r}, {od.date.isoformat()}: officer day of kind "
                f"{str(od.kind)!r}; only 'leave' and 'senju' can be set per day"
            )
        if result.get(od.date) is not DutyType.LEAVE:
            result[od.date] = DutyType(od.kind)
    return result


def _incident_minutes(hours: float) -> int:
    """``round(hours * 60)`` after checking the hours are a finite number >= 0."""
    try:
        number = float(hours)
    except (TypeError, ValueError):
        raise InputError(f"incident hours are not a number: {hours!r}") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"incident hours must be a finite number >= 0, got {hours!r}")
    return round(number * 60)


def net_of_incidents(day_minutes: int, evening_minutes: int, lost: int) -> tuple[int, int]:
    """Day and evening visit minutes after ``lost`` incident minutes (day slot first).

    Parameters
    ----------
    day_minutes, evening_minutes
        Visit minutes of one duty day by slot.
    lost
        Incident minutes of the day (>= 0).

    Returns
    -------
    tuple[int, int]
        ``(day, evening)``: unchanged when the day has no visit minutes at all; otherwise
        ``lost`` comes off the day slot, the rest off the evening slot, neither below 0.
    """
    if day_minutes + evening_minutes <= 0 or lost <= 0:
        return day_minutes, evening_minutes
    day = max(0, day_minutes - lost)
    rest = max(0, lost - day_minutes)
    return day, max(0, evening_minutes - rest)


def duty_calendar(
    officer: Officer,
    year: int,
    *,
    officer_days: Iterable[OfficerDay] = (),
    visit_hours: Mapping[str, float] | None = None,
    start: date | None = None,
    end: date | None = None,
    incident_hours: float = 0.0,
) -> list[DutyDay]:
    """One officer's duty and visit minutes on every date of a year (or of ``start..end``).

    Parameters
    ----------
    officer
        The officer; ``officer.pattern`` names an entry of :data:`PATTERNS` and
        ``officer.phase`` is the cycle index on 1 January of ``year`` (0 for weekday patterns).
    year
        The year the calendar covers and the phase refers to.
    officer_days
        Leave days and 専従日; entries of other officers are ignored.  Leave wins over
        everything, a 専従日 over the pattern.
    visit_hours
        Overrides of the visit hours (keys ``"<duty>"`` / ``"<duty>.evening"``), above the
        defaults and the pattern's defaults, below ``officer.visit_hours``.
    start, end
        First and last date, inclusive; default 1 January and 31 December of ``year``.  They may
        lie outside ``year``: the cycle simply runs on.
    incident_hours
        Hours per duty day lost to incidents and other calls (the beat's
        ``Beat.incident_hours``).  On every day with visit minutes, ``round(incident_hours *
        60)`` minutes come off the day slot first and what is left of them off the evening
        slot; neither goes below 0.  Days without visit minutes (非番, 週休, leave) stay as
        they are.

    Returns
    -------
    list[DutyDay]
        One entry per date, in date order; minutes are ``round(hours * 60)``, net of the
        incident minutes.

    Raises
    ------
    InputError
        Unknown pattern, phase out of range, an officer day of a kind other than LEAVE or SENJU,
        an unknown visit-hours key, negative or non-finite hours (visit or incident hours), or
        ``start`` after ``end``.
    """
    cycle = _check_pattern(officer)
    minutes = _resolve_minutes(officer, visit_hours)
    lost = _incident_minutes(incident_hours)
    overrides = _overrides(officer, officer_days)

    jan1 = date(year, 1, 1)
    first = jan1 if start is None else start
    last = date(year, 12, 31) if end is None else end
    if first > last:
        raise InputError(f"calendar start {first.isoformat()} is after end {last.isoformat()}")

    public: set[date] = set()
    for y in range(first.year, last.year + 1):
        public.update(japanese_holidays(y))

    weekday_based = officer.pattern in WEEKDAY_PATTERNS
    days: list[DutyDay] = []
    d = first
    while d <= last:
        if weekday_based:
            duty = cycle[d.weekday()]
            if d in public and duty is not DutyType.SHUKYU:
                duty = DutyType.HOLIDAY
        else:
            duty = cycle[(officer.phase + (d - jan1).days) % len(cycle)]
            if d in public and duty is DutyType.NIKKIN:
                duty = DutyType.HOLIDAY
        duty = overrides.get(d, duty)
        day_min, evening_min = net_of_incidents(*minutes[duty], lost)
        days.append(DutyDay(officer.officer_id, d, duty, day_min, evening_min))
        d += timedelta(days=1)
    return days


def monthly_capacity(days: Iterable[DutyDay]) -> dict[int, int]:
    """Visit minutes (day + evening) per calendar month.

    Parameters
    ----------
    days
        Duty days, of one or several officers and of one year (months of different years add up).

    Returns
    -------
    dict[int, int]
        Minutes for each month 1..12; every month is present, 0 when no day falls in it.
    """
    totals = dict.fromkeys(range(1, 13), 0)
    for day in days:
        totals[day.date.month] += day.visit_minutes
    return totals


def duty_counts(days: Iterable[DutyDay]) -> dict[DutyType, int]:
    """Number of days of each duty type.

    Parameters
    ----------
    days
        Duty days.

    Returns
    -------
    dict[DutyType, int]
        Count per duty type; every :class:`DutyType` is present, 0 when it never occurs.
    """
    counts = dict.fromkeys(DutyType, 0)
    for day in days:
        counts[day.duty] += 1
    return counts
