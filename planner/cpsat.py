"""The one seam between the planner and OR-Tools CP-SAT.

Model-building code says what a rule means (``model.at_most_one(...)``,
``model.reward("contact", value, var)``); this module turns it into CP-SAT calls and reads the
solution back, with the objective broken down by rule so a plan can say which rule cost what.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner._errors import PlannerError

Var = cp_model.IntVar

DECIDED = frozenset({"OPTIMAL", "INFEASIBLE", "MODEL_INVALID"})
"""Statuses a search ends with by itself (not stopped by a limit)."""


class WallClockGuard(PlannerError):
    """The wall-clock guard stopped a search before its deterministic limit.

    The answer would then depend on how fast the machine was (its load), so no plan is made
    from it: callers let this error through, and the run says so and exits non-zero.
    """


@dataclass(slots=True)
class Solution:
    """Values of a solved model and its objective per rule."""

    status: str
    values: dict[int, int]
    objective: float
    by_rule: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0

    def __call__(self, var: Var) -> int:
        """Value of a variable (0 when the model has no solution)."""
        return self.values.get(var.index, 0)

    @property
    def ok(self) -> bool:
        """True when a feasible (or optimal) solution was found, or the start was kept."""
        return self.status in ("OPTIMAL", "FEASIBLE", "HINT")


class Model:
    """A maximisation model with named objective terms."""

    def __init__(self) -> None:
        self._cp = cp_model.CpModel()
        self._terms: dict[str, list[tuple[int, Var]]] = defaultdict(list)
        self._vars: list[Var] = []
        self._hints: dict[int, int] = {}

    def boolean(self, name: str) -> Var:
        """A new 0/1 variable."""
        var = self._cp.new_bool_var(name)
        self._vars.append(var)
        return var

    def integer(self, lo: int, hi: int, name: str) -> Var:
        """A new integer variable in ``[lo, hi]``."""
        var = self._cp.new_int_var(lo, hi, name)
        self._vars.append(var)
        return var

    def at_most_one(self, variables: Sequence[Var]) -> None:
        """At most one of the booleans is true."""
        if len(variables) > 1:
            self._cp.add_at_most_one(variables)

    def at_most(self, terms: Iterable[tuple[int, Var]], bound: int) -> None:
        """``sum(coef * var) <= bound``."""
        terms = list(terms)
        if terms:
            self._cp.add(sum(c * v for c, v in terms) <= bound)

    def at_least(self, terms: Iterable[tuple[int, Var]], bound: int) -> None:
        """``sum(coef * var) >= bound``."""
        terms = list(terms)
        self._cp.add(sum(c * v for c, v in terms) >= bound)

    def implies(self, a: Var, b: Var) -> None:
        """``a <= b`` for booleans (a true forces b true)."""
        self._cp.add_implication(a, b)

    def reward(self, rule: str, coef: int, var: Var) -> None:
        """Add ``coef * var`` to the objective (maximised), booked under ``rule``."""
        if coef:
            self._terms[rule].append((int(coef), var))

    def penalty(self, rule: str, coef: int, var: Var) -> None:
        """Subtract ``coef * var`` from the objective, booked under ``rule``."""
        self.reward(rule, -int(coef), var)

    def hint(self, var: Var, value: int) -> None:
        """A starting value for the search."""
        self._cp.add_hint(var, value)
        self._hints[var.index] = int(value)

    def solve(
        self,
        *,
        time_limit_s: float,
        workers: int = 1,
        seed: int = 0,
        keep_hint: bool = False,
        deadline: float | None = None,
    ) -> Solution:
        """Solve within a deterministic limit; the same model, seed and limit give the same answer
        on any machine under any load.

        Parameters
        ----------
        time_limit_s
            CP-SAT's *deterministic* time (``max_deterministic_time``): a count of work, not of
            seconds, so the search stops at the same point however busy the machine is.  On an
            idle machine one unit takes roughly a second.
        workers
            Search workers.  1 (the default) is one sequential search; more run CP-SAT's
            interleaved search (``interleave_search``: its subsolvers in fixed batches, also
            deterministic).  Never CP-SAT's free-running parallel portfolio.
        seed
            CP-SAT's random seed.
        keep_hint
            When the search finds no solution within its limit, return the hinted values
            (status ``HINT``); only for callers whose hints are feasible by construction.
        deadline
            A wall-clock guard, as a :func:`time.monotonic` time.  It never shapes the answer:
            if the machine is so slow that the deadline passes before the deterministic limit
            (or has passed already), :class:`WallClockGuard` is raised instead of returning
            whatever the search had found by then.

        Raises
        ------
        WallClockGuard
            If the deadline stopped (or would have to stop) the search.
        """
        guard = None if deadline is None else deadline - time.monotonic()
        if guard is not None and guard <= 0:
            raise WallClockGuard("the wall-clock guard had run out before this solve started")
        terms = [t for ts in self._terms.values() for t in ts]
        self._cp.maximize(sum(c * v for c, v in terms) if terms else 0)
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = max(1, workers)
        if workers > 1:
            p.interleave_search = True
        p.random_seed = seed
        limit = max(0.01, time_limit_s)
        p.max_deterministic_time = limit
        if guard is not None:
            p.max_time_in_seconds = guard
        status = solver.solve(self._cp)
        name = solver.status_name(status)
        if (
            guard is not None
            and name not in DECIDED
            and (solver.deterministic_time < limit or solver.wall_time >= guard)
        ):
            raise WallClockGuard(
                f"the wall-clock guard stopped CP-SAT after {solver.wall_time:.1f} s, at "
                f"{solver.deterministic_time:.2f} of its {limit:g} deterministic units"
            )
        if name in ("OPTIMAL", "FEASIBLE"):
            values = {v.index: int(solver.value(v)) for v in self._vars}
        elif keep_hint and name != "INFEASIBLE" and self._hints:
            name = "HINT"
            values = {v.index: self._hints.get(v.index, 0) for v in self._vars}
        else:
            return Solution(name, {}, 0.0, wall_s=solver.wall_time)
        by_rule = {
            rule: float(sum(c * values[v.index] for c, v in ts)) for rule, ts in self._terms.items()
        }
        return Solution(name, values, sum(by_rule.values()), by_rule, solver.wall_time)
