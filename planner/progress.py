"""Monthly results: the result rows of the 年間実施計画・結果表 and the supervisor's review page.

Figures follow the Miyagi directive's notes (別記様式 注1–注7):

* 対象数 (Ｂ): the year's targets per tier — the plan's due set (planned and unplanned) plus
  households newly found this year (新規 or a 仮カード for a household not yet in the register),
  counted from the month they were found; a household that moved out (転出) leaves Ｂ and Ａ from
  the month it moved, and is counted in the 転出数 row instead;
* 実施数: first interview of the year per target only (a second visit is not counted);
* 未実施数 (Ａ): targets of Ｂ not yet interviewed this year, at the end of each month;
* 新規把握数: cards made by interview where there was none (新規 households and 未把握 met);
* 仮カード作成数 / 解消数 / 総数: provisional cards made without interview / turned into real
  cards by interview / held at the end of the month;
* 転出数: households recorded as moved out;
* パトロールカード・CR名刺活用数: absent visits by the card left (``card_left``); a row without
  it (older files) counts a パトロールカード when its notes say so, else a CR名刺; ``none``
  counts neither;
* 住民基本台帳世帯数 (Ｃ) from the beat, 案内簿一般世帯数 (Ｄ) households in the register at the
  end of each month (:meth:`planner.model.Station.register_households`; the plan form shows the
  count on 1 January);
* 実施率 = (Ｂ − Ａ) / Ｂ, 把握率 = Ｄ / Ｃ (computed by :mod:`planner.forms`).

Two further figures serve the supervisor's monthly review:

* :func:`estimate_incident_hours`: from the recorded months, how many hours per duty day the
  beat's officer did not spend on the visits the plan counted on — the value to set as
  ``Beat.incident_hours`` (Miyagi 第7-2: a plan is judged against the beat's incident workload);
* :func:`officer_progress`: planned vs done per officer, month and tier, with 実施率, interviews
  per visit hour, absent rate and night visits (Miyagi 第4-3, Aomori 第4-6: guide and evaluate
  each officer from their progress).
"""

from __future__ import annotations

import calendar
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from statistics import median
from typing import TYPE_CHECKING

from planner.approvals import APPROVED, decision_status, decisions_by_visit
from planner.forms import FormData, plan_form_data
from planner.model import Card, CardLeft, Outcome, Station, Target, Visit
from planner.policy import Policy
from planner.roster import duty_calendar

if TYPE_CHECKING:
    from planner.plan import PlannedVisit

PATROL_WORDS = ("パトロールカード", "patrol")
INTERVIEW_OUTCOMES = frozenset({Outcome.VISITED, Outcome.NEW})
"""Outcomes that are an interview at the door (面接, 新規把握)."""
MIN_TIMED_SHARE = 0.8
"""A month counts for the incident estimate when at least this share of its visits has times."""
MIN_TIMED_VISITS = 20
"""The incident estimate needs at least this many timed visits in the months it counts."""


@dataclass(frozen=True, slots=True)
class AtRisk:
    """A target the supervisor should look at: absent twice or more, or overdue."""

    target_id: str
    beat_id: str
    tier: str
    why: str
    absences: int
    planned: date | None


def year_visits(station: Station, year: int, upto: date | None = None) -> list[Visit]:
    """Recorded visits of the year (up to and including ``upto``), in date order."""
    return sorted(
        (x for x in station.visits if x.date.year == year and (upto is None or x.date <= upto)),
        key=lambda x: (x.date, x.target_id),
    )


def first_interviews(visits: Iterable[Visit]) -> dict[str, date]:
    """Date of each target's first interview (面接 or 新規) among the visits."""
    out: dict[str, date] = {}
    for x in sorted(visits, key=lambda x: x.date):
        if x.outcome in (Outcome.VISITED, Outcome.NEW):
            out.setdefault(x.target_id, x.date)
    return out


