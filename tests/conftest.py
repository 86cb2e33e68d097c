"""Shared fixtures: tiny hand-made stations whose plans can be checked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from planner.model import (
    Availability,
    Beat,
    Card,
    HouseholdType,
    Mode,
    Officer,
    Post,
    PostKind,
    Station,
    Target,
    TargetKind,
)

POST = (140.8700, 38.2700)


def tiny_station(
    n: int = 12,
    *,
    pattern: str = "chuzai",
    tier_every: int = 3,
    availability: Availability = Availability.ANY,
    spacing_deg: float = 0.0004,
    visit_hours: dict[str, float] | None = None,
    policy: str = "miyagi",
) -> Station:
    """One post, one beat, one officer and ``n`` targets on a line east of the post.

    Every ``tier_every``-th target is 重点 (H3); all others 一般 and never met, so that every target
    is due in 2027 under Miyagi rules.
    """
    tier_codes = ("priority", "general") if policy == "miyagi" else ("standard", "standard")
    targets = []
    for i in range(n):
        prio = i % tier_every == 0
        targets.append(
            Target(
                target_id=f"T{i:03d}",
                beat_id="B1",
                kind=TargetKind.HOUSEHOLD,
                address=f"みどり町1丁目{i + 1}番1号",
                lon=POST[0] + spacing_deg * (i + 1),
                lat=POST[1],
                tier=tier_codes[0] if prio else tier_codes[1],
                reasons=("H3",) if prio else (),
                last_visit=date(2026, 3, 1) if prio else None,
                card=Card.FULL if prio else Card.NONE,
                availability=availability,
                household_type=HouseholdType.ELDERLY if prio else HouseholdType.FAMILY,
                visit_minutes=10,
            )
        )
    return Station(
        name="テスト警察署",
        policy=policy,
        posts=[Post("P1", "テスト駐在所", PostKind.CHUZAISHO, *POST)],
        beats=[Beat("B1", "P1", "第1受持区", registry_households=n + 2)],
        targets=targets,
        officers=[Officer("O1", "B1", "巡査 テスト", pattern, 0, Mode.WALK, visit_hours or {})],
    )


@pytest.fixture
def station() -> Station:
    return tiny_station()
