"""Scenario files: each kind changes the model input as it says, and moves the outputs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import tiny_station

from planner._errors import InputError
from planner.model import DutyType, Mode
from planner.policy import load_policy
from planner.scenarios import apply_scenario, compare, load_scenario, scenario_from_dict
from planner.schedule import YearParams

MIYAGI = load_policy("miyagi")
DATA = Path(__file__).parent.parent / "data" / "scenarios"


def _apply(raw, station=None):
    station = station or tiny_station(30)
    return apply_scenario(scenario_from_dict(raw), station, MIYAGI, 2027)


def test_officers_removed_added_and_repatterned():
    a = _apply(
        {
            "remove_officers": ["O1"],
            "officers": [{"officer_id": "N1", "beat_id": "B1", "pattern": "koban3", "phase": 2}],
        }
    )
    assert [(o.officer_id, o.pattern, o.phase) for o in a.station.officers] == [("N1", "koban3", 2)]
    b = _apply({"duty_pattern": {"O1": "koban4"}, "mode": "bike", "visit_hours": {"nikkin": 2.0}})
    o = b.station.officers[0]
    assert (o.pattern, o.mode, o.visit_hours["nikkin"]) == ("koban4", Mode.BIKE, 2.0)


def test_leave_and_senju_days():
    a = _apply(
        {
            "leave": [{"officer_id": "O1", "from": date(2027, 6, 1), "to": date(2027, 6, 30)}],
            "senju_per_month": 2,
        }
    )
    leave = [d for d in a.station.officer_days if d.kind is DutyType.LEAVE]
    senju = [d for d in a.station.officer_days if d.kind is DutyType.SENJU]
    assert len(leave) == 30
    # two a month on working weekdays, none in June (on leave all month)
    assert len(senju) == 22 and all(d.date.weekday() < 5 and d.date.month != 6 for d in senju)


def test_policy_frequency_season_and_reserve():
    a = _apply({"policy": "aomori", "frequency": {"standard": 1}})
    assert a.policy.name == "aomori" and {t.tier for t in a.station.targets} == {"standard"}
    assert a.policy.tier("standard").frequency_years == 1
    b = _apply(
        {
            "frequency": {"general": 2, "beats": {"B1": 4}},
            "month_factors": [0.5] * 12,
            "reserve": 0.1,
        }
    )
    assert b.policy.tier("general").frequency_years == 2
    assert b.station.beats[0].frequency_years == 4 and b.policy.tier("general").per_beat_frequency
    assert b.policy.month_factors == (0.5,) * 12 and b.params.reserve == 0.1


def test_campaign_and_boundary_change():
    station = tiny_station(30)
    t5 = station.targets[5]
    a = _apply(
        {
            "campaign": {
                "center": [t5.lon, t5.lat],
                "radius_m": 40,
                "start": date(2027, 5, 10),
                "days": 7,
            }
        },
        station,
    )
    c = a.params.campaign
    assert (c.start, c.end) == (date(2027, 5, 10), date(2027, 5, 16))
    assert c.target_ids == {"T004", "T005", "T006"}  # 34 m apart on the line
    box = f"POLYGON (({t5.lon - 1e-5} 38, {t5.lon + 1e-5} 38, {t5.lon + 1e-5} 39, {t5.lon - 1e-5} 39, {t5.lon - 1e-5} 38))"  # noqa: E501
    station.beats.append(replace(station.beats[0], beat_id="B2"))
    b = _apply({"move_beat": [{"polygon_wkt": box, "to": "B2"}]}, station)
    assert [t.target_id for t in b.station.targets if t.beat_id == "B2"] == ["T005"]
    assert all(t.beat_id == "B1" for t in station.targets)  # the base is not changed


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"colour": "red"}, "colour"),
        ({"mode": "horse"}, "mode"),
        ({"officers": [{"officer_id": "X", "beat_id": "B1"}]}, "officers[0].pattern"),
        ({"frequency": {"general": 0}}, "frequency.general"),
        (
            {"campaign": {"center": [1, 2], "radius_m": 5, "start": date(2027, 1, 1)}},
            "campaign.days",
        ),
        ({"month_factors": [1, 2]}, "month_factors"),
    ],
)
def test_bad_scenarios_name_the_key(raw, key):
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        _apply(raw)


def test_unknown_officer_is_an_error():
    with pytest.raises(InputError, match="unknown officer 'Z9'"):
        _apply({"remove_officers": ["Z9"]})


def test_shipped_scenario_files_parse():
    names = {load_scenario(p).name for p in DATA.glob("*.toml")}
    assert {"現状", "一人減", "重点警戒"} <= names


def test_outputs_move_the_expected_way():
    station = tiny_station(300, spacing_deg=0.00003)
    t = station.targets[100]
    scenarios = [
        scenario_from_dict({"name": "base"}),
        scenario_from_dict(
            {
                "name": "leave",
                "leave": [{"officer_id": "O1", "from": date(2027, 3, 1), "to": date(2027, 12, 31)}],
            }
        ),
        scenario_from_dict(
            {
                "name": "campaign",
                "campaign": {
                    "center": [t.lon, t.lat],
                    "radius_m": 12,
                    "start": date(2027, 6, 1),
                    "days": 14,
                },
            }
        ),
    ]
    base, leave, campaign = compare(
        station, MIYAGI, scenarios, 2027, params=YearParams(time_limit_s=2), processes=1
    )
    assert leave.unplanned > base.unplanned
    assert leave.officer_hours < base.officer_hours
    assert campaign.campaign_targets > 0
    assert campaign.campaign_in_window == campaign.campaign_targets


def test_comparison_report_renders_offline(tmp_path):
    import numpy as np
    from conftest import chromium_screenshot
    from PIL import Image

    from planner.maps import assert_offline
    from planner.reports import write_comparison

    station = tiny_station(40)
    scenarios = [
        scenario_from_dict({"name": "現状"}),
        scenario_from_dict({"name": "豪雪", "month_factors": [0.5] * 12}),
    ]
    outcomes = compare(
        station, MIYAGI, scenarios, 2027, params=YearParams(time_limit_s=1), processes=1
    )
    csv_path, months, page = write_comparison(tmp_path, outcomes, MIYAGI, 2027, station.name)
    assert csv_path.read_text(encoding="utf-8").count("\n") == 3
    assert months.read_text(encoding="utf-8").count("\n") == 1 + 2 * 12
    text = page.read_text(encoding="utf-8")
    assert assert_offline(text) == [] and "豪雪" in text and "data:image/png" in text
    shot = tmp_path / "page.png"
    chromium_screenshot(page, shot)
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
    assert (pixels < 200).any(axis=1).mean() > 0.01  # charts and table drawn


def _full_scenario(station) -> dict:
    """A scenario with every key, all valid (dates as TOML dates and as 和暦 text)."""
    t = station.targets[3]
    return {
        "name": "全部",
        "policy": "miyagi",
        "mode": "bike",
        "reserve": 0.1,
        "remove_officers": [],
        "senju_per_month": 2,
        "month_factors": [1.0] * 12,
        "frequency": {"general": 2, "beats": {"B1": 1}},
        "visit_hours": {"toban": 1.0, "toban.evening": 0.5},
        "incident_hours": {"B1": 1.0},
        "officers": [
            {
                "officer_id": "N1",
                "beat_id": "B1",
                "pattern": "koban3",
                "phase": 1,
                "mode": "walk",
                "name": "新任",
            }
        ],
        "leave": [{"officer_id": "N1", "from": date(2027, 6, 1), "to": "令和9年6月3日"}],
        "duty_pattern": {"O1": "koban4"},
        "campaign": {
            "center": [t.lon, t.lat],
            "radius_m": 100,
            "start": "R9.5.10",
            "days": 3,
            "kinds": ["household"],
        },
        "move_beat": [
            {"polygon_wkt": "POLYGON ((140 38, 141 38, 141 39, 140 39, 140 38))", "to": "B1"}
        ],
    }


def test_dates_written_as_text_are_read():
    station = tiny_station(10)
    a = _apply(_full_scenario(station), station)
    leave = sorted(d.date for d in a.station.officer_days if d.kind is DutyType.LEAVE)
    assert leave == [date(2027, 6, 1), date(2027, 6, 2), date(2027, 6, 3)]
    assert (a.params.campaign.start, a.params.campaign.end) == (
        date(2027, 5, 10),
        date(2027, 5, 12),
    )


def test_any_wrong_value_anywhere_is_an_input_error():
    """Every key of a full scenario replaced by each wrong kind of value, or deleted: a plan's
    input or an InputError naming the file and the key, never a TypeError or KeyError."""
    import copy

    from test_policy import WRONG, _paths

    station = tiny_station(10)
    base = _full_scenario(station)
    refused = 0
    for path in _paths(base):
        for wrong in [*WRONG, float("nan"), "delete"]:
            raw = copy.deepcopy(base)
            parent = raw
            for key in path[:-1]:
                parent = parent[key]
            if wrong == "delete":
                parent.pop(path[-1])
            else:
                parent[path[-1]] = wrong
            try:
                apply_scenario(scenario_from_dict(raw, source="s.toml"), station, MIYAGI, 2027)
            except InputError as exc:
                assert re.match(r"s\.toml: .*'[\w.\[\]]+'", str(exc)), exc  # names the key
                refused += 1
    assert refused > 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"center": [38.2700, 140.8800]}, r"'campaign.center' .*lon and lat look swapped"),
        (
            {"center": [135.0, 35.0]},
            r"'campaign.center' \[135.0, 35.0\]: point is \d+ km from the "
            r"nearest post",
        ),
        ({"start": date(2026, 12, 30)}, "'campaign.start' 2026-12-30 is not in the plan year 2027"),
        ({"start": "令和9年2月30日"}, "'campaign.start' '令和9年2月30日' is not a date"),
        ({"radius_m": 0}, "'campaign.radius_m' must be metres > 0"),
        ({"kinds": ["house"]}, "'campaign.kinds' 'house' is not household or business"),
    ],
)
def test_bad_campaigns(change, message):
    station = tiny_station(10)
    raw = {"campaign": {**_full_scenario(station)["campaign"], **change}}
    with pytest.raises(InputError, match=message):
        _apply(raw, station)


def test_added_officer_must_be_new_unless_removed():
    added = {"officer_id": "O1", "beat_id": "B1", "pattern": "koban3"}
    with pytest.raises(InputError, match=r"'officers\[0\].officer_id' 'O1' is already an officer"):
        _apply({"officers": [added]})
    a = _apply({"remove_officers": ["O1"], "officers": [added]})
    assert [(o.officer_id, o.pattern) for o in a.station.officers] == [("O1", "koban3")]


def test_scenario_file_names_itself_in_errors(tmp_path):
    path = tmp_path / "一人減.toml"
    path.write_bytes("name = '一人減'\nremove_officers = ['O1']\n".encode("cp932"))
    assert load_scenario(path).name == "一人減"
    for content, message in [
        ("policy = 'nagano'\n", "'policy': policy nagano: no such"),
        ("[visit_hours]\nyakin2 = 1\n", "'visit_hours.yakin2': unknown"),
        ("remove_officers = 'O1'\n", "'remove_officers' must be a list"),
    ]:
        path.write_text(content, encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
            _apply_file(path)


def _apply_file(path: Path):
    return apply_scenario(load_scenario(path), tiny_station(10), MIYAGI, 2027)
