"""The station in PostGIS: headquarters keeps every station in one database that QGIS opens.

A station is addressed by a libpq URL with the station's schema as ``station``::

    postgresql://USER@HOST/DATABASE?station=midorigaoka
    postgresql:///hq?host=/run/postgresql&station=midorigaoka      (a local Unix socket)

Each station has its own schema (``station``: lower-case ASCII letters, digits and ``_``, at most
63 characters) holding the GeoPackage's layers under the same names and columns — ``meta``,
``posts``, ``beats``, ``targets``, ``officers``, ``officer_days``, ``visits``, ``exemptions``,
``access_log``, ``street_nodes``, ``street_edges`` — plus a ``fid`` primary key that keeps the
rows' order; the point, polygon and line layers have a ``geom`` column in SRID 4326 with a GiST
index, so QGIS lists them.  Dates are ISO text as in the GeoPackage.

Every write is one transaction: all layers change or none does, and readers (one repeatable-read
snapshot per read) see the station before or after it, never half of it.  Writers of one station
take turns (a transaction-level advisory lock); :func:`station_lock` is a session-level advisory
lock, the stand-in for the station file's lock file, which :func:`planner.store.station_update`
holds around its read–change–write.  The database's own permissions guard the data: a schema
created here is its creator's alone until a DBA grants access.

The conversion between a :class:`~planner.model.Station` and its layers is the GeoPackage's own
(:mod:`planner.store_gpkg`): a write builds the layers in a temporary GeoPackage (in a private,
0700, folder in memory under ``/dev/shm`` where there is one) and copies its rows; a read does the
reverse.  The two stores cannot drift apart, and :data:`planner.store_schema.LAYERS` names every
column's PostgreSQL type.  Needs ``psycopg`` (the ``pg`` extra); a PostGIS URL is accepted
wherever a station file is (``--db``, ``export --out``): :mod:`planner.store` calls this module
for one (:func:`planner.store.backend`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyogrio
import shapely

from planner import store_gpkg
from planner._errors import InputError, PlannerError
from planner.access import Grant, Role, check_grant
from planner.model import AccessEntry, Station
from planner.store_schema import (
    BIGINT,
    CRS,
    FLOAT,
    INTEGER,
    LAYER_BY_NAME,
    LAYERS,
    LOCK_TIMEOUT_S,
    SRID,
    STREET_LAYERS,
    URL_PREFIX,
    Layer,
)

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
CONNECT_TIMEOUT_S = 10
# the temporary GeoPackages: in memory where there is a tmpfs (fast, and names never hit a disk)
_TMP_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_LOCK_CLASS = 0x4A4B  # advisory-lock key spaces: station_lock ...
_WRITE_CLASS = 0x4A4C  # ... and one write transaction


# --------------------------------------------------------------------------------------------
# the URL


@dataclass(frozen=True)
class StationAddress:
    """A parsed station URL: the libpq connection string, the station's schema, a safe label."""

    conninfo: str
    schema: str
    label: str  # the URL without its password, for messages and logs


def describe(path: str | Path) -> str:
    """A station URL with its password (if any) left out."""
    parts = urlsplit(str(path))
    if parts.password is None:
        return str(path)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def parse_url(url: str) -> StationAddress:
    """Split a station URL into libpq's connection string and the station's schema.

    Raises
    ------
    InputError
        If the URL names no station, or a station that is not a plain schema name.
    """
    label = describe(url)
    base, _, query_text = url.partition("?")  # (urlunsplit would drop the // of postgresql:///)
    query = parse_qsl(query_text, keep_blank_values=True)
    stations = [value for key, value in query if key == "station"]
    if len(stations) != 1:
        raise InputError(
            f"{label}: name the station's schema once, e.g. {URL_PREFIX}…?station=sendai"
        )
    schema = stations[0]
    if not SCHEMA_RE.fullmatch(schema):
        raise InputError(
            f"{label}: station {schema!r} is not a schema name "
            "(lower-case ASCII letters, digits and _, at most 63, not starting with a digit)"
        )
    rest = urlencode([(k, v) for k, v in query if k != "station"], safe="/")
    return StationAddress(f"{base}?{rest}" if rest else base, schema, label)


