"""The application layer (planner/app): each use case called as the CLI, the demo and the
notebooks call it, checked on the sample register against independent checks."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from planner._errors import InputError
from planner.app import records
from planner.app.common import default_year, open_station, read_plan_files, with_kept
from planner.app.plan import plan_station
from planner.app.registers import import_station
from planner.app.route import route_station
from planner.app.verify import verify_plan_file
from planner.plan import PlannedVisit
from planner.planfiles import write_plan_outputs
from planner.schedule import YearParams, plan_year
from planner.store import read_streets

DATA = Path(__file__).parent.parent / "data"
YEAR = 2027
FAST = YearParams(time_limit_s=1.0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample register of data/ imported through the app."""
    db = tmp_path_factory.mktemp("app") / "station.gpkg"
    result = import_station(
        db,
        station_name="緑ケ丘警察署",
        policy_name="miyagi",
        posts=DATA / "posts.csv",
        beats=DATA / "beats.csv",
        officers=DATA / "officers.csv",
        officer_days=DATA / "officer_days.csv",
        targets=[DATA / "targets.csv"],
    )
    assert result.station.targets and any("targets" in x.text for x in result.lines())
    return db


@pytest.fixture(scope="module")
def planned(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    return plan_station(sample, out, year=YEAR, params=FAST), out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_app_functions_print_nothing(sample, tmp_path, capsys):
    plan_station(sample, tmp_path, year=YEAR, params=FAST, beats=["C1"])
    verify_plan_file(sample, tmp_path / "plan.csv")
    assert capsys.readouterr() == ("", "")


def test_plan_station_plans_each_due_target_once_and_verifies(sample, planned):
    sp, out = planned
    rows = _rows(out / "plan.csv")
    unplanned = _rows(out / "unplanned.csv")
    ids = [r["target_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(sp.plan.visits) > 0
    assert not set(ids) & {r["target_id"] for r in unplanned}
    assert len(ids) + len(unplanned) == sp.plan.stats["due"]
    result = verify_plan_file(sample, out / "plan.csv")
    assert result.ok, result.report.violations[:5]
    assert result.year == YEAR
    assert result.lines()[-1].text == "OK: the plan keeps every rule"
    said = [x.text for x in sp.lines()]
    assert said[0].endswith(
        f"{len(ids)} visits planned, {len(unplanned)} due targets unplanned, "
        f"{len(sp.plan.approvals(sp.policy))} night visits need approval"
    )


def test_one_path_whatever_calls_it(sample, planned, tmp_path):
    # the app's plan (one task per beat, merged) writes the bytes a whole-station plan writes
    _sp, out = planned
    opened = open_station(sample)
    whole = plan_year(opened.station, opened.policy, YEAR, graph=read_streets(sample), params=FAST)
    write_plan_outputs(tmp_path, whole, opened.station, opened.policy)
    for name in ("plan.csv", "unplanned.csv", "approvals.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_verify_plan_file_names_a_missing_visit(sample, planned, tmp_path):
    _sp, out = planned
    lines = (out / "plan.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "plan.csv").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    (tmp_path / "unplanned.csv").write_bytes((out / "unplanned.csv").read_bytes())
    result = verify_plan_file(sample, tmp_path / "plan.csv")
    dropped = lines[1].split(",")[0]
    assert not result.ok
    assert [(v.rule, v.target_id) for v in result.report.violations] == [("due_missing", dropped)]
    assert result.lines()[-1].text == "FAILED: due_missing 1" and result.lines()[-1].err


def test_route_station_visits_the_planned_doors_of_the_day(sample, planned, tmp_path):
    sp, out = planned
    beat = sp.plan.visits[0].beat_id
    day = sp.plan.visits[0].date
    result = route_station(sample, tmp_path, plan_path=out / "plan.csv", day=day, beats=[beat])
    planned_today = {v.target_id for v in sp.plan.visits if v.beat_id == beat and v.date == day}
    routed = {s.target_id for p in result.patrols for s in p.route.stops if not s.optional}
    dropped = {t for p in result.patrols for t in p.route.dropped_mandatory}
    assert routed | dropped == planned_today and not routed & dropped
    assert result.written and all(p.is_file() for p in result.written)
    assert result.lines()[-1].text == f"wrote {len(result.written)} files to {tmp_path}"


def test_route_station_without_a_plan_or_doors_is_bad_input(sample, tmp_path):
    with pytest.raises(InputError, match="give --plan"):
        route_station(sample, tmp_path)
    with pytest.raises(InputError, match="one --beat and a --date"):
        route_station(sample, tmp_path, target_ids=["T0001"])


def test_roles_are_refused_on_a_geopackage(sample):
    with pytest.raises(InputError, match="export --beat"):
        records.grant(sample, "yamada", role="officer", scope="K1-1")


def test_open_station_maps_tiers_the_policy_lacks_and_says_so(sample):
    opened = open_station(sample, "aomori")
    assert {t.tier for t in opened.station.targets} <= set(opened.policy.tier_codes)
    assert len(opened.notes) == 1 and opened.notes[0].err and "aomori" in opened.notes[0].text
    assert open_station(sample).notes == []


def test_plan_files_are_read_with_what_lies_beside(planned, tmp_path):
    _sp, out = planned
    files = read_plan_files(out / "plan.csv")
    assert files.unplanned is not None and files.approvals is not None
    assert files.campaign is None  # no campaign.csv beside a year plan
    (tmp_path / "plan.csv").write_bytes((out / "plan.csv").read_bytes())
    alone = read_plan_files(tmp_path / "plan.csv")
    assert alone.visits == files.visits and alone.unplanned is None and alone.approvals is None


def test_with_kept_sorts_kept_and_new_visits_in_plan_order():
    def v(target: str, day: int, beat: str = "B1") -> PlannedVisit:
        return PlannedVisit(target, beat, "O1", "general", date(YEAR, 4, day), "day", "cycle", 10)

    kept, new = [v("T2", 3), v("T9", 1, "A1")], [v("T1", 3), v("T5", 2)]
    assert [x.target_id for x in with_kept(kept, new)] == ["T9", "T5", "T1", "T2"]


def test_default_year_turns_in_july():
    assert default_year(date(2027, 6, 30)) == 2027
    assert default_year(date(2027, 7, 1)) == 2028
