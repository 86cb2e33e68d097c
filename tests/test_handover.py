"""Beat handover: the report against a small beat counted by hand, the offline page, front-loading
the overdue and never met in a re-plan, and the commands end to end."""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner._errors import InputError
from planner.app.handover import hand_over
from planner.app.plan import plan_station
from planner.app.replan import replan_station
from planner.app.verify import verify_plan_file
from planner.cli import main
from planner.handover import NEVER_MET_COLOUR, chome_of, handover_report, write_handover
from planner.maps import assert_offline
from planner.model import Card, Outcome, TargetKind, Visit
from planner.plan import Campaign
from planner.policy import load_policy
from planner.replan import (
    front_load_campaign,
    front_load_summary,
    front_load_window,
    replan_year,
)
from planner.routes import route_check
from planner.schedule import YearParams
from planner.store import write_station
from planner.verify import verify_plan

MIYAGI = load_policy("miyagi")
AOMORI = load_policy("aomori")
DAY = date(2027, 4, 1)


def _years(last: date, day: date = DAY) -> float:
    return (day - last).days / 365.25


@pytest.fixture
def handed_over():
    """Twelve targets in two 丁目, each set by hand (see the comments for what each one is)."""
    st = tiny_station()  # T000/T003/T006/T009 重点 (yearly); the rest 一般 (every 3 years)
    t = {x.target_id: x for x in st.targets}

    def set_(tid: str, **kw) -> None:
        t[tid] = replace(t[tid], **kw)

    for i in range(6, 12):  # the second half in 2丁目 (one written with a full-width digit)
        digit = "２" if i == 6 else "2"
        set_(f"T{i:03d}", address=f"みどり町{digit}丁目{i}番1号")
    full = Card.FULL
    set_("T000", last_visit=date(2026, 3, 1), card=full)  # overdue: more than a year ago
    set_("T003", last_visit=date(2026, 6, 1), card=full)  # within
    set_("T006", last_visit=date(2026, 4, 1), card=full)  # exactly a year: within
    set_("T009", moved_out=date(2027, 2, 1))  # 転出: out of the register
    set_("T001", last_visit=date(2023, 5, 1), card=full)  # overdue: over 3 years
    set_("T002", card=Card.PROVISIONAL, last_visit=None)  # never met, 仮カード
    set_("T004", last_visit=date(2025, 1, 10), card=full, kind=TargetKind.BUSINESS)  # within
    set_("T005", exempted=date(2027, 3, 1))  # exempted by the chief
    # T007: never met, absent twice in a row
    set_("T008", last_visit=date(2026, 10, 1), card=full)  # within; absences broken by a refusal
    set_("T010", last_visit=date(2024, 6, 1), card=full, name="山田太郎")  # within; absent twice
    # T011: never met, absent once
    st.targets = list(t.values())
    a, r = Outcome.ABSENT, Outcome.REFUSED
    st.visits = [
        Visit("T007", date(2027, 2, 1), "O1", a),
        Visit("T007", date(2027, 3, 1), "O1", a),
        Visit("T008", date(2026, 9, 1), "O1", a),  # before the last interview
        Visit("T008", date(2027, 1, 10), "O1", a),
        Visit("T008", date(2027, 2, 10), "O1", r),
        Visit("T008", date(2027, 3, 10), "O1", a),
        Visit("T010", date(2027, 1, 5), "O1", a),
        Visit("T010", date(2027, 2, 5), "O1", a),
        Visit("T010", date(2027, 5, 1), "O1", a),  # after the handover day
        Visit("T011", date(2027, 3, 20), "O1", a),
    ]
    return st


def test_tier_rows_counted_by_hand(handed_over):
    r = handover_report(handed_over, MIYAGI, "B1", DAY)
    prio, gen = r.tiers
    assert (prio.tier, prio.frequency_years, prio.targets) == ("priority", 1, 3)
    assert (prio.overdue, prio.never_met, prio.provisional, prio.absent_twice) == (1, 0, 0, 0)
    assert prio.within_frequency == 2
    assert (gen.tier, gen.frequency_years, gen.targets) == ("general", 3, 7)
    assert (gen.overdue, gen.never_met, gen.provisional, gen.absent_twice) == (1, 3, 1, 2)
    assert gen.within_frequency == 3
    assert r.in_register == 10
    assert r.overdue_or_never_met == ["T000", "T001", "T002", "T007", "T011"]
    runs = {s.target_id: s.absent_in_row for s in r.targets}
    assert runs == {
        "T000": 0,
        "T001": 0,
        "T002": 0,
        "T003": 0,
        "T004": 0,
        "T006": 0,
        "T007": 2,
        "T008": 1,
        "T010": 2,
        "T011": 1,
    }


