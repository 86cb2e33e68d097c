"""``planner verify``: a plan file checked against every rule, independently of the solver."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner.app.common import Db, Line, default_year, open_station, read_plan_files, say, warn
from planner.replan import assume_done, unrecorded
from planner.routes import route_check
from planner.verify import VerifyReport, verify_plan


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The verdict on one plan file."""

    plan_path: Path
    year: int
    report: VerifyReport
    notes: list[Line] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the plan keeps every rule."""
        return self.report.ok

    def lines(self) -> list[Line]:
        """The score, each violation, and the verdict."""
        sc = self.report.score
        out = [
            *self.notes,
            say(
                f"{self.plan_path}: {sc.visits} visits on {sc.days_used} officer-days; walking "
                f"{sc.walk_minutes / 60:.1f} h ({sc.walk_minutes_per_visit:.1f} min per visit); "
                f"monthly load CV {sc.monthly_load_cv:.2f}"
            ),
        ]
        out += [
            warn(f"violation [{v.rule}] {v.target_id or '-'}: {v.message}")
            for v in self.report.violations
        ]
        if self.ok:
            return [*out, say("OK: the plan keeps every rule")]
        counts = Counter(v.rule for v in self.report.violations)
        return [*out, warn("FAILED: " + ", ".join(f"{r} {n}" for r, n in sorted(counts.items())))]


def verify_plan_file(
    db: Db,
    plan_path: Path,
    *,
    year: int | None = None,
    policy_name: str | None = None,
    start: date | None = None,
) -> VerifyResult:
    """Check plan.csv (and unplanned.csv, approvals.csv, campaign.csv beside it) against the
    station's rules, routing each officer-day that a nearest-neighbour tour does not prove.

    Parameters
    ----------
    db
        Station file or PostGIS URL.
    plan_path
        The planner's plan.csv or a hand plan in the same columns.
    year
        Plan year (default: the year most of the plan's dates fall in).
    policy_name
        Policy (default: the station's).
    start
        A re-plan's first day: rows before it are history; those after the beat's last
        recorded outcome count as made (:func:`planner.replan.assume_done`).

    Returns
    -------
    VerifyResult
        The report (violations and score) and the notes.
    """
    opened = open_station(db, policy_name)
    station = opened.station
    files = read_plan_files(plan_path)
    visits = files.visits
    if start is not None:
        station = assume_done(station, unrecorded(station, [v for v in visits if v.date < start]))
        visits = [v for v in visits if v.date >= start]
    if year is None:
        years = Counter(v.date.year for v in visits)
        year = years.most_common(1)[0][0] if years else default_year()
    known = {b.beat_id for b in station.beats}
    beats = sorted({v.beat_id for v in visits} | {u.beat_id for u in files.unplanned or []})
    report = verify_plan(
        station,
        opened.policy,
        year,
        visits,
        unplanned=files.unplanned,
        approvals=files.approvals,
        beats=[b for b in beats if b in known] or None,
        graph=opened.graph,
        start=start,
        campaign=files.campaign,
        router=route_check,
    )
    return VerifyResult(plan_path, year, report, opened.notes)
