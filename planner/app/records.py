"""What officers and supervisors put on record: visit outcomes, night-visit decisions, plan
reviews, guidance, the chief's exemption orders, the purge past retention, and who may read
which rows (``record``, ``approve``, ``review``, ``guide``, ``exempt``, ``purge``, ``grant``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from planner import store_pg
from planner._errors import InputError
from planner.access import ROLE_LABELS_JA, Grant, Role
from planner.app.common import Db, Line, say
from planner.approvals import record_approvals
from planner.exemptions import exempt_targets
from planner.record import record_outcomes
from planner.records import purge_station
from planner.store import is_station_url
from planner.supervision import record_guidance, review_line, review_plan


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a record-keeping use case did, in so many lines."""

    message: tuple[Line, ...]

    def lines(self) -> list[Line]:
        """The lines to show."""
        return list(self.message)


def record(
    db: Db, outcomes: Path, *, year: int | None = None, unapproved_ok: bool = False
) -> Recorded:
    """Record visit outcomes (:func:`planner.record.record_outcomes`); all rows or none."""
    r = record_outcomes(db, outcomes, year=year, unapproved_ok=unapproved_ok)
    return Recorded(
        (
            say(
                f"{outcomes}: {r.added} visits recorded ({r.already_recorded} already there), "
                f"{r.new_targets} new targets, {r.updated_targets} targets updated"
            ),
        )
    )


def approve(db: Db, decisions: Path) -> Recorded:
    """Record the 地域課長's decisions on night visits
    (:func:`planner.approvals.record_approvals`)."""
    r = record_approvals(db, decisions)
    return Recorded(
        (
            say(
                f"{decisions}: {r.added} decisions recorded, {r.already_recorded} already "
                f"recorded, {r.replaced} corrected ({r.approved} approve, {r.denied} deny)"
            ),
        )
    )


def review(db: Db, plan_path: Path, *, by: str, note: str = "") -> Recorded:
    """Sign a plan.csv as reviewed; the forms beside it show 幹部確認."""
    r = review_plan(db, plan_path, by=by, note=note)
    what = "recorded" if r.added else "already recorded"
    return Recorded((say(f"{plan_path}: review {what}: {review_line(r.review)}"),))


def guide(db: Db, officer_id: str, year: int, month: int, *, by: str, note: str) -> Recorded:
    """Record a supervisor's monthly guidance to an officer (指導記録)."""
    added = record_guidance(db, officer_id, year, month, by=by, note=note)
    state = "recorded" if added else "already there"
    return Recorded((say(f"{officer_id} {year}-{month:02d}: guidance {state}"),))


def exempt(db: Db, orders: Path, *, year: int) -> Recorded:
    """Record the 署長's exemption orders (:func:`planner.exemptions.exempt_targets`)."""
    r = exempt_targets(db, orders, year=year)
    joined = f" ({r.joined_due} join it as the cycle's top-up)" if r.joined_due else ""
    return Recorded(
        (
            say(
                f"{orders}: {r.added} orders added, {r.already_recorded} already recorded, "
                f"{r.replaced} replaced; {r.left_due} targets leave the {r.year} due set{joined}"
            ),
        )
    )


def purge(db: Db, *, before: date | None = None) -> Recorded:
    """Remove moved-out and exempt households past retention
    (:func:`planner.records.purge_station`)."""
    r = purge_station(db, before=before)
    return Recorded(
        (
            say(
                f"purge before {r.before}: {r.targets} targets, {r.visits} visits, {r.approvals} "
                f"decisions, {r.exemptions} exemption orders, {r.beat_moves} beat moves removed"
            ),
        )
    )


def grant(
    db: Db, login: str, *, role: str | None, scope: str = "", revoke: bool = False
) -> Recorded:
    """Give a login the rows its role allows on a PostGIS station (or take them away).

    Raises
    ------
    InputError
        For a GeoPackage station (an officer gets a copy of their beat instead), or without a
        role when not revoking.
    """
    if not is_station_url(db):
        raise InputError(
            f"{db}: roles are enforced by PostgreSQL; for a GeoPackage station give an officer "
            "a copy of their own beat (planner export --beat)"
        )
    url = str(db)
    if revoke:
        gone = store_pg.revoke_access(url, login)
        return Recorded((say(f"{login}: access " + ("revoked" if gone else "was not granted")),))
    if role is None:
        raise InputError("--role: give the login's role (or --revoke)")
    store_pg.grant_access(url, Grant(login, Role(role), scope))
    return Recorded(
        tuple(
            say(
                f"{g.login}\t{ROLE_LABELS_JA[g.role]} ({g.role.value}"
                + (f" {g.scope}" if g.scope else "")
                + ")"
            )
            for g in store_pg.access_grants(url)
        )
    )
