"""The chain of custody: roles checked in Python, and enforced by PostgreSQL row-level security.

The database cases need ``PLANNER_TEST_PG`` (``.ci/run`` starts a throwaway server); they connect
as the officer's own login and read with raw SQL, not through the planner.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import tiny_station

from planner import store_pg
from planner._errors import InputError
from planner.access import Grant, Role, check_grant, visible_beats
from planner.model import AccessEntry, Beat, Exemption, Officer, Outcome, Post, PostKind, Visit

PG = os.environ.get("PLANNER_TEST_PG", "")
NO_PG = "PLANNER_TEST_PG is not set: no PostgreSQL with PostGIS to test against (.ci/postgis.sh)"


def two_posts_station():
    """Post P1 with beats B1, B2; post P2 with beat B3; four targets in each beat."""
    st = tiny_station(12)
    st.posts.append(Post("P2", "第二交番", PostKind.KOBAN, st.posts[0].lon + 0.01, st.posts[0].lat))
    st.beats += [Beat("B2", "P1", "第2受持区"), Beat("B3", "P2", "第3受持区")]
    st.officers += [
        Officer("O2", "B2", "巡査 二", "koban3"),
        Officer("O3", "B3", "巡査 三", "koban3"),
    ]
    for i, t in enumerate(st.targets):
        st.targets[i] = replace(t, beat_id=("B1", "B2", "B3")[i // 4], name=f"住民{i}")
    st.visits = [Visit(t.target_id, date(2027, 2, 1), "O1", Outcome.ABSENT) for t in st.targets]
    st.exemptions = [Exemption("T009", "署長", date(2027, 1, 5), "長期入院")]
    st.access_log = [AccessEntry(datetime(2027, 2, 3, 9, 30), "tanaka", "export → x.gpkg", 12)]
    return st


def test_grants_are_checked_against_the_station():
    st = two_posts_station()
    assert visible_beats(st, Grant("yamada", Role.OFFICER, "B2")) == {"B2"}
    assert visible_beats(st, Grant("kocho", Role.HANDLER, "P1")) == {"B1", "B2"}
    assert visible_beats(st, Grant("kacho", Role.MANAGER)) == {"B1", "B2", "B3"}
    for grant, words in [
        (Grant("yamada", Role.OFFICER, "B9"), "needs one beat"),
        (Grant("kocho", Role.HANDLER, "B1"), "needs one post"),
        (Grant("kacho", Role.MANAGER, "B1"), "whole station"),
        (Grant("山田", Role.OFFICER, "B1"), "letters, digits"),
        (Grant("x; DROP", Role.OFFICER, "B1"), "letters, digits"),
    ]:
        with pytest.raises(InputError, match=words):
            check_grant(st, grant)


@pytest.fixture
def pg_station():
    if not PG:
        pytest.skip(NO_PG)
    import psycopg

    url = store_pg.station_url(PG, f"test_{uuid.uuid4().hex[:12]}")
    store_pg.write_station(two_posts_station(), url)
    logins = []
    yield url, logins
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {store_pg.parse_url(url).schema} CASCADE")
        for login in logins:
            conn.execute(f"DROP OWNED BY {login}")
            conn.execute(f"DROP ROLE IF EXISTS {login}")


def _as(login: str, url: str) -> str:
    """The same database URL, logged in as ``login``."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def _sql(login: str, query: str) -> list[tuple]:
    import psycopg

    base = PG.partition("?")
    conninfo = _as(login, base[0]) + (f"?{base[2]}" if base[2] else "")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(query).fetchall()