def result_form(
    station: Station,
    policy: Policy,
    year: int,
    beat_id: str,
    year_targets: Iterable[str],
    planned: Iterable[tuple[str, int]],
    *,
    upto: date,
) -> FormData:
    """The whole form of one beat: plan rows and result rows up to ``upto``'s month.

    Parameters
    ----------
    year_targets
        Target ids of the year's plan for this beat (planned and unplanned: 対象数 Ｂ).
    planned
        ``(tier, month)`` of each planned visit of the beat (実施計画).
    upto
        Last day with results; later months' result rows stay blank.
    """
    tiers = {t.target_id: t.tier for t in station.targets}
    mine = {t.target_id for t in station.targets if t.beat_id == beat_id}
    visits = [x for x in year_visits(station, year, upto) if x.target_id in mine]
    base = [tid for tid in year_targets if tid in mine]
    months = range(1, upto.month + 1) if upto.year == year else range(1, 13)
    cells: dict[tuple[str, str, int], int] = {}

    def add(row: str, tier: str, month: int, n: int = 1) -> None:
        cells[(row, tier, month)] = cells.get((row, tier, month), 0) + n

    by_id = {t.target_id: t for t in station.targets if t.target_id in mine}
    found = {
        tid: t.registered.month
        for tid, t in by_id.items()
        if t.registered is not None and t.registered.year == year and t.registered <= upto
    }
    found.update({x.target_id: x.date.month for x in visits if x.outcome is Outcome.NEW})
    moved = {x.target_id: x.date.month for x in visits if x.outcome is Outcome.MOVED_OUT}
    first = first_interviews(visits)
    for code in policy.tier_codes:
        for m in months:
            in_b = [t for t in base if tiers[t] == code]
            in_b += [t for t, fm in found.items() if tiers[t] == code and fm <= m and t not in base]
            in_b = [t for t in in_b if moved.get(t, 13) > m]
            cells[("targets", code, m)] = len(in_b)
            done = sum(1 for t in in_b if t in first and first[t].month <= m)
            cells[("not_done", code, m)] = len(in_b) - done
            for row in ("done", "new", "prov_made", "prov_resolved", "moved"):
                cells.setdefault((row, code, m), 0)
    for tid, day in first.items():
        add("done", tiers[tid], day.month)
    prov_now: Counter = Counter(
        t.tier for t in station.targets if t.target_id in mine and t.card is Card.PROVISIONAL
    )
    made: dict[tuple[str, int], int] = defaultdict(int)
    resolved: dict[tuple[str, int], int] = defaultdict(int)
    for x in visits:
        tier, m = tiers[x.target_id], x.date.month
        if x.outcome is Outcome.NEW or (
            x.outcome is Outcome.VISITED and x.card_before is Card.NONE
        ):
            add("new", tier, m)
        if x.outcome is Outcome.PROVISIONAL and x.card_before is Card.NONE:
            add("prov_made", tier, m)
            made[(tier, m)] += 1
        if x.outcome is Outcome.VISITED and x.card_before is Card.PROVISIONAL:
            add("prov_resolved", tier, m)
            resolved[(tier, m)] += 1
        if x.outcome is Outcome.MOVED_OUT:
            add("moved", tier, m)
        if x.outcome is Outcome.ABSENT:
            left = card_left_of(x)
            if left is not CardLeft.NONE:
                add("patrol_card" if left is CardLeft.PATROL_CARD else "cr_card", "total", m)
    for code in policy.tier_codes:
        # the stock at year start: today's provisional cards, less this year's made, plus resolved
        stock = prov_now[code]
        stock -= sum(made[(code, m)] - resolved[(code, m)] for m in range(1, 13))
        for m in months:
            stock += made[(code, m)] - resolved[(code, m)]
            cells[("prov_total", code, m)] = stock
    for m in months:
        cells.setdefault(("patrol_card", "total", m), 0)
        cells.setdefault(("cr_card", "total", m), 0)
    for m in months:
        end = date(year, m, calendar.monthrange(year, m)[1])
        cells[("register", "total", m)] = station.register_households(beat_id, min(end, upto))
    data = plan_form_data(
        policy.tiers,
        dict(Counter(planned)),
        {},
        registry_households=station.beat(beat_id).registry_households,
        register_households=station.register_households(beat_id, date(year, 1, 1)),
    )
    data.cells.update(cells)
    return data


