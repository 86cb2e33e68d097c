"""The chief's exemption orders (Miyagi 第5-1(1)): parse an orders file, record it, list the orders.

Every household and business of a beat is visited "unless the 署長 finds a visit unnecessary and
orders so".  An order names the target, who ordered it, from which date and why.  An exempt target
stays in the register and keeps its history; from the order's year on it is out of the due set
(:func:`planner.policy.due_targets`), and every plan lists it in ``exemptions.csv``.

The station file keeps one order per target (the ``exemptions`` layer).  Recording the same file
twice changes nothing; a row that differs from the stored order of its target (another date,
reason or ordering officer) replaces it, so a mistaken order is corrected by recording the
corrected row.  Every row is checked before anything changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from planner import _validate as v
from planner._errors import InputError, RowError
from planner.model import Exemption, Station, Target
from planner.records import upsert

log = logging.getLogger(__name__)

EXEMPTION_COLUMNS = ("target_id", "ordered_by", "date", "reason")
"""Columns of an exemption orders file (all required)."""


@dataclass(frozen=True, slots=True)
class ExemptionRow:
    """One parsed row of an exemption orders file (``row`` as a spreadsheet shows it)."""

    row: int
    exemption: Exemption


@dataclass(frozen=True, slots=True)
class ExemptResult:
    """What recording an orders file changed.

    ``left_due`` / ``joined_due`` count targets that left / joined the due set of ``year`` (a
    Miyagi 一般対象 top-up may bring another target in when the tier shrinks); both are 0 when
    no year was looked at.
    """

    added: int
    already_recorded: int
    replaced: int
    year: int | None = None
    left_due: int = 0
    joined_due: int = 0

    @property
    def changed(self) -> bool:
        """True when the station's orders changed."""
        return bool(self.added or self.replaced)


def exemptions_from_file(
    path: str | Path, station: Station, *, today: date | None = None
) -> list[ExemptionRow]:
    """Parse and check an exemption orders CSV against the station.

    Columns ``target_id, ordered_by, date, reason``, all required (see docs/formats.md).  UTF-8
    with or without BOM, or Shift_JIS (CP932).

    Parameters
    ----------
    path
        The orders file.
    station
        The station whose targets the orders name.
    today
        The latest date an order may carry (default: today).

    Raises
    ------
    RowError
        Naming row and column of every problem: a missing column, an unknown target, an empty
        ``ordered_by`` or ``reason``, a date that is not a date or is in the future, a target
        given twice in the file with different orders.
    InputError
        If the file cannot be read or has no data rows.
    """
    path = Path(path)
    today = today or date.today()
    targets = {t.target_id for t in station.targets}
    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("ordered_by", v.nonempty),
        v.Column("date", v.iso_date(not_after=today)),
        v.Column("reason", v.nonempty),
    ]

    def known(r: dict[str, Any]) -> list[tuple[str, str]]:
        if r["target_id"] not in targets:
            return [("target_id", f"unknown target {r['target_id']!r}")]
        return []

    table = v.read_table(path)
    if not table:
        raise InputError(f"{path}: no data rows")
    parsed = v.check_rows(path, table, cols, row_checks=[known])
    rows = [
        ExemptionRow(i, Exemption(r["target_id"], r["ordered_by"], r["date"], r["reason"]))
        for i, r in zip(v.row_numbers(parsed), parsed, strict=True)
    ]
    _check_one_order_per_target(str(path), rows)
    return rows


def _check_one_order_per_target(path: str, rows: Sequence[ExemptionRow]) -> None:
    """A target may appear twice in one file only with the same order."""
    first: dict[str, ExemptionRow] = {}
    problems = []
    for r in rows:
        other = first.setdefault(r.exemption.target_id, r)
        if other.exemption != r.exemption:
            problems.append(
                (
                    r.row,
                    "target_id",
                    f"{r.exemption.target_id!r} has a different order on row {other.row}",
                )
            )
    if problems:
        raise RowError(path, problems)


def apply_exemptions(station: Station, rows: Iterable[ExemptionRow]) -> ExemptResult:
    """Record orders in the station, one per target; idempotent.

    An order equal to the stored one of its target is already recorded; a differing one
    replaces it (in place); a target without an order gets the new one (appended in file
    order).  The targets' ``exempted`` dates are then set again
    (:func:`planner.store.with_exemptions`).

    Returns
    -------
    ExemptResult
        Orders added, already recorded and replaced (``year`` unset).
    """
    from planner.store import with_exemptions

    done = upsert(station.exemptions, (r.exemption for r in rows), key=lambda e: e.target_id)
    with_exemptions(station)
    return ExemptResult(done.added, done.already, done.replaced)


def exemptions_in_effect(
    station: Station, year: int, *, beats: Iterable[str] | None = None
) -> list[tuple[Target, Exemption]]:
    """The exempt targets of ``year`` with their orders, in register order.

    A target is exempt in ``year`` when its order is dated in ``year`` or earlier (the rule of
    :func:`planner.policy.due_targets`).  When a station holds more than one order for a target
    the earliest counts, as in :func:`planner.store.with_exemptions`.

    Parameters
    ----------
    station
        The station with its orders.
    year
        The plan year.
    beats
        Only targets of these beats (default: every beat).
    """
    wanted = set(beats) if beats is not None else None
    earliest: dict[str, Exemption] = {}
    for e in station.exemptions:
        if e.target_id not in earliest or e.date < earliest[e.target_id].date:
            earliest[e.target_id] = e
    return [
        (t, earliest[t.target_id])
        for t in station.targets
        if t.target_id in earliest
        and earliest[t.target_id].date.year <= year
        and (wanted is None or t.beat_id in wanted)
    ]


def exempt_targets(
    db: str | Path, path: str | Path, *, year: int | None = None, today: date | None = None
) -> ExemptResult:
    """Check an orders file and record it into a station file in one atomic write.

    On any bad row nothing is written (the station file stays byte-identical); when every order
    is already recorded nothing is written either.

    Parameters
    ----------
    db
        The station file.
    path
        The orders file (:func:`exemptions_from_file`).
    year
        The year whose due set is compared before and after (default: ``today``'s year).
    today
        The latest date an order may carry (default: today).

    Returns
    -------
    ExemptResult
        Orders added, already recorded and replaced, and the targets that left or joined the
        due set of ``year``.
    """
    from planner.policy import due_targets, load_policy
    from planner.store import station_update

    today = today or date.today()
    year = year or today.year
    with station_update(db) as station:
        rows = exemptions_from_file(path, station, today=today)
        policy = load_policy(station.policy)
        beats = {b.beat_id: b for b in station.beats}
        before = {d.target.target_id for d in due_targets(station.targets, policy, year, beats)}
        result = apply_exemptions(station, rows)
        after = {d.target.target_id for d in due_targets(station.targets, policy, year, beats)}
    if result.changed:
        log.info("%s: %d exemption orders added, %d replaced", db, result.added, result.replaced)
    return replace(result, year=year, left_due=len(before - after), joined_due=len(after - before))
