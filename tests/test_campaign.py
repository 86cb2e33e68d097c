"""Campaign orders (Aomori 第4-3): targets in the circle inside the window, the days a too short
campaign needs, the visits it displaces, and bad orders refused."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner._errors import InputError
from planner.app.campaign import run_campaign
from planner.app.plan import plan_station
from planner.app.verify import verify_plan_file
from planner.campaign import (
    Displaced,
    campaign_order,
    days_needed,
    displaced_visits,
    lower_bound_days,
    plan_campaign,
)
from planner.cli import main
from planner.model import Beat, Officer, Station
from planner.plan import Campaign, PlannedVisit, Unplanned
from planner.policy import due_targets, load_policy
from planner.routes import route_check
from planner.schedule import YearParams, plan_year
from planner.store import write_station
from planner.verify import verify_plan

MIYAGI = load_policy("miyagi")
FAST = YearParams(time_limit_s=1)
START = date(2027, 5, 10)  # a Monday


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle metres (haversine): the test's own yardstick for the circle."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _inside(station: Station, lon: float, lat: float, radius: float) -> set[str]:
    return {t.target_id for t in station.targets if _metres(lon, lat, t.lon, t.lat) <= radius}


def _two_beats() -> Station:
    """The tiny station and a second beat of 6 targets west of the post, with its own officer."""
    st = tiny_station(30)
    west = [
        replace(t, target_id=f"U{i:03d}", beat_id="B2", lon=2 * st.posts[0].lon - t.lon)
        for i, t in enumerate(st.targets[:6])
    ]
    st.beats.append(Beat("B2", "P1", "第2受持区"))
    st.officers.append(Officer("O2", "B2", "巡査 西", "chuzai"))
    st.targets += west
    return st


@pytest.fixture(scope="module")
def town() -> tuple[Station, list[PlannedVisit], list[Unplanned]]:
    st = _two_beats()
    old = plan_year(st, MIYAGI, 2027, params=replace(FAST, start=START))
    return st, old.visits, old.unplanned


def _order(st: Station, days: int, radius: float = 80.0, start: date = START) -> Campaign:
    t = st.targets[10]  # T010, 385 m east of the post; neighbours 35 m apart
    return campaign_order(
        st, start.year, center=(t.lon, t.lat), radius_m=radius, start=start, days=days
    )


def _in_window(visits, camp: Campaign) -> set[str]:
    return {v.target_id for v in visits if v.target_id in camp.target_ids and camp.covers(v.date)}


def test_every_target_in_the_circle_is_planned_inside_the_window(town):
    st, old, old_unplanned = town
    camp = _order(st, 14)
    t = st.targets[10]
    assert camp.target_ids == _inside(st, t.lon, t.lat, 80) == {f"T{i:03d}" for i in range(8, 13)}
    r = plan_campaign(st, MIYAGI, 2027, old, camp, old_unplanned=old_unplanned, params=FAST)
    assert r.beats == ["B1"] and r.fits and r.needed is None and not r.missing
    later = [v for v in r.plan.visits if v.date >= START]
    for target_id in camp.target_ids:
        rows = [v for v in later if v.target_id == target_id]
        assert len(rows) == 1 and rows[0].due_reason == "campaign"
        assert START <= rows[0].date <= START + timedelta(days=13)
    assert {v.target_id for v in r.in_window} == camp.target_ids
    # the beat outside the circle is not re-planned: its rows and unplanned stay as they were
    assert [v for v in r.plan.visits if v.beat_id == "B2"] == [v for v in old if v.beat_id == "B2"]
    assert [u for u in r.plan.unplanned if u.beat_id == "B2"] == [
        u for u in old_unplanned if u.beat_id == "B2"
    ]
    approvals = {v.target_id for v in r.plan.approvals(MIYAGI)}
    report = verify_plan(
        st,
        MIYAGI,
        2027,
        later,
        unplanned=r.plan.unplanned,
        approvals=approvals,
        start=START,
        router=route_check,
    )
    assert report.ok, report.violations


def test_too_short_a_campaign_says_the_days_it_needs_and_they_suffice(town):
    st, old, old_unplanned = town
    one_day = _order(st, 1)
    r = plan_campaign(st, MIYAGI, 2027, old, one_day, old_unplanned=old_unplanned, params=FAST)
    assert not r.fits and r.missing and not r.blocked
    assert set(r.missing) == one_day.target_ids - _in_window(r.plan.visits, one_day)
    d = r.needed
    assert d is not None and d.days is not None and d.days > 1 and d.exact
    # the bound: no fewer days than the visit minutes alone need (10 min a door; the officer has
    # 36 + 18 min on each weekday, nothing at the weekend)
    visit_min = 10 * len(one_day.target_ids)
    weekday_min, by_minutes, day = 36 + 18, 0, 0
    while by_minutes * weekday_min < visit_min:
        by_minutes += (START + timedelta(days=day)).weekday() < 5
        day += 1
    assert day <= d.lower_bound <= d.days
    assert lower_bound_days(st, MIYAGI, 2027, one_day, params=FAST) == (d.lower_bound, {})
    assert days_needed(st, MIYAGI, 2027, old, one_day, params=FAST) == d  # the same search
    enough = plan_campaign(
        st, MIYAGI, 2027, old, _order(st, d.days), old_unplanned=old_unplanned, params=FAST
    )
    assert enough.fits and _in_window(enough.plan.visits, enough.campaign) == one_day.target_ids
    if d.days - 1 >= max(2, d.lower_bound):
        short = plan_campaign(
            st,
            MIYAGI,
            2027,
            old,
            _order(st, d.days - 1),
            params=FAST,
            old_unplanned=old_unplanned,
            find_days=False,
        )
        assert not short.fits


def test_a_campaign_the_rest_of_the_year_cannot_hold():
    st = tiny_station(30)
    # 27–28 December are the last visit days (29–31 are 年末年始): 2 × (32 + 16) minutes (month
    # factor 0.9) for 11 doors of 10 minutes
    camp = _order(st, 2, radius=180, start=date(2027, 12, 27))
    assert len(camp.target_ids) == 11
    r = plan_campaign(st, MIYAGI, 2027, [], camp, params=FAST)
    assert not r.fits
    assert r.needed is not None and r.needed.days is None and r.needed.lower_bound is None
    assert r.needed.horizon == 5 and r.needed.exact


def test_displaced_rows_by_hand():
    def visit(target_id, day, beat="B1"):
        when = date(2027, 5, day)
        return PlannedVisit(target_id, beat, "O1", "general", when, "day", "cycle", 10)

    old = [
        visit("A", 12),
        visit("B", 13),
        visit("C", 14),
        visit("D", 15),
        visit("E", 3),
        visit("F", 16),
        visit("G", 17, beat="B2"),
        visit("H", 18),
    ]
    new = [visit("A", 20), visit("B", 13), visit("F", 10), visit("H", 4), visit("H", 25)]
    unplanned = [Unplanned("C", "B1", "general", "no_capacity", "does not fit")]
    rows = displaced_visits(
        old, new, unplanned, date(2027, 5, 10), beats=["B1"], campaign_ids=frozenset({"F"})
    )
    assert rows == [
        Displaced("A", "B1", date(2027, 5, 12), date(2027, 5, 20), "moved"),
        Displaced("C", "B1", date(2027, 5, 14), None, "no_capacity"),
        Displaced("D", "B1", date(2027, 5, 15), None, "not_due"),
        Displaced("H", "B1", date(2027, 5, 18), date(2027, 5, 25), "moved"),
    ]  # B same day, E before the start, F a campaign target, G another beat; H's 4 May is past


def test_displaced_against_the_old_and_new_plan(town):
    st, _old, _ = town
    # a hand plan filling the campaign's first days with doors next to the post
    old = [
        PlannedVisit(
            f"T{i:03d}",
            "B1",
            "O1",
            st.targets[i].tier,
            START + timedelta(days=i // 2),
            "day",
            "cycle",
            14,
        )
        for i in range(4)
    ]
    camp = _order(st, 3)
    r = plan_campaign(st, MIYAGI, 2027, old, camp, params=FAST, find_days=False)
    new = {v.target_id: v.date for v in r.plan.visits if v.date >= START}
    why = {u.target_id: u.reason for u in r.plan.unplanned}
    expected = [
        (v.target_id, v.date, new.get(v.target_id)) for v in old if new.get(v.target_id) != v.date
    ]
    assert expected, "the campaign should push some of the hand plan's doors"
    assert [(d.target_id, d.old_date, d.new_date) for d in r.displaced] == expected
    for d in r.displaced:
        assert d.reason == ("moved" if d.new_date else why[d.target_id])


def test_campaign_targets_not_due_are_named():
    st = tiny_station(30, policy="aomori")
    camp = _order(st, 14)
    r = plan_campaign(st, load_policy("aomori"), 2027, [], camp, params=FAST, find_days=False)
    # Aomori visits every 2 years: the 重点-like rows visited in March 2026 are not due in 2027
    visited_2026 = {t.target_id for t in st.targets if t.last_visit is not None}
    due = {d.target.target_id for d in due_targets(st.targets, load_policy("aomori"), 2027)}
    assert visited_2026 & camp.target_ids and not visited_2026 & due
    assert set(r.not_due) == camp.target_ids & visited_2026
    assert r.fits


# ----------------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> tuple[Path, Station]:
    st = _two_beats()
    db = tmp_path_factory.mktemp("campaign") / "tiny.gpkg"
    write_station(st, db)
    return db, st


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _centre(st: Station) -> str:
    t = st.targets[10]
    return f"{t.lon},{t.lat}"


def test_campaign_writes_the_plan_displaced_and_route_sheets(tiny_db, tmp_path):
    db, st = tiny_db
    fast = YearParams(time_limit_s=1)
    plan_station(db, tmp_path / "old", year=2027, params=fast)
    out = tmp_path / "camp"
    t = st.targets[10]
    run = run_campaign(
        db,
        out,
        center=(t.lon, t.lat),
        radius_m=80,
        start=date(2027, 5, 10),
        days=1,
        kinds=("household", "business"),
        plan_path=tmp_path / "old" / "plan.csv",
        params=fast,
    )
    plan = _rows(out / "plan.csv")
    inside = {"T008", "T009", "T010", "T011", "T012"}
    assert run.result.campaign.target_ids == inside
    in_window = {
        r["target_id"] for r in plan if r["target_id"] in inside and r["date"] == "2027-05-10"
    }
    assert {v.target_id for v in run.result.in_window} == in_window
    said = [x.text for x in run.lines()]
    assert any(x.startswith(f"planned inside the window: {len(in_window)} of 5") for x in said)
    # one day is too short: the days it needs are sought and said
    assert run.result.needed is not None
    assert any("the campaign needs" in x and "--days" in x for x in said)
    assert (out / "displaced.csv").read_text(encoding="utf-8").splitlines()[0] == (
        "target_id,beat_id,old_date,new_date,reason"
    )
    assert {r["beat_id"] for r in plan} == {"B1", "B2"}  # the whole plan, B2 as it was
    # one campaign day: its route sheet holds every campaign door planned that day
    assert in_window and all(
        r["due_reason"] == "campaign"
        for r in plan
        if r["target_id"] in in_window and r["date"] >= "2027-05-10"
    )
    officer = next(
        r["officer_id"] for r in plan if (r["beat_id"], r["date"]) == ("B1", "2027-05-10")
    )
    stem = f"route_B1_2027-05-10_{officer}"  # the officer in every route file's name
    assert {p.name for p in run.routes} == {f"{stem}.{ext}" for ext in ("csv", "html", "pdf")}
    stops = {r["target_id"] for r in _rows(out / "routes" / f"{stem}.csv")}
    assert in_window <= stops
    assert verify_plan_file(db, out / "plan.csv", start=date(2027, 5, 10)).ok


def test_command_without_a_plan_plans_the_beats_first(tiny_db, tmp_path):
    db, st = tiny_db
    result = CliRunner().invoke(
        main,
        [
            "campaign",
            "--db",
            str(db),
            "--center",
            _centre(st),
            "--radius",
            "80",
            "--start",
            "2027-05-10",
            "--days",
            "14",
            "--time-limit",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "planned inside the window: 5 of 5" in result.output
    assert "no --plan" in result.output
    plan = _rows(tmp_path / "plan.csv")
    assert {r["beat_id"] for r in plan} == {"B1"} and min(r["date"] for r in plan) >= "2027-05-10"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--radius": "0"}, "--radius must be metres > 0"),
        ({"--radius": "-5"}, "--radius must be metres > 0"),
        ({"--center": "141.5,38.27"}, "no household/business target within 80 m"),
        ({"--start": "2026-12-01", "--year": "2027"}, "not in the plan year 2027"),
        ({"--center": "abc"}, "--center must be LON,LAT"),
        ({"--center": "140.874"}, "--center must be LON,LAT"),
        ({"--center": "38.27,140.874"}, "(longitude first)"),
        ({"--kinds": "shop"}, "unknown kind 'shop'"),
        ({"--days": "0"}, "--days must be a whole number of days >= 1"),
    ],
)
def test_bad_orders_exit_2_with_a_clear_message(tiny_db, tmp_path, change, message):
    db, st = tiny_db
    opts = {
        "--center": _centre(st),
        "--radius": "80",
        "--start": "2027-05-10",
        "--days": "7",
        **change,
    }
    args = ["campaign", "--db", str(db), "--out", str(tmp_path / "x")]
    for k, v in opts.items():
        args += [k, v]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_the_order_is_kept_on_record_with_who_why_and_when(tmp_path):
    from planner.campaign import order_on_record
    from planner.store import read_station

    st = _two_beats()
    db = tmp_path / "camp.gpkg"
    write_station(st, db)
    args = [
        "campaign",
        "--db",
        str(db),
        "--center",
        _centre(st),
        "--radius",
        "80",
        "--start",
        "2027-05-10",
        "--days",
        "3",
        "--time-limit",
        "1",
        "--search-plans",
        "0",
        "--ordered-by",
        "署長 宮城一郎",
        "--reason",
        "5月8日 空き巣連続発生",
        "--ordered-on",
        "2027-05-09",
        "--out",
        str(tmp_path / "out"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "campaign order kept on record: 署長 宮城一郎, 2027-05-09" in result.output
    (order,) = read_station(db).campaign_orders
    assert (order.ordered_by, order.ordered_on, order.reason) == (
        "署長 宮城一郎",
        date(2027, 5, 9),
        "5月8日 空き巣連続発生",
    )
    assert (order.start, order.days, order.radius_m, order.targets) == (
        date(2027, 5, 10),
        3,
        80.0,
        5,
    )
    camp = Campaign(frozenset({"T008"}), date(2027, 5, 10), date(2027, 5, 12))
    kw = dict(center=(140.0, 38.0), radius_m=80, kinds=("household",))
    for by, why, on, words in [
        ("", "x", date(2027, 5, 9), "--ordered-by"),
        ("署長", " ", date(2027, 5, 9), "--reason"),
        ("署長", "x", date(2027, 5, 11), "after the campaign starts"),
    ]:
        with pytest.raises(InputError, match=words):
            order_on_record(camp, ordered_by=by, reason=why, ordered_on=on, **kw)
