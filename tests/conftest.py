"""Shared fixtures: tiny hand-made stations whose plans can be checked by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

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


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # the page must not need the network: send every host nowhere
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",  # page console messages and uncaught errors go to stderr
    "--log-level=0",
    "--window-size=1000,800",
    "--virtual-time-budget=3000",
]


def chromium_screenshot(page: Path, shot: Path) -> subprocess.CompletedProcess:
    """Render a local page with headless Chromium, the network closed (skip without Chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
            env={**os.environ, "HOME": profile},
        )
