"""``planner demo``: the demo station (a made-up town in Miyagi) through every use case.

The demo writes demo.gpkg, places its 案内簿 offline, records an exemption order, plans the
year (the same path as ``planner plan``), writes route sheets, compares three scenarios, plays
January–March in the field, records the outcomes, writes the March forms and the opinions
reports, re-plans from April, hands a beat over and plans a campaign: each step an app call
whose lines go to ``on_step`` as soon as it is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from planner.app.campaign import run_campaign
from planner.app.common import Line, say
from planner.app.compare import compare_station
from planner.app.handover import hand_over
from planner.app.opinions import month_opinions
from planner.app.plan import StationPlan, plan_station
from planner.app.progress import monthly_progress
from planner.app.registers import summary_lines
from planner.app.replan import replan_station
from planner.app.route import first_day_routes
from planner.demo import DEMO_YEAR, annotate_outcomes, build_demo, demo_exemption
from planner.executor import SERIAL
from planner.exemptions import exempt_targets
from planner.files import atomic_path
from planner.planfiles import write_outcomes
from planner.prefecture import PrefectureSpec, StationInfo, write_prefecture
from planner.record import record_outcomes
from planner.registers import demo_register
from planner.scenarios import Scenario, scenario_from_dict
from planner.schedule import YearParams
from planner.simulate import simulate_outcomes
from planner.store import read_station, write_station

Say = Callable[[list[Line]], None]
"""Where the demo's lines go as each step finishes."""

HANDOVER_BEAT = "K1-2"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """The demo station file and its year plan."""

    db: Path
    plan: StationPlan


def run_demo(
    out_dir: Path,
    *,
    seed: int = 0,
    year: int = DEMO_YEAR,
    time_limit: float = 5.0,
    on_step: Say | None = None,
    progress: bool = False,
) -> DemoResult:
    """Build the demo station in ``out_dir`` and run every use case on it.

    Parameters
    ----------
    out_dir
        Folder for demo.gpkg, plan/, routes/, compare/, progress/, opinions/, replan/,
        handover/, campaign/ and the register files.
    seed
        Random seed of the town and of the simulated outcomes.
    year
        Plan year.
    time_limit
        Solver budget per beat for the year plan (deterministic time).
    on_step
        Called with each step's lines when the step is done.
    progress
        Show the year plan's beats done / total on stderr (:class:`planner.executor.Progress`).

    Returns
    -------
    DemoResult
    """
    show: Say = on_step or (lambda lines: None)
    station, streets = build_demo(seed)
    db = out_dir / "demo.gpkg"
    write_station(station, db, streets=streets)
    show([say(f"wrote {db} ({len(station.targets)} targets, {len(station.beats)} beats)")])
    show(
        [
            say("\n== 案内簿 → geocoder → import =="),
            *map(say, demo_register(station, out_dir, today=date(year, 1, 1))),
        ]
    )
    show(_exemption(db, out_dir, year))
    show(summary_lines(read_station(db), year))
    params = YearParams(time_limit_s=time_limit)
    show([say(f"\n== year plan {year} ==")])
    plan = plan_station(
        db, out_dir / "plan", year=year, params=params, spec=SERIAL, progress=progress
    )
    show(plan.lines())
    routes = first_day_routes(db, out_dir / "routes", plan.plan.visits)
    show(
        [
            say(
                f"\n== route sheets for each beat's first duty day: {len(routes.written)} "
                f"files in {out_dir / 'routes'} =="
            )
        ]
    )
    scenarios = _scenarios(db, year)
    show([say(f"\n== scenarios: {', '.join(s.name for s in scenarios)} ==")])
    compared = compare_station(
        db,
        scenarios,
        out_dir / "compare",
        year=year,
        params=YearParams(time_limit_s=2.0),
        processes=None,
    )
    show(compared.lines())
    _months(db, out_dir, plan, year, seed, params, show)
    _handover_and_campaign(db, out_dir, year, show)
    return DemoResult(db, plan)


