"""The station store on both backends: the GeoPackage and PostGIS (a real server, no mock).

The PostGIS cases need ``PLANNER_TEST_PG``, the URL of a database with PostGIS (``.ci/run``
starts one on a Unix socket, see ``.ci/postgis.sh``); without it they skip.  Each test gets its
own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import networkx as nx
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import tiny_station
from shapely.geometry import LineString, MultiPolygon, Polygon

from planner import store, store_pg
from planner._errors import InputError
from planner.cli import STATION, main
from planner.model import (
    AccessEntry,
    Beat,
    Card,
    DutyType,
    Exemption,
    OfficerDay,
    OpinionKind,
    Outcome,
    Station,
    Visit,
)
from planner.roster import PATTERNS

PG = os.environ.get("PLANNER_TEST_PG", "")
NO_PG = "PLANNER_TEST_PG is not set: no PostgreSQL with PostGIS to test against (.ci/postgis.sh)"
DATA = Path(__file__).parent.parent / "data"


def _pg(sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _new_url() -> str:
    return store_pg.station_url(PG, f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pg_url():
    if not PG:
        pytest.skip(NO_PG)
    url = _new_url()
    yield url
    _pg(f"DROP SCHEMA IF EXISTS {store_pg.parse_url(url).schema} CASCADE")


@pytest.fixture(params=["gpkg", "postgis"])
def db(request, tmp_path: Path) -> str | Path:
    """A place for a station on each backend (nothing written yet)."""
    if request.param == "gpkg":
        return tmp_path / "station.gpkg"
    return request.getfixturevalue("pg_url")


def full_station() -> Station:
    """A small station with a row in every layer and the awkward values: empty and missing
    numbers, a missing and a multi-part beat polygon, dates, Japanese text, names."""
    s = tiny_station(6)
    square = Polygon([(140.86, 38.26), (140.88, 38.26), (140.88, 38.28), (140.86, 38.28)])
    two = MultiPolygon([square, Polygon([(140.9, 38.3), (140.91, 38.3), (140.91, 38.31)])])
    s.beats = [  # (with a MultiPolygon in the layer, a Polygon would be stored as one: pyogrio)
        replace(s.beats[0], polygon=MultiPolygon([square]), incident_hours=1.25, frequency_years=2),
        Beat("B2", "P1", "第2受持区", None, None, two),
        Beat("B3", "P1", "", 40, None, None),
    ]
    s.targets[0] = replace(
        s.targets[0],
        name="佐藤 一郎",
        building_id="B-0001",
        reasons=("H2", "H3"),
        moved_out=date(2026, 10, 1),
    )
    s.targets[1] = replace(s.targets[1], beat_id="B2", lon=140.905123456789, lat=38.3012345)
    s.officers[0] = replace(s.officers[0], visit_hours={"toban": 1.0, "toban.evening": 0.5})
    s.officer_days = [
        OfficerDay("O1", date(2027, 1, 5), DutyType.LEAVE),
        OfficerDay("O1", date(2027, 1, 6), DutyType.SENJU),
    ]
    s.visits = [
        Visit(
            "T000",
            date(2027, 1, 7),
            "O1",
            Outcome.VISITED,
            "玄関先で",
            Card.FULL,
            "街灯が暗い",
            OpinionKind.CONCERN,
            "市へ連絡",
            25,
        ),
        Visit("T001", date(2027, 1, 8), "O1", Outcome.ABSENT),
    ]
    s.exemptions = [Exemption("T002", "署長", date(2027, 2, 1), "長期入院")]
    s.access_log = [AccessEntry(datetime(2027, 2, 3, 9, 30, 5), "tanaka", "export → x.gpkg", 6)]
    return store.with_exemptions(s)


def streets() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs=store.CRS)
    for n, (x, y) in {1: (140.87, 38.27), 2: (140.871, 38.27), 3: (140.871, 38.2712)}.items():
        g.add_node(n, x=x, y=y)
    bend = LineString([(140.871, 38.27), (140.8715, 38.2706), (140.871, 38.2712)])
    g.add_edge(1, 2, key=0, length=87.4, highway="residential", name="みどり通り")
    g.add_edge(2, 1, key=0, length=87.4, highway="residential", name="みどり通り")
    g.add_edge(2, 3, key=0, length=150.0, highway="service", geometry=bend)
    g.add_edge(2, 3, key=1, length=133.3, highway="footway")
    return g


def _edges(g: nx.MultiDiGraph) -> list[tuple]:
    """The edges as plain tuples; an edge without geometry is stored as the straight line."""
    out = []
    for u, v, k, d in g.edges(keys=True, data=True):
        ends = [(g.nodes[n]["x"], g.nodes[n]["y"]) for n in (u, v)]
        coords = list(d["geometry"].coords) if "geometry" in d else ends
        out.append((u, v, k, d["length"], d.get("highway"), d.get("name"), coords))
    return sorted(out, key=repr)


# --------------------------------------------------------------------------------------------
# both backends


def test_every_layer_round_trips(db):
    station, graph = full_station(), streets()
    store.write_station(station, db, streets=graph)
    again = store.read_station(db)
    assert again == station
    assert again.beats[1].polygon.geom_type == "MultiPolygon" and again.beats[2].polygon is None
    assert again.targets[2].exempted == date(2027, 2, 1)
    g = store.read_streets(db)
    assert dict(g.nodes(data=True)) == {
        1: {"x": 140.87, "y": 38.27},
        2: {"x": 140.871, "y": 38.27},
        3: {"x": 140.871, "y": 38.2712},
    }
    by_key = {(u, v, k): d for u, v, k, d in g.edges(keys=True, data=True)}
    assert len(by_key) == 4
    assert by_key[(2, 3, 0)]["geometry"].coords[1] == (140.8715, 38.2706)
    assert by_key[(1, 2, 0)]["name"] == "みどり通り" and "name" not in by_key[(2, 3, 1)]
    # a write without a network keeps the stored one; a station without one reads as None
    station.visits.append(Visit("T003", date(2027, 3, 1), "O1", Outcome.REFUSED))
    store.write_station(station, db)
    assert store.read_station(db).visits[-1].outcome is Outcome.REFUSED
    assert _edges(store.read_streets(db)) == _edges(g)


def test_station_without_streets_has_none(db):
    store.write_station(tiny_station(), db)
    assert store.read_streets(db) is None
    assert store.read_station(db) == tiny_station()


def test_update_without_change_writes_nothing_and_a_change_lands(db):
    store.write_station(tiny_station(), db)
    before = _fingerprint(db)
    with store.station_update(db) as station:
        assert len(station.targets) == 12
    assert _fingerprint(db) == before
    visit = Visit("T000", date(2027, 1, 5), "O1", Outcome.VISITED)
    with pytest.raises(RuntimeError), store.station_update(db) as station:
        station.visits.append(visit)
        raise RuntimeError("the run dies before it is done")
    assert _fingerprint(db) == before
    with store.station_update(db) as station:
        station.visits.append(visit)
    assert _fingerprint(db) != before
    assert store.read_station(db).visits == [visit]


def _fingerprint(db) -> object:
    """The file's bytes, or the row versions (xmin) of the station's tables: a write changes it."""
    if isinstance(db, Path):
        return db.read_bytes()
    schema = store_pg.parse_url(db).schema
    return [_pg(f"SELECT xmin::text FROM {schema}.{t} ORDER BY fid") for t in ("meta", "targets")]


def test_second_writer_waits_then_fails_clearly(db):
    store.write_station(tiny_station(), db)
    with store.station_lock(db), pytest.raises(InputError, match="another planner run"):  # noqa: SIM117
        with store.station_update(db, timeout_s=0.2):
            pass


def test_concurrent_updates_both_land(db):
    store.write_station(tiny_station(), db)
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


def test_import_creates_the_station_on_either_backend(db, tmp_path: Path):
    args = [
        "import",
        "--db",
        str(db),
        "--station",
        "緑ケ丘警察署",
        "--policy",
        "miyagi",
        "--posts",
        str(DATA / "posts.csv"),
        "--beats",
        str(DATA / "beats.csv"),
        "--officers",
        str(DATA / "officers.csv"),
        str(DATA / "targets.csv"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    reference = store.import_files(
        tmp_path / "reference.gpkg",
        station_name="緑ケ丘警察署",
        policy_name="miyagi",
        posts=DATA / "posts.csv",
        beats=DATA / "beats.csv",
        officers=DATA / "officers.csv",
        targets=[DATA / "targets.csv"],
        patterns=set(PATTERNS),
    )
    station = store.read_station(db)
    assert station == reference and len(station.targets) == 20
    # importing again into the existing station updates it (one more file, same targets)
    result = CliRunner().invoke(
        main, ["import", "--db", str(db), "--officer-days", str(DATA / "officer_days.csv")]
    )
    assert result.exit_code == 0, result.output
    again = store.read_station(db)
    assert len(again.officer_days) == 5 and again.targets == reference.targets


# --------------------------------------------------------------------------------------------
# PostGIS only


def test_layers_are_postgis_tables_qgis_lists(pg_url: str):
    store.write_station(full_station(), pg_url, streets=streets())
    schema = store_pg.parse_url(pg_url).schema
    geometry = _pg(
        "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
        "WHERE f_table_schema = %s ORDER BY 1",
        (schema,),
    )
    assert geometry == [
        ("beats", "geom", 4326, "GEOMETRY"),
        ("posts", "geom", 4326, "POINT"),
        ("street_edges", "geom", 4326, "LINESTRING"),
        ("street_nodes", "geom", 4326, "POINT"),
        ("targets", "geom", 4326, "POINT"),
    ]
    counts = {
        t: _pg(f"SELECT count(*) FROM {schema}.{t}")[0][0]
        for t in (
            "meta",
            "posts",
            "beats",
            "targets",
            "officers",
            "officer_days",
            "visits",
            "exemptions",
            "access_log",
            "street_nodes",
            "street_edges",
        )
    }
    assert counts == {
        "meta": 3,
        "posts": 1,
        "beats": 3,
        "targets": 6,
        "officers": 1,
        "officer_days": 2,
        "visits": 2,
        "exemptions": 1,
        "access_log": 1,
        "street_nodes": 3,
        "street_edges": 4,
    }
    points = _pg(
        f"SELECT target_id, ST_X(geom) = lon AND ST_Y(geom) = lat FROM {schema}.targets "
        "ORDER BY fid"
    )
    assert points == [(f"T{i:03d}", True) for i in range(6)]
    assert _pg(f"SELECT registry_households, frequency_years FROM {schema}.beats ORDER BY fid") == [
        (8, 2),
        (None, None),
        (40, None),
    ]
    assert _pg(f"SELECT value FROM {schema}.meta WHERE key = 'station'") == [("テスト警察署",)]


def test_same_columns_as_the_geopackage(pg_url: str, tmp_path: Path):
    gpkg = tmp_path / "s.gpkg"
    store.write_station(full_station(), gpkg, streets=streets())
    store.write_station(full_station(), pg_url, streets=streets())
    schema = store_pg.parse_url(pg_url).schema
    for name, _ in pyogrio.list_layers(gpkg):
        fields = list(pyogrio.read_info(gpkg, layer=name)["fields"])
        columns = [
            c
            for (c,) in _pg(
                "SELECT column_name FROM information_schema.columns WHERE "
                "table_schema = %s AND table_name = %s ORDER BY "
                "ordinal_position",
                (schema, name),
            )
        ]
        assert columns == ["fid", *fields, *(["geom"] if name in _GEOM_LAYERS else [])], name


_GEOM_LAYERS = {"posts", "beats", "targets", "street_nodes", "street_edges"}


def test_a_write_that_fails_midway_leaves_the_old_station(pg_url: str, monkeypatch):
    old = full_station()
    store.write_station(old, pg_url, streets=streets())
    real = store_pg._replace_rows
    written = []

    def dies_at_exemptions(conn, schema, layer, rows):
        if layer.name == "exemptions":
            raise RuntimeError("connection lost")
        real(conn, schema, layer, rows)
        written.append(layer.name)

    monkeypatch.setattr(store_pg, "_replace_rows", dies_at_exemptions)
    new = tiny_station(3)
    with pytest.raises(RuntimeError, match="connection lost"):
        store.write_station(new, pg_url, streets=nx.MultiDiGraph())
    assert written[:3] == ["meta", "posts", "beats"] and "targets" in written  # it got that far
    assert store.read_station(pg_url) == old
    assert _edges(store.read_streets(pg_url)) == _edges(streets())


def test_a_reader_during_a_write_sees_the_old_station_at_once(pg_url: str, monkeypatch):
    old, new = full_station(), tiny_station(3)
    store.write_station(old, pg_url)
    real = store_pg._replace_rows
    halfway, go_on = threading.Event(), threading.Event()

    def pauses_after_targets(conn, schema, layer, rows):
        real(conn, schema, layer, rows)
        if layer.name == "targets":
            halfway.set()
            assert go_on.wait(30)

    monkeypatch.setattr(store_pg, "_replace_rows", pauses_after_targets)
    writer = threading.Thread(target=store.write_station, args=(new, pg_url))
    writer.start()
    assert halfway.wait(30)
    t0 = time.monotonic()
    assert store.read_station(pg_url) == old  # not half of the new one, and no waiting
    assert time.monotonic() - t0 < 10
    go_on.set()
    writer.join()
    assert store.read_station(pg_url) == new


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
    station.targets = station.targets * 200  # a longer write, to be killed in
    print("writing", flush=True)  # the write starts when the block ends
print("done", flush=True)
"""


