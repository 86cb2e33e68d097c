"""Supervisor scenarios: change a base station without editing it, plan each, compare.

A scenario file (TOML) says what changes; every key is optional::

    name = "一人減"                      # shown in the comparison
    policy = "aomori"                     # another policy (built-in name or file)
    mode = "bike"                         # every officer's transport mode
    reserve = 0.1                         # share of hours kept for revisits
    remove_officers = ["OF02"]
    senju_per_month = 2                   # 専従日 per officer and month (weekdays on duty)
    month_factors = [0.8, 0.8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.9]   # seasonal capacity (winter)

    [frequency]                           # visit frequency in years, per tier …
    general = 2
    [frequency.beats]                     # … or per beat (Aomori: the chief's setting)
    K1-1 = 1

    [visit_hours]                         # hours per duty type for every officer
    toban = 1.0
    "toban.evening" = 0.5

    [incident_hours]                      # hours per duty day lost to incidents (第7-2), per
    K1-1 = 1.5                            # beat (others keep theirs); for every beat write
                                          # incident_hours = 1.0 among the top-level keys

    [[officers]]                          # officers added
    officer_id = "OF09"
    beat_id = "K1-1"
    pattern = "koban3"
    phase = 1

    [[leave]]                             # an officer on leave for a period
    officer_id = "OF01"
    from = 2027-06-01
    to = 2027-08-31

    [duty_pattern]                        # a new duty pattern per officer
    OF04 = "chuzai"

    [campaign]                            # every target in the circle visited first
    center = [140.871, 38.270]
    radius_m = 300
    start = 2027-05-10
    days = 14
    kinds = ["household"]

    [[move_beat]]                         # a boundary change: targets inside go to another beat
    polygon_wkt = "POLYGON ((…))"
    to = "K1-2"

An unknown key or a bad value is an :class:`~planner._errors.InputError` naming the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shapely import wkt
from shapely.geometry import Point

from planner._errors import InputError
from planner.model import Beat, DutyType, Mode, Officer, OfficerDay, Station, Target, TargetKind
from planner.policy import DueReason, Policy, due_targets, load_policy
from planner.roster import PATTERNS, duty_calendar, japanese_holidays
from planner.schedule import Campaign, YearParams

KEYS = {
    "name", "description", "policy", "mode", "reserve", "remove_officers", "senju_per_month",
    "month_factors", "frequency", "visit_hours", "officers", "leave", "duty_pattern", "campaign",
    "move_beat", "incident_hours",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed scenario file: what to change, nothing applied yet."""

    name: str
    raw: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario TOML file.

    Raises
    ------
    InputError
        On a missing file, bad TOML, an unknown key, or a value of the wrong kind (the message
        names the file and the key).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML file: {exc}") from exc
    return scenario_from_dict(raw, source=str(path), default_name=path.stem)


