"""Plan files: ``plan.csv``, ``unplanned.csv``, ``approvals.csv``, ``exemptions.csv`` and a
campaign plan's ``campaign.csv`` — written and read back.

Column names are an interface (officers may write a hand plan in the same columns for
``planner verify`` to score); see docs/formats.md.  Files are written atomically; those with
addresses are owner-only.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from planner import _validate as v
from planner._errors import RowError
from planner.approvals import decision_status, decisions_by_visit
from planner.exemptions import exemptions_in_effect
from planner.files import atomic_path
from planner.forms import FormData, FormHeader, plan_form_data, write_form
from planner.model import Station
from planner.patrol import PatrolRoute
from planner.plan import Campaign, PlannedVisit, Unplanned, YearPlan
from planner.policy import Policy
from planner.supervision import plan_digest, review_line, review_of

if TYPE_CHECKING:
    from planner.routes import DayRoute

PLAN_COLUMNS = (
    "target_id",
    "beat_id",
    "officer_id",
    "tier",
    "date",
    "month",
    "slot",
    "due_reason",
    "est_minutes",
)
UNPLANNED_COLUMNS = ("target_id", "beat_id", "tier", "reason", "message")
APPROVAL_COLUMNS = (
    "target_id",
    "beat_id",
    "officer_id",
    "date",
    "slot",
    "start",
    "end",
    "address",
    "approver",
    "why",
    "decision",
)
EXEMPTION_COLUMNS = ("target_id", "beat_id", "address", "ordered_by", "date", "reason")


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
    _write_csv(
        Path(path),
        PLAN_COLUMNS,
        (
            (
                x.target_id,
                x.beat_id,
                x.officer_id,
                x.tier,
                x.date.isoformat(),
                x.date.month,
                x.slot,
                x.due_reason,
                x.est_minutes,
            )
            for x in visits
        ),
        private=False,
    )


def write_unplanned(path: str | Path, rows: Sequence[Unplanned]) -> None:
    """Write unplanned.csv, with a header even when empty."""
    _write_csv(
        Path(path),
        UNPLANNED_COLUMNS,
        ((u.target_id, u.beat_id, u.tier, u.reason, u.message) for u in rows),
        private=False,
    )


def write_approvals(
    path: str | Path, visits: Sequence[PlannedVisit], station: Station, policy: Policy
) -> None:
    """Write approvals.csv: night visits for the 地域課長's approval (addresses: owner-only).

    ``decision`` is ``approved`` / ``denied`` where the 地域課長's decision on that visit is on
    record (``planner approve``), else ``pending``.
    """
    address = {t.target_id: t for t in station.targets}
    decisions = decisions_by_visit(station.approvals)
    rows = []
    for x in visits:
        slot = policy.slot(x.slot)
        t = address[x.target_id]
        why = f"availability {t.availability.value}, household {t.household_type.value}"
        status = decision_status(decisions, (x.target_id, x.date, x.slot))
        rows.append(
            (
                x.target_id,
                x.beat_id,
                x.officer_id,
                x.date.isoformat(),
                x.slot,
                slot.start.strftime("%H:%M"),
                slot.end.strftime("%H:%M"),
                t.address,
                slot.approver,
                why,
                status,
            )
        )
    _write_csv(Path(path), APPROVAL_COLUMNS, rows, private=True)


def write_exemptions(
    path: str | Path, station: Station, year: int, *, beats: Iterable[str] | None = None
) -> None:
    """Write exemptions.csv: targets exempt in ``year`` by the chief's order, with the order.

    Header only when there is none; owner-only (it has addresses).  ``beats`` limits the list to
    the planned beats.
    """
    rows = [
        (t.target_id, t.beat_id, t.address, e.ordered_by, e.date.isoformat(), e.reason)
        for t, e in exemptions_in_effect(station, year, beats=beats)
    ]
    _write_csv(Path(path), EXEMPTION_COLUMNS, rows, private=True)


def write_outcomes(path: str | Path, rows: Sequence[dict[str, str]]) -> None:
    """Write an outcomes CSV (the columns ``planner record`` reads); owner-only."""
    columns = list(rows[0]) if rows else ["target_id", "date", "officer_id", "outcome", "notes"]
    _write_csv(Path(path), columns, ([r[c] for c in columns] for r in rows), private=True)


CAMPAIGN_COLUMNS = ("target_id", "start", "end")


def write_campaign(path: str | Path, campaign: Campaign) -> None:
    """Write ``campaign.csv``: the order a campaign plan follows (one row per target, with the
    window), so that ``planner verify`` checks the plan against it."""
    rows = (
        (t, campaign.start.isoformat(), campaign.end.isoformat())
        for t in sorted(campaign.target_ids)
    )
    _write_csv(Path(path), CAMPAIGN_COLUMNS, rows, private=False)


def read_campaign(path: str | Path) -> Campaign | None:
    """The campaign order of a ``campaign.csv`` (``None`` when the file lists no target).

    Raises
    ------
    RowError
        Naming row and column of a bad date or a window that differs between rows.
    """
    cols = [
        v.Column("target_id", v.nonempty),
        v.Column("start", v.iso_date()),
        v.Column("end", v.iso_date()),
    ]
    rows = v.check_rows(Path(path), v.read_table(Path(path)), cols)
    if not rows:
        return None
    windows = {(r["start"], r["end"]) for r in rows}
    if len(windows) > 1:
        raise RowError(str(path), [(2, "start/end", "every row must carry the same window")])
    ((start, end),) = windows
    return Campaign(frozenset(r["target_id"] for r in rows), start, end)


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
        PlannedVisit(
            r["target_id"],
            r["beat_id"],
            r["officer_id"],
            r["tier"],
            r["date"],
            r["slot"],
            r["due_reason"],
            r["est_minutes"],
        )
        for r in rows
    ]


def read_approval_ids(path: str | Path) -> set[str]:
    """Target ids listed in an approvals.csv."""
    return {r["target_id"] for r in v.read_table(Path(path))}


def read_unplanned(path: str | Path) -> list[Unplanned]:
    """Read unplanned.csv back."""
    rows = v.read_table(Path(path))
    return [
        Unplanned(r["target_id"], r["beat_id"], r["tier"], r["reason"], r["message"]) for r in rows
    ]


def write_plan_outputs(
    out_dir: str | Path, plan: YearPlan, station: Station, policy: Policy
) -> list[Path]:
    """Write every file of a year plan into ``out_dir`` and return their paths.

    ``plan.csv``, ``unplanned.csv``, ``approvals.csv``, ``exemptions.csv`` (the planned beats'
    targets exempt by the chief's order; headers even when empty) and one
    ``form_<beat>_<year>.xlsx`` (年間実施計画・結果表) per planned beat.  Every plan directory
    (``planner plan``, ``replan``, the demo) is written here.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = ("plan.csv", "unplanned.csv", "approvals.csv", "exemptions.csv")
    written = [out / name for name in names]
    planned = _plan_beats(plan)
    write_plan(written[0], plan.visits)
    write_unplanned(written[1], plan.unplanned)
    write_approvals(written[2], plan.approvals(policy), station, policy)
    write_exemptions(written[3], station, plan.year, beats=planned)
    beats = sorted({load.beat_id for load in plan.loads})
    review = review_line(review_of(station.reviews, plan_digest(written[0])))
    for beat_id in beats:
        path = out / f"form_{beat_id}_{plan.year}.xlsx"
        header, data = plan_form(plan, station, policy, beat_id)
        data.review = review
        write_form(path, header, data)
        written.append(path)
    return written


def _plan_beats(plan: YearPlan) -> set[str]:
    """Beats a plan covers (every planned beat has monthly loads, even without visits)."""
    return (
        {load.beat_id for load in plan.loads}
        | {x.beat_id for x in plan.visits}
        | {u.beat_id for u in plan.unplanned}
    )


def plan_form(
    plan: YearPlan, station: Station, policy: Policy, beat_id: str
) -> tuple[FormHeader, FormData]:
    """Header and figures of one beat's 年間実施計画・結果表 from a year plan.

    対象数 (Ｂ) is this year's targets per tier: the planned and the unplanned due targets.
    Targets exempt by the chief's order are not among them; their number is noted on the form.
    """
    beat = station.beat(beat_id)
    post = station.post_of(beat_id)
    officers = "・".join(o.name for o in station.officers_of(beat_id))
    header = FormHeader(plan.year, station.name, post.name, beat_id, beat.name, officers)
    planned = Counter((v.tier, v.month) for v in plan.visits if v.beat_id == beat_id)
    targets = Counter(v.tier for v in plan.visits if v.beat_id == beat_id)
    targets.update(u.tier for u in plan.unplanned if u.beat_id == beat_id)
    households = station.register_households(beat_id, date(plan.year, 1, 1))
    data = plan_form_data(
        policy.tiers,
        dict(planned),
        {code: targets.get(code, 0) for code in policy.tier_codes},
        registry_households=beat.registry_households,
        register_households=households,
    )
    data.exempted = len(exemptions_in_effect(station, plan.year, beats=[beat_id]))
    unplanned = sum(u.beat_id == beat_id for u in plan.unplanned)
    data.note = (
        "対象数は当年の実施対象（重点対象は全数、一般対象は周期により当年に当たるもの及び未把握・仮カード）。"
        + (f" 計画に入らなかった対象 {unplanned} 件は unplanned.csv を参照。" if unplanned else "")
    )
    return header, data


def route_stem(beat_id: str, day: date, slot: str, first: bool, officer_id: str = "") -> str:
    """File stem of a route: ``route_<beat>_<date>_<officer>`` for the officer's main slot of
    the day, else with ``_<slot>`` (no officer: ``route_<beat>_<date>``)."""
    parts = ["route", beat_id, day.isoformat(), *([officer_id] if officer_id else [])]
    return "_".join(parts) + ("" if first else f"_{slot}")


POST_ROW_ID = ""
"""``target_id`` of a route CSV's last row: the walk back to the post (no target)."""
ROUTE_APPROVAL_COLUMN = "approval"
"""The route CSV's column after the route's own: ``approved`` / ``denied`` / ``pending`` for a
door in a slot that needs the 地域課長's approval (night), empty otherwise."""


def route_csv_rows(route: DayRoute, post: tuple[float, float]) -> list[dict]:
    """Rows of a route CSV: the doors in order, then the walk back to the post.

    The last row has no ``target_id``: ``arrive`` is the time back at the post, ``leg_m`` the
    metres from the last door, ``lon``/``lat`` the post; ``depart``, ``window`` and
    ``optional`` are empty.  A route without doors has no rows.
    """
    from planner.routes import hhmm

    rows = route.to_rows()
    if not route.stops:
        return rows
    back_m = route.total_m - sum(s.leg_m for s in route.stops)
    rows.append(
        {
            "seq": len(route.stops) + 1,
            "target_id": POST_ROW_ID,
            "arrive": hhmm(route.back),
            "depart": "",
            "wait_min": 0,
            "leg_m": max(back_m, 0),
            "lon": post[0],
            "lat": post[1],
            "window": "",
            "optional": "",
        }
    )
    return rows


def write_route_outputs(
    out_dir: str | Path,
    patrols: Sequence[PatrolRoute],
    station: Station,
    policy: Policy,
    *,
    graph: nx.MultiDiGraph | None = None,
    with_names: bool = False,
    tiles: str | None = None,
) -> list[Path]:
    """Write ``route_<beat>_<date>_<officer>.csv`` / ``.html`` / ``.pdf`` per routed
    officer-slot (``_<slot>`` added for an officer's further slots of the day).

    The CSV ends with the walk back to the post (:func:`route_csv_rows`); in a slot that needs
    approval each door's ``approval`` says whether the 地域課長 approved it.  Every file holds
    home coordinates or addresses (names only ``with_names``): all are owner-only.  When the
    streets came from OpenStreetMap, the map and the sheet say "© OpenStreetMap contributors".

    Raises
    ------
    ValueError
        If a route has no date (its files are named and headed by the day).
    """
    from planner.maps import route_map, write_route_map
    from planner.routes import ROW_COLUMNS, hhmm
    from planner.sheets import SheetHeader, route_sheet
    from planner.streets import OSM_ATTRIBUTION, from_osm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = {t.target_id: t for t in station.targets}
    tiers = {t.code: t.label for t in policy.tiers}
    decisions = decisions_by_visit(station.approvals)
    streets = _beat_streets(graph, station, patrols)
    credit = OSM_ATTRIBUTION if from_osm(graph) else None
    written: list[Path] = []
    seen: set[tuple[str, str]] = set()
    for p in patrols:
        r, day = p.route, _route_day(p)
        who = (p.beat_id, r.officer_id)
        stem = route_stem(p.beat_id, day, r.slot, first=who not in seen, officer_id=r.officer_id)
        seen.add(who)
        post = station.post_of(p.beat_id)
        csv_path = out / f"{stem}.csv"
        rows = route_csv_rows(r, (post.lon, post.lat))
        night = r.slot in policy.approval_slots
        marks = [
            decision_status(decisions, (row["target_id"], day, r.slot))
            if night and row["target_id"] != POST_ROW_ID
            else ""
            for row in rows
        ]
        _write_csv(
            csv_path,
            (*ROW_COLUMNS, ROUTE_APPROVAL_COLUMN),
            ([*(row[c] for c in ROW_COLUMNS), mark] for row, mark in zip(rows, marks, strict=True)),
            private=True,
        )
        m = route_map(
            r,
            streets=streets,
            post=(post.lon, post.lat),
            targets=targets,
            tier_labels=tiers,
            tiles=tiles,
            with_names=with_names,
            attribution=credit,
        )
        write_route_map(out / f"{stem}.html", m)
        officer = next((o.name for o in station.officers if o.officer_id == r.officer_id), "")
        header = SheetHeader(
            date=day,
            beat_id=p.beat_id,
            beat_name=station.beat(p.beat_id).name,
            officer=officer,
            shift=f"{hhmm(p.shift[0])}–{hhmm(p.shift[1])}",
            mode=r.mode,
            station=station.name,
        )
        route_sheet(
            out / f"{stem}.pdf",
            r,
            streets=streets,
            post=(post.lon, post.lat),
            targets=targets,
            header=header,
            tier_labels=tiers,
            with_names=with_names,
            attribution=credit,
        )
        written += [csv_path, out / f"{stem}.html", out / f"{stem}.pdf"]
    return written


def _route_day(p: PatrolRoute) -> date:
    """The day of a routed officer-slot; ``ValueError`` for a route made without one."""
    if p.route.date is None:
        raise ValueError(f"beat {p.beat_id}: the route of {p.route.officer_id} has no date")
    return p.route.date


def _beat_streets(graph, station: Station, patrols: Sequence[PatrolRoute]):
    """The streets around the routed beats (the basemap), not the whole town."""
    if graph is None:
        return None
    from planner.network import edges_to_lines

    lines = edges_to_lines(graph)
    points = [(s.lon, s.lat) for p in patrols for s in p.route.stops]
    points += [(station.post_of(p.beat_id).lon, station.post_of(p.beat_id).lat) for p in patrols]
    lons, lats = zip(*points, strict=True)
    pad = 0.004  # about 400 m around the doors
    box = (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)
    return lines.cx[box[0] : box[2], box[1] : box[3]]
