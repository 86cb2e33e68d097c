"""The station file kept whole and private: locks, one read–change–write path, kills, access log."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tiny_station

from planner import store
from planner._errors import InputError
from planner.cli import main
from planner.model import Outcome, Visit


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "station.gpkg"
    store.write_station(tiny_station(), path)
    return path


def test_sockets_are_off_in_tests():
    # the suite runs with pytest-socket: a test that reaches for the network fails loudly
    with pytest.raises(Exception, match="socket"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_update_without_change_leaves_the_file_byte_identical(db: Path):
    before = _digest(db)
    with store.station_update(db) as station:
        assert len(station.targets) == 12
    assert _digest(db) == before


def test_update_writes_the_change_and_nothing_on_error(db: Path):
    visit = Visit("T000", date(2027, 1, 5), "O1", Outcome.VISITED)
    before = _digest(db)
    with pytest.raises(RuntimeError), store.station_update(db) as station:
        station.visits.append(visit)
        raise RuntimeError("the run dies before it is done")
    assert _digest(db) == before
    with store.station_update(db) as station:
        station.visits.append(visit)
    assert store.read_station(db).visits == [visit]


def test_second_writer_waits_then_fails_clearly(db: Path):
    with store.station_lock(db), pytest.raises(InputError, match="another planner run"):  # noqa: SIM117
        with store.station_update(db, timeout_s=0.2):
            pass


def test_second_writer_gets_its_turn(db: Path):
    order = []

    def first():
        with store.station_update(db) as station:
            time.sleep(0.5)
            station.visits.append(Visit("T000", date(2027, 1, 5), "O1", Outcome.ABSENT))
            order.append("first")

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.1)
    with store.station_update(db, timeout_s=10) as station:
        order.append("second")
        station.visits.append(Visit("T001", date(2027, 1, 6), "O1", Outcome.VISITED))
    t.join()
    assert order == ["first", "second"]
    assert {x.target_id for x in store.read_station(db).visits} == {"T000", "T001"}


def test_stale_temporary_files_of_a_killed_run_are_removed(db: Path):
    stale = db.with_name(f".{db.name}.abc123{db.suffix}")
    stale.write_bytes(b"half a geopackage")
    with store.station_update(db):
        pass
    assert not stale.exists()


def test_access_log_records_who_what_and_how_many(db: Path):
    entry = store.log_access(db, "route --with-names → routes/", 7)
    again = store.read_station(db)
    assert again.access_log == [entry]
    assert entry.records == 7 and entry.who and entry.what.startswith("route")
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_route_with_names_is_logged_and_without_names_is_not(db: Path, tmp_path: Path):
    ids = "T000,T001,T002"
    base = ["route", "--db", str(db), "--targets", ids, "--beat", "B1", "--date", "2027-01-05"]
    result = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "r1")])
    assert result.exit_code == 0, result.output
    assert store.read_station(db).access_log == []
    result = CliRunner().invoke(main, [*base, "--with-names", "--out", str(tmp_path / "r2")])
    assert result.exit_code == 0, result.output
    (entry,) = store.read_station(db).access_log
    # every route CSV's last row is the walk back to the post, not a door
    rows = sum(len(f.read_text().splitlines()) - 2 for f in (tmp_path / "r2").glob("*.csv"))
    assert entry.records == rows > 0 and "--with-names" in entry.what


# --------------------------------------------------------------------------------------------
# killed mid-write (SIGKILL): the file opens, passes SQLite's integrity check, all or nothing

KILLER = r"""
import sys
from datetime import date
from planner import store
from planner.model import Outcome, Visit
db, n = sys.argv[1], int(sys.argv[2])
with store.station_update(db) as station:
    for i in range(n):
        station.visits.append(Visit(f"T{i % 12:03d}", date(2027, 1, 1 + i % 28), "O1",
                                    Outcome.ABSENT, notes=f"batch {n}"))
    print("writing", flush=True)  # the write starts when the block ends