def scenario_from_dict(
    raw: Mapping[str, Any], *, source: str = "scenario", default_name: str = "scenario"
) -> Scenario:
    """Check a parsed scenario (see the module docstring for the keys)."""
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise InputError(f"{source}: unknown key '{unknown[0]}' (known: {', '.join(sorted(KEYS))})")

    def bad(key: str, what: str) -> InputError:
        return InputError(f"{source}: '{key}' {what}")

    if "mode" in raw and raw["mode"] not in {m.value for m in Mode}:
        raise bad("mode", "must be walk, bike or car")
    if "reserve" in raw and not (isinstance(raw["reserve"], int | float)
                                 and 0 <= raw["reserve"] < 1):  # fmt: skip
        raise bad("reserve", "must be a share in [0, 1)")
    if "senju_per_month" in raw and not (isinstance(raw["senju_per_month"], int)
                                         and 0 <= raw["senju_per_month"] <= 20):  # fmt: skip
        raise bad("senju_per_month", "must be a whole number 0–20")
    factors = raw.get("month_factors")
    if factors is not None and not (isinstance(factors, list) and len(factors) == 12 and all(
            isinstance(f, int | float) and 0 <= f <= 2 for f in factors)):  # fmt: skip
        raise bad("month_factors", "must be 12 numbers in [0, 2]")
    for i, o in enumerate(raw.get("officers", [])):
        for key in ("officer_id", "beat_id", "pattern"):
            if key not in o:
                raise bad(f"officers[{i}].{key}", "is missing")
        if o["pattern"] not in PATTERNS:
            raise bad(f"officers[{i}].pattern", f"must be one of {', '.join(PATTERNS)}")
    for i, lv in enumerate(raw.get("leave", [])):
        for key in ("officer_id", "from", "to"):
            if key not in lv:
                raise bad(f"leave[{i}].{key}", "is missing")
        if not isinstance(lv["from"], date) or not isinstance(lv["to"], date):
            raise bad(f"leave[{i}].from/to", "must be dates (2027-06-01)")
    for officer_id, pattern in raw.get("duty_pattern", {}).items():
        if pattern not in PATTERNS:
            raise bad(f"duty_pattern.{officer_id}", f"must be one of {', '.join(PATTERNS)}")
    for key, hours in raw.get("visit_hours", {}).items():
        if not isinstance(hours, int | float) or not 0 <= hours <= 24:
            raise bad(f"visit_hours.{key}", "must be hours in [0, 24]")
    incidents = raw.get("incident_hours")
    if incidents is not None:
        pairs = incidents.items() if isinstance(incidents, dict) else [("", incidents)]
        for beat_id, hours in pairs:
            if isinstance(hours, bool) or not isinstance(hours, int | float) or not (
                    0 <= hours <= 24):  # fmt: skip
                key = f"incident_hours.{beat_id}" if beat_id else "incident_hours"
                raise bad(key, "must be hours per duty day in [0, 24]")
    freq = raw.get("frequency", {})
    for key, years in [*((k, v) for k, v in freq.items() if k != "beats"),
                       *((f"beats.{k}", v) for k, v in freq.get("beats", {}).items())]:  # fmt: skip
        if not isinstance(years, int) or years < 1:
            raise bad(f"frequency.{key}", "must be a whole number of years >= 1")
    camp = raw.get("campaign")
    if camp is not None:
        for key in ("center", "radius_m", "start", "days"):
            if key not in camp:
                raise bad(f"campaign.{key}", "is missing")
        if not (isinstance(camp["center"], list) and len(camp["center"]) == 2):
            raise bad("campaign.center", "must be [lon, lat]")
        if not isinstance(camp["start"], date):
            raise bad("campaign.start", "must be a date (2027-05-10)")
        if not isinstance(camp["days"], int) or camp["days"] < 1:
            raise bad("campaign.days", "must be a whole number of days >= 1")
    for i, mv in enumerate(raw.get("move_beat", [])):
        for key in ("polygon_wkt", "to"):
            if key not in mv:
                raise bad(f"move_beat[{i}].{key}", "is missing")
        try:
            wkt.loads(mv["polygon_wkt"])
        except Exception:  # shapely raises several kinds
            raise bad(f"move_beat[{i}].polygon_wkt", "is not a WKT polygon") from None
    return Scenario(str(raw.get("name", default_name)), dict(raw), source)


@dataclass(slots=True)
class Applied:
    """A scenario applied to a base station: the changed inputs of the year plan."""

    name: str
    station: Station
    policy: Policy
    params: YearParams


def apply_scenario(
    scenario: Scenario, station: Station, policy: Policy, year: int,
    params: YearParams | None = None,
) -> Applied:  # fmt: skip
    """The station, policy and plan parameters a scenario describes (the base is not changed)."""
    raw, src = scenario.raw, scenario.source
    params = params or YearParams()
    st = Station(station.name, station.policy, list(station.posts), list(station.beats),
                 list(station.targets), list(station.officers), list(station.officer_days),
                 list(station.visits))  # fmt: skip
    if "policy" in raw:
        policy = load_policy(raw["policy"])
        st.targets = [_retier(t, policy) for t in st.targets]
        st.policy = policy.name
    policy = _frequencies(policy, raw.get("frequency", {}), src)
    st.beats = [replace(b, frequency_years=raw.get("frequency", {}).get("beats", {}).get(
        b.beat_id, b.frequency_years)) for b in st.beats]  # fmt: skip
    if "incident_hours" in raw:
        st.beats = _incident_hours(st, raw["incident_hours"], src)
    if "month_factors" in raw:
        policy = replace(policy, month_factors=tuple(float(f) for f in raw["month_factors"]))
    st.officers = _officers(st, raw, src)
    st.officer_days = _officer_days(st, raw, year, src)
    for mv in raw.get("move_beat", []):
        st.targets = _move_beat(st, mv, src)
    if "reserve" in raw:
        params = replace(params, reserve=float(raw["reserve"]))
    if "campaign" in raw:
        params = replace(params, campaign=campaign_of(st, raw["campaign"]))
    return Applied(scenario.name, st, policy, params)


def _retier(t: Target, policy: Policy) -> Target:
    from planner.policy import classify

    return replace(t, tier=classify(t.kind, t.reasons, policy))


def _frequencies(policy: Policy, freq: Mapping[str, Any], src: str) -> Policy:
    tiers = []
    for t in policy.tiers:
        years = freq.get(t.code)
        tiers.append(replace(t, frequency_years=int(years)) if years else t)
    unknown = [k for k in freq if k != "beats" and k not in policy.tier_codes]
    if unknown:
        raise InputError(f"{src}: 'frequency.{unknown[0]}' is not a tier of {policy.name}")
    if freq.get("beats"):  # a per-beat frequency applies to every tier of the policy
        tiers = [replace(t, per_beat_frequency=True) for t in tiers]
    return replace(policy, tiers=tuple(tiers))


