"""Monthly results: the result rows of the 年間実施計画・結果表 and the supervisor's review page.

Figures follow the Miyagi directive's notes (別記様式 注1–注7):

* 対象数 (Ｂ): the year's targets per tier — the plan's due set (planned and unplanned) plus
  households newly found this year, counted from the month they were found;
* 実施数: first interview of the year per target only (a second visit is not counted);
* 未実施数 (Ａ): targets of Ｂ not yet interviewed this year, at the end of each month;
* 新規把握数: cards made by interview where there was none (新規 households and 未把握 met);
* 仮カード作成数 / 解消数 / 総数: provisional cards made without interview / turned into real
  cards by interview / held at the end of the month;
* 転出数: households recorded as moved out;
* パトロールカード・CR名刺活用数: absent visits (a パトロールカード when the notes say so, else
  a CR名刺);
* 住民基本台帳世帯数 (Ｃ) from the beat, 案内簿一般世帯数 (Ｄ) households in the register;
* 実施率 = (Ｂ − Ａ) / Ｂ, 把握率 = Ｄ / Ｃ (computed by :mod:`planner.forms`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from planner.forms import FormData, plan_form_data
from planner.model import Card, Outcome, Station, TargetKind, Visit
from planner.policy import Policy

PATROL_WORDS = ("パトロールカード", "patrol")


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

    found = {x.target_id: x.date.month for x in visits if x.outcome is Outcome.NEW}
    first = first_interviews(visits)
    for code in policy.tier_codes:
        for m in months:
            in_b = [t for t in base if tiers[t] == code]
            in_b += [t for t, fm in found.items() if tiers[t] == code and fm <= m and t not in base]
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
            patrol = any(w in x.notes.lower() for w in PATROL_WORDS)
            add("patrol_card" if patrol else "cr_card", "total", m)
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
    households = sum(
        1
        for t in station.targets
        if t.target_id in mine and t.kind is TargetKind.HOUSEHOLD and t.moved_out is None
    )
    data = plan_form_data(
        policy.tiers,
        dict(Counter(planned)),
        {},
        registry_households=station.beat(beat_id).registry_households,
        register_households=households,
    )
    data.cells.update(cells)
    return data


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