def test_chome_rows_counted_by_hand(handed_over):
    r = handover_report(handed_over, MIYAGI, "B1", DAY)
    one, two = r.chome
    assert (one.chome, one.targets, one.households) == ("みどり町1丁目", 5, 4)
    assert (one.overdue, one.never_met) == (2, 1)
    assert one.within_frequency == pytest.approx(2 / 5)
    met = sorted(
        _years(d) for d in (date(2026, 3, 1), date(2023, 5, 1), date(2026, 6, 1), date(2025, 1, 10))
    )
    assert one.oldest_years == pytest.approx(_years(date(2023, 5, 1)))
    assert one.median_years == pytest.approx((met[1] + met[2]) / 2)
    assert (two.chome, two.targets, two.households) == ("みどり町2丁目", 5, 5)
    assert (two.overdue, two.never_met) == (0, 2)
    assert two.within_frequency == pytest.approx(3 / 5)
    assert two.oldest_years == pytest.approx(_years(date(2024, 6, 1)))
    assert two.median_years == pytest.approx(_years(date(2026, 4, 1)))


def test_at_risk_top_rows(handed_over):
    # absent twice this year without an interview and in the year's due set: T007 and T010
    # (T008's two absences: not due this year; nothing is planned, so no missed dates)
    r = handover_report(handed_over, MIYAGI, "B1", DAY)
    assert [x.target_id for x in r.at_risk] == ["T007", "T010"] and r.at_risk_total == 2
    top = handover_report(handed_over, MIYAGI, "B1", DAY, top=1)
    assert [x.target_id for x in top.at_risk] == ["T007"] and top.at_risk_total == 2


def test_a_later_day_moves_targets_past_their_frequency(handed_over):
    # on 2027-06-02 T003 (met 2026-06-01) is over a year old, T010 (2024-06-01) over three
    r = handover_report(handed_over, MIYAGI, "B1", date(2027, 6, 2))
    assert [t.overdue for t in r.tiers] == [3, 2]


def test_beat_frequency_counts_under_aomori():
    st = tiny_station(4, policy="aomori")
    st.beats[0] = replace(st.beats[0], frequency_years=5)  # the chief's setting for the beat
    st.targets = [
        replace(t, last_visit=last, card=Card.FULL)
        for t, last in zip(
            st.targets,
            (date(2021, 1, 1), date(2023, 1, 1), date(2026, 1, 1), date(2022, 5, 1)),
            strict=True,
        )
    ]
    (tier,) = handover_report(st, AOMORI, "B1", DAY).tiers
    assert (tier.frequency_years, tier.targets, tier.overdue) == (5, 4, 1)  # only 2021-01-01
    st.beats[0] = replace(st.beats[0], frequency_years=None)  # policy default: 2 years
    (tier,) = handover_report(st, AOMORI, "B1", DAY).tiers
    assert (tier.frequency_years, tier.overdue) == (2, 3)


@pytest.mark.parametrize(
    ("address", "chome"),
    [
        ("みどり町１丁目3番2号", "みどり町1丁目"),
        ("みどり町12丁目3番2号 コーポ緑 101号室", "みどり町12丁目"),
        ("桜町三丁目4-5", "桜町三丁目"),
        ("大字上沢字本郷12番地", "大字上沢字本郷"),
        ("", "（住所なし）"),
    ],
)
def test_chome_of(address, chome):
    assert chome_of(address) == chome