def card_left_of(x: Visit) -> CardLeft:
    """The card left at an absent door: ``card_left`` where recorded, else read off the notes
    (older files: a パトロールカード when the notes say so, else a CR名刺)."""
    if x.card_left is not None:
        return x.card_left
    patrol = any(w in x.notes.lower() for w in PATROL_WORDS)
    return CardLeft.PATROL_CARD if patrol else CardLeft.CR_MEISHI


def at_risk(
    station: Station,
    year: int,
    year_targets: Iterable[str],
    planned_dates: dict[str, date],
    *,
    upto: date,
) -> list[AtRisk]:
    """Targets absent twice or more without an interview, or whose planned date has passed
    without one (overdue), most absences first."""
    visits = year_visits(station, year, upto)
    first = first_interviews(visits)
    absences = Counter(x.target_id for x in visits if x.outcome is Outcome.ABSENT)
    moved = {t.target_id for t in station.targets if t.moved_out is not None}
    by_id = {t.target_id: t for t in station.targets}
    out = []
    for tid in year_targets:
        if tid in first or tid in moved or tid not in by_id:
            continue
        why = []
        if absences[tid] >= 2:
            why.append(f"absent {absences[tid]} times")
        when = planned_dates.get(tid)
        if when is not None and when <= upto:
            why.append(f"planned {when.isoformat()}, not met")
        if why:
            t = by_id[tid]
            out.append(AtRisk(tid, t.beat_id, t.tier, "; ".join(why), absences[tid], when))
    return sorted(out, key=lambda r: (-r.absences, r.planned or date.max, r.target_id))


# --------------------------------------------------------------------------- time at the doors


@dataclass(frozen=True, slots=True)
class _Timing:
    """How long a recorded visit took, in the plan's terms (door minutes plus the walk)."""

    est: Mapping[str, int]  # target -> the plan's est_minutes
    travel: Mapping[str, float]  # target -> the plan's travel share (est - door minutes)
    beat_travel: Mapping[str, float]  # beat -> median travel share of its plan rows
    targets: Mapping[str, Target]

    def _travel(self, x: Visit) -> float:
        if x.target_id in self.travel:
            return self.travel[x.target_id]
        t = self.targets.get(x.target_id)
        return self.beat_travel.get(t.beat_id, 0.0) if t is not None else 0.0

    def planned(self, x: Visit) -> float:
        """The plan's ``est_minutes`` of the target, else its door minutes plus the beat's
        median travel share."""
        if x.target_id in self.est:
            return float(self.est[x.target_id])
        t = self.targets.get(x.target_id)
        return (t.visit_minutes if t is not None else 0) + self._travel(x)

    def spent(self, x: Visit) -> float | None:
        """Recorded door minutes plus the plan's travel share; ``None`` without a record."""
        return None if x.minutes_spent is None else x.minutes_spent + self._travel(x)

    def minutes(self, x: Visit) -> float:
        """:meth:`spent` where the officer recorded times, else :meth:`planned`."""
        spent = self.spent(x)
        return self.planned(x) if spent is None else spent


def _timing(station: Station, plan: Sequence[PlannedVisit]) -> _Timing:
    targets = {t.target_id: t for t in station.targets}
    est: dict[str, int] = {}
    travel: dict[str, float] = {}
    per_beat: dict[str, list[float]] = defaultdict(list)
    for v in plan:
        if v.target_id in est:
            continue
        est[v.target_id] = v.est_minutes
        t = targets.get(v.target_id)
        if t is not None and v.est_minutes > 0:
            travel[v.target_id] = max(0.0, float(v.est_minutes - t.visit_minutes))
            per_beat[v.beat_id].append(travel[v.target_id])
    beat_travel = {b: float(median(xs)) for b, xs in per_beat.items()}
    return _Timing(est, travel, beat_travel, targets)


def _months_upto(year: int, upto: date) -> range:
    """Months of ``year`` with results up to ``upto``."""
    if upto.year < year:
        return range(1, 1)
    return range(1, (upto.month if upto.year == year else 12) + 1)


# --------------------------------------------------------------------------- incident hours


