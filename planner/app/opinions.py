"""``planner opinions``: the month's opinions and requests, and the complaints for HQ."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner._errors import InputError
from planner.app.common import Db, Line, say
from planner.model import OPINION_LABELS_JA
from planner.opinions import OpinionOutputs, mark_reported, write_opinion_outputs
from planner.store import read_station, station_update


@dataclass(frozen=True, slots=True)
class OpinionsResult:
    """The month's report as written, and the complaints marked reported."""

    year: int
    month: int
    outputs: OpinionOutputs
    today: date
    reported_on: date | None = None
    marked: int = 0
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """Opinions by kind, and the complaints: reported, due or overdue."""
        ym = f"{self.year}-{self.month:02d}"
        out = list(self.notes)
        if self.reported_on is not None:
            out.append(say(f"{ym}: {self.marked} complaints marked reported on {self.reported_on}"))
        o = self.outputs
        kinds = ", ".join(f"{OPINION_LABELS_JA[k]} {n}" for k, n in o.counts().items() if n)
        out.append(
            say(
                f"{ym}: {len(o.rows)} opinions"
                + (f" ({kinds})" if kinds else "")
                + f" → {o.report}"
            )
        )
        if not o.complaints:
            return [
                *out,
                say(f"苦情 0 件: no complaint to report (nil return → {o.complaints_csv})"),
            ]
        open_ = [r for r in o.rows if r.is_complaint and r.reported_on is None]
        late = sum(r.status(self.today) == "overdue" for r in open_)
        return [
            *out,
            Line(
                f"苦情 {o.complaints} 件: headquarters must be told at once → {o.complaints_csv}",
                alarm=True,
            ),
            say(
                f"  {len(open_)} not yet reported to headquarters ({late} overdue); "
                "record the day they were with --mark-reported YYYY-MM-DD"
            ),
        ]


def month_opinions(
    db: Db,
    out_dir: Path,
    *,
    year: int,
    month: int,
    with_names: bool = False,
    reported_on: date | None = None,
) -> OpinionsResult:
    """Write the month's 意見・要望等報告書 and complaints_<YYYY-MM>.csv (both owner-only,
    written even for a month without any); with ``reported_on`` first record that the month's
    unreported complaints went to headquarters that day.

    Raises
    ------
    InputError
        If ``reported_on`` is before a complaint it would mark was heard.
    """
    marked = 0
    if reported_on is not None:
        with station_update(db) as station:
            try:
                marked = mark_reported(station, year, month, reported_on)
            except ValueError as exc:
                raise InputError(f"--mark-reported: {exc}") from None
    out = write_opinion_outputs(out_dir, read_station(db), year, month, with_names=with_names)
    return OpinionsResult(year, month, out, date.today(), reported_on, marked)