def same_station(a: str | Path, b: str | Path) -> bool:
    """Whether two station URLs name the same station (the same database and schema)."""
    ta, tb = parse_url(str(a)), parse_url(str(b))
    return (ta.conninfo, ta.schema) == (tb.conninfo, tb.schema)


def station_url(database_url: str, station: str) -> str:
    """The URL of ``station`` (a schema name) in the database at ``database_url``."""
    return f"{database_url}{'&' if '?' in database_url else '?'}station={station}"


@contextlib.contextmanager
def _session(target: StationAddress, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A connection to the station's database, committed and closed on leaving the block.

    Database errors come out as the planner's: a refused connection or a missing privilege as
    :class:`InputError` (the user can fix it), any other as :class:`PlannerError`.
    """
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the pg extra is part of dev
        raise InputError(
            f"{target.label}: the PostGIS store needs psycopg: pip install 'junkai-planner[pg]'"
        ) from None
    try:
        conn = psycopg.connect(
            target.conninfo,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="junkai-planner",
        )
    except psycopg.Error as exc:
        raise InputError(f"{target.label}: cannot connect: {exc}".strip()) from exc
    try:
        with conn:
            yield conn
    except psycopg.errors.InsufficientPrivilege as exc:
        raise InputError(f"{target.label}: {exc}".strip()) from exc
    except psycopg.Error as exc:
        raise PlannerError(f"{target.label}: database error: {exc}".strip()) from exc


def _key(target: StationAddress) -> int:
    digest = hashlib.sha256(target.schema.encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _sql(template: str, *names: str):
    """``template`` with ``{}`` filled by quoted identifiers."""
    from psycopg import sql

    return sql.SQL(template).format(*(sql.Identifier(n) for n in names))


# --------------------------------------------------------------------------------------------
# lock, exists


@contextlib.contextmanager
def station_lock(url: str, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the station's advisory lock for a change (the stand-in for the lock file).

    Raises
    ------
    InputError
        If another run still holds the lock after ``timeout_s`` seconds.
    """
    target = parse_url(url)
    with _session(target, autocommit=True) as conn:
        deadline = time.monotonic() + timeout_s
        while not conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, _key(target))
        ).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() >= deadline:
                raise InputError(
                    f"{target.label}: another planner run is changing this station; "
                    f"waited {timeout_s:g} s — try again when it has finished"
                )
            time.sleep(0.05)
        yield  # closing the connection releases the lock


def keep_access(url: str, entry: AccessEntry) -> None:
    """Nothing to keep beyond the station's ``access_log`` table: the database's own
    permissions guard it (a station file also has a log file beside it)."""


def station_exists(url: str) -> bool:
    """Whether the URL's schema holds a station (a ``meta`` table)."""
    target = parse_url(url)
    with _session(target) as conn:
        return "meta" in _tables(conn, target.schema)


def _tables(conn: psycopg.Connection, schema: str) -> dict[str, set[str]]:
    """The schema's tables and their columns."""
    out: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
        (schema,),
    ):
        out.setdefault(table, set()).add(column)
    return out


# --------------------------------------------------------------------------------------------
# write


def write_station(station: Station, url: str, *, streets: nx.MultiDiGraph | None = None) -> None:
    """Write a whole station (and optionally its street network) in one transaction.

    The schema and its tables are created when absent (and columns added that a newer version
    of the planner writes).  When ``streets`` is ``None`` the network already stored is kept.
    """
    target = parse_url(url)
    with tempfile.TemporaryDirectory(prefix="planner-pg-", dir=_TMP_DIR) as tmp:
        gpkg = Path(tmp) / "station.gpkg"
        store_gpkg.write_layers(station, gpkg, streets)
        present = {name for name, _ in pyogrio.list_layers(gpkg)}
        rows = {layer.name: _rows(gpkg, layer) for layer in LAYERS if layer.name in present}
    with _session(target) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_WRITE_CLASS, _key(target)))
        if conn.execute("SELECT to_regtype('geometry')").fetchone()[0] is None:  # type: ignore[index]
            raise InputError(
                f"{target.label}: the database has no PostGIS (CREATE EXTENSION postgis)"
            )
        conn.execute(_sql("CREATE SCHEMA IF NOT EXISTS {}", target.schema))
        tables = _tables(conn, target.schema)
        for name, layer_rows in rows.items():
            layer = LAYER_BY_NAME[name]
            _create(conn, target.schema, layer, tables.get(name))
            _replace_rows(conn, target.schema, layer, layer_rows)
        if ACCESS_TABLE in tables:  # a new table is protected like the others at once
            _secure(conn, target.schema)
    log.info(
        "wrote %s: %d targets in %d beats", target.label, len(station.targets), len(station.beats)
    )