@dataclass(frozen=True, slots=True)
class IncidentEstimate:
    """Hours per duty day a beat's officers did not spend on the planned visits.

    Attributes
    ----------
    beat_id
        The beat.
    current
        ``Beat.incident_hours`` now (the plan is assumed to have been made with it).
    months
        The months the estimate counts (see :func:`estimate_incident_hours`).
    duty_days
        Duty days with visit minutes in those months, after the policy's days without visits.
    planned_hours, spent_hours
        Hours of the planned visits of those months, and hours spent on all recorded visits of
        those months (door minutes plus the plan's walk; visits without times scaled, see
        :func:`estimate_incident_hours`).
    visits, timed
        Recorded visits in those months, and how many of them carry times.
    lost_per_day
        ``(planned - spent) / duty days`` in hours, each day weighted by its month factor;
        negative when the visits took longer than planned.  ``None`` without an estimate.
    suggested
        ``max(0, current + lost_per_day)`` rounded to 0.1 h, or ``None`` without an estimate.
    note
        Why there is no estimate (empty when there is one).
    reason
        The same as a code: ``no_officer``, ``no_month``, ``few_timed``, ``no_duty_day``
        (empty when there is an estimate).
    """

    beat_id: str
    current: float
    months: tuple[int, ...] = ()
    duty_days: int = 0
    planned_hours: float = 0.0
    spent_hours: float = 0.0
    visits: int = 0
    timed: int = 0
    lost_per_day: float | None = None
    suggested: float | None = None
    note: str = ""
    reason: str = ""

    def message(self) -> str:
        """One line for the supervisor, e.g. ``K1-2: visits took 1.3 h per duty day less than
        planned … → set incident_hours ≈ 1.3 in beats.csv``."""
        if self.lost_per_day is None or self.suggested is None:
            return f"{self.beat_id}: no incident-hours estimate ({self.note})"
        basis = (
            f"{', '.join(f'{m}月' for m in self.months)}: {self.duty_days} duty days, "
            f"{self.timed} of {self.visits} visits timed"
        )
        lost = self.lost_per_day
        how = "less" if lost >= 0 else "more"
        head = f"{self.beat_id}: visits took {abs(lost):.1f} h per duty day {how} than planned"
        if math.isclose(self.suggested, round(self.current, 1)):
            return f"{head} ({basis}) → keep incident_hours = {self.current:g}"
        now = f" (now {self.current:g})" if self.current else ""
        return f"{head} ({basis}) → set incident_hours ≈ {self.suggested:.1f} in beats.csv{now}"


