"""One register, either prefecture's rules: a station imported under Miyagi plans under Aomori
and back; tiers the chosen policy lacks are mapped and the mapping is printed once."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from conftest import tiny_station

from planner.cli import main
from planner.model import TargetKind
from planner.policy import TierMapping, load_policy, map_tiers, mapped_tier
from planner.routes import route_check
from planner.schedule import YearParams, plan_year
from planner.verify import verify_plan

DATA = Path(__file__).resolve().parents[1] / "data"
MIYAGI = load_policy("miyagi")
AOMORI = load_policy("aomori")


def _import(db: Path, policy: str, targets: Path):
    args = [
        "import",
        "--db",
        str(db),
        "--station",
        "緑ケ丘警察署",
        "--policy",
        policy,
        "--posts",
        str(DATA / "posts.csv"),
        "--beats",
        str(DATA / "beats.csv"),
        "--officers",
        str(DATA / "officers.csv"),
        "--officer-days",
        str(DATA / "officer_days.csv"),
        str(targets),
    ]
    return CliRunner().invoke(main, args)


def _plan(db: Path, out: Path, *extra: str):
    args = [
        "plan",
        "--db",
        str(db),
        "--year",
        "2027",
        "--time-limit",
        "1",
        "--executor",
        "serial",
        "--out",
        str(out),
        *extra,
    ]
    return CliRunner().invoke(main, args)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _with_tiers(tmp_path: Path) -> Path:
    """data/targets.csv with its tier column filled as Miyagi classifies the rows."""
    rows = _rows(DATA / "targets.csv")
    for r in rows:
        r["tier"] = "priority" if r["reasons"] else "general"
    path = tmp_path / "targets_miyagi_tiers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_mapped_tier_both_ways():
    hh, biz = TargetKind.HOUSEHOLD, TargetKind.BUSINESS
    assert mapped_tier(hh, ("H3",), "priority", AOMORI) == "standard"
    assert mapped_tier(hh, (), "general", AOMORI) == "standard"
    assert mapped_tier(hh, ("H3",), "standard", MIYAGI) == "priority"
    assert mapped_tier(biz, ("B4",), "standard", MIYAGI) == "priority"
    assert mapped_tier(hh, (), "standard", MIYAGI) == "general"
    assert mapped_tier(hh, ("B4",), "standard", MIYAGI) == "general"  # a business code on a home
    assert mapped_tier(hh, ("H3",), "general", MIYAGI) == "general"  # a tier it has stays


def test_map_tiers_counts_and_says_the_rule():
    station = tiny_station(9)  # T000, T003, T006 priority (H3), the rest general
    targets, mapping = map_tiers(station.targets, AOMORI)
    assert {t.tier for t in targets} == {"standard"}
    assert mapping.counts == {("priority", "standard"): 3, ("general", "standard"): 6}
    assert mapping.message() == (
        "tiers mapped to aomori: general → standard 6, priority → standard 3 "
        "(Aomori has one tier: every target standard)"
    )
    back, again = map_tiers(targets, MIYAGI)
    assert [t.tier for t in back] == [t.tier for t in station.targets]
    assert "priority 3" in again.message() and "Miyagi: 重点" in again.message()
    assert not map_tiers(back, MIYAGI)[1] and not TierMapping("miyagi", {})


def test_miyagi_station_plans_and_verifies_under_aomori():
    station = tiny_station(9)
    plan = plan_year(station, AOMORI, 2027, params=YearParams(time_limit_s=1))
    assert plan.visits and {v.tier for v in plan.visits} == {"standard"}
    report = verify_plan(
        station, AOMORI, 2027, plan.visits, unplanned=plan.unplanned, router=route_check
    )
    assert report.ok, report.violations


def test_miyagi_import_plans_under_aomori_and_agrees_with_an_aomori_import(tmp_path):
    db = tmp_path / "miyagi.gpkg"
    result = _import(db, "miyagi", DATA / "targets.csv")
    assert result.exit_code == 0, result.output
    planned = _plan(db, tmp_path / "as_aomori", "--policy", "aomori")
    assert planned.exit_code == 0, planned.output
    assert planned.stderr.count("tiers mapped to aomori") == 1
    assert "Traceback" not in planned.output
    rows = _rows(tmp_path / "as_aomori" / "plan.csv")
    assert rows and {r["tier"] for r in rows} == {"standard"}
    # the same register with Miyagi's tiers in its tier column, imported under Aomori: mapped,
    # not refused, and its plan is the plan made with --policy aomori
    db2 = tmp_path / "aomori.gpkg"
    result = _import(db2, "aomori", _with_tiers(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stderr.count("tiers mapped to aomori") == 1
    again = _plan(db2, tmp_path / "aomori_plan")
    assert again.exit_code == 0, again.output
    assert "tiers mapped" not in again.stderr  # stored as standard already
    for name in ("plan.csv", "unplanned.csv"):
        assert (tmp_path / "aomori_plan" / name).read_bytes() == (
            tmp_path / "as_aomori" / name
        ).read_bytes()


def test_aomori_import_plans_under_miyagi_with_tiers_from_the_codes(tmp_path):
    db = tmp_path / "aomori.gpkg"
    result = _import(db, "aomori", DATA / "targets.csv")
    assert result.exit_code == 0, result.output
    planned = _plan(db, tmp_path / "as_miyagi", "--policy", "miyagi")
    assert planned.exit_code == 0, planned.output
    assert planned.stderr.count("tiers mapped to miyagi") == 1
    coded = {r["target_id"]: bool(r["reasons"]) for r in _rows(DATA / "targets.csv")}
    rows = _rows(tmp_path / "as_miyagi" / "plan.csv") + _rows(
        tmp_path / "as_miyagi" / "unplanned.csv"
    )
    assert rows
    for r in rows:
        assert r["tier"] == ("priority" if coded[r["target_id"]] else "general"), r


def test_an_unknown_tier_is_still_refused_at_import(tmp_path):
    rows = _rows(DATA / "targets.csv")
    rows[0]["tier"] = "vip"
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = _import(tmp_path / "x.gpkg", "aomori", path)
    assert result.exit_code == 2
    assert (
        "row 2, column tier" in result.output and "'vip' is not a tier of aomori" in result.output
    )
