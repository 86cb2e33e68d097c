"""``planner progress``: the form's result rows, the monthly page, incident-hour estimates."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner.app.common import Db, Line, open_station, plan_and_unplanned, say
from planner.progress import IncidentEstimate, estimate_incident_hours
from planner.reports import write_progress_outputs
from planner.supervision import plan_digest, review_line, review_of


@dataclass(frozen=True, slots=True)
class ProgressResult:
    """The month's forms and page as written, and the incident-hour estimates."""

    upto: date
    written: list[Path]
    estimates: list[IncidentEstimate] = field(default_factory=list)
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """What was written and one line per beat's incident-hour estimate."""
        out = [*self.notes, say("wrote " + ", ".join(str(p) for p in self.written))]
        return out + [say(e.message()) for e in self.estimates]


def monthly_progress(
    db: Db,
    out_dir: Path,
    *,
    year: int,
    month: int | None = None,
    beats: Sequence[str] = (),
    plan_path: Path | None = None,
    by_officer: bool = False,
) -> ProgressResult:
    """Fill the result rows of the 年間実施計画・結果表 up to a month's end and write the
    monthly review page.

    Parameters
    ----------
    db
        Station file or PostGIS URL (its recorded visits).
    out_dir
        Folder for the forms and the page.
    year, month
        The form's year and the last month counted (default: the last month with visits).
    beats
        Beats (default all).
    plan_path
        The year's plan.csv: 実施計画 rows, 対象数, the review line, and the incident-hour
        estimate per beat.
    by_officer
        Add a table and chart per officer and officers_<YYYY-MM>.csv.

    Returns
    -------
    ProgressResult
    """
    opened = open_station(db)
    station = opened.station
    visits, unplanned = plan_and_unplanned(plan_path)
    if month is None:
        month = max((x.date.month for x in station.visits if x.date.year == year), default=1)
    upto = date(year, month, calendar.monthrange(year, month)[1])
    reviewed = ""
    if plan_path is not None:
        reviewed = review_line(review_of(station.reviews, plan_digest(plan_path)))
    written = write_progress_outputs(
        out_dir,
        station,
        opened.policy,
        year,
        upto,
        visits=visits,
        unplanned=unplanned,
        beats=list(beats) or None,
        by_officer=by_officer,
        review=reviewed,
    )
    estimates = []
    if visits is not None:
        estimates = estimate_incident_hours(
            station, opened.policy, year, visits, upto=upto, beats=list(beats) or None
        )
    return ProgressResult(upto, written, estimates, opened.notes)