def _exemption(db: Path, out_dir: Path, year: int) -> list[Line]:
    """One order of the chief, recorded as `planner exempt` records it."""
    order = demo_exemption(read_station(db), year)
    path = out_dir / "exemption_orders.csv"
    with atomic_path(path, private=False) as tmp:
        tmp.write_text(
            "target_id,ordered_by,date,reason\n"
            f"{order.target_id},{order.ordered_by},{order.date},{order.reason}\n",
            encoding="utf-8",
        )
    r = exempt_targets(db, path, year=year, today=max(order.date, date.today()))
    return [
        say(
            f"exempt: {r.added} order of the 署長 ({path}); {r.left_due} target leaves the "
            f"{year} due set (listed in exemptions.csv beside every plan)"
        )
    ]


def _crime_scene(db: Path) -> tuple[float, float]:
    """Where the demo's burglary happened: a few streets from the 交番."""
    post = read_station(db).posts[0]
    return post.lon - 0.0025, post.lat + 0.0013


def _scenarios(db: Path, year: int) -> list[Scenario]:
    """As is, one officer fewer, a two-week campaign around the crime scene."""
    station = read_station(db)
    lon, lat = _crime_scene(db)
    return [
        scenario_from_dict({"name": "現状"}),
        scenario_from_dict({"name": "一人減", "remove_officers": [station.officers[2].officer_id]}),
        scenario_from_dict(
            {
                "name": "重点警戒",
                "campaign": {
                    "center": [lon, lat],
                    "radius_m": 150,
                    "start": date(year, 5, 10),
                    "days": 14,
                    "kinds": ["household"],
                },
            }
        ),
    ]


def _months(
    db: Path,
    out_dir: Path,
    plan: StationPlan,
    year: int,
    seed: int,
    params: YearParams,
    show: Say,
) -> None:
    """The first quarter in the field: simulated outcomes, recorded, the March form, a re-plan."""
    upto, start = date(year, 3, 31), date(year, 4, 1)
    station = read_station(db)
    rows = annotate_outcomes(simulate_outcomes(station, plan.plan.visits, upto, seed=seed), seed)
    outcomes = out_dir / f"outcomes_{year}-01_03.csv"
    write_outcomes(outcomes, rows)
    r = record_outcomes(db, outcomes, year=year, today=upto)
    show(
        [
            say(f"\n== January–March in the field (simulated): {outcomes} =="),
            say(f"recorded {r.added} visits, {r.new_targets} new households"),
        ]
    )
    plan_csv = out_dir / "plan" / "plan.csv"
    progress = monthly_progress(
        db, out_dir / "progress", year=year, month=3, plan_path=plan_csv, by_officer=True
    )
    show([say("progress: " + ", ".join(str(p) for p in progress.written))])
    for month in (1, 2, 3):
        show(month_opinions(db, out_dir / "opinions", year=year, month=month).lines())
    show([say(f"\n== re-plan from {start} ==")])
    replanned = replan_station(
        db, out_dir / "replan", year=year, start=start, plan_path=plan_csv, params=params
    )
    show(replanned.lines())


def _handover_and_campaign(db: Path, out_dir: Path, year: int, show: Say) -> None:
    """A beat changing hands on 1 April, and a campaign ordered after a crime in May."""
    replanned = out_dir / "replan" / "plan.csv"
    day = date(year, 4, 1)
    show([say(f"\n== handover of {HANDOVER_BEAT} on {day} ==")])
    show(hand_over(db, HANDOVER_BEAT, out_dir / "handover", day=day, plan_path=replanned).lines())
    start = date(year, 5, 10)
    show([say(f"\n== campaign after a burglary: 80 m around it, 14 days from {start} ==")])
    run = run_campaign(
        db,
        out_dir / "campaign",
        center=_crime_scene(db),
        radius_m=80.0,
        start=start,
        days=14,
        kinds=("household",),
        plan_path=replanned,
        year=year,
        keep="day",
        params=YearParams(time_limit_s=2.0),
        search_plans=2,
    )
    show(run.lines())


def run_prefecture_demo(
    out_dir: Path,
    spec: PrefectureSpec,
    on_station: Callable[[StationInfo, float], None] | None = None,
) -> tuple[list[StationInfo], float]:
    """``demo --prefecture``: one station file per station and prefecture.csv, written one at
    a time; ``on_station`` gets each station's figures and the seconds so far.

    Returns
    -------
    tuple
        The stations' figures and the seconds the whole took.
    """
    start = time.perf_counter()

    def done(info: StationInfo) -> None:
        if on_station is not None:
            on_station(info, time.perf_counter() - start)

    infos = write_prefecture(out_dir, spec, progress=done)
    return infos, time.perf_counter() - start
