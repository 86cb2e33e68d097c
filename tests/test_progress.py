"""Monthly result rows of the form against a small case counted by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import tiny_station

from planner.forms import form_values
from planner.policy import load_policy
from planner.progress import at_risk, result_form
from planner.record import apply_outcomes, outcomes_from_file

DATA = Path(__file__).parent / "data"
MIYAGI = load_policy("miyagi")


@pytest.fixture
def recorded():
    station = tiny_station()  # T000/T003/T006/T009 重点; the other eight 一般, never met
    rows = outcomes_from_file(
        DATA / "outcomes_small.csv", station, MIYAGI, year=2027, today=date(2027, 4, 1)
    )
    apply_outcomes(station, rows)
    return station


def _form(station, upto=date(2027, 3, 31)):
    year_targets = [f"T{i:03d}" for i in range(12)]
    planned = [("priority", 1), ("general", 2), ("general", 2), ("general", 3)]
    data = result_form(station, MIYAGI, 2027, "B1", year_targets, planned, upto=upto)
    return form_values(data)


def months(values, *ms):
    index = {m: m - 1 if m <= 6 else m for m in range(1, 13)}
    return [values[index[m]] for m in ms]


def test_result_rows_counted_by_hand(recorded):
    v = _form(recorded)
    assert months(v[("targets", "priority")], 1, 2, 3) == [4, 4, 4]
    # N001 found in March joins Ｂ; T004 moved out in March leaves Ｂ and Ａ (counted in 転出数)
    assert months(v[("targets", "general")], 1, 2, 3) == [8, 8, 8]
    # 実施数: first interview of the year only (T000's second visit in Feb is not counted)
    assert months(v[("done", "priority")], 1, 2, 3) == [1, 0, 0]
    assert months(v[("done", "general")], 1, 2, 3) == [0, 1, 2]
    assert months(v[("not_done", "priority")], 1, 2, 3) == [3, 3, 3]
    assert months(v[("not_done", "general")], 1, 2, 3) == [8, 7, 5]
    assert months(v[("new", "general")], 1, 2, 3) == [0, 1, 1]  # T001 met; N001 found
    assert months(v[("prov_made", "general")], 1, 2, 3) == [0, 1, 0]
    assert months(v[("prov_resolved", "general")], 1, 2, 3) == [0, 0, 1]
    assert months(v[("prov_total", "general")], 1, 2, 3) == [0, 1, 0]
    assert months(v[("moved", "general")], 1, 2, 3) == [0, 0, 1]
    assert months(v[("cr_card", "total")], 1, 2, 3) == [1, 0, 0]
    assert months(v[("patrol_card", "total")], 1, 2, 3) == [1, 0, 0]
    assert months(v[("plan", "general")], 1, 2, 3) == [None, 2, 1]
    # later months stay blank
    assert months(v[("done", "general")], 4, 12) == [None, None]


def test_rates(recorded):
    v = _form(recorded)
    b, a = 4 + 8, 3 + 5
    assert months(v[("rate", "total")], 3) == [round((b - a) / b * 100, 1)]
    d, c = 12, 14  # households less the moved-out one plus the new one; 住基 of the beat
    assert months(v[("grasp", "total")], 3) == [round(d / c * 100, 1)]


def test_at_risk_lists_repeated_absence_and_missed_dates(recorded):
    planned = {"T003": date(2027, 2, 1), "T005": date(2027, 6, 1)}
    rows = at_risk(
        recorded, 2027, [f"T{i:03d}" for i in range(12)], planned, upto=date(2027, 3, 31)
    )
    assert [r.target_id for r in rows] == ["T003"]
    # T001 was absent twice but then met: not at risk


def test_progress_page_is_offline_and_owner_only(recorded, tmp_path):
    import os
    import stat

    from planner.maps import assert_offline
    from planner.plan import PlannedVisit
    from planner.reports import write_progress_outputs

    tier = ["priority" if i % 3 == 0 else "general" for i in range(12)]
    plan = [
        PlannedVisit(
            f"T{i:03d}", "B1", "O1", tier[i], date(2027, 1 + i % 6, 5), "day", "yearly", 15
        )
        for i in range(12)
    ]
    written = write_progress_outputs(
        tmp_path, recorded, MIYAGI, 2027, date(2027, 3, 31), visits=plan, unplanned=[]
    )
    page = next(p for p in written if p.suffix == ".html")
    text = page.read_text(encoding="utf-8")
    assert assert_offline(text) == []
    assert "受持区 B1" in text and "data:image/png;base64," in text and "@font-face" in text
    assert "T006" in text and "T003" not in text  # planned 5 Jan, not met; T003 is for April
    assert stat.S_IMODE(os.stat(page).st_mode) == 0o600
    assert any(p.name == "form_B1_2027.xlsx" for p in written)


# A second small month, counted by hand: card_left, a 仮カード for a household not yet in the
# register, a household that was met and then moved out, and Ｄ on the plan and result forms.
LATER = """target_id,date,officer_id,outcome,card_left,notes,beat_id,kind,address,lon,lat
T005,2027-01-15,O1,absent,patrol_card,,,,,,
T005,2027-01-22,O1,absent,none,,,,,,
T007,2027-01-25,O1,absent,,パトロールカード,,,,,
T008,2027-01-26,O1,absent,cr_meishi,パトロールカード,,,,,
T010,2027-01-27,O1,visited,,,,,,,
T010,2027-02-14,O1,moved_out,,,,,,,
P001,2027-02-03,O1,provisional,,表札,B1,household,みどり町1丁目50番1号,140.8750,38.2700
P001,2027-03-09,O1,visited,,,,,,,
"""


@pytest.fixture
def later(tmp_path):
    station = tiny_station()  # 12 households: T000/T003/T006/T009 重点, eight 一般 never met
    path = tmp_path / "later.csv"
    path.write_text(LATER, encoding="utf-8")
    rows = outcomes_from_file(path, station, MIYAGI, year=2027, today=date(2027, 4, 1))
    apply_outcomes(station, rows)
    return station


def test_moved_out_and_provisional_households_counted_by_hand(later):
    v = _form(later)
    # Ｂ 一般: 8; P001 joins in Feb (仮カード); T010 (met in Jan) leaves from Feb, when it moved
    assert months(v[("targets", "general")], 1, 2, 3) == [8, 8, 8]
    assert months(v[("done", "general")], 1, 2, 3) == [1, 0, 1]  # T010 Jan; P001 Mar
    # Ａ 一般: Jan 8 - T010; Feb 8 (T010 gone, P001 new); Mar 8 - P001
    assert months(v[("not_done", "general")], 1, 2, 3) == [7, 8, 7]
    assert months(v[("moved", "general")], 1, 2, 3) == [0, 1, 0]
    assert months(v[("prov_made", "general")], 1, 2, 3) == [0, 1, 0]
    assert months(v[("prov_resolved", "general")], 1, 2, 3) == [0, 0, 1]
    assert months(v[("prov_total", "general")], 1, 2, 3) == [0, 1, 0]
    assert months(v[("new", "general")], 1, 2, 3) == [1, 0, 0]  # T010 never met before
    # T005: a パトロールカード then nothing left; T007: old file, notes say パトロールカード;
    # T008: card_left says CR名刺 whatever the notes say
    assert months(v[("patrol_card", "total")], 1, 2, 3) == [2, 0, 0]
    assert months(v[("cr_card", "total")], 1, 2, 3) == [1, 0, 0]
    # Ｄ at each month's end: 12 households; P001 from Feb; T010 gone from Feb
    assert months(v[("register", "total")], 1, 2, 3) == [12, 12, 12]


def test_register_households_is_one_count_for_plan_and_result_forms(later, tmp_path):
    from planner.plan import PlannedVisit, YearPlan
    from planner.planfiles import plan_form

    plan = YearPlan(
        2027,
        "miyagi",
        visits=[
            PlannedVisit("T001", "B1", "O1", "general", date(2027, 2, 5), "day", "never_met", 15)
        ],
    )
    _, plan_data = plan_form(plan, later, MIYAGI, "B1")
    result = result_form(later, MIYAGI, 2027, "B1", ["T001"], [], upto=date(2027, 3, 31))
    # on 1 January: the twelve households imported (P001 came later, T010 had not moved)
    assert plan_data.register_households == result.register_households == 12
    assert later.register_households("B1", date(2027, 2, 28)) == 12  # +P001, -T010
    assert later.register_households("B1", date(2027, 2, 13)) == 13  # P001 in, T010 not yet out
    assert later.register_households("B1", date(2027, 2, 2)) == 12
