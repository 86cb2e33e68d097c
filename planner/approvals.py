"""The 地域課長's decisions on night visits (Miyagi 第5-3, Aomori 第6-3): record, look up, check.

A visit in a slot whose policy entry says ``requires_approval`` (the night slot, 19:00–21:00 in
both prefectures' policies) may only be made with the station's 地域課長's approval given in
advance.  The plan lists such visits in ``approvals.csv`` as requests; the 地域課長's decisions
come back as a decisions file:

``target_id, date, slot, decided_by, decided_on, decision, note``

``decision`` is ``approve`` / ``deny`` (承認 / 不承認 also read); ``decided_on`` may not be after
the visit's ``date`` (approval in advance) nor in the future.  The station keeps one decision per
visit ``(target_id, date, slot)``: recording the same file twice changes nothing, and a row that
differs from the stored decision of its visit replaces it (a correction).  Every row is checked
before anything changes.

:func:`decision_status` tells, for a planned or recorded visit, whether it is ``approved``,
``denied`` or ``pending``; :mod:`planner.record` refuses a night visit without an approval.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from planner import _validate as v
from planner._errors import InputError, RowError
from planner.model import Approval, Decision, Station
from planner.policy import Policy
from planner.records import upsert

log = logging.getLogger(__name__)

APPROVAL_COLUMNS = ("target_id", "date", "slot", "decided_by", "decided_on", "decision", "note")
"""Columns of a decisions file (``note`` optional)."""

APPROVED, DENIED, PENDING = "approved", "denied", "pending"
"""The three states of a visit that needs approval."""

_DECISION_WORDS: Mapping[str, Decision] = {
    "approve": Decision.APPROVE,
    "approved": Decision.APPROVE,
    "承認": Decision.APPROVE,
    "deny": Decision.DENY,
    "denied": Decision.DENY,
    "不承認": Decision.DENY,
    "却下": Decision.DENY,
}

VisitKey = tuple[str, date, str]


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """One parsed row of a decisions file (``row`` as a spreadsheet shows it)."""

    row: int
    approval: Approval


@dataclass(frozen=True, slots=True)
class ApproveResult:
    """What recording a decisions file changed."""

    added: int
    already_recorded: int
    replaced: int
    approved: int
    denied: int

    @property
    def changed(self) -> bool:
        """True when the station's decisions changed."""
        return bool(self.added or self.replaced)


def parse_decision(raw: str) -> Decision:
    """``approve`` / ``deny`` (also ``承認`` / ``不承認`` / ``却下``), case and width ignored.

    Raises
    ------
    ValueError
        For any other word.
    """
    word = unicodedata.normalize("NFKC", raw).strip().lower()
    if word not in _DECISION_WORDS:
        raise ValueError(f"{raw.strip()!r} is not a decision (approve / deny, 承認 / 不承認)")
    return _DECISION_WORDS[word]


def decisions_by_visit(approvals: Iterable[Approval]) -> dict[VisitKey, Approval]:
    """The station's decisions by visit; where one visit has several, the latest decided wins."""
    out: dict[VisitKey, Approval] = {}
    for a in approvals:
        held = out.get(a.key)
        if held is None or a.decided_on >= held.decided_on:
            out[a.key] = a
    return out


def decision_status(decisions: Mapping[VisitKey, Approval], key: VisitKey) -> str:
    """``approved``, ``denied`` or ``pending`` (no decision yet) for one visit."""
    a = decisions.get(key)
    if a is None:
        return PENDING
    return APPROVED if a.decision is Decision.APPROVE else DENIED


def approvals_from_file(
    path: str | Path, station: Station, policy: Policy, *, today: date | None = None
) -> list[ApprovalRow]:
    """Parse and check a decisions CSV against the station and its policy.

    Parameters
    ----------
    path
        The decisions file (UTF-8 with or without BOM, or Shift_JIS).
    station
        The station whose targets the decisions name.
    policy
        The policy whose slots need approval.
    today
        The latest ``decided_on`` a row may carry (default: today).

    Raises
    ------
    RowError
        Naming row and column of every problem: a missing column, an unknown target, a slot
        that is not one needing approval, an empty ``decided_by``, an unknown decision, a date
        that is not a date, a decision in the future or taken after the visit's day, one visit
        given twice in the file with different decisions.
    InputError
        If the file cannot be read or has no data rows.
    """
    path = Path(path)
    today = today or date.today()
    targets = {t.target_id for t in station.targets}
    needing = policy.approval_slots
    if not needing:
        raise InputError(f"{path}: the {policy.name} policy has no slot that needs approval")
    slots = ", ".join(sorted(needing))

    def slot(raw: str) -> str:
        code = unicodedata.normalize("NFKC", raw).strip().lower()
        if code not in needing:
            raise ValueError(f"{raw.strip()!r} is not a slot that needs approval ({slots})")
        return code

    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("date", v.iso_date()),
        v.Column("slot", slot),
        v.Column("decided_by", v.nonempty),
        v.Column("decided_on", v.iso_date(not_after=today)),
        v.Column("decision", parse_decision),
        v.Column("note", v.text, required=False, default=""),
    ]

    def check(r: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        if r["target_id"] not in targets:
            out.append(("target_id", f"unknown target {r['target_id']!r}"))
        if r["decided_on"] > r["date"]:
            out.append(
                (
                    "decided_on",
                    f"decided on {r['decided_on']}, after the visit's day {r['date']}: "
                    "approval is given in advance",
                )
            )
        return out

    table = v.read_table(path)
    if not table:
        raise InputError(f"{path}: no data rows")
    parsed = v.check_rows(path, table, cols, row_checks=[check])
    rows = [
        ApprovalRow(i, Approval(*(r[c] for c in APPROVAL_COLUMNS)))
        for i, r in zip(v.row_numbers(parsed), parsed, strict=True)
    ]
    _check_one_decision_per_visit(str(path), rows)
    return rows


def _check_one_decision_per_visit(path: str, rows: Sequence[ApprovalRow]) -> None:
    first: dict[VisitKey, ApprovalRow] = {}
    problems = []
    for r in rows:
        other = first.setdefault(r.approval.key, r)
        if other is not r and other.approval != r.approval:
            problems.append(
                (r.row, "decision", f"the same visit is decided differently on row {other.row}")
            )
    if problems:
        raise RowError(path, problems)


def apply_approvals(station: Station, rows: Sequence[ApprovalRow]) -> ApproveResult:
    """Add or correct the station's decisions (one per visit); idempotent.

    A decision equal to the stored one of its visit is already recorded; a differing one
    replaces it in place; a visit without a decision gets the new one (appended in file order).
    """
    done = upsert(station.approvals, (r.approval for r in rows), key=lambda a: a.key)
    approved = sum(r.approval.decision is Decision.APPROVE for r in rows)
    return ApproveResult(done.added, done.already, done.replaced, approved, len(rows) - approved)


def record_approvals(
    db: str | Path, path: str | Path, *, today: date | None = None
) -> ApproveResult:
    """Check a decisions file and record it into a station file in one atomic write.

    On any bad row nothing is written.  Decisions are not personal data beyond the target id;
    the log line counts them only.
    """
    from planner.policy import load_policy
    from planner.store import station_update

    with station_update(db) as station:
        policy = load_policy(station.policy)
        rows = approvals_from_file(path, station, policy, today=today)
        result = apply_approvals(station, rows)
    log.info("%s: %d decisions recorded, %d corrected", db, result.added, result.replaced)
    return result
