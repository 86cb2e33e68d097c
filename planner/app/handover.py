"""``planner handover``: how 巡回連絡 stands on a beat changing hands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner._errors import InputError
from planner.app.common import Db, Line, open_station, plan_and_unplanned, say
from planner.handover import HandoverReport, handover_report, write_handover


@dataclass(frozen=True, slots=True)
class HandoverResult:
    """The handover page and list as written."""

    report: HandoverReport
    day: date
    written: list[Path]
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """Per tier: targets, met within frequency, overdue, never met; the 丁目; at risk."""
        r = self.report
        out = [
            *self.notes,
            say(
                f"{r.beat_id} {r.beat_name} on {self.day}: {r.in_register} targets in the register"
            ),
        ]
        out += [
            say(
                f"  {t.label} (every {t.frequency_years} y): {t.targets}; "
                f"{t.within_frequency} met within it, {t.overdue} overdue, {t.never_met} never "
                f"met ({t.provisional} 仮カード), {t.absent_twice} absent twice or more in a row"
            )
            for t in r.tiers
        ]
        out.append(
            say(
                f"  to visit first: {len(r.overdue_or_never_met)} overdue or never met "
                "(planner replan --front-load MONTHS)"
            )
        )
        if r.chome:
            low = min(r.chome, key=lambda c: c.within_frequency)
            out.append(
                say(
                    f"  {len(r.chome)} 丁目; lowest share met within frequency: {low.chome} "
                    f"{low.within_frequency:.0%}"
                )
            )
        out.append(say(f"  at risk: {r.at_risk_total}"))
        return [*out, say("wrote " + ", ".join(str(p) for p in self.written))]


def hand_over(
    db: Db,
    beat_id: str,
    out_dir: Path,
    *,
    day: date | None = None,
    plan_path: Path | None = None,
    top: int = 20,
) -> HandoverResult:
    """Write handover_<beat>_<date>.html / .csv for a beat changing hands.

    Parameters
    ----------
    db
        Station file or PostGIS URL.
    beat_id
        The beat changing hands.
    out_dir
        Output folder (the files are owner-only: addresses).
    day
        Handover day: everything is counted as of it (default today).
    plan_path
        The year's plan.csv: a planned date passed without an interview puts a target at risk.
    top
        Rows of the at-risk list on the page.

    Returns
    -------
    HandoverResult

    Raises
    ------
    InputError
        For a beat the station does not have.
    """
    opened = open_station(db)
    station = opened.station
    if beat_id not in {b.beat_id for b in station.beats}:
        raise InputError(f"unknown beat: {beat_id}")
    day = day or date.today()
    visits, unplanned = plan_and_unplanned(plan_path)
    report = handover_report(
        station, opened.policy, beat_id, day, planned=visits, unplanned=unplanned, top=top
    )
    written = write_handover(report, station, out_dir, policy=opened.policy, graph=opened.graph)
    return HandoverResult(report, day, written, opened.notes)
