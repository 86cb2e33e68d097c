"""The simulated year: the contact model's statistics, the baseline's rules, determinism."""

from __future__ import annotations

import numpy as np
from conftest import tiny_station

from planner.contact import load_absence
from planner.model import HouseholdType, Outcome
from planner.policy import load_policy
from planner.schedule import YearParams
from planner.simulate import FieldParams
from planner.simulator import SimParams, _draw, simulate_year

MIYAGI = load_policy("miyagi")
FAST = YearParams(time_limit_s=1.0)


def test_answer_rate_matches_the_contact_model():
    absence = load_absence()
    target = tiny_station(1).targets[0]
    for kind, weekend, slot in [(HouseholdType.DUAL_EARNER, False, "day"),
                                (HouseholdType.ELDERLY, True, "day"),
                                (HouseholdType.SINGLE_WORKER, False, "evening")]:  # fmt: skip
        t = target.__class__(**{**{f: getattr(target, f) for f in target.__slots__},
                                "household_type": kind})  # fmt: skip
        rng = np.random.default_rng(1)
        draws = [_draw(t, weekend, slot, rng, absence, FieldParams()) for _ in range(10_000)]
        observed = sum(o is not Outcome.ABSENT for o in draws) / len(draws)
        expected = absence.answer_chance(kind, weekend=weekend, slot=slot)
        assert abs(observed - expected) < 0.02, (kind, observed, expected)


def test_baseline_sweeps_by_day_in_address_order():
    station = tiny_station(20)
    result = simulate_year(station, MIYAGI, 2027, params=SimParams(strategy="baseline"))
    summary = result.summary()
    assert summary["night_visits"] == 0  # daytime only
    assert summary["first_interviews"] > 0 and summary["doors"] >= summary["first_interviews"]
    assert set(summary) >= {"officer_hours", "first_interviews", "hours_per_interview", "km",
                            "rate"}  # fmt: skip
    assert set(summary["rate"]) == {"priority", "general"}


def test_planner_strategy_runs_and_is_deterministic():
    station = tiny_station(20)
    params = SimParams(strategy="planner", seed=3, plan=FAST, replan_monthly=False)
    a = simulate_year(station, MIYAGI, 2027, params=params).summary()
    b = simulate_year(station, MIYAGI, 2027, params=params).summary()
    assert a == b
    assert 0 < a["rate"]["priority"] <= 1
    assert station.visits == []  # the base station is not changed