def _incident_hours(st: Station, hours: float | Mapping[str, float], src: str) -> list[Beat]:
    """Beats with the scenario's incident hours: one number for every beat, or per beat."""
    if not isinstance(hours, Mapping):
        return [replace(b, incident_hours=float(hours)) for b in st.beats]
    known = {b.beat_id for b in st.beats}
    unknown = sorted(set(hours) - known)
    if unknown:
        raise InputError(f"{src}: 'incident_hours.{unknown[0]}' is not a beat")
    return [replace(b, incident_hours=float(hours.get(b.beat_id, b.incident_hours)))
            for b in st.beats]  # fmt: skip


def _officers(st: Station, raw: Mapping[str, Any], src: str) -> list[Officer]:
    known = {o.officer_id for o in st.officers}
    for officer_id in [*raw.get("remove_officers", []), *raw.get("duty_pattern", {})]:
        if officer_id not in known:
            raise InputError(f"{src}: unknown officer '{officer_id}'")
    out = [o for o in st.officers if o.officer_id not in set(raw.get("remove_officers", []))]
    beats = {b.beat_id for b in st.beats}
    for i, o in enumerate(raw.get("officers", [])):
        if o["beat_id"] not in beats:
            raise InputError(f"{src}: 'officers[{i}].beat_id' {o['beat_id']!r} is not a beat")
        out.append(Officer(o["officer_id"], o["beat_id"], o.get("name", o["officer_id"]),
                           o["pattern"], int(o.get("phase", 0)),
                           Mode(o.get("mode", "walk"))))  # fmt: skip
    patterns = raw.get("duty_pattern", {})
    hours = raw.get("visit_hours", {})
    mode = raw.get("mode")
    return [
        replace(o, pattern=patterns.get(o.officer_id, o.pattern),
                phase=0 if patterns.get(o.officer_id) == "chuzai" else o.phase,
                visit_hours={**o.visit_hours, **hours},
                mode=Mode(mode) if mode else o.mode)
        for o in out
    ]  # fmt: skip


def _officer_days(st: Station, raw: Mapping[str, Any], year: int, src: str) -> list[OfficerDay]:
    known = {o.officer_id for o in st.officers}
    days = list(st.officer_days)
    for i, lv in enumerate(raw.get("leave", [])):
        if lv["officer_id"] not in known:
            raise InputError(f"{src}: 'leave[{i}].officer_id' {lv['officer_id']!r} is unknown")
        d = lv["from"]
        while d <= lv["to"]:
            days.append(OfficerDay(lv["officer_id"], d, DutyType.LEAVE))
            d += timedelta(days=1)
    per_month = raw.get("senju_per_month")
    if per_month is not None:
        days = [d for d in days if d.kind is not DutyType.SENJU]
        for o in st.officers:
            days += _senju_days(o, year, per_month, days)
    return days


def _senju_days(o: Officer, year: int, per_month: int, days: Sequence[OfficerDay]):
    """``per_month`` 専従日 on the officer's working weekdays, spread over each month."""
    leave = {d.date for d in days if d.officer_id == o.officer_id and d.kind is DutyType.LEAVE}
    holidays = japanese_holidays(year)
    work = [d.date for d in duty_calendar(o, year)  # duty types only: no minutes, no incidents
            if d.duty in (DutyType.NIKKIN, DutyType.TOBAN) and d.date.weekday() < 5
            and d.date not in holidays and d.date not in leave]  # fmt: skip
    out = []
    for month in range(1, 13):
        cands = [d for d in work if d.month == month]
        if not cands or per_month == 0:
            continue
        step = len(cands) / per_month
        picks = sorted({cands[min(len(cands) - 1, int(step * k + step / 2))]
                        for k in range(per_month)})  # fmt: skip
        out += [OfficerDay(o.officer_id, d, DutyType.SENJU) for d in picks]
    return out


def _move_beat(st: Station, mv: Mapping[str, Any], src: str) -> list[Target]:
    to = mv["to"]
    if to not in {b.beat_id for b in st.beats}:
        raise InputError(f"{src}: 'move_beat.to' {to!r} is not a beat")
    poly = wkt.loads(mv["polygon_wkt"])
    return [replace(t, beat_id=to) if poly.contains(Point(t.lon, t.lat)) else t
            for t in st.targets]  # fmt: skip