def test_killed_writes_leave_all_or_nothing(pg_url: str, tmp_path: Path):
    import numpy as np

    rng = np.random.default_rng(5)
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    outcomes = []
    for n in (41, 42, 43):  # each run adds a different number of visits: all or none lands
        store.write_station(tiny_station(), pg_url)  # 12 targets, no visit
        proc = subprocess.Popen(
            [sys.executable, str(script), pg_url, str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
        if n < 43:  # killed once its transaction has written rows (so: mid-write)
            _wait_for_a_writing_transaction()
            time.sleep(float(rng.uniform(0.0, 0.02)))
            proc.kill()
        proc.communicate()
        station = store.read_station(pg_url)
        visits = {x.notes for x in station.visits}
        outcomes.append((len(station.targets), len(station.visits), visits))
    killed, done = outcomes[:2], outcomes[2]
    assert all(
        o in [(12, 0, set()), (2400, n, {f"batch {n}"})]
        for o, n in zip(killed, (41, 42), strict=True)
    ), killed
    assert (12, 0, set()) in killed  # a kill did land mid-transaction, and nothing of it stayed
    assert done == (2400, 43, {"batch 43"})


def _wait_for_a_writing_transaction(timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not _pg(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'junkai-planner' "
        "AND backend_xid IS NOT NULL"
    ):
        assert time.monotonic() < deadline, "the killer never started its transaction"
        time.sleep(0.005)


def test_writers_without_the_lock_do_not_mix_rows(pg_url: str):
    store.write_station(tiny_station(), pg_url)
    stations = [tiny_station(30), tiny_station(50)]
    start = threading.Barrier(2)
    errors = []

    def write(s):
        try:
            start.wait()
            store.write_station(s, pg_url)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s,)) for s in stations]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    schema = store_pg.parse_url(pg_url).schema
    counts = [_pg(f"SELECT count(*) FROM {schema}.{t}")[0][0] for t in ("meta", "posts", "targets")]
    assert counts in ([3, 1, 30], [3, 1, 50])  # one of them, never rows of both
    assert len(store.read_station(pg_url).targets) in {30, 50}