def test_an_officer_reads_their_own_beat_only_even_with_raw_sql(pg_station):
    import psycopg

    url, logins = pg_station
    schema = store_pg.parse_url(url).schema
    officer = f"off_{uuid.uuid4().hex[:8]}"
    logins.append(officer)
    store_pg.grant_access(url, Grant(officer, Role.OFFICER, "B2"))
    beats = _sql(officer, f"SELECT DISTINCT beat_id FROM {schema}.targets")
    assert beats == [("B2",)]
    assert _sql(officer, f"SELECT count(*) FROM {schema}.targets WHERE beat_id <> 'B2'") == [(0,)]
    seen = {r[0] for r in _sql(officer, f"SELECT target_id FROM {schema}.visits")}
    assert seen == {"T004", "T005", "T006", "T007"}
    assert _sql(officer, f"SELECT target_id FROM {schema}.exemptions") == []  # T009 is B3's
    assert {r[0] for r in _sql(officer, f"SELECT officer_id FROM {schema}.officers")} == {"O2"}
    assert {r[0] for r in _sql(officer, f"SELECT post_id FROM {schema}.posts")} == {"P1"}
    assert _sql(officer, f"SELECT * FROM {schema}.access_log") == []  # the manager's only
    # the planner itself, run under the officer's login, reads the same rows
    mine = store_pg.read_station(
        store_pg.station_url(
            _as(officer, PG.partition("?")[0]) + "?" + PG.partition("?")[2], schema
        )
    )
    assert {t.target_id for t in mine.targets} == {"T004", "T005", "T006", "T007"}
    assert {t.name for t in mine.targets} == {"住民4", "住民5", "住民6", "住民7"}
    # an officer may add a visit of their own beat, not another's
    _sql(
        officer,
        f"INSERT INTO {schema}.visits (target_id, date, officer_id, outcome) "
        "VALUES ('T005', '2027-03-01', 'O2', 'visited') RETURNING target_id",
    )
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _sql(
            officer,
            f"INSERT INTO {schema}.visits (target_id, date, officer_id, outcome) "
            "VALUES ('T001', '2027-03-01', 'O2', 'visited') RETURNING target_id",
        )


def test_a_handler_reads_the_post_and_a_manager_the_station(pg_station):
    url, logins = pg_station
    schema = store_pg.parse_url(url).schema
    handler, manager = f"hdl_{uuid.uuid4().hex[:8]}", f"mgr_{uuid.uuid4().hex[:8]}"
    logins += [handler, manager]
    store_pg.grant_access(url, Grant(handler, Role.HANDLER, "P1"))
    store_pg.grant_access(url, Grant(manager, Role.MANAGER))
    q = f"SELECT DISTINCT beat_id FROM {schema}.targets ORDER BY 1"
    assert _sql(handler, q) == [("B1",), ("B2",)]
    assert _sql(manager, q) == [("B1",), ("B2",), ("B3",)]
    assert _sql(manager, f"SELECT count(*) FROM {schema}.access_log") == [(1,)]
    assert _sql(handler, f"SELECT count(*) FROM {schema}.access_log") == [(0,)]
    # the handler sees only their own grant, the manager every grant
    assert _sql(handler, f"SELECT login FROM {schema}.planner_access") == [(handler,)]
    assert len(_sql(manager, f"SELECT login FROM {schema}.planner_access")) == 2
    assert {g.login for g in store_pg.access_grants(url)} == {handler, manager}


def test_rows_written_later_and_revoking_follow_the_rules(pg_station):
    import psycopg

    url, logins = pg_station
    schema = store_pg.parse_url(url).schema
    officer = f"off_{uuid.uuid4().hex[:8]}"
    logins.append(officer)
    store_pg.grant_access(url, Grant(officer, Role.OFFICER, "B1"))
    st = store_pg.read_station(url)  # the station's own (admin) login writes on
    st.targets.append(replace(st.targets[-1], target_id="N001", beat_id="B3"))
    st.targets.append(replace(st.targets[0], target_id="N002", beat_id="B1"))
    store_pg.write_station(st, url)
    ids = {r[0] for r in _sql(officer, f"SELECT target_id FROM {schema}.targets")}
    assert ids == {"T000", "T001", "T002", "T003", "N002"}
    assert store_pg.revoke_access(url, officer)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _sql(officer, f"SELECT target_id FROM {schema}.targets")
    assert not store_pg.revoke_access(url, officer)


def test_grant_command(pg_station, tmp_path):
    from click.testing import CliRunner

    from planner.cli import main
    from planner.store import write_station

    gpkg = tmp_path / "station.gpkg"
    write_station(two_posts_station(), gpkg)
    out = CliRunner().invoke(
        main, ["grant", "--db", str(gpkg), "--login", "yamada", "--role", "officer", "--beat", "B1"]
    )
    assert out.exit_code != 0 and "export --beat" in out.output
    url, logins = pg_station
    login = f"off_{uuid.uuid4().hex[:8]}"
    logins.append(login)
    args = ["grant", "--db", url, "--login", login]
    out = CliRunner().invoke(main, [*args, "--role", "officer", "--beat", "B3"])
    assert out.exit_code == 0, out.output
    assert f"{login}\t受持警察官 (officer B3)" in out.output
    bad = CliRunner().invoke(main, [*args, "--role", "officer", "--beat", "B9"])
    assert bad.exit_code != 0 and "needs one beat" in bad.output
    out = CliRunner().invoke(main, [*args, "--revoke"])
    assert out.exit_code == 0 and "revoked" in out.output
