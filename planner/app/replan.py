"""``planner replan``: the rest of the year planned again from a date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner.app.common import Db, Line, open_station, plan_and_unplanned, say, warn, with_kept
from planner.app.plan import plan_report
from planner.plan import PlannedVisit, YearPlan
from planner.planfiles import write_plan_outputs
from planner.policy import Policy
from planner.replan import FrontLoadSummary, front_load_summary, kept_share, replan_year
from planner.schedule import YearParams


@dataclass(frozen=True, slots=True)
class ReplanResult:
    """A re-plan as written: the kept visits before its first day and the new plan after."""

    plan: YearPlan
    policy: Policy
    params: YearParams
    start: date
    kept: list[PlannedVisit]
    kept_share: float
    written: list[Path]
    front_load: FrontLoadSummary | None = None
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """The plan's report, what stayed, the front-loading, and whether the year holds."""
        out = [*self.notes, *plan_report(self.plan, self.policy, self.params, self.written)]
        out.append(
            say(
                f"kept {len(self.kept)} visits before {self.start}; {self.kept_share:.0%} of the "
                "old plan's later visits stay in their month"
            )
        )
        if self.front_load is not None:
            out += front_load_lines(self.front_load)
        if self.plan.shortfalls:
            return [*out, say("the year goal is NOT reachable with these hours (see the warnings)")]
        return [*out, say("the year goal is still reachable")]


def replan_station(
    db: Db,
    out_dir: Path,
    *,
    year: int,
    start: date,
    plan_path: Path | None = None,
    keep: str = "month",
    beats: Sequence[str] = (),
    params: YearParams | None = None,
    front_load: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplanResult:
    """Re-plan the rest of the year from ``start`` and write the plan files.

    Parameters
    ----------
    db
        Station file or PostGIS URL (its recorded visits say what is done).
    out_dir
        Folder for the re-plan's plan.csv, forms…
    year, start
        Plan year and the first day planned again.
    plan_path
        The plan in force (default ``out_dir/plan.csv``); its visits before ``start`` stay.
    keep
        ``day``, ``month`` or ``none``: how much of the old future plan stays where it was.
    beats
        Beats to re-plan (default all).
    params
        Solver parameters (:class:`planner.schedule.YearParams`).
    front_load
        Months from ``start`` into which the overdue and never-met targets go (a new officer).
    progress
        Called with a line per beat solved.

    Returns
    -------
    ReplanResult
    """
    params = params or YearParams()
    opened = open_station(db)
    old, _ = plan_and_unplanned(plan_path or out_dir / "plan.csv")
    plan, kept = replan_year(
        opened.station,
        opened.policy,
        year,
        old or [],
        start,
        keep=keep,
        beats=list(beats) or None,
        graph=opened.graph,
        params=params,
        progress=progress,
        front_load=front_load,
    )
    share = kept_share(old or [], plan.visits, start)
    fl = front_load_summary(plan, plan.campaign) if plan.campaign is not None else None
    plan.visits = with_kept(kept, plan.visits)
    written = write_plan_outputs(out_dir, plan, opened.station, opened.policy)
    return ReplanResult(plan, opened.policy, params, start, kept, share, written, fl, opened.notes)


def front_load_lines(fl: FrontLoadSummary) -> list[Line]:
    """How many front-loaded targets the window holds and how many do not fit."""
    window = f"{fl.start} – {fl.end}"
    out = [
        say(
            f"front-load {window}: {fl.targets} overdue or never-met targets; "
            f"{fl.planned_in_window} planned in the window, {fl.planned_outside} planned "
            f"after it, {len(fl.not_fitting)} not at all"
        )
    ]
    if fl.planned_outside:
        out.append(
            warn(
                f"warning: {fl.planned_outside} front-loaded targets do not fit {window} and "
                "are planned later in the year; a longer --front-load or more visit hours "
                "in the window would bring them forward"
            )
        )
    if fl.not_fitting:
        per_beat = ", ".join(f"{b} {n}" for b, n in sorted(fl.by_beat.items()))
        out.append(
            warn(
                f"warning: {len(fl.not_fitting)} front-loaded targets fit nowhere this year "
                f"({per_beat}): see unplanned.csv"
            )
        )
    return out