def test_export_moves_a_station_between_the_backends(pg_url: str, tmp_path: Path):
    gpkg, back = tmp_path / "station.gpkg", tmp_path / "back.gpkg"
    store.write_station(full_station(), gpkg, streets=streets())
    run = CliRunner().invoke
    result = run(main, ["export", "--db", str(gpkg), "--out", pg_url])
    assert result.exit_code == 0, result.output
    assert "full copy (1 named records, logged)" in result.output
    result = run(main, ["export", "--db", pg_url, "--out", str(back)])
    assert result.exit_code == 0, result.output
    a, b, c = store.read_station(gpkg), store.read_station(pg_url), store.read_station(back)
    # each export of names is logged in the station it was read from, and only there
    assert [e.what for e in a.access_log[1:]] == [f"export → {pg_url}"]
    assert [e.what for e in b.access_log[1:]] == [f"export → {back}"]
    assert c.access_log == full_station().access_log
    for x in (a, b):
        x.access_log = full_station().access_log
    assert a == b == c == full_station()
    assert _edges(store.read_streets(back)) == _edges(streets())
    assert stat_mode(back) == 0o600
    result = run(main, ["info", "--db", pg_url, "--year", "2027"])
    assert result.exit_code == 0 and "テスト警察署" in result.output
    result = run(main, ["export", "--db", pg_url, "--out", pg_url.replace("?", "?&")])
    assert result.exit_code == 2 and "must not overwrite" in result.output


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_unknown_station_a_stranger_and_a_database_without_postgis(pg_url: str):
    with pytest.raises(InputError, match=r"no such station \(no table test_\w+\.meta\)"):
        store.read_station(pg_url)
    result = CliRunner().invoke(main, ["info", "--db", pg_url])
    assert result.exit_code == 2 and "no such station" in result.output
    assert "Traceback" not in result.output
    # a station's schema is its creator's alone: another role may not read it
    store.write_station(tiny_station(), pg_url)
    role, database = f"r_{uuid.uuid4().hex[:10]}", f"d_{uuid.uuid4().hex[:10]}"
    _pg(f"CREATE ROLE {role} LOGIN")
    _pg(f"CREATE DATABASE {database}")  # from template1: no PostGIS
    try:
        stranger = f"{pg_url}&user={role}"
        with pytest.raises(InputError, match="no such station"):  # it sees no table of it
            store.read_station(stranger)
        with pytest.raises(InputError, match="permission denied"):
            store.write_station(tiny_station(3), stranger)
        assert len(store.read_station(pg_url).targets) == 12
        base, _, query = pg_url.partition("?")
        elsewhere = f"{base.rsplit('/', 1)[0]}/{database}?{query}"
        with pytest.raises(InputError, match=r"has no PostGIS \(CREATE EXTENSION postgis\)"):
            store.write_station(tiny_station(), elsewhere)
    finally:
        _pg(f"DROP DATABASE IF EXISTS {database}")
        _pg(f"DROP ROLE IF EXISTS {role}")


