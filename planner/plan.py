"""What a year plan is: its rows, what it could not place, its loads and shortfalls.

The result types of the year plan, shared by the solver (:mod:`planner.schedule`), the independent
checker (:mod:`planner.verify`), the plan files, reports, routes and the application layer; this
module imports no solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from planner.policy import Policy


@dataclass(frozen=True, slots=True)
class Campaign:
    """A visiting campaign: every listed target visited between ``start`` and ``end`` (inclusive),
    before anything else (ordered by the chief after a serious crime, Aomori 第4-3)."""

    target_ids: frozenset[str]
    start: date
    end: date

    def covers(self, day: date) -> bool:
        """True when ``day`` lies in the campaign's window."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    """One row of plan.csv."""

    target_id: str
    beat_id: str
    officer_id: str
    tier: str
    date: date
    slot: str
    due_reason: str
    est_minutes: int

    @property
    def month(self) -> int:
        """Month of the visit, 1..12."""
        return self.date.month


@dataclass(frozen=True, slots=True)
class Unplanned:
    """A due target the plan could not place, with a reason code and a sentence."""

    target_id: str
    beat_id: str
    tier: str
    reason: str  # no_capacity | no_window | unreachable | no_officer
    message: str
    est_minutes: int = 0


@dataclass(frozen=True, slots=True)
class MonthLoad:
    """Planned minutes against capacity for one beat and month."""

    beat_id: str
    month: int
    capacity_min: int  # duty-roster visit minutes x the policy's month factor
    usable_min: int  # capacity less the reserve kept for revisits
    planned_min: int
    visits: Mapping[str, int]  # by tier


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What did not fit in one beat and tier, and what would close the gap."""

    beat_id: str
    tier: str
    households: int
    hours: float
    message: str


@dataclass(slots=True)
class YearPlan:
    """Result of :func:`plan_year`."""

    year: int
    policy: str
    visits: list[PlannedVisit] = field(default_factory=list)
    unplanned: list[Unplanned] = field(default_factory=list)
    loads: list[MonthLoad] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    objective: dict[str, dict[str, float]] = field(default_factory=dict)  # beat -> rule -> points
    stats: dict[str, float] = field(default_factory=dict)
    campaign: Campaign | None = None  # the campaign (or front-load) the plan followed

    def approvals(self, policy: Policy) -> list[PlannedVisit]:
        """Visits in slots that need the 地域課長's approval (night visits)."""
        return [v for v in self.visits if v.slot in policy.approval_slots]