def _rows(gpkg: Path, layer: Layer) -> list[tuple]:
    """A GeoPackage layer's rows in ``layer``'s column order, typed for PostgreSQL."""
    frame = pyogrio.read_dataframe(gpkg, layer=layer.name, read_geometry=layer.geometry is not None)
    names = [n for n, _ in layer.columns]
    got = [c for c in frame.columns if c != "geometry"]
    if got != names:  # the GeoPackage gained or lost a column: LAYERS must follow
        raise PlannerError(f"layer {layer.name}: columns {got} in the GeoPackage, {names} here")
    columns = [[_value(x, kind) for x in frame[n].tolist()] for n, kind in layer.columns]
    if layer.geometry is not None:
        geoms = shapely.set_srid(frame.geometry.to_numpy(), SRID)
        columns.append(shapely.to_wkb(geoms, hex=True, include_srid=True).tolist())
    return list(zip(*columns, strict=True)) if columns else []


def _value(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind in (INTEGER, BIGINT):
        return int(value)
    if kind == FLOAT:
        return float(value)
    return str(value)


def _columns(layer: Layer) -> list[tuple[str, str]]:
    geom = [("geom", f"geometry({layer.geometry}, {SRID})")] if layer.geometry else []
    return [*layer.columns, *geom]


def _create(conn: psycopg.Connection, schema: str, layer: Layer, have: set[str] | None) -> None:
    """Create the layer's table, or add the columns it lacks (DDL only when something is new,
    since it locks out readers until the write commits)."""
    if have is None:
        conn.execute(
            _sql(
                "CREATE TABLE {}.{} (fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
                schema,
                layer.name,
            )
        )
        have = {"fid"}
    for name, kind in _columns(layer):
        if name not in have:
            conn.execute(
                _sql(f"ALTER TABLE {{}}.{{}} ADD COLUMN {{}} {kind}", schema, layer.name, name)
            )
    if layer.geometry and "geom" not in have:
        conn.execute(
            _sql(
                "CREATE INDEX {} ON {}.{} USING gist (geom)",
                f"{layer.name}_geom_idx",
                schema,
                layer.name,
            )
        )


def _replace_rows(conn: psycopg.Connection, schema: str, layer: Layer, rows: list[tuple]) -> None:
    conn.execute(_sql("DELETE FROM {}.{}", schema, layer.name))
    names = [name for name, _ in _columns(layer)]
    copy_sql = _sql(
        f"COPY {{}}.{{}} ({', '.join(['{}'] * len(names))}) FROM STDIN", schema, layer.name, *names
    )
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


# --------------------------------------------------------------------------------------------
# read


def read_station(url: str) -> Station:
    """Read the station at ``url`` (one consistent snapshot of all its layers).

    Raises
    ------
    InputError
        If the database cannot be reached or holds no such station.
    """
    target = parse_url(url)
    names = [layer.name for layer in LAYERS if layer.name not in STREET_LAYERS]
    with tempfile.TemporaryDirectory(prefix="planner-pg-", dir=_TMP_DIR) as tmp:
        gpkg = Path(tmp) / "station.gpkg"
        if "meta" not in _copy_to_gpkg(target, names, gpkg):
            raise InputError(f"{target.label}: no such station (no table {target.schema}.meta)")
        return store_gpkg.read_station(gpkg)


def read_streets(url: str) -> nx.MultiDiGraph | None:
    """The street network stored with the station at ``url``, or ``None`` if it has none."""
    target = parse_url(url)
    with tempfile.TemporaryDirectory(prefix="planner-pg-", dir=_TMP_DIR) as tmp:
        gpkg = Path(tmp) / "streets.gpkg"
        if not set(STREET_LAYERS) <= set(_copy_to_gpkg(target, (*STREET_LAYERS, "meta"), gpkg)):
            return None
        return store_gpkg.read_streets(gpkg)


def beat_ids(url: str) -> list[str]:
    """Beat ids in the station's order."""
    return [b.beat_id for b in read_station(url).beats]


def read_street_source(url: str) -> tuple[str, str] | None:
    """Where the stored streets came from and their import report (JSON), each ``""`` when not
    recorded; ``None`` when the station has no streets."""
    graph = read_streets(url)
    if graph is None:
        return None
    return str(graph.graph.get("source", "")), str(graph.graph.get("street_report", ""))


def _copy_to_gpkg(target: StationAddress, names: Sequence[str], gpkg: Path) -> list[str]:
    """Copy the named layers that exist from the database into ``gpkg``; return those copied."""
    import psycopg

    with _session(target) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            tables = _tables(conn, target.schema)
            frames = {
                name: _read_layer(conn, target.schema, LAYER_BY_NAME[name], tables[name])
                for name in names
                if name in tables
            }
    for name, frame in frames.items():
        layer = LAYER_BY_NAME[name]
        kw = {"geometry_type": layer.gpkg_geometry} if layer.gpkg_geometry else {}
        pyogrio.write_dataframe(frame, gpkg, layer=name, driver="GPKG", **kw)
    return list(frames)


def _read_layer(
    conn: psycopg.Connection, schema: str, layer: Layer, have: set[str]
) -> pd.DataFrame:
    columns = [(n, kind) for n, kind in layer.columns if n in have]
    names = [n for n, _ in columns]
    select = ", ".join(["{}"] * len(names) + (["ST_AsBinary(geom)"] if layer.geometry else []))
    rows = conn.execute(
        _sql(f"SELECT {select} FROM {{}}.{{}} ORDER BY fid", *names, schema, layer.name)
    ).fetchall()
    frame = pd.DataFrame([r[: len(names)] for r in rows], columns=names)
    for n, kind in columns:
        if kind in (INTEGER, BIGINT):
            frame[n] = frame[n].astype("Int64")
        elif kind == FLOAT:
            frame[n] = frame[n].astype("float64")
    if not layer.geometry:
        return frame
    geoms = shapely.from_wkb([r[-1] for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


# --------------------------------------------------------------------------------------------
# who may read which rows: login roles and row-level security (planner.access)

ACCESS_TABLE = "planner_access"
_BY_BEAT = "beat_id IN (SELECT {s}.planner_visible_beats())"
_BY_TARGET = "target_id IN (SELECT target_id FROM {s}.targets)"
_BY_OFFICER = "officer_id IN (SELECT officer_id FROM {s}.officers)"
ROW_RULES: dict[str, str] = {
    "beats": _BY_BEAT,
    "targets": _BY_BEAT,
    "officers": _BY_BEAT,
    "posts": "post_id IN (SELECT post_id FROM {s}.beats)",
    "visits": _BY_TARGET,
    "approvals": _BY_TARGET,
    "exemptions": _BY_TARGET,
    "beat_moves": _BY_TARGET,
    "officer_days": _BY_OFFICER,
    "guidance": _BY_OFFICER,
    "access_log": "{s}.planner_sees_all()",
    ACCESS_TABLE: "login = session_user OR {s}.planner_sees_all()",
}
"""The rows a login of the station may read, per table (``{s}``: the station's schema).  Tables
not listed (``meta``, ``reviews``: plan hashes, the streets) hold no resident's data."""

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION {s}.planner_visible_beats() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT b.beat_id FROM {s}.beats b
  WHERE EXISTS (
    SELECT 1 FROM {s}.planner_access a
    WHERE a.login = session_user
      AND (a.role IN ('manager', 'chief')
           OR (a.role = 'officer' AND a.scope = b.beat_id)
           OR (a.role = 'handler' AND a.scope = b.post_id)))
$$;
CREATE OR REPLACE FUNCTION {s}.planner_sees_all() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM {s}.planner_access a
                 WHERE a.login = session_user AND a.role IN ('manager', 'chief'))
$$;
"""


def grant_access(url: str, grant: Grant) -> None:
    """Give one person (a database login) read access to the rows their role allows.

    Creates the login role if it does not exist (without a password: set one, or use the
    server's own authentication, as the DBA does for any login), records the grant in the
    station's ``planner_access`` table and turns on row-level security on every table that
    names a household (:data:`ROW_RULES`), so that raw SQL sees what the planner shows.
    Officers and handlers may also add visits of their own beats (``INSERT`` on ``visits``).

    Raises
    ------
    InputError
        If the station does not exist or the grant does not fit it (:func:`check_grant`).
    """
    from psycopg import sql

    target = parse_url(url)
    grant = check_grant(read_station(url), grant)
    with _session(target) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_WRITE_CLASS, _key(target)))
        conn.execute(
            _sql(
                "CREATE TABLE IF NOT EXISTS {}.{} (login text PRIMARY KEY, "
                "role text NOT NULL, scope text NOT NULL DEFAULT '')",
                target.schema,
                ACCESS_TABLE,
            )
        )
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (grant.login,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(grant.login)))
        conn.execute(
            _sql(
                "INSERT INTO {}.{} (login, role, scope) VALUES (%s, %s, %s) ON CONFLICT (login) "
                "DO UPDATE SET role = EXCLUDED.role, scope = EXCLUDED.scope",
                target.schema,
                ACCESS_TABLE,
            ),
            (grant.login, grant.role.value, grant.scope),
        )
        _secure(conn, target.schema)
    log.info("%s: %s may read as %s", target.label, grant.login, grant.role.value)


def revoke_access(url: str, login: str) -> bool:
    """Take a login's access to the station away; ``False`` when it had none."""
    target = parse_url(url)
    with _session(target) as conn, conn.transaction():
        if ACCESS_TABLE not in _tables(conn, target.schema):
            return False
        gone = conn.execute(
            _sql("DELETE FROM {}.{} WHERE login = %s", target.schema, ACCESS_TABLE), (login,)
        ).rowcount
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
            revoke = "REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}"
            conn.execute(_sql(revoke, target.schema, login))
            conn.execute(_sql("REVOKE USAGE ON SCHEMA {} FROM {}", target.schema, login))
    return bool(gone)


def access_grants(url: str) -> list[Grant]:
    """The station's grants, by login (empty when nobody was given access)."""
    target = parse_url(url)
    with _session(target) as conn:
        if ACCESS_TABLE not in _tables(conn, target.schema):
            return []
        rows = conn.execute(
            _sql("SELECT login, role, scope FROM {}.{} ORDER BY login", target.schema, ACCESS_TABLE)
        ).fetchall()
    return [Grant(login, Role(role), scope) for login, role, scope in rows]


def _secure(conn: psycopg.Connection, schema: str) -> None:
    """Row-level security, read grants and the helper functions on every table of ``schema``.

    Idempotent; run after each grant and after each write that may have created a table.
    """
    from psycopg import sql

    s = sql.Identifier(schema).as_string(conn)
    tables = _tables(conn, schema)
    conn.execute(_FUNCTIONS.format(s=s))
    for table, rule in ROW_RULES.items():
        if table not in tables:
            continue
        name = sql.Identifier(schema, table)
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
        conn.execute(sql.SQL("DROP POLICY IF EXISTS planner_read ON {}").format(name))
        conn.execute(
            sql.SQL(
                "CREATE POLICY planner_read ON {} FOR SELECT USING (" + rule.format(s=s) + ")"
            ).format(name)
        )
    if "visits" in tables:
        name = sql.Identifier(schema, "visits")
        conn.execute(sql.SQL("DROP POLICY IF EXISTS planner_record ON {}").format(name))
        conn.execute(
            sql.SQL(
                "CREATE POLICY planner_record ON {} FOR INSERT WITH CHECK ("
                + _BY_TARGET.format(s=s)
                + ")"
            ).format(name)
        )
    grants = conn.execute(_sql("SELECT login, role FROM {}.{}", schema, ACCESS_TABLE)).fetchall()
    for login, role in grants:
        who = sql.Identifier(login)
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), who))
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), who
            )
        )
        if role in (Role.OFFICER.value, Role.HANDLER.value) and "visits" in tables:
            conn.execute(
                sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(schema, "visits"), who)
            )