# --------------------------------------------------------------------------------------------
# the URL (no server needed)


def test_the_cli_keeps_a_url_whole_and_a_file_a_path():
    url = "postgresql:///hq?host=/run/postgresql&station=midori"
    assert STATION.convert(url, None, None) == url
    assert STATION.convert("a//b.gpkg", None, None) == Path("a/b.gpkg")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql:///hq", "name the station's schema once"),
        ("postgresql:///hq?station=a&station=b", "name the station's schema once"),
        ("postgresql:///hq?station=Midori-1", "'Midori-1' is not a schema name"),
        ("postgresql:///hq?station=1st", "'1st' is not a schema name"),
    ],
)
def test_a_bad_station_url_is_refused_clearly(url: str, words: str):
    with pytest.raises(InputError, match=words):
        store.read_station(url)
    result = CliRunner().invoke(main, ["info", "--db", url])
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output


def test_url_parts_and_password_kept_out_of_messages():
    target = store_pg.parse_url(
        "postgresql://hq:s3cret@db.local:5433/hq?sslmode=require&station=k1"
    )
    assert target.schema == "k1"
    assert target.conninfo == "postgresql://hq:s3cret@db.local:5433/hq?sslmode=require"
    assert "s3cret" not in target.label and target.label.startswith("postgresql://hq:***@db.local")
    with pytest.raises(InputError) as err:
        store_pg.parse_url("postgresql://hq:s3cret@db.local/hq?station=K1")
    assert "s3cret" not in str(err.value)
    sock = store_pg.parse_url(store_pg.station_url("postgresql:///hq?host=/tmp/pg", "a_1"))
    assert (sock.conninfo, sock.schema) == ("postgresql:///hq?host=/tmp/pg", "a_1")
    assert store_pg.same_station("postgresql:///hq?station=a", "postgresql:///hq?&station=a")
    assert not store_pg.same_station("postgresql:///hq?station=a", "postgresql:///hq?station=b")
