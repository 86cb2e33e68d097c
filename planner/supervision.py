"""Supervision on record: a supervisor's review of a year plan and monthly guidance per officer.

Miyagi 第4-3 and 第7-2, Aomori 第4-6: 地域警察幹部 check that each officer's year plan is
feasible and guide each officer month by month from the results.  An inspection needs to see that
this happened, so both are kept in the station file:

* a **review** signs one ``plan.csv``: who, when, a note, and the SHA-256 of the file's bytes.
  The plan's forms then show 「幹部確認 NAME（date）」; a plan changed after the review no longer
  matches and its forms show 「幹部確認 未確認」.
* **guidance** is a dated note per officer and month, shown on ``planner progress --by officer``.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from planner._errors import InputError
from planner.model import Guidance, Review, Station

log = logging.getLogger(__name__)

NOT_REVIEWED = "幹部確認：未確認（計画が確認後に変わった場合も未確認と表示）"
"""The form's review line for a plan nobody has reviewed (or that changed since)."""


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """What ``planner review`` recorded (``added`` False: the same review was already there)."""

    review: Review
    added: bool


def plan_digest(plan_csv: str | Path) -> str:
    """SHA-256 (hex) of a ``plan.csv``'s bytes: what a review signs.

    Raises
    ------
    InputError
        If the file does not exist.
    """
    path = Path(plan_csv)
    if not path.is_file():
        raise InputError(f"{path}: no such plan file")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def review_of(reviews: Iterable[Review], digest: str) -> Review | None:
    """The latest review of the plan with this digest, or ``None``."""
    mine = [r for r in reviews if r.plan_sha256 == digest]
    return max(mine, key=lambda r: r.reviewed_on) if mine else None


def review_line(review: Review | None) -> str:
    """The form's line: 「幹部確認：NAME（YYYY-MM-DD）note」 or :data:`NOT_REVIEWED`."""
    if review is None:
        return NOT_REVIEWED
    note = f"　{review.note}" if review.note else ""
    return f"幹部確認：{review.reviewed_by}（{review.reviewed_on.isoformat()}）{note}"


def _who(text: str, what: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        raise InputError(f"{what}: give the supervisor's name and rank")
    return value


def add_review(
    station: Station, digest: str, year: int, by: str, on: date, note: str = ""
) -> ReviewResult:
    """Add a review of the plan with ``digest`` to the station (idempotent).

    Raises
    ------
    InputError
        If ``by`` is empty.
    """
    review = Review(digest, year, _who(by, "--by"), on, note.strip())
    if review in station.reviews:
        return ReviewResult(review, added=False)
    station.reviews.append(review)
    return ReviewResult(review, added=True)


def add_guidance(
    station: Station, officer_id: str, year: int, month: int, by: str, on: date, note: str
) -> bool:
    """Add a guidance note for one officer and month; ``False`` when already recorded.

    Raises
    ------
    InputError
        If the officer is unknown, the month is not 1–12, ``by`` or ``note`` is empty, or the
        note is dated before the month it is about begins.
    """
    if officer_id not in {o.officer_id for o in station.officers}:
        raise InputError(f"--officer: unknown officer {officer_id!r}")
    if not 1 <= month <= 12:
        raise InputError(f"--month: {month} is not a month (1–12)")
    if on < date(year, month, 1):
        raise InputError(f"guidance on {on} is before {year}-{month:02d} begins")
    if not note.strip():
        raise InputError("--note: write the guidance given")
    g = Guidance(officer_id, year, month, _who(by, "--by"), on, note.strip())
    if g in station.guidance:
        return False
    station.guidance.append(g)
    return True


def guidance_of(
    guidance: Sequence[Guidance], officer_id: str, year: int, upto_month: int
) -> list[Guidance]:
    """One officer's guidance notes of the year up to a month, by month then date."""
    return sorted(
        (
            g
            for g in guidance
            if g.officer_id == officer_id and g.year == year and g.month <= upto_month
        ),
        key=lambda g: (g.month, g.given_on),
    )


def review_plan(
    db: str | Path, plan_csv: str | Path, *, by: str, note: str = "", today: date | None = None
) -> ReviewResult:
    """Sign a plan in the station file and stamp its folder's forms with the review.

    Parameters
    ----------
    db
        The station file (or PostGIS URL).
    plan_csv
        The plan's ``plan.csv``; the ``form_<beat>_<year>.xlsx`` beside it are written again
        with the review line.
    by, note
        The supervisor (name and rank) and an optional note.
    today
        The review's date (default: today).

    Raises
    ------
    InputError
        If the plan file is missing or empty, or ``by`` is empty.
    """
    from planner.forms import write_form
    from planner.plan import YearPlan
    from planner.planfiles import plan_form, read_plan, read_unplanned
    from planner.policy import load_policy
    from planner.store import station_update

    plan_csv = Path(plan_csv)
    digest = plan_digest(plan_csv)
    visits = read_plan(plan_csv)
    unplanned_csv = plan_csv.parent / "unplanned.csv"
    unplanned = read_unplanned(unplanned_csv) if unplanned_csv.is_file() else []
    years = {v.date.year for v in visits}
    if len(years) != 1:
        raise InputError(f"{plan_csv}: a plan of one year is needed (found {sorted(years)})")
    year = years.pop()
    with station_update(db) as station:
        result = add_review(station, digest, year, by, today or date.today(), note)
    policy = load_policy(station.policy)
    plan = YearPlan(year, policy.name, visits=visits, unplanned=unplanned)
    for beat_id in sorted({v.beat_id for v in visits}):
        form = plan_csv.parent / f"form_{beat_id}_{year}.xlsx"
        if form.is_file():
            header, data = plan_form(plan, station, policy, beat_id)
            data.review = review_line(result.review)
            write_form(form, header, data)
    log.info("%s: plan %s reviewed", db, digest[:12])
    return result


def record_guidance(
    db: str | Path,
    officer_id: str,
    year: int,
    month: int,
    *,
    by: str,
    note: str,
    today: date | None = None,
) -> bool:
    """Record one guidance note in the station file; ``False`` when already there."""
    from planner.store import station_update

    with station_update(db) as station:
        return add_guidance(station, officer_id, year, month, by, today or date.today(), note)