def estimate_incident_hours(
    station: Station,
    policy: Policy,
    year: int,
    plan: Sequence[PlannedVisit],
    *,
    upto: date,
    beats: Sequence[str] | None = None,
) -> list[IncidentEstimate]:
    """Estimate each beat's incident hours per duty day from the recorded months.

    The quantity measured is the visit time the plan counted on that the officers did not spend
    on visits: incidents, 110番 calls, counter work — anything that took them away.  For a beat:

    * **planned** ``P``: the ``est_minutes`` of the plan's rows dated in a counted month (up to
      ``upto``); they include each visit's share of the walk;
    * **spent** ``S``: every recorded visit of the beat's targets in those months, planned or
      not (retries of absent households and new households use visit time too).  A visit with
      ``minutes_spent`` took those door minutes plus its planned walk (the plan's ``est_minutes``
      less the target's ``visit_minutes``; for a target without a plan row the beat's median),
      so that a visit done exactly as planned counts as ``est_minutes`` — door minutes alone
      would read every walk as lost time.  A visit without times counts as its planned minutes
      times the ratio spent/planned of the timed visits (a ratio estimator: it assumes the
      untimed visits went like the timed ones);
    * **duty days** ``N_m``: the beat's officers' days with visit minutes in month ``m`` (not the
      policy's days without visits), each weighted by the month factor ``f_m`` because the plan
      uses ``floor((minutes - incident) × f_m)`` a day.

    The estimate is ``lost = (P - S) / Σ f_m N_m`` hours, and the suggestion
    ``max(0, incident_hours + lost)``: the plan is assumed to have been made with the beat's
    current ``incident_hours``, so ``lost`` is what comes on top.  ``lost`` is an upper bound
    of the time incidents took when the officer left planned visits undone for other reasons
    (sickness not recorded as leave, unrecorded visits), and time absorbed by the plan's
    reserve for revisits does not show.

    Rule for an estimate: a month counts when the plan has rows in it, at least one visit of
    the beat is recorded in it, and at least :data:`MIN_TIMED_SHARE` (80 %) of its recorded
    visits carry ``minutes_spent``; the counted months together need at least
    :data:`MIN_TIMED_VISITS` (20) timed visits and one duty day.

    Parameters
    ----------
    station
        Register, beats, officers and the recorded visits.
    policy
        Month factors and the days without visits.
    year
        The plan year.
    plan
        The year's plan rows (the solver's or a hand plan).
    upto
        Last day with results.
    beats
        Beats to estimate (default: every beat of the station).

    Returns
    -------
    list[IncidentEstimate]
        One per beat, in the order asked; ``lost_per_day`` is ``None`` where the rule is not met
        (``note`` says why).
    """
    timing = _timing(station, plan)
    months = _months_upto(year, upto)
    wanted = list(beats) if beats else [b.beat_id for b in station.beats]
    visits = year_visits(station, year, upto)
    out = []
    for beat_id in wanted:
        beat = station.beat(beat_id)
        planned: Counter = Counter()
        for v in plan:
            if v.beat_id == beat_id and v.date.year == year and v.date <= upto:
                planned[v.date.month] += v.est_minutes
        by_month: dict[int, list[Visit]] = defaultdict(list)
        for x in visits:
            t = timing.targets.get(x.target_id)
            if t is not None and t.beat_id == beat_id:
                by_month[x.date.month].append(x)
        used = tuple(
            m
            for m in months
            if planned[m] > 0
            and by_month[m]
            and sum(x.minutes_spent is not None for x in by_month[m])
            >= MIN_TIMED_SHARE * len(by_month[m])
        )
        mine = [x for m in used for x in by_month[m]]
        timed = [x for x in mine if x.minutes_spent is not None]
        days = _weighted_duty_days(station, policy, year, beat_id, used, upto)
        base = IncidentEstimate(
            beat_id, beat.incident_hours, used, round(days[0]), visits=len(mine), timed=len(timed)
        )
        if not station.officers_of(beat_id):
            out.append(replace(base, note="the beat has no officer", reason="no_officer"))
        elif not used:
            note = (
                f"no month with planned visits and {MIN_TIMED_SHARE:.0%} of its recorded "
                "visits timed"
            )
            out.append(replace(base, note=note, reason="no_month"))
        elif len(timed) < MIN_TIMED_VISITS:
            note = f"{len(timed)} timed visits; at least {MIN_TIMED_VISITS} needed"
            out.append(replace(base, note=note, reason="few_timed"))
        elif days[1] <= 0:
            note = "no duty day with visit minutes"
            out.append(replace(base, note=note, reason="no_duty_day"))
        else:
            spent_timed = sum(timing.spent(x) or 0.0 for x in timed)
            planned_timed = sum(timing.planned(x) for x in timed)
            ratio = spent_timed / planned_timed if planned_timed > 0 else 1.0
            spent = spent_timed + ratio * sum(
                timing.planned(x) for x in mine if x.minutes_spent is None
            )
            total = sum(planned[m] for m in used)
            lost = (total - spent) / days[1] / 60
            suggested = round(max(0.0, beat.incident_hours + lost), 1)
            out.append(
                replace(
                    base,
                    planned_hours=total / 60,
                    spent_hours=spent / 60,
                    lost_per_day=lost,
                    suggested=suggested,
                )
            )
    return out


def _weighted_duty_days(
    station: Station, policy: Policy, year: int, beat_id: str, months: Iterable[int], upto: date
) -> tuple[float, float]:
    """(duty days, Σ month factor × duty days) with visit minutes, of the beat's officers in
    the months, up to ``upto``, without the policy's days without visits."""
    wanted = set(months)
    count = weighted = 0.0
    for o in station.officers_of(beat_id):
        for d in duty_calendar(o, year, officer_days=station.officer_days, end=upto):
            if d.date.month in wanted and d.visit_minutes > 0 and policy.visits_allowed(d.date):
                count += 1
                weighted += policy.month_factors[d.date.month - 1]
    return count, weighted