def campaign_of(st: Station, camp: Mapping[str, Any]) -> Campaign:
    """The targets inside a campaign's circle (of the given kinds) and its window."""
    lon0, lat0 = (float(x) for x in camp["center"])
    radius = float(camp["radius_m"])
    kinds = {TargetKind(k) for k in camp.get("kinds", ["household", "business"])}
    start = camp["start"]
    inside = frozenset(
        t.target_id
        for t in st.targets
        if t.kind in kinds
        and t.active_in(start.year)
        and _metres(lon0, lat0, t.lon, t.lat) <= radius
    )
    return Campaign(inside, start, start + timedelta(days=int(camp["days"]) - 1))


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000.0 * math.hypot(x, math.radians(lat2 - lat1))


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """Hours of one beat and month in one scenario."""

    beat_id: str
    month: int
    hours_available: float
    hours_planned: float
    hours_needed: float  # planned plus what did not fit


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one scenario's year plan comes to."""

    name: str
    policy: str
    due: dict[str, int]  # tier -> due targets
    planned: dict[str, int]  # tier -> planned first visits
    rate: dict[str, float]  # tier -> planned share of due (planned 実施率)
    unplanned: int
    overdue_at_year_end: int  # never-met or overdue targets left unplanned
    approvals: int
    walk_km: float
    officer_hours: float
    months: list[MonthFigures]
    campaign_targets: int = 0
    campaign_in_window: int = 0


def run_scenario(applied: Applied, year: int, graph=None, progress=None) -> Outcome:
    """Plan one applied scenario and sum it up."""
    from planner.network import speed_mps
    from planner.schedule import plan_year
    from planner.verify import score_plan

    plan = plan_year(applied.station, applied.policy, year, graph=graph, params=applied.params,
                     progress=progress)  # fmt: skip
    codes = applied.policy.tier_codes
    planned = {c: sum(v.tier == c for v in plan.visits) for c in codes}
    due = {c: planned[c] + sum(u.tier == c for u in plan.unplanned) for c in codes}
    score = score_plan(applied.station, plan.visits, graph=graph, year=year,
                       month_factors=applied.policy.month_factors)  # fmt: skip
    modes = {o.officer_id: o.mode for o in applied.station.officers}
    speed = [speed_mps(modes.get(v.officer_id, Mode.WALK)) for v in plan.visits] or [1.0]
    walk_km = score.walk_minutes * 60 * (sum(speed) / len(speed)) / 1000
    needed: dict[tuple[str, int], float] = {}
    for u in plan.unplanned:
        if u.reason in ("no_capacity", "no_officer"):
            key = (u.beat_id, 0)
            needed[key] = needed.get(key, 0.0) + u.est_minutes
    months = []
    for ld in plan.loads:
        extra = needed.get((ld.beat_id, 0), 0.0) / 12
        months.append(MonthFigures(ld.beat_id, ld.month, ld.capacity_min / 60,
                                   ld.planned_min / 60, (ld.planned_min + extra) / 60))  # fmt: skip
    # left unplanned and overdue by the year's end: all but those only brought forward (cycle)
    beats = {b.beat_id: b for b in applied.station.beats}
    reasons = {
        d.target.target_id: d.reason
        for d in due_targets(applied.station.targets, applied.policy, year, beats)
    }
    overdue = sum(1 for u in plan.unplanned if reasons.get(u.target_id) is not DueReason.CYCLE)
    camp = applied.params.campaign
    in_window = sum(1 for v in plan.visits if camp and v.target_id in camp.target_ids
                    and camp.covers(v.date))  # fmt: skip
    return Outcome(
        name=applied.name, policy=applied.policy.name, due=due, planned=planned,
        rate={c: planned[c] / due[c] if due[c] else 1.0 for c in codes},
        unplanned=len(plan.unplanned), overdue_at_year_end=overdue,
        approvals=len(plan.approvals(applied.policy)), walk_km=round(walk_km, 1),
        officer_hours=round(sum(ld.capacity_min for ld in plan.loads) / 60, 1), months=months,
        campaign_targets=len(camp.target_ids) if camp else 0, campaign_in_window=in_window,
    )  # fmt: skip


def _run(args) -> Outcome:
    applied, year, graph = args
    return run_scenario(applied, year, graph)


def compare(
    station: Station,
    policy: Policy,
    scenarios: Sequence[Scenario],
    year: int,
    *,
    graph=None,
    params: YearParams | None = None,
    processes: int | None = None,
) -> list[Outcome]:
    """Plan every scenario on the same base and sum each up, in parallel processes when
    ``processes`` > 1 (default: the machine's cores, at most one per scenario)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    applied = [apply_scenario(s, station, policy, year, params) for s in scenarios]
    jobs = [(a, year, graph) for a in applied]
    workers = min(len(jobs), processes or os.cpu_count() or 1)
    if workers <= 1:
        return [_run(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run, jobs))
