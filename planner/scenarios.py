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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shapely import wkt
from shapely.geometry import Point

from planner import geo
from planner._errors import InputError
from planner._validate import parse_date
from planner.model import Beat, DutyType, Mode, Officer, OfficerDay, Station, Target, TargetKind
from planner.plan import Campaign
from planner.policy import DueReason, Policy, due_targets, load_policy, read_toml
from planner.roster import PATTERNS, check_hours, duty_calendar, japanese_holidays
from planner.schedule import YearParams

KEYS = {
    "name",
    "description",
    "policy",
    "mode",
    "reserve",
    "remove_officers",
    "senju_per_month",
    "month_factors",
    "frequency",
    "visit_hours",
    "officers",
    "leave",
    "duty_pattern",
    "campaign",
    "move_beat",
    "incident_hours",
}


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed scenario file: what to change, nothing applied yet."""

    name: str
    raw: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario TOML file (UTF-8 with or without a BOM, or Shift_JIS).

    Raises
    ------
    InputError
        On a missing file, bad TOML, an unknown key, or a value of the wrong kind (the message
        names the file and the key).
    """
    path = Path(path)
    return scenario_from_dict(read_toml(path), source=str(path), default_name=path.stem)


def scenario_from_dict(
    raw: Mapping[str, Any], *, source: str = "scenario", default_name: str = "scenario"
) -> Scenario:
    """Check a parsed scenario (see the module docstring for the keys).

    Dates may be TOML dates or text as officers write them (``令和9年5月10日``, ``2027/5/10``:
    :func:`planner._validate.parse_date`); the scenario keeps them as dates.

    Raises
    ------
    InputError
        On an unknown key or a value of the wrong kind; the message names ``source`` and the key.
    """
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise InputError(f"{source}: unknown key '{unknown[0]}' (known: {', '.join(sorted(KEYS))})")
    check = _Checker(source)
    raw = dict(raw)
    if "policy" in raw:
        check.text(raw["policy"], "policy")
    if "mode" in raw and not (isinstance(raw["mode"], str) and raw["mode"] in _MODES):
        raise check.bad("mode", "must be walk, bike or car")
    if "reserve" in raw and not (_is_number(raw["reserve"]) and 0 <= raw["reserve"] < 1):
        raise check.bad("reserve", "must be a share in [0, 1)")
    if "senju_per_month" in raw and not (
        _is_whole(raw["senju_per_month"]) and 0 <= raw["senju_per_month"] <= 20
    ):
        raise check.bad("senju_per_month", "must be a whole number 0–20")
    factors = raw.get("month_factors")
    if "month_factors" in raw and not (
        isinstance(factors, list)
        and len(factors) == 12
        and all(_is_number(f) and 0 <= f <= 2 for f in factors)
    ):
        raise check.bad("month_factors", "must be 12 numbers in [0, 2]")
    if "remove_officers" in raw:
        check.texts(raw["remove_officers"], "remove_officers", "officer ids")
    for i, o in enumerate(check.tables(raw.get("officers", []), "officers")):
        for key in ("officer_id", "beat_id", "pattern"):
            check.text(check.need(o, key, f"officers[{i}]"), f"officers[{i}].{key}")
        if o["pattern"] not in PATTERNS:
            raise check.bad(f"officers[{i}].pattern", f"must be one of {', '.join(PATTERNS)}")
        if "phase" in o and not (_is_whole(o["phase"]) and o["phase"] >= 0):
            raise check.bad(f"officers[{i}].phase", "must be a whole number >= 0")
        if "mode" in o and not (isinstance(o["mode"], str) and o["mode"] in _MODES):
            raise check.bad(f"officers[{i}].mode", "must be walk, bike or car")
    leave = []
    for i, lv in enumerate(check.tables(raw.get("leave", []), "leave")):
        for key in ("officer_id", "from", "to"):
            check.need(lv, key, f"leave[{i}]")
        check.text(lv["officer_id"], f"leave[{i}].officer_id")
        first = check.day(lv["from"], f"leave[{i}].from")
        last = check.day(lv["to"], f"leave[{i}].to")
        if last < first:
            raise check.bad(f"leave[{i}].to", f"{last} is before from {first}")
        leave.append({**lv, "from": first, "to": last})
    if "leave" in raw:
        raw["leave"] = leave
    for officer_id, pattern in check.table(raw.get("duty_pattern", {}), "duty_pattern").items():
        if not isinstance(pattern, str) or pattern not in PATTERNS:
            raise check.bad(f"duty_pattern.{officer_id}", f"must be one of {', '.join(PATTERNS)}")
    for key, hours in check.table(raw.get("visit_hours", {}), "visit_hours").items():
        check_hours({key: 0.0}, f"{source}: 'visit_hours.{key}'")  # a duty type (.evening)
        if not _is_number(hours) or not 0 <= hours <= 24:
            raise check.bad(f"visit_hours.{key}", "must be hours in [0, 24]")
    if "incident_hours" in raw:
        incidents = raw["incident_hours"]
        pairs = incidents.items() if isinstance(incidents, Mapping) else [("", incidents)]
        for beat_id, hours in pairs:
            if not _is_number(hours) or not 0 <= hours <= 24:
                key = f"incident_hours.{beat_id}" if beat_id else "incident_hours"
                raise check.bad(key, "must be hours per duty day in [0, 24]")
    freq = check.table(raw.get("frequency", {}), "frequency")
    per_beat = check.table(freq.get("beats", {}), "frequency.beats")
    for key, years in [
        *((k, v) for k, v in freq.items() if k != "beats"),
        *((f"beats.{k}", v) for k, v in per_beat.items()),
    ]:
        if not _is_whole(years) or years < 1:
            raise check.bad(f"frequency.{key}", "must be a whole number of years >= 1")
    if "campaign" in raw:
        raw["campaign"] = _campaign(check, raw["campaign"])
    for i, mv in enumerate(check.tables(raw.get("move_beat", []), "move_beat")):
        for key in ("polygon_wkt", "to"):
            check.text(check.need(mv, key, f"move_beat[{i}]"), f"move_beat[{i}].{key}")
        try:
            poly = wkt.loads(mv["polygon_wkt"])
        except Exception:  # shapely raises several kinds
            raise check.bad(f"move_beat[{i}].polygon_wkt", "is not a WKT polygon") from None
        if poly.geom_type not in ("Polygon", "MultiPolygon"):
            raise check.bad(f"move_beat[{i}].polygon_wkt", f"is a {poly.geom_type}, not a polygon")
    return Scenario(str(raw.get("name", default_name)), raw, source)


