"""``planner campaign``: every target in a circle visited within N days, the plan re-made."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from planner.app.common import Db, Line, open_station, plan_and_unplanned, say, warn
from planner.app.plan import plan_report
from planner.campaign import (
    CampaignResult,
    campaign_order,
    campaign_patrols,
    order_on_record,
    plan_campaign,
    record_order,
    write_displaced,
)
from planner.model import CampaignOrder
from planner.planfiles import write_campaign, write_plan_outputs, write_route_outputs
from planner.policy import Policy
from planner.schedule import YearParams


@dataclass(frozen=True, slots=True)
class Order:
    """Who ordered a campaign, when and why (kept on record when given)."""

    ordered_by: str = ""
    reason: str = ""
    ordered_on: date | None = None  # default: today, or the start if that is earlier


@dataclass(frozen=True, slots=True)
class CampaignRun:
    """A campaign as planned and written."""

    result: CampaignResult
    policy: Policy
    params: YearParams
    year: int
    radius_m: float
    kinds: tuple[str, ...]
    had_plan: bool
    written: list[Path]
    routes: list[Path]
    out_dir: Path
    order: CampaignOrder | None = None
    order_added: bool = False
    notes: list[Line] = field(default_factory=list)

    def lines(self) -> list[Line]:
        """The order, the plan's report, the campaign's figures and what moved."""
        out = list(self.notes)
        if self.order is None:
            out.append(warn("note: the order is not on record (give --ordered-by and --reason)"))
        else:
            state = "kept on record" if self.order_added else "already on record"
            o = self.order
            out.append(say(f"campaign order {state}: {o.ordered_by}, {o.ordered_on}, {o.reason}"))
        out += plan_report(self.result.plan, self.policy, self.params, self.written)
        out += campaign_lines(self.result, self.year, self.radius_m, self.kinds, self.had_plan)
        routes = self.out_dir / "routes"
        displaced = self.out_dir / "displaced.csv"
        out.append(say(f"wrote {displaced} and {len(self.routes)} route files in {routes}"))
        return out


def run_campaign(
    db: Db,
    out_dir: Path,
    *,
    center: tuple[float, float],
    radius_m: float,
    start: date,
    days: int,
    kinds: Sequence[str],
    plan_path: Path | None = None,
    year: int | None = None,
    keep: str = "day",
    params: YearParams | None = None,
    search_plans: int = 6,
    order: Order = Order(),
    progress: Callable[[str], None] | None = None,
) -> CampaignRun:
    """Re-plan the beats a circle touches so that every target in it is visited within
    ``days`` from ``start``; write the plan files, campaign.csv, displaced.csv and route sheets
    for every campaign day.

    Parameters
    ----------
    db
        Station file or PostGIS URL.
    out_dir
        Output folder.
    center, radius_m, kinds
        The circle (lon, lat in degrees; metres) and the kinds of target it covers.
    start, days
        First day and length of the campaign's window.
    plan_path
        The plan in force (unplanned.csv beside it is read); without it the beats in the
        circle are first planned from ``start`` without the campaign.
    year
        Plan year (default: the year of ``start``).
    keep
        How much of the old plan stays where it was (``day``, ``month``, ``none``).
    params
        Solver parameters per beat and planning.
    search_plans
        Plannings allowed to find the days the campaign needs when ``days`` is too short.
    order
        Who ordered it and why: kept in the station file when given.
    progress
        Called with a line per planning.

    Returns
    -------
    CampaignRun
    """
    params = params or YearParams()
    year = year or start.year
    opened = open_station(db)
    station, policy = opened.station, opened.policy
    kinds = tuple(kinds)
    campaign = campaign_order(
        station, year, center=center, radius_m=radius_m, start=start, days=days, kinds=kinds
    )
    kept, added = None, False
    if order.ordered_by or order.reason:
        kept = order_on_record(
            campaign,
            ordered_by=order.ordered_by,
            reason=order.reason,
            ordered_on=order.ordered_on or min(date.today(), start),
            center=center,
            radius_m=radius_m,
            kinds=kinds,
        )
        added = record_order(db, kept)
    old, old_unplanned = plan_and_unplanned(plan_path)
    result = plan_campaign(
        station,
        policy,
        year,
        old,
        campaign,
        old_unplanned=old_unplanned,
        graph=opened.graph,
        params=params,
        keep=keep,
        find_days=search_plans > 0,
        max_plans=search_plans,
        progress=progress,
    )
    written = write_plan_outputs(out_dir, result.plan, station, policy)
    write_campaign(out_dir / "campaign.csv", campaign)
    write_displaced(out_dir / "displaced.csv", result.displaced)
    routes: list[Path] = []
    for patrols in campaign_patrols(
        station, policy, result.plan.visits, campaign, graph=opened.graph
    ).values():
        routes += write_route_outputs(
            out_dir / "routes", patrols, station, policy, graph=opened.graph
        )
    return CampaignRun(
        result,
        policy,
        params,
        year,
        radius_m,
        kinds,
        plan_path is not None,
        written,
        routes,
        out_dir,
        kept,
        added,
        opened.notes,
    )


def campaign_lines(
    r: CampaignResult, year: int, radius: float, kinds: Sequence[str], had_plan: bool
) -> list[Line]:
    """A campaign's targets, those inside the window, the days it needs, what moved."""
    c = r.campaign
    n = (c.end - c.start).days + 1
    length = f"{n} day" + ("s" if n > 1 else "")
    out = [
        say(
            f"campaign {c.start} – {c.end} ({length}): {len(c.target_ids)} targets "
            f"({'/'.join(kinds)}) within {radius:g} m, beat(s) {', '.join(r.beats)}"
        )
    ]
    if not had_plan:
        out.append(
            warn(
                f"note: no --plan: the old plan is the plan of beat(s) {', '.join(r.beats)} "
                f"from {c.start} without the campaign; plan.csv covers those beats only"
            )
        )
    if c.end.year > year:
        out.append(warn(f"note: the window runs past 31 December; the plan year {year} ends there"))
    left = len(r.missing) - len(r.blocked)
    more = f"; {left} do not fit in {length} (unplanned.csv)" if left else ""
    out.append(say(f"planned inside the window: {len(r.in_window)} of {len(c.target_ids)}{more}"))
    if r.blocked:
        why = ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.blocked.values()).items()))
        out.append(
            warn(
                f"warning: {len(r.blocked)} campaign targets cannot be planned however long "
                f"the campaign lasts ({why}); see unplanned.csv"
            )
        )
    if r.needed is not None and left:
        out.append(say(_days_needed(r, n)))
    if r.not_due:
        out.append(
            say(
                f"note: {len(r.not_due)} campaign targets are not due this year otherwise "
                "(the campaign adds them; campaign.csv tells `planner verify`)"
            )
        )
    moved = Counter("moved" if x.reason == "moved" else "dropped" for x in r.displaced)
    out.append(
        say(
            f"displaced: {len(r.displaced)} visits of the old plan from {c.start} "
            f"({moved['moved']} moved, {moved['dropped']} no longer planned): displaced.csv"
        )
    )
    return out


def _days_needed(r: CampaignResult, n: int) -> str:
    d = r.needed
    assert d is not None
    hours = (
        f"at least {d.lower_bound} by the visit hours alone"
        if d.lower_bound
        else "the officers' visit hours to 31 December are not enough"
    )
    if d.days is None and d.exact:
        return (
            f"the campaign does not fit even in the rest of the year ({d.horizon} "
            f"days to 31 December; {hours})"
        )
    if d.days is None:
        return (
            f"the campaign needs more than {max(k for k, _ in d.tried)} days ({hours}); "
            "the search stopped (--search-plans)"
        )
    if d.exact:
        return (
            f"the campaign needs {d.days} days with these officers' hours ({hours}): "
            f"--days {d.days}"
        )
    failed = max((k for k, ok in d.tried if not ok and k < d.days), default=n)
    return (
        f"the campaign fits in {d.days} days with these officers' hours ({hours}; "
        f"{failed} days did not fit, --search-plans narrows it): --days {d.days}"
    )
