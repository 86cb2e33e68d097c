"""What every use case starts from: the station opened under its policy, the files beside a
plan.csv, the plan year, and the lines a result says."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import networkx as nx

from planner.model import Station
from planner.plan import Campaign, PlannedVisit, Unplanned
from planner.planfiles import read_approval_ids, read_campaign, read_plan, read_unplanned
from planner.policy import Policy, load_policy, station_under
from planner.store import read_station, read_streets

T = TypeVar("T")

Db = str | Path
"""A station: a GeoPackage file, or a PostGIS URL (``postgresql://…?station=NAME``)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line a result says: to standard output, or (``err``) to standard error; an ``alarm``
    stands out (the CLI prints it bold red)."""

    text: str
    err: bool = False
    alarm: bool = False


def say(text: str) -> Line:
    """A line for standard output."""
    return Line(text)


def warn(text: str) -> Line:
    """A line for standard error (warnings and notes)."""
    return Line(text, err=True)


def default_year(today: date | None = None) -> int:
    """The plan year a user most likely means: this year until June, next year from July."""
    today = today or date.today()
    return today.year if today.month <= 6 else today.year + 1


@dataclass
class Opened:
    """A station read under a policy: tiers the policy lacks are mapped (``notes`` says how);
    its streets are read when first asked for."""

    db: Db
    station: Station
    policy: Policy
    notes: list[Line] = field(default_factory=list)

    @cached_property
    def graph(self) -> nx.MultiDiGraph | None:
        """The station's street network (``None`` without one)."""
        return read_streets(self.db)


def open_station(db: Db, policy_name: str | None = None) -> Opened:
    """Read a station and the policy to apply (default: the station's).

    Parameters
    ----------
    db
        Station file or PostGIS URL.
    policy_name
        ``miyagi``, ``aomori`` or a policy TOML file.

    Returns
    -------
    Opened
        The station with its tiers mapped to the policy where a register was made under the
        other prefecture's rules; the mapping as a note.
    """
    station = read_station(db)
    policy = load_policy(policy_name or station.policy)
    station, mapping = station_under(station, policy)
    notes = [warn(mapping.message())] if mapping else []
    return Opened(db, station, policy, notes)


@dataclass(frozen=True, slots=True)
class PlanFiles:
    """A plan.csv and what lies beside it (``None`` where a file is absent)."""

    visits: list[PlannedVisit]
    unplanned: list[Unplanned] | None = None
    approvals: set[str] | None = None
    campaign: Campaign | None = None


def _beside(plan_path: Path, name: str, read: Callable[[Path], T]) -> T | None:
    """A file beside plan.csv, read; ``None`` when it is absent."""
    path = plan_path.parent / name
    return read(path) if path.is_file() else None


def read_plan_files(plan_path: Path) -> PlanFiles:
    """Read plan.csv with unplanned.csv, approvals.csv and campaign.csv beside it."""
    return PlanFiles(
        read_plan(plan_path),
        _beside(plan_path, "unplanned.csv", read_unplanned),
        _beside(plan_path, "approvals.csv", read_approval_ids),
        _beside(plan_path, "campaign.csv", read_campaign),
    )


def plan_and_unplanned(
    plan_path: Path | None,
) -> tuple[list[PlannedVisit] | None, list[Unplanned] | None]:
    """A plan's rows and unplanned.csv beside it, or ``(None, None)`` without a plan (the other
    files beside it are not read)."""
    if plan_path is None:
        return None, None
    return read_plan(plan_path), _beside(plan_path, "unplanned.csv", read_unplanned)


def with_kept(kept: Sequence[PlannedVisit], new: Iterable[PlannedVisit]) -> list[PlannedVisit]:
    """A re-plan's rows: the visits kept before its first day and the new ones, in plan order."""
    return sorted(
        [*kept, *new], key=lambda v: (v.beat_id, v.date, v.officer_id, v.slot, v.target_id)
    )
