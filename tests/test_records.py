"""Records over time: beat moves on re-import, retention and purge, officers' and redacted
copies, the access log beside the station."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner import store
from planner.cli import main
from planner.model import (
    Approval,
    Beat,
    Card,
    Decision,
    Exemption,
    Officer,
    Outcome,
    Visit,
)
from planner.policy import load_policy
from planner.records import merge_targets, purge, retention_end
from planner.redact import beat_copy, redacted
from planner.roster import PATTERNS

DATA = Path(__file__).parent.parent / "data"
MIYAGI = load_policy("miyagi")


def _aged_station():
    """Twelve targets: T001 moved out 2027-03-02, T002 exempt from 2027-06-01, the rest active,
    each with a visit; a night decision on T001 and on T003."""
    st = tiny_station()
    st.targets[1] = replace(st.targets[1], moved_out=date(2027, 3, 2))
    st.exemptions.append(Exemption("T002", "署長", date(2027, 6, 1), "施設入所"))
    store.with_exemptions(st)
    st.visits = [Visit(t.target_id, date(2027, 2, 1), "O1", Outcome.VISITED) for t in st.targets]
    st.approvals = [
        Approval(tid, date(2027, 2, 1), "night", "課長", date(2027, 1, 20), Decision.APPROVE)
        for tid in ("T001", "T003")
    ]
    return st


def test_retention_runs_from_the_move_or_the_order():
    st = _aged_station()
    by_id = {t.target_id: t for t in st.targets}
    assert retention_end(by_id["T001"], 3) == date(2030, 3, 2)
    assert retention_end(by_id["T002"], 3) == date(2030, 6, 1)
    assert retention_end(by_id["T003"], 3) is None
    assert retention_end(replace(by_id["T001"], moved_out=date(2024, 2, 29)), 1) == date(
        2025, 2, 28
    )


def test_purge_removes_only_what_is_past_retention():
    st = _aged_station()
    assert purge(st, 3, date(2030, 3, 2)).removed == 0  # the last day of retention: kept
    r = purge(st, 3, date(2030, 3, 3))
    assert (r.targets, r.visits, r.approvals, r.exemptions) == (1, 1, 1, 0)
    ids = {t.target_id for t in st.targets}
    assert "T001" not in ids and "T002" in ids and len(ids) == 11
    assert {x.target_id for x in st.visits} == ids  # every other target keeps its visit
    assert [a.target_id for a in st.approvals] == ["T003"]
    r = purge(st, 3, date(2031, 1, 1))
    assert (r.targets, r.visits, r.exemptions) == (1, 1, 1)
    assert len(st.targets) == 10 and not st.exemptions
    assert purge(st, 3, date(2099, 1, 1)).removed == 0  # active targets are never touched


def test_purge_command_writes_counts_and_the_access_log(tmp_path):
    db = tmp_path / "station.gpkg"
    store.write_station(_aged_station(), db)
    before = db.read_bytes()
    out = CliRunner().invoke(main, ["purge", "--db", str(db), "--before", "2029-01-01"])
    assert out.exit_code == 0, out.output
    assert "0 targets" in out.output and db.read_bytes() == before  # nothing past: no write
    out = CliRunner().invoke(main, ["purge", "--db", str(db), "--before", "2031-01-01"])
    assert out.exit_code == 0, out.output
    assert "2 targets, 2 visits, 1 decisions, 1 exemption orders" in out.output
    st = store.read_station(db)
    assert len(st.targets) == 10
    assert st.access_log[-1].what.startswith("purge --before 2031-01-01")


def test_a_target_moved_to_another_beat_keeps_its_history():
    st = tiny_station()
    met = replace(st.targets[1], last_visit=date(2027, 2, 1), card=Card.FULL)
    visits = [Visit("T001", date(2027, 2, 1), "O1", Outcome.VISITED)]
    incoming = [replace(st.targets[1], beat_id="B2", last_visit=None, card=Card.NONE)]
    merged, moves = merge_targets([st.targets[0], met], incoming, date(2027, 4, 1), visits)
    assert [t.target_id for t in merged] == ["T000", "T001"]
    assert merged[1].beat_id == "B2"
    assert (merged[1].last_visit, merged[1].card) == (date(2027, 2, 1), Card.FULL)
    assert [(m.target_id, m.from_beat, m.to_beat, m.moved_on) for m in moves] == [
        ("T001", "B1", "B2", date(2027, 4, 1))
    ]
    newer = [replace(met, last_visit=date(2027, 3, 1))]
    merged, moves = merge_targets([met], newer, date(2027, 4, 1), visits)
    assert merged[0].last_visit == date(2027, 3, 1) and moves == []
    # without recorded visits the office's register stands as it is, older dates included
    older = [replace(met, last_visit=date(2026, 1, 5), card=Card.NONE)]
    merged, _ = merge_targets([met], older, date(2027, 4, 1))
    assert (merged[0].last_visit, merged[0].card) == (date(2026, 1, 5), Card.NONE)


def test_reimport_under_another_beat_keeps_visits_and_records_the_move(tmp_path):
    db = tmp_path / "station.gpkg"
    kw = dict(patterns=set(PATTERNS), today=date(2026, 11, 26))
    store.import_files(
        db,
        station_name="緑ケ丘警察署",
        policy_name="miyagi",
        posts=DATA / "posts.csv",
        beats=DATA / "beats.csv",
        officers=DATA / "officers.csv",
        targets=[DATA / "targets.csv"],
        **kw,
    )
    with store.station_update(db) as st:
        st.visits.append(Visit("S0001", date(2026, 10, 1), "O-K1-1", Outcome.VISITED))
    lines = (DATA / "targets.csv").read_text(encoding="utf-8").splitlines()
    moved = tmp_path / "moved.csv"
    row = lines[1].replace(",K1-1,", ",C1,").replace("2026-05-10", "")
    moved.write_text(f"{lines[0]}\n{row}\n", encoding="utf-8")
    st = store.import_files(db, targets=[moved], **kw)
    s1 = next(t for t in st.targets if t.target_id == "S0001")
    assert s1.beat_id == "C1" and s1.last_visit == date(2026, 10, 1)  # the recorded interview
    st = store.read_station(db)
    assert [(m.target_id, m.from_beat, m.to_beat) for m in st.beat_moves] == [
        ("S0001", "K1-1", "C1")
    ]
    assert any(x.target_id == "S0001" for x in st.visits)


def test_redacted_copy_drops_sensitive_reasons_but_keeps_the_tier():
    st = tiny_station()
    st.targets[1] = replace(st.targets[1], reasons=("H8", "H2"), tier="priority")
    copy = redacted(st, MIYAGI.sensitive_reasons)
    assert copy.targets[1].reasons == ("H2",) and copy.targets[1].tier == "priority"
    assert all("H8" not in t.reasons and "H9" not in t.reasons for t in copy.targets)
    assert redacted(st).targets[1].reasons == ("H8", "H2")  # without a policy, codes stay


def test_an_officers_copy_holds_one_beat_alone(tmp_path):
    st = tiny_station()
    st.beats.append(Beat("B2", "P1", "第2受持区"))
    st.officers.append(Officer("O2", "B2", "巡査 二", "koban3"))
    st.targets[5:8] = [replace(t, beat_id="B2") for t in st.targets[5:8]]
    st.visits = [Visit(t.target_id, date(2027, 2, 1), "O1", Outcome.ABSENT) for t in st.targets]
    copy = beat_copy(st, "B2")
    assert {t.target_id for t in copy.targets} == {"T005", "T006", "T007"}
    assert {x.target_id for x in copy.visits} == {"T005", "T006", "T007"}
    assert [o.officer_id for o in copy.officers] == ["O2"] and [b.beat_id for b in copy.beats] == [
        "B2"
    ]
    with pytest.raises(KeyError):
        beat_copy(st, "B9")
    db = tmp_path / "station.gpkg"
    store.write_station(st, db)
    out_path = tmp_path / "officer_B2.gpkg"
    out = CliRunner().invoke(
        main, ["export", "--db", str(db), "--beat", "B2", "--out", str(out_path)]
    )
    assert out.exit_code == 0, out.output
    assert {t.target_id for t in store.read_station(out_path).targets} == {"T005", "T006", "T007"}
    assert stat.S_IMODE(os.stat(out_path).st_mode) == 0o600
    bad = CliRunner().invoke(
        main, ["export", "--db", str(db), "--beat", "B9", "--out", str(out_path)]
    )
    assert bad.exit_code != 0 and "unknown beat 'B9'" in bad.output


def test_access_log_also_goes_to_a_file_beside_the_station(tmp_path):
    db = tmp_path / "station.gpkg"
    st = tiny_station()
    st.targets[0] = replace(st.targets[0], name="佐藤 方")
    store.write_station(st, db)
    store.log_access(db, "route --with-names routes/x.pdf", 3)
    store.log_access(db, "export → copy.gpkg", 1)
    side = store.access_file(db)
    assert side == tmp_path / "station.gpkg.access.log"
    lines = side.read_text(encoding="utf-8").splitlines()
    assert [ln.split("\t")[2:] for ln in lines] == [
        ["3", "route --with-names routes/x.pdf"],
        ["1", "export → copy.gpkg"],
    ]
    assert stat.S_IMODE(os.stat(side).st_mode) == 0o600
    assert len(store.read_station(db).access_log) == 2
