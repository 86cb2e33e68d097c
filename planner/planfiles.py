"""Plan files: ``plan.csv``, ``unplanned.csv``, ``approvals.csv`` — written and read back.

Column names are an interface (officers may write a hand plan in the same columns for
``planner verify`` to score); see docs/formats.md.  Files are written atomically; those with
addresses are owner-only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from planner import _validate as v
from planner.model import Station
from planner.policy import Policy
from planner.schedule import PlannedVisit, Unplanned
from planner.store import atomic_path

PLAN_COLUMNS = ("target_id", "beat_id", "officer_id", "tier", "date", "month", "slot",
                "due_reason", "est_minutes")  # fmt: skip
UNPLANNED_COLUMNS = ("target_id", "beat_id", "tier", "reason", "message")
APPROVAL_COLUMNS = ("target_id", "beat_id", "officer_id", "date", "slot", "start", "end",
                    "address", "approver", "why")  # fmt: skip


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence], private: bool) -> None:
    with (
        atomic_path(path, private=private) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as f,
    ):
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)


def write_plan(path: str | Path, visits: Sequence[PlannedVisit]) -> None:
    """Write plan.csv (ids and dates only: no names or addresses)."""
    _write_csv(Path(path), PLAN_COLUMNS, (
        (x.target_id, x.beat_id, x.officer_id, x.tier, x.date.isoformat(), x.date.month, x.slot,
         x.due_reason, x.est_minutes) for x in visits
    ), private=False)  # fmt: skip


def write_unplanned(path: str | Path, rows: Sequence[Unplanned]) -> None:
    """Write unplanned.csv, with a header even when empty."""
    _write_csv(Path(path), UNPLANNED_COLUMNS,
               ((u.target_id, u.beat_id, u.tier, u.reason, u.message) for u in rows),
               private=False)  # fmt: skip


def write_approvals(
    path: str | Path, visits: Sequence[PlannedVisit], station: Station, policy: Policy
) -> None:
    """Write approvals.csv: night visits for the 地域課長's approval (addresses: owner-only)."""
    address = {t.target_id: t for t in station.targets}
    rows = []
    for x in visits:
        slot = policy.slot(x.slot)
        t = address[x.target_id]
        why = f"availability {t.availability.value}, household {t.household_type.value}"
        rows.append((x.target_id, x.beat_id, x.officer_id, x.date.isoformat(), x.slot,
                     slot.start.strftime("%H:%M"), slot.end.strftime("%H:%M"), t.address,
                     slot.approver, why))  # fmt: skip
    _write_csv(Path(path), APPROVAL_COLUMNS, rows, private=True)


def read_plan(path: str | Path) -> list[PlannedVisit]:
    """Read a plan.csv (the planner's or a hand-written one in the same columns).

    Raises
    ------
    RowError
        Naming row and column of every bad cell.
    """
    path = Path(path)
    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("beat_id", v.nonempty),
        v.Column("officer_id", v.nonempty),
        v.Column("tier", v.nonempty),
        v.Column("date", v.iso_date()),
        v.Column("month", v.integer(1, 12), required=False),
        v.Column("slot", v.nonempty),
        v.Column("due_reason", v.text, required=False, default=""),
        v.Column("est_minutes", v.integer(0, 24 * 60), required=False, default=0),
    ]

    def month_matches(r: dict) -> list[tuple[str, str]]:
        if r["month"] is not None and r["month"] != r["date"].month:
            return [("month", f"month {r['month']} does not match date {r['date']}")]
        return []

    rows = v.check_rows(path, v.read_table(path), cols, row_checks=[month_matches])
    return [
        PlannedVisit(r["target_id"], r["beat_id"], r["officer_id"], r["tier"], r["date"],
                     r["slot"], r["due_reason"], r["est_minutes"])
        for r in rows
    ]  # fmt: skip


def read_unplanned(path: str | Path) -> list[Unplanned]:
    """Read unplanned.csv back."""
    rows = v.read_table(Path(path)) if Path(path).stat().st_size else []
    return [Unplanned(r["target_id"], r["beat_id"], r["tier"], r["reason"], r["message"])
            for r in rows]  # fmt: skip


def plan_dates(visits: Sequence[PlannedVisit]) -> list[date]:
    """Distinct dates of a plan, sorted."""
    return sorted({x.date for x in visits})