def test_page_and_csv(handed_over, tmp_path):
    r = handover_report(handed_over, MIYAGI, "B1", DAY)
    page, table = write_handover(r, handed_over, tmp_path, policy=MIYAGI)
    assert (page.name, table.name) == ("handover_B1_2027-04-01.html", "handover_B1_2027-04-01.csv")
    for path in (page, table):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = page.read_text(encoding="utf-8")
    assert assert_offline(text) == []
    assert "<script src" not in text and "@font-face" in text
    assert text.count("L.circleMarker(") == 10  # the targets in the register
    assert text.count(f'"fillColor": "{NEVER_MET_COLOUR}"') == 3  # T002, T007, T011
    assert "みどり町1丁目" in text and "みどり町2丁目" in text and "山田太郎" not in text
    assert table.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads it
    with table.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [
        (
            x["chome"],
            x["targets"],
            x["households"],
            x["within_frequency"],
            x["overdue"],
            x["never_met"],
        )
        for x in rows
    ] == [
        ("みどり町1丁目", "5", "4", "0.400", "2", "1"),
        ("みどり町2丁目", "5", "5", "0.600", "0", "2"),
    ]
    assert rows[1]["oldest_years"] == f"{_years(date(2024, 6, 1)):.1f}"


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2027, 4, 1), 3, date(2027, 6, 30)),
        (date(2027, 4, 15), 2, date(2027, 6, 14)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 11, 1), 6, date(2027, 12, 31)),
    ],
)
def test_front_load_window(start, months, end):
    assert front_load_window(start, months) == end


def test_front_load_plans_overdue_and_never_met_first(handed_over):
    camp = front_load_campaign(handed_over, MIYAGI, 2027, DAY, 2)
    assert camp.target_ids == {"T000", "T001", "T002", "T007", "T011"}
    plan, _ = replan_year(
        handed_over, MIYAGI, 2027, [], DAY, front_load=2, params=YearParams(time_limit_s=1)
    )
    when = {v.target_id: v for v in plan.visits}
    for tid in camp.target_ids:
        assert date(2027, 4, 1) <= when[tid].date <= date(2027, 5, 31), tid
    # due this year but neither overdue nor never met on the day: planned, not front-loaded
    assert {"T003", "T006", "T010"} <= set(when)
    # rows keep their own due reason, not the campaign's (a 仮カード never met is never_met)
    assert [when[t].due_reason for t in ("T000", "T001", "T002", "T007")] == [
        "yearly",
        "overdue",
        "never_met",
        "never_met",
    ]
    assert plan.unplanned == []
    fl = front_load_summary(plan, camp)
    assert (fl.targets, fl.planned_in_window, fl.planned_outside, fl.not_fitting) == (5, 5, 0, ())
    report = verify_plan(
        handed_over,
        MIYAGI,
        2027,
        plan.visits,
        unplanned=plan.unplanned,
        start=DAY,
        router=route_check,
    )
    assert report.ok, report.violations


def test_front_load_on_a_beat_with_room():
    # 60 targets; the odd 重点 met on 2026-07-01 (due this year, not overdue on 1 April), the
    # other 重点 overdue, the 一般 never met.  Left alone the plan spreads the overdue and never
    # met over the year; with --front-load 2 every one of them is visited in April or May.
    st = tiny_station(60, spacing_deg=0.0001, visit_hours={"nikkin": 0.8, "nikkin.evening": 0})
    st.targets = [
        replace(t, last_visit=date(2026, 7, 1)) if i % 6 == 3 else t
        for i, t in enumerate(st.targets)
    ]
    first = {t.target_id for i, t in enumerate(st.targets) if i % 6 != 3}
    camp = front_load_campaign(st, MIYAGI, 2027, DAY, 2)
    assert camp.target_ids == first and len(first) == 50
    plan, _ = replan_year(
        st, MIYAGI, 2027, [], DAY, front_load=2, params=YearParams(time_limit_s=1)
    )
    dates = {v.target_id: v.date for v in plan.visits}
    assert set(dates) == {t.target_id for t in st.targets} and plan.unplanned == []
    assert all(date(2027, 4, 1) <= dates[t] <= date(2027, 5, 31) for t in first)
    fl = front_load_summary(plan, camp)
    assert (fl.targets, fl.planned_in_window, fl.not_fitting) == (50, 50, ())
    assert verify_plan(
        st, MIYAGI, 2027, plan.visits, unplanned=[], start=DAY, router=route_check
    ).ok


def test_front_load_with_a_campaign_is_an_error(handed_over):
    camp = Campaign(frozenset({"T003"}), DAY, date(2027, 4, 14))
    with pytest.raises(InputError, match="one campaign at a time"):
        replan_year(
            handed_over,
            MIYAGI,
            2027,
            [],
            DAY,
            front_load=2,
            params=YearParams(time_limit_s=1, campaign=camp),
        )