# --------------------------------------------------------------------------- per officer


@dataclass(frozen=True, slots=True)
class OfficerMonth:
    """One officer's figures for one month and tier (``tier`` ``"total"``: all tiers).

    Attributes
    ----------
    planned
        Plan rows of the officer in the month (up to ``upto``).
    done
        First interviews of the year (実施数, :func:`first_interviews`) the officer made in
        the month.
    visits, interviews, absent
        The officer's recorded visits in the month: all, with an interview (面接・新規), absent
        (不在).
    night_planned
        Plan rows in a slot that needs approval (夜間: the policy's ``requires_approval``
        slots).
    night_visits, night_approved
        Recorded visits in such a slot (those whose outcomes row gave a slot or a start time),
        and how many of them the 地域課長 had approved (:mod:`planner.approvals`).
    visit_minutes, timed
        Minutes of the officer's visits: recorded door minutes plus the plan's walk where the
        visit carries times (``timed`` of them), else the plan's ``est_minutes``.
    year_targets, met_to_date
        Distinct targets the plan gives the officer for the whole year, and how many of them
        have had their first interview of the year (by anyone) by the end of the month.
    """

    officer_id: str
    beat_id: str
    month: int
    tier: str
    planned: int = 0
    done: int = 0
    visits: int = 0
    interviews: int = 0
    absent: int = 0
    night_planned: int = 0
    night_visits: int = 0
    night_approved: int = 0
    visit_minutes: float = 0.0
    timed: int = 0
    year_targets: int = 0
    met_to_date: int = 0

    @property
    def absent_rate(self) -> float | None:
        """Absent visits / visits (``None`` without visits)."""
        return self.absent / self.visits if self.visits else None

    @property
    def interviews_per_hour(self) -> float | None:
        """Interviews per visit hour (``None`` without visit minutes)."""
        return self.interviews * 60 / self.visit_minutes if self.visit_minutes > 0 else None

    @property
    def rate(self) -> float | None:
        """実施率 in % of the officer's year targets, one decimal (``None`` without any)."""
        if not self.year_targets:
            return None
        return round(100 * self.met_to_date / self.year_targets, 1)


def officer_progress(
    station: Station,
    policy: Policy,
    year: int,
    plan: Sequence[PlannedVisit] | None,
    *,
    upto: date,
    beats: Sequence[str] | None = None,
) -> list[OfficerMonth]:
    """Planned vs done per officer, month and tier, for the supervisor's review.

    Parameters
    ----------
    station
        Register, officers and the recorded visits.
    policy
        Tiers and the slots that need approval.
    year
        The plan year.
    plan
        The year's plan rows; ``None`` or empty: planned figures and 実施率 stay 0 / ``None``
        and visit minutes without times fall back on the targets' ``visit_minutes``.
    upto
        Last day with results.
    beats
        Officers of these beats (default: every officer of the station).

    Returns
    -------
    list[OfficerMonth]
        Per officer (station order), month (1 to ``upto``'s month) and tier (the policy's order,
        then ``"total"``).
    """
    plan = list(plan or [])
    timing = _timing(station, plan)
    tiers = {tid: t.tier for tid, t in timing.targets.items()}
    visits = [x for x in year_visits(station, year, upto) if x.target_id in tiers]
    first = first_interviews(visits)
    credit: dict[str, Visit] = {}
    for x in visits:
        if x.outcome in INTERVIEW_OUTCOMES and first.get(x.target_id) == x.date:
            credit.setdefault(x.target_id, x)
    night = policy.approval_slots
    decisions = decisions_by_visit(station.approvals)
    wanted = set(beats) if beats else {b.beat_id for b in station.beats}
    codes = (*policy.tier_codes, "total")
    rows: list[OfficerMonth] = []
    for officer in station.officers:
        if officer.beat_id not in wanted:
            continue
        oid = officer.officer_id
        mine = [v for v in plan if v.officer_id == oid and v.date.year == year]
        own: dict[str, set[str]] = defaultdict(set)
        for v in mine:
            own[v.tier].add(v.target_id)
            own["total"].add(v.target_id)
        for m in _months_upto(year, upto):
            end = min(upto, _month_end(year, m))
            cells: dict[str, Counter] = {c: Counter() for c in codes}
            minutes: defaultdict[str, float] = defaultdict(float)
            for v in mine:
                if v.date.month == m and v.date <= upto:
                    for c in (v.tier, "total"):
                        cells.setdefault(c, Counter())["planned"] += 1
                        cells[c]["night_planned"] += v.slot in night
            for x in visits:
                if x.officer_id != oid or x.date.month != m:
                    continue
                for c in (tiers[x.target_id], "total"):
                    cell = cells.setdefault(c, Counter())
                    cell["visits"] += 1
                    cell["interviews"] += x.outcome in INTERVIEW_OUTCOMES
                    cell["absent"] += x.outcome is Outcome.ABSENT
                    cell["timed"] += x.minutes_spent is not None
                    if x.slot in night:
                        cell["night_visits"] += 1
                        status = decision_status(decisions, (x.target_id, x.date, x.slot))
                        cell["night_approved"] += status == APPROVED
                    cell["done"] += credit.get(x.target_id) is x
                    minutes[c] += timing.minutes(x)
            for c in codes:
                met = sum(1 for tid in own[c] if tid in first and first[tid] <= end)
                rows.append(
                    OfficerMonth(
                        oid,
                        officer.beat_id,
                        m,
                        c,
                        visit_minutes=float(minutes[c]),
                        year_targets=len(own[c]),
                        met_to_date=met,
                        **cells[c],
                    )
                )
    return rows