_MODES = frozenset(m.value for m in Mode)
_KINDS = frozenset(k.value for k in TargetKind)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class _Checker:
    """Checks of a scenario's values that raise an :class:`InputError` naming file and key."""

    source: str

    def bad(self, key: str, what: str) -> InputError:
        return InputError(f"{self.source}: '{key}' {what}")

    def need(self, table: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in table:
            raise self.bad(f"{where}.{key}", "is missing")
        return table[key]

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.bad(key, f"must be text, got {value!r}")
        return value

    def texts(self, value: Any, key: str, what: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise self.bad(key, f'must be a list of {what} ({key} = ["O1", "O2"]), got {value!r}')
        return value

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.bad(key, f"must be a table ([{key}]), got {value!r}")
        return value

    def tables(self, value: Any, key: str) -> list[Mapping[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(x, Mapping) for x in value):
            raise self.bad(key, f"must be an array of tables ([[{key}]]), got {value!r}")
        return value

    def day(self, value: Any, key: str) -> date:
        """A TOML date, or a date written as text (ISO, 2027/5/10 or 和暦)."""
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError as exc:
                raise self.bad(key, str(exc)) from None
        raise self.bad(key, f"must be a date (2027-05-10 or 令和9年5月10日), got {value!r}")


def _campaign(check: _Checker, camp: Any) -> dict[str, Any]:
    """The checked ``[campaign]`` table, its start as a date."""
    camp = check.table(camp, "campaign")
    for key in ("center", "radius_m", "start", "days"):
        check.need(camp, key, "campaign")
    center = camp["center"]
    if not (isinstance(center, list) and len(center) == 2 and all(map(_is_number, center))):
        raise check.bad("campaign.center", f"must be [lon, lat] (two numbers), got {center!r}")
    lon, lat = center
    if abs(lat) > 90 or abs(lon) > 180:
        hint = "lon and lat look swapped" if abs(lat) > 90 and abs(lon) <= 90 else "out of range"
        raise check.bad("campaign.center", f"[{lon}, {lat}] is not [lon, lat]: {hint}")
    if not (_is_number(camp["radius_m"]) and camp["radius_m"] > 0):
        raise check.bad("campaign.radius_m", f"must be metres > 0, got {camp['radius_m']!r}")
    start = check.day(camp["start"], "campaign.start")
    if not _is_whole(camp["days"]) or camp["days"] < 1:
        raise check.bad("campaign.days", "must be a whole number of days >= 1")
    kinds = check.texts(camp.get("kinds", sorted(_KINDS)), "campaign.kinds", "kinds")
    unknown = sorted(set(kinds) - _KINDS)
    if unknown:
        raise check.bad("campaign.kinds", f"{unknown[0]!r} is not household or business")
    return {**camp, "start": start}


@dataclass(slots=True)
class Applied:
    """A scenario applied to a base station: the changed inputs of the year plan."""

    name: str
    station: Station
    policy: Policy
    params: YearParams


def apply_scenario(
    scenario: Scenario,
    station: Station,
    policy: Policy,
    year: int,
    params: YearParams | None = None,
) -> Applied:
    """The station, policy and plan parameters a scenario describes (the base is not changed)."""
    raw, src = scenario.raw, scenario.source
    params = params or YearParams()
    st = Station(
        station.name,
        station.policy,
        list(station.posts),
        list(station.beats),
        list(station.targets),
        list(station.officers),
        list(station.officer_days),
        list(station.visits),
    )
    if "policy" in raw:
        try:
            policy = load_policy(raw["policy"])
        except InputError as exc:
            raise InputError(f"{src}: 'policy': {exc}") from None
        st.targets = [_retier(t, policy) for t in st.targets]
        st.policy = policy.name
    policy = _frequencies(policy, raw.get("frequency", {}), src)
    st.beats = [
        replace(
            b,
            frequency_years=raw.get("frequency", {})
            .get("beats", {})
            .get(b.beat_id, b.frequency_years),
        )
        for b in st.beats
    ]
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
        _check_campaign(st, raw["campaign"], year, src)
        params = replace(params, campaign=campaign_of(st, raw["campaign"]))
    return Applied(scenario.name, st, policy, params)


def _check_campaign(st: Station, camp: Mapping[str, Any], year: int, src: str) -> None:
    """A campaign starts in the plan year, its centre near a post of the station."""
    from planner.store import far_from_posts

    if camp["start"].year != year:
        raise InputError(f"{src}: 'campaign.start' {camp['start']} is not in the plan year {year}")
    lon, lat = camp["center"]
    for _, problem in far_from_posts(float(lon), float(lat), st.posts):
        raise InputError(f"{src}: 'campaign.center' [{lon}, {lat}]: {problem}")


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
    return [
        replace(b, incident_hours=float(hours.get(b.beat_id, b.incident_hours))) for b in st.beats
    ]


def _officers(st: Station, raw: Mapping[str, Any], src: str) -> list[Officer]:
    known = {o.officer_id for o in st.officers}
    for key in ("remove_officers", "duty_pattern"):
        for officer_id in raw.get(key, ()):
            if officer_id not in known:
                raise InputError(f"{src}: '{key}' names an unknown officer '{officer_id}'")
    out = [o for o in st.officers if o.officer_id not in set(raw.get("remove_officers", []))]
    beats = {b.beat_id for b in st.beats}
    for i, o in enumerate(raw.get("officers", [])):
        if o["beat_id"] not in beats:
            raise InputError(f"{src}: 'officers[{i}].beat_id' {o['beat_id']!r} is not a beat")
        if any(x.officer_id == o["officer_id"] for x in out):
            raise InputError(
                f"{src}: 'officers[{i}].officer_id' {o['officer_id']!r} is already "
                "an officer (remove_officers first to replace one)"
            )
        out.append(
            Officer(
                o["officer_id"],
                o["beat_id"],
                str(o.get("name", o["officer_id"])),
                o["pattern"],
                int(o.get("phase", 0)),
                Mode(o.get("mode", "walk")),
            )
        )
    patterns = raw.get("duty_pattern", {})
    hours = raw.get("visit_hours", {})
    mode = raw.get("mode")
    return [
        replace(
            o,
            pattern=patterns.get(o.officer_id, o.pattern),
            phase=0 if patterns.get(o.officer_id) == "chuzai" else o.phase,
            visit_hours={**o.visit_hours, **hours},
            mode=Mode(mode) if mode else o.mode,
        )
        for o in out
    ]


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
    work = [
        d.date
        for d in duty_calendar(o, year)  # duty types only: no minutes, no incidents
        if d.duty in (DutyType.NIKKIN, DutyType.TOBAN)
        and d.date.weekday() < 5
        and d.date not in holidays
        and d.date not in leave
    ]
    out = []
    for month in range(1, 13):
        cands = [d for d in work if d.month == month]
        if not cands or per_month == 0:
            continue
        step = len(cands) / per_month
        picks = sorted(
            {cands[min(len(cands) - 1, int(step * k + step / 2))] for k in range(per_month)}
        )
        out += [OfficerDay(o.officer_id, d, DutyType.SENJU) for d in picks]
    return out


def _move_beat(st: Station, mv: Mapping[str, Any], src: str) -> list[Target]:
    to = mv["to"]
    if to not in {b.beat_id for b in st.beats}:
        raise InputError(f"{src}: 'move_beat.to' {to!r} is not a beat")
    poly = wkt.loads(mv["polygon_wkt"])
    return [replace(t, beat_id=to) if poly.contains(Point(t.lon, t.lat)) else t for t in st.targets]


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
        and geo.great_circle_m(lon0, lat0, t.lon, t.lat) <= radius
    )
    return Campaign(inside, start, start + timedelta(days=int(camp["days"]) - 1))


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

    plan = plan_year(
        applied.station, applied.policy, year, graph=graph, params=applied.params, progress=progress
    )
    codes = applied.policy.tier_codes
    planned = {c: sum(v.tier == c for v in plan.visits) for c in codes}
    due = {c: planned[c] + sum(u.tier == c for u in plan.unplanned) for c in codes}
    score = score_plan(
        applied.station,
        plan.visits,
        graph=graph,
        year=year,
        month_factors=applied.policy.month_factors,
    )
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
        months.append(
            MonthFigures(
                ld.beat_id,
                ld.month,
                ld.capacity_min / 60,
                ld.planned_min / 60,
                (ld.planned_min + extra) / 60,
            )
        )
    # left unplanned and overdue by the year's end: all but those only brought forward (cycle)
    beats = {b.beat_id: b for b in applied.station.beats}
    reasons = {
        d.target.target_id: d.reason
        for d in due_targets(applied.station.targets, applied.policy, year, beats)
    }
    overdue = sum(1 for u in plan.unplanned if reasons.get(u.target_id) is not DueReason.CYCLE)
    camp = applied.params.campaign
    in_window = sum(
        1 for v in plan.visits if camp and v.target_id in camp.target_ids and camp.covers(v.date)
    )
    return Outcome(
        name=applied.name,
        policy=applied.policy.name,
        due=due,
        planned=planned,
        rate={c: planned[c] / due[c] if due[c] else 1.0 for c in codes},
        unplanned=len(plan.unplanned),
        overdue_at_year_end=overdue,
        approvals=len(plan.approvals(applied.policy)),
        walk_km=round(walk_km, 1),
        officer_hours=round(sum(ld.capacity_min for ld in plan.loads) / 60, 1),
        months=months,
        campaign_targets=len(camp.target_ids) if camp else 0,
        campaign_in_window=in_window,
    )


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