def _crowded():
    """Sixty targets, all overdue or never met on 2027-04-01, and half an hour a weekday."""
    return tiny_station(60, spacing_deg=0.0001, visit_hours={"nikkin": 0.5, "nikkin.evening": 0})


def test_handover_then_front_loaded_replan_through_the_app(tmp_path):
    db = tmp_path / "station.gpkg"
    write_station(_crowded(), db)
    day = date(2027, 4, 1)
    handed = hand_over(db, "B1", tmp_path / "handover", day=day)
    said = [x.text for x in handed.lines()]
    # 20 重点 last met 2026-03-01 (overdue); 40 一般 never met
    assert "  重点対象 (every 1 y): 20; 0 met within it, 20 overdue, 0 never met" in "\n".join(said)
    assert "  一般対象 (every 3 y): 40; 0 met within it, 0 overdue, 40 never met" in "\n".join(said)
    assert len(handed.report.overdue_or_never_met) == 60
    assert (tmp_path / "handover" / "handover_B1_2027-04-01.html") in handed.written

    plan_dir, re_dir = tmp_path / "plan", tmp_path / "replan"
    plan_station(db, plan_dir, year=2027, params=YearParams(time_limit_s=1))
    replanned = replan_station(
        db,
        re_dir,
        year=2027,
        start=day,
        plan_path=plan_dir / "plan.csv",
        front_load=1,
        params=YearParams(time_limit_s=1),
    )
    fl = replanned.front_load
    assert fl is not None and (fl.start, fl.end) == (day, date(2027, 4, 30))
    total, inside, after, nowhere = (
        fl.targets,
        fl.planned_in_window,
        fl.planned_outside,
        len(fl.not_fitting),
    )
    with (re_dir / "plan.csv").open(encoding="utf-8") as f:
        later = [r for r in csv.DictReader(f) if r["date"] >= "2027-04-01"]
    with (re_dir / "unplanned.csv").open(encoding="utf-8") as f:
        unplanned = list(csv.DictReader(f))
    # every target not planned before April (those count as made: nothing is recorded yet) is
    # front-loaded; April holds what it can, the rest goes to May and later
    with (plan_dir / "plan.csv").open(encoding="utf-8") as f:
        made = {r["target_id"] for r in csv.DictReader(f) if r["date"] < "2027-04-01"}
    assert total == 60 - len(made) and after > 0 and inside + after + nowhere == total
    in_april = [r for r in later if r["date"] <= "2027-04-30"]
    assert len(in_april) == inside and len(later) == inside + after
    assert len({r["target_id"] for r in later}) == len(later)  # each planned once
    assert len(unplanned) == nowhere
    warned = [x.text for x in replanned.lines() if x.err]
    assert any(w.startswith(f"warning: {after} front-loaded targets do not fit") for w in warned)
    assert verify_plan_file(db, re_dir / "plan.csv", start=day).ok


def test_handover_unknown_beat_is_bad_input(tmp_path):
    db = tmp_path / "station.gpkg"
    write_station(tiny_station(3), db)
    out = CliRunner().invoke(
        main, ["handover", "--db", str(db), "--beat", "Z9", "--out", str(tmp_path)]
    )
    assert out.exit_code == 2 and "Z9" in out.output


def test_handover_help_has_an_example():
    out = CliRunner().invoke(main, ["handover", "--help"])
    assert out.exit_code == 0 and "planner handover" in out.output


def test_replan_takes_unrecorded_past_visits_as_made_and_records_as_they_are():
    from planner.plan import PlannedVisit
    from planner.replan import unrecorded

    st = tiny_station(4)
    past = [
        PlannedVisit(f"T00{i}", "B1", "O1", "general", date(2027, 2, 1 + i), "day", "never_met", 10)
        for i in range(4)
    ]
    # outcomes are recorded up to 2 February: T001 was absent then; later rows are not recorded
    st.visits = [Visit("T001", date(2027, 2, 2), "O1", Outcome.ABSENT)]
    assert [v.target_id for v in unrecorded(st, past)] == ["T002", "T003"]
    plan, kept = replan_year(
        st, MIYAGI, 2027, past, date(2027, 3, 1), params=YearParams(time_limit_s=1)
    )
    again = {v.target_id for v in plan.visits} | {u.target_id for u in plan.unplanned}
    assert kept == past
    assert {"T000", "T001"} <= again  # T000 planned but unrecorded on 1 Feb: records rule
    assert not again & {"T002", "T003"}  # planned after the last record: taken as made