def year_to_date(rows: Iterable[OfficerMonth]) -> list[OfficerMonth]:
    """One row per officer and tier summing the months (``month`` 0); 実施率 as of the last
    month."""
    out: dict[tuple[str, str], OfficerMonth] = {}
    for r in sorted(rows, key=lambda r: r.month):
        key = (r.officer_id, r.tier)
        prev = out.get(key)
        if prev is None:
            out[key] = replace(r, month=0)
            continue
        out[key] = OfficerMonth(
            r.officer_id,
            r.beat_id,
            0,
            r.tier,
            planned=prev.planned + r.planned,
            done=prev.done + r.done,
            visits=prev.visits + r.visits,
            interviews=prev.interviews + r.interviews,
            absent=prev.absent + r.absent,
            night_planned=prev.night_planned + r.night_planned,
            night_visits=prev.night_visits + r.night_visits,
            night_approved=prev.night_approved + r.night_approved,
            visit_minutes=prev.visit_minutes + r.visit_minutes,
            timed=prev.timed + r.timed,
            year_targets=r.year_targets,
            met_to_date=r.met_to_date,
        )
    return list(out.values())


@dataclass(frozen=True, slots=True)
class NightVisit:
    """A recorded visit in a slot that needs approval, with the 地域課長's decision on it."""

    target_id: str
    beat_id: str
    officer_id: str
    date: date
    slot: str
    status: str  # approved / denied / pending (:mod:`planner.approvals`)


def night_visits(
    station: Station, policy: Policy, year: int, month: int, *, beats: Sequence[str] | None = None
) -> list[NightVisit]:
    """The month's recorded night visits with their approval status, unapproved first.

    A visit recorded with ``--unapproved-ok`` shows here as ``pending`` or ``denied``: the
    month's report lists it for the 地域課長 (Miyagi 第5-3, Aomori 第6-3).
    """
    night = policy.approval_slots
    decisions = decisions_by_visit(station.approvals)
    beat_of = {t.target_id: t.beat_id for t in station.targets}
    wanted = set(beats) if beats else {b.beat_id for b in station.beats}
    out = [
        NightVisit(
            x.target_id,
            beat_of[x.target_id],
            x.officer_id,
            x.date,
            x.slot,
            decision_status(decisions, (x.target_id, x.date, x.slot)),
        )
        for x in year_visits(station, year)
        if x.date.month == month and x.slot in night and beat_of.get(x.target_id) in wanted
    ]
    return sorted(out, key=lambda n: (n.status == APPROVED, n.date, n.target_id))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