print("done", flush=True)
"""


def _integrity(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def test_killed_writes_leave_all_or_nothing(db: Path):
    import numpy as np

    rng = np.random.default_rng(3)
    script = db.with_name("killer.py")
    script.write_text(KILLER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    finished = 0
    for k in range(1, 26):
        n = 40 + k  # each run adds a different number of visits: all or none of them lands
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
        if k % 5:  # four runs in five are killed while they write (the write takes ~0.3 s)
            time.sleep(float(rng.uniform(0.0, 0.4)))
            proc.kill()
        finished += b"done" in proc.communicate()[0]
        assert _integrity(db) == "ok"
        batches: dict[str, int] = {}
        for x in store.read_station(db).visits:
            batches[x.notes] = batches.get(x.notes, 0) + 1
        assert all(int(b.split()[1]) == c for b, c in batches.items()), "a half-written batch"
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert finished >= 5  # the runs left alone did land


# --------------------------------------------------------------------------------------------
# export: a full copy is logged; a redacted one carries no name, no free text, no exact place


def _named(db: Path) -> list[str]:
    station = store.read_station(db)
    names = [f"住人{i}太郎" for i in range(len(station.targets))]
    station.targets = [
        replace(t, name=n, address=f"みどり町{1 + i % 2}丁目{i + 1}番{i + 2}号")
        for i, (t, n) in enumerate(zip(station.targets, names, strict=True))
    ]
    said = "住人0太郎: 街灯が暗い"
    station.visits.append(
        Visit(
            "T000", date(2027, 1, 5), "O1", Outcome.VISITED, notes="住人0太郎さん宅", opinion=said
        )
    )
    store.write_station(station, db)
    return names


def test_redacted_export_has_no_name_and_places_cut_to_the_chome(db: Path, tmp_path: Path):
    names = _named(db)
    out = tmp_path / "shared.gpkg"
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--redact", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert not any(n.encode() in raw for n in names)
    assert "番".encode() not in raw  # no address finer than the 丁目
    original = {t.target_id: t for t in store.read_station(db).targets}
    copy = store.read_station(out)
    assert {t.target_id for t in copy.targets} == set(original)
    for chome in ("みどり町1丁目", "みどり町2丁目"):
        members = [t for t in copy.targets if t.address == chome]
        assert members and len({(t.lon, t.lat) for t in members}) == 1
        lon = sum(original[t.target_id].lon for t in members) / len(members)
        assert members[0].lon == pytest.approx(lon, abs=1e-6)
    assert all(t.tier == original[t.target_id].tier for t in copy.targets)
    assert store.read_station(db).access_log == []  # nothing with names left the file


def test_full_export_is_logged_with_its_record_count(db: Path, tmp_path: Path):
    names = _named(db)
    out = tmp_path / "copy.gpkg"
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (entry,) = store.read_station(db).access_log
    assert entry.records == len(names) and str(out) in entry.what
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    result = CliRunner().invoke(main, ["info", "--db", str(db), "--access-log"])
    assert result.exit_code == 0 and str(out) in result.output
    bad = CliRunner().invoke(main, ["export", "--db", str(db), "--out", str(db)])
    assert bad.exit_code == 2 and "must not overwrite" in bad.output


# --------------------------------------------------------------------------------------------
# the real commands: two officers recording at once, and `planner record` / `import` killed


def _outcomes(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["target_id,date,officer_id,outcome"]
    lines += [f"{tid},{day},O1,absent" for tid, day in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _planner(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "planner.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_two_officers_recording_at_once_both_land(db: Path, tmp_path: Path):
    a = _outcomes(tmp_path / "a.csv", [(f"T{i:03d}", f"2026-11-{i + 1:02d}") for i in range(6)])
    b = _outcomes(tmp_path / "b.csv", [(f"T{i:03d}", f"2026-10-{i + 1:02d}") for i in range(6, 12)])
    runs = [_planner("record", "--db", str(db), "--year", "2026", str(f)) for f in (a, b)]
    for p in runs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert _integrity(db) == "ok"
    assert len(store.read_station(db).visits) == 12


def _timed(*args: str) -> float:
    t0 = time.monotonic()
    p = _planner(*args)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err.decode()
    return time.monotonic() - t0


def _kill_during(args: tuple[str, ...], seconds: float) -> bool:
    p = _planner(*args)
    time.sleep(seconds)
    alive = p.poll() is None
    p.kill()
    p.communicate()
    return alive


def test_record_and_import_killed_at_random_leave_all_or_nothing(db: Path, tmp_path: Path):
    import numpy as np

    rng = np.random.default_rng(11)
    first = _outcomes(tmp_path / "o.csv", [(f"T{i:03d}", "2026-01-05") for i in range(12)])
    took = _timed("record", "--db", str(db), "--year", "2026", str(first))  # a whole run
    kills = 0
    for k in range(8):
        rows = [(f"T{i:03d}", f"2026-{2 + k % 10:02d}-{1 + i:02d}") for i in range(12)]
        outcomes = _outcomes(tmp_path / f"o{k}.csv", rows)
        before = len(store.read_station(db).visits)
        args = ("record", "--db", str(db), "--year", "2026", str(outcomes))
        kills += _kill_during(args, float(rng.uniform(0.5, 1.0)) * took)
        assert _integrity(db) == "ok"
        assert len(store.read_station(db).visits) in (before, before + 12)
    targets = tmp_path / "more.csv"
    targets.write_text(
        "target_id,beat_id,kind,address,lon,lat\n"
        + "".join(f"N{i},B1,household,みどり町3丁目{i}番1号,140.871,38.271\n" for i in range(50)),
        encoding="utf-8",
    )
    for _ in range(4):
        before = len(store.read_station(db).targets)
        kills += _kill_during(
            ("import", "--db", str(db), str(targets)), float(rng.uniform(0.5, 1.0)) * took
        )
        assert _integrity(db) == "ok"
        assert len(store.read_station(db).targets) in (before, 62)
    assert kills >= 6  # most runs were indeed cut short


def test_plan_and_replan_killed_leave_no_half_written_output(db: Path, tmp_path: Path):
    import numpy as np
    from openpyxl import load_workbook

    from planner.planfiles import read_plan

    rng = np.random.default_rng(5)
    whole = tmp_path / "whole"
    took = _timed(
        "plan", "--db", str(db), "--year", "2027", "--time-limit", "1", "--out", str(whole)
    )
    runs = [
        ("plan", "--db", str(db), "--year", "2027", "--time-limit", "1"),
        (
            "replan",
            "--db",
            str(db),
            "--year",
            "2027",
            "--from",
            "2027-06-01",
            "--plan",
            str(whole / "plan.csv"),
            "--time-limit",
            "1",
        ),
    ] * 3
    for k, args in enumerate(runs):
        out = tmp_path / f"cut{k}"
        _kill_during((*args, "--out", str(out)), float(rng.uniform(0.6, 1.0)) * took)
        for f in out.glob("*") if out.exists() else ():
            if f.name.startswith("."):
                continue  # a temporary file never renamed: not an output
            if f.suffix == ".csv":
                assert f.read_text(encoding="utf-8").endswith("\n"), f
                if f.name == "plan.csv":
                    read_plan(f)
            elif f.suffix == ".xlsx":
                load_workbook(f).close()
