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
    rows = sum(len(f.read_text().splitlines()) - 1 for f in (tmp_path / "r2").glob("*.csv"))
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
    kills = finished = 0
    for k in range(1, 26):
        n = 40 + k  # each run adds a different number of visits: all or none of them lands
        proc = subprocess.Popen([sys.executable, str(script), str(db), str(n)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(float(rng.uniform(0.5, 2.0)))
        if proc.poll() is None:
            proc.kill()
            kills += 1
        out = proc.communicate()[0]
        finished += b"done" in out
        assert _integrity(db) == "ok"
        station = store.read_station(db)
        batches = {}
        for x in station.visits:
            batches[x.notes] = batches.get(x.notes, 0) + 1
        assert all(int(b.split()[1]) == c for b, c in batches.items()), "a half-written batch"
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert kills >= 5 and finished >= 1, (kills, finished)  # both cases were exercised
