"""Bad input catalogue: every file the planner reads, through the CLI, with each kind of bad value.

A bad case must exit 2 (``verify``'s rule violations: 1) with one message naming the file, and the
row and column where they apply; never a traceback; the station file byte-identical afterwards.
What is unambiguous must be accepted: Shift_JIS (CP932), a BOM, UTF-16 with a BOM, 和暦 and
``2027/4/1`` dates.  A case that shows a bug not yet fixed may be marked ``xfail="the fix"``
(run as ``xfail(strict=True)``, so the fix turns it into a failure to update).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.store import read_station, read_streets

DATA = Path(__file__).parent.parent / "data"
TODAY = date.today()
PAST = TODAY.year - 1  # every date of last year is in the past: outcomes and orders use it
REIWA_PAST = PAST - 2018  # 令和 year of PAST (令和元年 = 2019)
PLAN_YEAR = 2027

Writer = Callable[[Path], None]


# --------------------------------------------------------------------------------------------
# building input files from the samples in data/


def sample(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of ``data/<name>.csv``."""
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def csv_text(header: Sequence[str], rows: Iterable[Mapping[str, str] | Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header] if isinstance(r, Mapping) else r)
    return buf.getvalue()


def raw(data: bytes | str, encoding: str = "utf-8") -> Writer:
    """A file with exactly this content."""
    content = data.encode(encoding) if isinstance(data, str) else data

    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


def table(
    name: str,
    *,
    edit: Callable[[list[str], list[dict[str, str]]], tuple[list, list]] | None = None,
    encoding: str = "utf-8",
    **cells: Mapping[int, str],
) -> Writer:
    """A sample CSV with changes: ``column={data_index: value}`` (index 0 = spreadsheet row 2),
    or any ``edit(header, rows) -> (header, rows)``."""
    header, rows = sample(name)
    for column, changes in cells.items():
        if column not in header:
            header.append(column)
        for i, value in changes.items():
            rows[i][column] = value
    if edit is not None:
        header, rows = edit(header, rows)
    return raw(csv_text(header, rows), encoding)


def without(column: str) -> Callable[[list[str], list], tuple[list, list]]:
    return lambda header, rows: ([c for c in header if c != column], rows)


def plus(*extra: Mapping[str, str]) -> Callable[[list[str], list], tuple[list, list]]:
    return lambda header, rows: (header, rows + [dict(r) for r in extra])


def only(*indices: int) -> Callable[[list[str], list], tuple[list, list]]:
    return lambda header, rows: (header, [rows[i] for i in indices])


OUTCOME_HEADER = [
    "target_id",
    "date",
    "officer_id",
    "outcome",
    "notes",
    "beat_id",
    "kind",
    "address",
    "lon",
    "lat",
    "minutes_spent",
]


def outcomes(
    *rows: Mapping[str, str], header: Sequence[str] = OUTCOME_HEADER, encoding: str = "utf-8"
) -> Writer:
    """An outcomes file; each row starts from ``S0001 visited by O1 on PAST-10-01``."""
    base = {"target_id": "S0001", "date": f"{PAST}-10-01", "officer_id": "O1", "outcome": "visited"}
    return raw(csv_text(header, [{**base, **r} for r in rows]), encoding)


def new_row(**cells: str) -> dict[str, str]:
    return {
        "target_id": "N001",
        "outcome": "new",
        "beat_id": "K1-1",
        "kind": "household",
        "address": "みどり町1丁目99番1号",
        "lon": "140.8750",
        "lat": "38.2700",
        **cells,
    }


ORDER_HEADER = ["target_id", "ordered_by", "date", "reason"]


def orders(
    *rows: Mapping[str, str], header: Sequence[str] = ORDER_HEADER, encoding: str = "utf-8"
) -> Writer:
    base = {
        "target_id": "S0003",
        "ordered_by": "署長 宮城一郎",
        "date": f"{PAST}-10-01",
        "reason": "長期入院",
    }
    return raw(csv_text(header, [{**base, **r} for r in rows]), encoding)


PLAN_HEADER = [
    "target_id",
    "beat_id",
    "officer_id",
    "tier",
    "date",
    "month",
    "slot",
    "due_reason",
    "est_minutes",
]


def plan(
    *rows: Mapping[str, str], header: Sequence[str] = PLAN_HEADER, encoding: str = "utf-8"
) -> Writer:
    """A hand plan; each row starts from ``S0003 on 2027-04-08 by O1, day, 20 minutes``."""
    base = {
        "target_id": "S0003",
        "beat_id": "K1-1",
        "officer_id": "O1",
        "tier": "general",
        "date": f"{PLAN_YEAR}-04-08",
        "month": "4",
        "slot": "day",
        "due_reason": "never_met",
        "est_minutes": "20",
    }
    return raw(csv_text(header, [{**base, **r} for r in rows]), encoding)


POLICY = (Path(__file__).parent.parent / "planner" / "policies" / "miyagi.toml").read_text(
    encoding="utf-8"
)


def geojson(
    swap: Sequence[int] = (),
    drop: Sequence[str] = (),
    minutes: type = int,
    **cells: Mapping[int, object],
) -> Writer:
    """The sample targets as GeoJSON points (lon/lat only in the geometry); ``visit_minutes``
    as numbers, or as text with ``minutes=str``."""
    _, rows = sample("targets")
    features = []
    for i, r in enumerate(rows):
        xy = [float(r["lon"]), float(r["lat"])]
        props = {k: v for k, v in r.items() if k not in ("lon", "lat", *drop)}
        props["visit_minutes"] = minutes(props["visit_minutes"])
        for column, changes in cells.items():
            if i in changes:
                props[column] = changes[i]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": xy[::-1] if i in swap else xy},
            }
        )
    return raw(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))


def gpkg(swap: Sequence[int] = (), drop: Sequence[str] = ()) -> Writer:
    """The sample targets as a GeoPackage layer of points (lon/lat only in the geometry)."""
    import geopandas as gpd
    from shapely.geometry import Point

    def write(path: Path) -> None:
        _, rows = sample("targets")
        xy = [(float(r["lon"]), float(r["lat"])) for r in rows]
        points = [Point(p[::-1] if i in swap else p) for i, p in enumerate(xy)]
        props = [{k: v for k, v in r.items() if k not in ("lon", "lat", *drop)} for r in rows]
        gpd.GeoDataFrame(props, geometry=points, crs="EPSG:4326").to_file(path, driver="GPKG")

    return write


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="38.2700" lon="140.8700"/>
 <node id="2" lat="38.2705" lon="140.8720"/>
 <node id="3" lat="38.2710" lon="140.8740"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
  <tag k="name" v="みどり通り"/></way>
</osm>
"""


def graphml_text() -> str:
    """The OSM sample's street graph as OSMnx GraphML."""
    import tempfile

    from planner import network

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "s.osm").write_text(OSM, encoding="utf-8")
        graph = network.graph_from_osm(Path(tmp) / "s.osm")
        network.graph_to_graphml(graph, Path(tmp) / "s.graphml")
        return (Path(tmp) / "s.graphml").read_text(encoding="utf-8")


def graphml(*swaps: tuple[str, str]) -> Writer:
    """The sample GraphML with text replacements (made when the case runs); ``{length}`` in a
    replacement stands for the key id of the edges' ``length`` data."""

    def write(path: Path) -> None:
        content = graphml_text()
        length = re.search(r'<key id="(\w+)" for="edge" attr.name="length"', content)
        assert length is not None
        for old, new in swaps:
            old, new = (x.replace("{length}", length.group(1)) for x in (old, new))
            assert old in content, old
            content = content.replace(old, new)
        path.write_text(content, encoding="utf-8")

    return write


GARBAGE = bytes(range(256)) * 8  # NUL bytes and every other byte: no text encoding


# --------------------------------------------------------------------------------------------
# the catalogue

IMPORT = ("import", "--db", "{db}", "{f}")
POSTS = ("import", "--db", "{db}", "--posts", "{f}")
BEATS = ("import", "--db", "{db}", "--beats", "{f}")
OFFICERS = ("import", "--db", "{db}", "--officers", "{f}")
DAYS = ("import", "--db", "{db}", "--officer-days", "{f}")
RECORD = ("record", "--db", "{db}", "--year", str(PAST), "{f}")
EXEMPT = ("exempt", "--db", "{db}", "--year", str(PAST), "{f}")
POLICY_ARG = ("import", "--db", "{db}", "--policy", "{f}")
SCENARIO = (
    "scenario",
    "compare",
    "--db",
    "{db}",
    "--year",
    str(PLAN_YEAR),
    "--out",
    "{tmp}/compare",
    "--processes",
    "1",
    "--time-limit",
    "1",
    "{f}",
)
STREETS = ("import", "--db", "{db}", "--streets", "{f}")
VERIFY = ("verify", "--db", "{db}", "--plan", "{f}")
ROUTE = (
    "route",
    "--db",
    "{db}",
    "--plan",
    "{f}",
    "--date",
    f"{PLAN_YEAR}-04-08",
    "--out",
    "{tmp}/routes",
)

KINDS = (
    "targets.csv",
    "targets.gpkg",
    "targets.geojson",
    "posts",
    "beats",
    "officers",
    "officer_days",
    "outcomes",
    "exemptions",
    "policy",
    "scenario",
    "osm",
    "graphml",
    "plan/verify",
    "plan/route",
)
BADS = (
    "missing column",
    "wrong type",
    "empty file",
    "wrong encoding",
    "duplicate id",
    "unknown code",
    "out of range",
    "far outside",
    "swapped lon/lat",
    "wrong year",
    "bad 和暦",
    "negative minutes",
    "huge",
)


@dataclass(frozen=True)
class Bad:
    """One bad input: the command, the file, and what the one error message must say."""

    id: str
    kind: str
    bad: str
    argv: tuple[str, ...]
    write: Writer
    suffix: str = ".csv"
    row: int | None = None
    column: str | None = None
    words: tuple[str, ...] = ()
    exit_code: int = 2
    names: str | None = None  # what the message must name instead of the file (a policy name)
    xfail: str = ""


# fmt: off
CASES: list[Bad] = [
    # ---- targets CSV
    Bad("targets-missing-column", "targets.csv", "missing column", IMPORT,
        table("targets", edit=without("lat")), row=1, column="lat", words=("missing",)),
    Bad("targets-wrong-type", "targets.csv", "wrong type", IMPORT,
        table("targets", lon={3: "東経140度"}), row=5, column="lon", words=("not a number",)),
    Bad("targets-empty", "targets.csv", "empty file", IMPORT, raw(b""), words=("empty file",)),
    Bad("targets-header-only", "targets.csv", "empty file", IMPORT,
        table("targets", edit=only()), words=("no data rows",)),
    Bad("targets-binary", "targets.csv", "wrong encoding", IMPORT, raw(GARBAGE),
        words=("binary",)),
    Bad("targets-euc-jp", "targets.csv", "wrong encoding", IMPORT,
        table("targets", encoding="euc_jp"), words=("not UTF-8 or Shift_JIS", "line 2")),
    Bad("targets-duplicate-id", "targets.csv", "duplicate id", IMPORT,
        table("targets", target_id={4: "S0001"}), row=6, column="target_id",
        words=("duplicate id 'S0001'", "row 2")),
    Bad("targets-duplicate-column", "targets.csv", "duplicate id", IMPORT,
        table("targets", edit=lambda h, r: ([*h, "lat"], r)), row=1, column="lat",
        words=("twice",)),
    Bad("targets-unknown-beat", "targets.csv", "unknown code", IMPORT,
        table("targets", beat_id={0: "K9-9"}), row=2, column="beat_id", words=("unknown beat",)),
    Bad("targets-unknown-reason", "targets.csv", "unknown code", IMPORT,
        table("targets", reasons={1: "H2,H99"}), row=3, column="reasons", words=("'H99'",)),
    Bad("targets-business-code-on-household", "targets.csv", "unknown code", IMPORT,
        table("targets", reasons={0: "B4"}), row=2, column="reasons", words=("business",)),
    Bad("targets-unknown-kind", "targets.csv", "unknown code", IMPORT,
        table("targets", kind={1: "house"}), row=3, column="kind", words=("'house'",)),
    Bad("targets-unknown-tier", "targets.csv", "unknown code", IMPORT,
        table("targets", tier={1: "vip"}), row=3, column="tier", words=("'vip'",)),
    Bad("targets-lat-out-of-range", "targets.csv", "out of range", IMPORT,
        table("targets", lat={2: "95"}), row=4, column="lat", words=("out of range",)),
    Bad("targets-lon-out-of-range", "targets.csv", "out of range", IMPORT,
        table("targets", lon={2: "200.5"}), row=4, column="lon", words=("out of range",)),
    Bad("targets-far-outside", "targets.csv", "far outside", IMPORT,
        table("targets", lon={2: "135.0"}, lat={2: "35.0"}), row=4, column="lon/lat",
        words=("km from the nearest post",)),
    Bad("targets-swapped", "targets.csv", "swapped lon/lat", IMPORT,
        table("targets", lon={2: "38.27055"}, lat={2: "140.87068"}), row=4, column="lat",
        words=("swapped",)),
    Bad("targets-swapped-near", "targets.csv", "swapped lon/lat", IMPORT,
        table("targets", lon={2: "38.27055"}, lat={2: "40.87068"}), row=4, column="lon/lat",
        words=("swapped",)),
    Bad("targets-last-visit-next-year", "targets.csv", "wrong year", IMPORT,
        table("targets", last_visit={0: f"{TODAY.year + 1}-01-10"}), row=2,
        column="last_visit", words=("in the future",)),
    Bad("targets-wareki-after-heisei", "targets.csv", "bad 和暦", IMPORT,
        table("targets", last_visit={0: "H31.5.1"}), row=2, column="last_visit",
        words=("平成 ended on 2019-04-30",)),
    Bad("targets-wareki-wrong-weekday", "targets.csv", "bad 和暦", IMPORT,
        table("targets", last_visit={0: "令和7年4月1日(月)"}), row=2, column="last_visit",
        words=("火曜日",)),
    Bad("targets-negative-minutes", "targets.csv", "negative minutes", IMPORT,
        table("targets", visit_minutes={0: "-5"}), row=2, column="visit_minutes",
        words=("below the minimum 1",)),
    Bad("targets-extra-cells", "targets.csv", "wrong type", IMPORT,
        table("targets", edit=lambda h, r: (h, [*r[:5], [*r[5].values(), "余分"], *r[6:]])),
        row=7, words=("more cells",)),
    Bad("targets-row-after-comment-and-blank", "targets.csv", "wrong type", IMPORT,
        raw("target_id,beat_id,kind,address,lon,lat\n# 追加分\n\n"
            "S0101,K1-1,household,みどり町1丁目9番1号,140.8701,38.2701\n"
            "S0102,K1-1,household,みどり町1丁目9番2号,140.8702,北緯38度\n"),
        row=5, column="lat", words=("not a number",)),
    Bad("targets-duplicate-after-comment", "targets.csv", "duplicate id", IMPORT,
        raw("target_id,beat_id,kind,address,lon,lat\n# 追加分\n"
            "S0101,K1-1,household,みどり町1丁目9番1号,140.8701,38.2701\n"
            "S0101,K1-1,household,みどり町1丁目9番2号,140.8702,38.2702\n"),
        row=4, column="target_id", words=("also on row 3",)),
    Bad("targets-one-huge-cell", "targets.csv", "huge", IMPORT,
        raw("target_id,beat_id,kind,address,lon,lat\nS0101,K1-1,household,"
            + "長" * 300_000 + ",140.87,38.27\n"),
        row=2, words=("not a CSV row",)),
    # ---- targets GeoPackage / GeoJSON
    Bad("gpkg-missing-column", "targets.gpkg", "missing column", IMPORT, gpkg(drop=["address"]),
        suffix=".gpkg", row=1, column="address", words=("missing",)),
    Bad("gpkg-swapped", "targets.gpkg", "swapped lon/lat", IMPORT, gpkg(swap=[2]),
        suffix=".gpkg", row=4, column="lat", words=("swapped",)),
    Bad("gpkg-empty", "targets.gpkg", "empty file", IMPORT, raw(b""), suffix=".gpkg",
        words=("cannot read",)),
    Bad("gpkg-garbage", "targets.gpkg", "wrong type", IMPORT, raw(GARBAGE), suffix=".gpkg",
        words=("cannot read",)),
    Bad("geojson-far-outside", "targets.geojson", "far outside", IMPORT,
        raw(json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [135.0, 35.0]},
            "properties": {"target_id": "J1", "beat_id": "K1-1", "kind": "household",
                           "address": "みどり町1丁目"}}]})),
        suffix=".geojson", row=2, column="lon/lat", words=("km from the nearest post",)),
    Bad("geojson-wrong-type", "targets.geojson", "wrong type", IMPORT,
        geojson(minutes=str, visit_minutes={3: "十五分"}), suffix=".geojson", row=5,
        column="visit_minutes", words=("not a number",)),
    Bad("geojson-mixed-types", "targets.geojson", "wrong type", IMPORT,
        geojson(visit_minutes={3: "十五分"}), suffix=".geojson", row=5, column="visit_minutes",
        words=("not a number",)),
    Bad("geojson-no-features", "targets.geojson", "empty file", IMPORT,
        raw('{"type": "FeatureCollection", "features": []}'), suffix=".geojson",
        words=("no data rows",)),
    Bad("geojson-no-geometry", "targets.geojson", "missing column", IMPORT,
        raw(json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": None, "properties": {
                "target_id": "J1", "beat_id": "K1-1", "kind": "household", "address": "x"}}]})),
        suffix=".geojson", row=1, column="lon", words=("missing",)),
    # ---- posts, beats, officers, officer days
    Bad("posts-wrong-type", "posts", "wrong type", POSTS, table("posts", lon={0: "abc"}),
        row=2, column="lon", words=("not a number",)),
    Bad("posts-lat-out-of-range", "posts", "out of range", POSTS, table("posts", lat={0: "95"}),
        row=2, column="lat", words=("out of range",)),
    Bad("posts-swapped", "posts", "swapped lon/lat", POSTS,
        table("posts", lon={0: "38.2700"}, lat={0: "140.8700"}), row=2, column="lat",
        words=("140.87",)),
    Bad("posts-unknown-kind", "posts", "unknown code", POSTS, table("posts", kind={0: "kobann"}),
        row=2, column="kind", words=("'kobann'",)),
    Bad("posts-duplicate-id", "posts", "duplicate id", POSTS, table("posts", post_id={1: "P1"}),
        row=3, column="post_id", words=("duplicate id 'P1'",)),
    Bad("posts-missing-column", "posts", "missing column", POSTS,
        table("posts", edit=without("kind")), row=1, column="kind", words=("missing",)),
    Bad("beats-unknown-post", "beats", "unknown code", BEATS, table("beats", post_id={1: "P9"}),
        row=3, column="post_id", words=("unknown post 'P9'",)),
    Bad("beats-negative-households", "beats", "out of range", BEATS,
        table("beats", registry_households={0: "-3"}), row=2, column="registry_households",
        words=("below the minimum 0",)),
    Bad("beats-bad-polygon", "beats", "wrong type", BEATS,
        table("beats", polygon_wkt={0: "POINT (140.87 38.27)"}), row=2, column="polygon_wkt",
        words=("not a polygon",)),
    Bad("beats-duplicate-id", "beats", "duplicate id", BEATS, table("beats", beat_id={1: "K1-1"}),
        row=3, column="beat_id", words=("duplicate id 'K1-1'",)),
    Bad("officers-unknown-pattern", "officers", "unknown code", OFFICERS,
        table("officers", pattern={0: "koban9"}), row=2, column="pattern", words=("'koban9'",)),
    Bad("officers-negative-hours", "officers", "negative minutes", OFFICERS,
        table("officers", visit_hours={1: "nikkin=-1.5"}), row=3, column="visit_hours",
        words=("out of range",)),
    Bad("officers-phase-wrong-type", "officers", "wrong type", OFFICERS,
        table("officers", phase={0: "一"}), row=2, column="phase", words=("not a number",)),
    Bad("officers-duplicate-id", "officers", "duplicate id", OFFICERS,
        table("officers", officer_id={1: "O1"}), row=3, column="officer_id",
        words=("duplicate id 'O1'",)),
    Bad("officers-unknown-beat", "officers", "unknown code", OFFICERS,
        table("officers", beat_id={0: "K9"}), row=2, column="beat_id", words=("unknown beat",)),
    Bad("officer-days-bad-date", "officer_days", "wrong type", DAYS,
        table("officer_days", date={0: "2027-13-13"}), row=2, column="date",
        words=("not a date",)),
    Bad("officer-days-bad-wareki", "officer_days", "bad 和暦", DAYS,
        table("officer_days", date={0: "R9.2.30"}), row=2, column="date",
        words=("day is out of range",)),
    Bad("officer-days-unknown-kind", "officer_days", "unknown code", DAYS,
        table("officer_days", kind={0: "vacation"}), row=2, column="kind", words=("'vacation'",)),
    Bad("officer-days-unknown-officer", "officer_days", "unknown code", DAYS,
        table("officer_days", officer_id={3: "O9"}), row=5, column="officer_id",
        words=("unknown officer 'O9'",)),
    Bad("officer-days-same-day-twice", "officer_days", "duplicate id", DAYS,
        table("officer_days", date={2: "2027-08-13"}), row=4, column="date",
        words=("2027-08-13",)),
    # ---- outcomes (planner record)
    Bad("outcomes-wrong-year", "outcomes", "wrong year", RECORD,
        outcomes({"date": f"{PAST - 1}-10-01"}), row=2, column="date", words=(f"not in {PAST}",)),
    Bad("outcomes-bad-wareki", "outcomes", "bad 和暦", RECORD,
        outcomes({"date": "令和元年4月30日"}), row=2, column="date",
        words=("令和 began on 2019-05-01",)),
    Bad("outcomes-unknown-outcome", "outcomes", "unknown code", RECORD,
        outcomes({}, {"outcome": "waved"}), row=3, column="outcome", words=("'waved'",)),
    Bad("outcomes-unknown-target", "outcomes", "unknown code", RECORD,
        outcomes({"target_id": "S9999"}), row=2, column="target_id", words=("unknown target",)),
    Bad("outcomes-unknown-officer", "outcomes", "unknown code", RECORD,
        outcomes({"officer_id": "O9"}), row=2, column="officer_id", words=("unknown officer",)),
    Bad("outcomes-missing-column", "outcomes", "missing column", RECORD,
        outcomes({}, header=["target_id", "date", "officer_id"]), row=1, column="outcome",
        words=("missing",)),
    Bad("outcomes-empty", "outcomes", "empty file", RECORD, raw(b"\xef\xbb\xbf\r\n"),
        words=("empty file",)),
    Bad("outcomes-binary", "outcomes", "wrong encoding", RECORD, raw(GARBAGE),
        words=("binary",)),
    Bad("outcomes-negative-minutes", "outcomes", "negative minutes", RECORD,
        outcomes({"minutes_spent": "-5"}), row=2, column="minutes_spent",
        words=("below the minimum 1",)),
    Bad("outcomes-duplicate-new-id", "outcomes", "duplicate id", RECORD,
        outcomes(new_row(), new_row(date=f"{PAST}-10-02")), row=3, column="target_id",
        words=("'N001'", "row 2")),
    Bad("outcomes-duplicate-new-id-after-blank-row", "outcomes", "duplicate id", RECORD,
        raw(",".join(OUTCOME_HEADER) + "\n"
            f"N001,{PAST}-10-01,O1,new,,K1-1,household,みどり町1丁目99番1号,140.875,38.27,\n\n"
            f"N001,{PAST}-10-02,O1,new,,K1-1,household,みどり町1丁目99番1号,140.875,38.27,\n"),
        row=4, column="target_id", words=("row 2",)),
    Bad("outcomes-new-swapped", "outcomes", "swapped lon/lat", RECORD,
        outcomes(new_row(lon="38.2700", lat="140.8750")), row=2, column="lat",
        words=("140.875",)),
    Bad("outcomes-new-far-outside", "outcomes", "far outside", RECORD,
        outcomes(new_row(lon="135.0", lat="35.0")), row=2, column="lon/lat", words=("km",)),
    # ---- exemption orders (planner exempt)
    Bad("exemptions-missing-column", "exemptions", "missing column", EXEMPT,
        orders({}, header=ORDER_HEADER[:3]), row=1, column="reason", words=("missing",)),
    Bad("exemptions-unknown-target", "exemptions", "unknown code", EXEMPT,
        orders({"target_id": "S9999"}), row=2, column="target_id", words=("unknown target",)),
    Bad("exemptions-next-year", "exemptions", "wrong year", EXEMPT,
        orders({"date": f"{TODAY.year + 1}-04-01"}), row=2, column="date",
        words=("in the future",)),
    Bad("exemptions-conflicting-orders", "exemptions", "duplicate id", EXEMPT,
        orders({}, {"reason": "空き家"}), row=3, column="target_id", words=("row 2",)),
    Bad("exemptions-empty", "exemptions", "empty file", EXEMPT, raw(""), words=("empty file",)),
    Bad("exemptions-bad-wareki", "exemptions", "bad 和暦", EXEMPT, orders({"date": "R0.4.1"}),
        row=2, column="date", words=("元年",)),
    # ---- policies (--policy NAME or TOML)
    Bad("policy-missing-key", "policy", "missing column", POLICY_ARG,
        raw(POLICY.replace("frequency_years = 1 ", "")), suffix=".toml",
        words=("'tiers[0].frequency_years'",)),
    Bad("policy-empty", "policy", "empty file", POLICY_ARG, raw(""), suffix=".toml",
        words=("'tiers'",)),
    Bad("policy-binary", "policy", "wrong encoding", POLICY_ARG, raw(GARBAGE), suffix=".toml",
        words=("not a valid TOML",)),
    Bad("policy-wrong-type-frequency", "policy", "wrong type", POLICY_ARG,
        raw(POLICY.replace("frequency_years = 3", 'frequency_years = "三"')), suffix=".toml",
        words=("'tiers[1].frequency_years'",)),
    Bad("policy-wrong-type-tiers", "policy", "wrong type", POLICY_ARG,
        raw("tiers = 3\n" + POLICY.split("[[tiers]]")[0]), suffix=".toml", words=("'tiers'",)),
    Bad("policy-unknown-reason-kind", "policy", "unknown code", POLICY_ARG,
        raw(POLICY + 'Z9 = { kind = "cat", tier = "priority", label = "猫" }\n'), suffix=".toml",
        words=("'reasons.Z9.kind'",)),
    Bad("policy-unknown-name", "policy", "unknown code",
        ("import", "--db", "{db}", "--policy", "nagano"), raw(""), names="policy nagano",
        words=("no such built-in policy",)),
    # ---- scenarios (planner scenario compare)
    Bad("scenario-unknown-key", "scenario", "unknown code", SCENARIO, raw("nme = '一人減'\n"),
        suffix=".toml", words=("unknown key 'nme'",)),
    Bad("scenario-unknown-officer", "scenario", "unknown code", SCENARIO,
        raw("remove_officers = ['O9']\n"), suffix=".toml", words=("unknown officer 'O9'",)),
    Bad("scenario-unknown-mode", "scenario", "unknown code", SCENARIO, raw("mode = 'jet'\n"),
        suffix=".toml", words=("'mode'",)),
    Bad("scenario-unknown-duty", "scenario", "unknown code", SCENARIO,
        raw("[visit_hours]\ntobann = 1.0\n"), suffix=".toml", words=("'visit_hours.tobann'",)),
    Bad("scenario-unknown-policy", "scenario", "unknown code", SCENARIO,
        raw("policy = 'nagano'\n"), suffix=".toml", words=("'policy'",)),
    Bad("scenario-wrong-type-reserve", "scenario", "wrong type", SCENARIO,
        raw("reserve = '二割'\n"), suffix=".toml", words=("'reserve'",)),
    Bad("scenario-wrong-type-officers", "scenario", "wrong type", SCENARIO, raw("officers = 3\n"),
        suffix=".toml", words=("'officers'",)),
    Bad("scenario-wrong-type-remove", "scenario", "wrong type", SCENARIO,
        raw("remove_officers = 'O1'\n"), suffix=".toml", words=("'remove_officers'",)),
    Bad("scenario-wrong-type-center", "scenario", "wrong type", SCENARIO,
        raw("[campaign]\ncenter = ['東', '北']\nradius_m = 150\nstart = 2027-05-10\ndays = 14\n"),
        suffix=".toml", words=("'campaign.center'",)),
    Bad("scenario-binary", "scenario", "wrong encoding", SCENARIO, raw(GARBAGE), suffix=".toml",
        words=("not a valid TOML",)),
    Bad("scenario-negative-hours", "scenario", "negative minutes", SCENARIO,
        raw("[visit_hours]\ntoban = -1\n"), suffix=".toml", words=("'visit_hours.toban'",)),
    Bad("scenario-negative-radius", "scenario", "negative minutes", SCENARIO,
        raw("[campaign]\ncenter = [140.87, 38.272]\nradius_m = -150\nstart = 2027-05-10\n"
            "days = 14\n"), suffix=".toml", words=("'campaign.radius_m'",)),
    Bad("scenario-duplicate-officer", "scenario", "duplicate id", SCENARIO,
        raw("[[officers]]\nofficer_id = 'O1'\nbeat_id = 'K1-1'\npattern = 'koban3'\n"),
        suffix=".toml", words=("'O1'",)),
    Bad("scenario-campaign-swapped", "scenario", "swapped lon/lat", SCENARIO,
        raw("[campaign]\ncenter = [38.272, 140.87]\nradius_m = 150\nstart = 2027-05-10\n"
            "days = 14\n"), suffix=".toml", words=("'campaign.center'",)),
    Bad("scenario-campaign-wrong-year", "scenario", "wrong year", SCENARIO,
        raw("[campaign]\ncenter = [140.87, 38.272]\nradius_m = 150\nstart = 2025-05-10\n"
            "days = 14\n"), suffix=".toml", words=("'campaign.start'",)),
    # ---- street networks (planner import --streets)
    Bad("osm-empty", "osm", "empty file", STREETS, raw(""), suffix=".osm",
        words=("not a readable OSM XML",)),
    Bad("osm-binary", "osm", "wrong encoding", STREETS, raw(GARBAGE), suffix=".osm",
        words=("not a readable OSM XML",)),
    Bad("osm-no-highway", "osm", "missing column", STREETS,
        raw(OSM.replace('k="highway"', 'k="building"')), suffix=".osm", words=("no streets",)),
    Bad("osm-wrong-type", "osm", "wrong type", STREETS,
        raw(OSM.replace('lat="38.2705"', 'lat="北緯38度"')), suffix=".osm", words=("2",)),
    Bad("osm-lat-out-of-range", "osm", "out of range", STREETS,
        raw(OSM.replace('lat="38.27', 'lat="98.27')), suffix=".osm", words=("98.27",)),
    Bad("osm-swapped", "osm", "swapped lon/lat", STREETS,
        raw(OSM.replace('lat="', 'LAT="').replace('lon="', 'lat="').replace('LAT="', 'lon="')),
        suffix=".osm", words=("swapped",)),
    Bad("osm-far-outside", "osm", "far outside", STREETS,
        raw(OSM.replace('lon="140.', 'lon="100.')), suffix=".osm", words=("km",)),
    Bad("osm-duplicate-node", "osm", "duplicate id", STREETS,
        raw(OSM.replace(' <way', ' <node id="1" lat="38.3700" lon="140.9700"/>\n <way')),
        suffix=".osm", words=("node", "1")),
    Bad("graphml-empty", "graphml", "empty file", STREETS, raw(""), suffix=".graphml",
        words=("not a readable GraphML",)),
    Bad("graphml-wrong-type", "graphml", "wrong type", STREETS,
        graphml(('<data key="{length}">', '<data key="{length}">x')), suffix=".graphml",
        words=("not a readable GraphML",)),
    Bad("graphml-missing-length", "graphml", "missing column", STREETS,
        graphml(('attr.name="length"', 'attr.name="len"')), suffix=".graphml",
        words=("length",)),
    Bad("graphml-missing-y", "graphml", "missing column", STREETS,
        graphml(('attr.name="y"', 'attr.name="lat"')), suffix=".graphml", words=("y",)),
    Bad("graphml-negative-length", "graphml", "negative minutes", STREETS,
        graphml(('<data key="{length}">', '<data key="{length}">-')), suffix=".graphml",
        words=("length",)),
    Bad("graphml-bad-geometry", "graphml", "wrong type", STREETS,
        graphml(("LINESTRING (", "LINESTRNG (")), suffix=".graphml", words=("geometry",)),
    Bad("graphml-lat-out-of-range", "graphml", "out of range", STREETS,
        graphml(("38.27", "98.27")), suffix=".graphml", words=("98.27",)),
    # ---- plan.csv given to verify (rule violations exit 1, naming the target)
    Bad("verify-missing-column", "plan/verify", "missing column", VERIFY,
        plan({}, header=[c for c in PLAN_HEADER if c != "slot"]), row=1, column="slot",
        words=("missing",)),
    Bad("verify-wrong-type", "plan/verify", "wrong type", VERIFY, plan({"est_minutes": "二十"}),
        row=2, column="est_minutes", words=("not a number",)),
    Bad("verify-empty", "plan/verify", "empty file", VERIFY, raw("\n\n"), words=("empty file",)),
    Bad("verify-binary", "plan/verify", "wrong encoding", VERIFY, raw(GARBAGE),
        words=("binary",)),
    Bad("verify-negative-minutes", "plan/verify", "negative minutes", VERIFY,
        plan({"est_minutes": "-20"}), row=2, column="est_minutes", words=("below the minimum 0",)),
    Bad("verify-month-mismatch", "plan/verify", "wrong type", VERIFY, plan({"month": "5"}),
        row=2, column="month", words=("does not match",)),
    Bad("verify-bad-wareki", "plan/verify", "bad 和暦", VERIFY, plan({"date": "令和9年2月30日"}),
        row=2, column="date", words=("day is out of range",)),
    Bad("verify-wrong-year", "plan/verify", "wrong year", (*VERIFY, "--year", "2026"), plan({}),
        exit_code=1, words=("[year] S0003", "not in 2026")),
    Bad("verify-duplicate", "plan/verify", "duplicate id", VERIFY,
        plan({}, {"date": f"{PLAN_YEAR}-04-09"}), exit_code=1,
        words=("[exactly_once] S0003", "planned again")),
    Bad("verify-unknown-slot", "plan/verify", "unknown code", VERIFY, plan({"slot": "dusk"}),
        exit_code=1, words=("[slot] S0003", "'dusk'")),
    Bad("verify-unknown-target", "plan/verify", "unknown code", VERIFY,
        plan({"target_id": "S9999"}), exit_code=1, words=("S9999", "not in the register")),
    # ---- plan.csv given to route
    Bad("route-wrong-type", "plan/route", "wrong type", ROUTE, plan({"est_minutes": "x"}),
        row=2, column="est_minutes", words=("not a number",)),
    Bad("route-missing-column", "plan/route", "missing column", ROUTE,
        plan({}, header=[c for c in PLAN_HEADER if c != "officer_id"]), row=1,
        column="officer_id", words=("missing",)),
    Bad("route-unknown-officer", "plan/route", "unknown code", ROUTE, plan({"officer_id": "O9"}),
        row=2, column="officer_id", words=("'O9'",)),
    Bad("route-unknown-slot", "plan/route", "unknown code", ROUTE, plan({"slot": "dusk"}),
        row=2, column="slot", words=("'dusk'",)),
    Bad("route-unknown-target", "plan/route", "unknown code", ROUTE,
        plan({"target_id": "S9999"}), row=2, column="target_id", words=("S9999",)),
    Bad("route-officer-of-another-beat", "plan/route", "unknown code", ROUTE,
        plan({}, {"target_id": "S0004", "officer_id": "O2"}), row=3, column="officer_id",
        words=("'O2' works beat C1, not K1-1",)),
    Bad("route-target-of-another-beat", "plan/route", "unknown code", ROUTE,
        plan({"target_id": "S0019"}), row=2, column="beat_id",
        words=("S0019 is in beat C1, not K1-1",)),
]
# fmt: on


# --------------------------------------------------------------------------------------------
# what must be accepted


@dataclass(frozen=True)
class Good:
    """An unambiguous variant that must be read as meant (``check`` looks at the result)."""

    id: str
    kind: str
    how: str
    argv: tuple[str, ...]
    write: Writer
    check: Callable[[Path, str], None]
    suffix: str = ".csv"
    xfail: str = ""


def _targets(db: Path) -> dict:
    return {t.target_id: t for t in read_station(db).targets}


def _names_kept(db: Path, _: str) -> None:
    t = _targets(db)
    assert len(t) == 20
    assert t["S0001"].name == "佐藤 方"
    assert t["S0004"].address == "みどり町1丁目3番1号 グリーンハイツ101号室"


def _count(n: int) -> Callable[[Path, str], None]:
    def check(db: Path, _: str) -> None:
        assert len(_targets(db)) == n

    return check


WAREKI = {
    0: "令和7年4月1日",
    1: "R7.4.2",
    2: "H31.4.30",
    3: "令和元年5月1日",
    4: "2024/4/1",
    5: "令和６年１月１５日",
    6: "2023年7月30日",
    7: "r6.3.3",
    8: "令和7年4月3日(木)",
    9: "2025/09/09 0:00",
}
WAREKI_DATES = [
    date(2025, 4, 1),
    date(2025, 4, 2),
    date(2019, 4, 30),
    date(2019, 5, 1),
    date(2024, 4, 1),
    date(2024, 1, 15),
    date(2023, 7, 30),
    date(2024, 3, 3),
    date(2025, 4, 3),
    date(2025, 9, 9),
]


def _wareki_read(db: Path, _: str) -> None:
    t = _targets(db)
    got = [t[f"S{i + 1:04d}"].last_visit for i in range(10)]
    assert got == WAREKI_DATES


def _posts_kept(db: Path, _: str) -> None:
    assert [p.name for p in read_station(db).posts] == ["みどり町交番", "上沢駐在所"]


def _leave_days(db: Path, _: str) -> None:
    days = {(d.officer_id, d.date, d.kind.value) for d in read_station(db).officer_days}
    assert {
        ("O1", date(2027, 8, 13), "leave"),
        ("O1", date(2027, 8, 14), "leave"),
        ("O2", date(2027, 12, 29), "leave"),
    } <= days


def _visits(*expected: tuple[str, date, str]) -> Callable[[Path, str], None]:
    def check(db: Path, _: str) -> None:
        got = {(x.target_id, x.date, x.notes) for x in read_station(db).visits}
        assert got == set(expected)

    return check


def _exempt(db: Path, _: str) -> None:
    got = {(e.target_id, e.date, e.reason) for e in read_station(db).exemptions}
    assert got == {("S0003", date(PAST, 10, 1), "長期入院"), ("S0019", date(PAST, 11, 2), "空き家")}


def _policy_file(db: Path, _: str) -> None:
    assert read_station(db).policy.endswith(".toml")


def _planned(out: str) -> None:
    assert "planning 1 scenarios" in out and "wrote" in out


def _streets(n_edges: int) -> Callable[[Path, str], None]:
    def check(db: Path, _: str) -> None:
        graph = read_streets(db)
        assert graph is not None and graph.number_of_edges() == n_edges

    return check


def _routed(db: Path, out: str) -> None:
    assert "K1-1 2027-04-08" in out and "C1 2027-04-08" in out and "wrote 6 files" in out


def _excel_empty_rows(h: list[str], r: list[dict]) -> tuple[list, list]:
    return h, [*r, {c: "" for c in h}, {c: "" for c in h}]  # Excel's empty rows below a table


# fmt: off
GOOD: list[Good] = [
    Good("targets-shift-jis", "targets.csv", "Shift_JIS", IMPORT,
         table("targets", encoding="cp932"), _names_kept),
    Good("targets-bom", "targets.csv", "BOM", IMPORT, table("targets", encoding="utf-8-sig"),
         _names_kept),
    Good("targets-utf16-tabs", "targets.csv", "UTF-16 (Excel Unicode text)", IMPORT,
         lambda p: p.write_bytes(csv_text(*sample("targets")).replace(",", "\t")
                                 .encode("utf-16")), _names_kept),
    Good("targets-excel-empty-rows", "targets.csv", "empty rows", IMPORT,
         table("targets", edit=_excel_empty_rows), _count(20)),
    Good("targets-wareki", "targets.csv", "和暦", IMPORT, table("targets", last_visit=WAREKI),
         _wareki_read),
    Good("targets-gpkg", "targets.gpkg", "GeoPackage", IMPORT, gpkg(), _names_kept,
         suffix=".gpkg"),
    Good("targets-geojson", "targets.geojson", "GeoJSON", IMPORT, geojson(), _names_kept,
         suffix=".geojson"),
    Good("posts-shift-jis", "posts", "Shift_JIS", POSTS, table("posts", encoding="cp932"),
         _posts_kept),
    Good("officer-days-wareki", "officer_days", "和暦", DAYS,
         table("officer_days", date={0: "令和9年8月13日", 1: "R9.8.14", 4: "2027/12/29"}),
         _leave_days),
    Good("outcomes-wareki-shift-jis", "outcomes", "和暦 + Shift_JIS", RECORD,
         outcomes({"date": f"令和{REIWA_PAST}年10月1日", "notes": "面接済"},
                  {"date": f"R{REIWA_PAST}.10.2", "outcome": "absent", "notes": "CR名刺"},
                  encoding="cp932"),
         _visits(("S0001", date(PAST, 10, 1), "面接済"), ("S0001", date(PAST, 10, 2), "CR名刺"))),
    Good("outcomes-bom", "outcomes", "BOM", RECORD,
         outcomes({"notes": "面接済"}, encoding="utf-8-sig"),
         _visits(("S0001", date(PAST, 10, 1), "面接済"))),
    Good("exemptions-wareki-shift-jis", "exemptions", "和暦 + Shift_JIS", EXEMPT,
         orders({}, {"target_id": "S0019", "date": f"R{REIWA_PAST}.11.2", "reason": "空き家"},
                encoding="cp932"), _exempt),
    Good("policy-bom", "policy", "BOM", POLICY_ARG, raw(POLICY, "utf-8-sig"), _policy_file,
         suffix=".toml"),
    Good("policy-shift-jis", "policy", "Shift_JIS", POLICY_ARG,
         raw(POLICY.replace("–", "-"), "cp932"), _policy_file, suffix=".toml"),
    Good("scenario-bom", "scenario", "BOM", SCENARIO, raw("name = '一人減'\n", "utf-8-sig"),
         lambda db, out: _planned(out), suffix=".toml"),
    Good("scenario-shift-jis", "scenario", "Shift_JIS", SCENARIO,
         raw("name = '一人減'\n", "cp932"), lambda db, out: _planned(out), suffix=".toml"),
    Good("scenario-wareki", "scenario", "和暦", SCENARIO,
         raw("[campaign]\ncenter = [140.87, 38.272]\nradius_m = 150\nstart = '令和9年5月10日'\n"
             "days = 14\n"), lambda db, out: _planned(out), suffix=".toml"),
    Good("osm-bom", "osm", "BOM", STREETS, raw(OSM, "utf-8-sig"), _streets(2), suffix=".osm"),
    Good("osm-shift-jis", "osm", "Shift_JIS (declared)", STREETS,
         raw(OSM.replace("UTF-8", "Shift_JIS"), "cp932"), _streets(2), suffix=".osm"),
    Good("graphml", "graphml", "GraphML", STREETS, graphml(), _streets(2), suffix=".graphml"),
    Good("route-plan-wareki-shift-jis", "plan/route", "和暦 + Shift_JIS", ROUTE,
         plan({"date": "令和9年4月8日(木)"}, {"target_id": "S0019", "beat_id": "C1",
               "officer_id": "O2", "date": "R9.4.8"}, encoding="cp932"), _routed),
]
# fmt: on


# --------------------------------------------------------------------------------------------
# running the catalogue


@pytest.fixture(scope="module")
def station_file(tmp_path_factory) -> Path:
    """One small station built once from data/*.csv through the CLI."""
    db = tmp_path_factory.mktemp("station") / "station.gpkg"
    result = CliRunner().invoke(
        main,
        [
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
            "--officer-days",
            str(DATA / "officer_days.csv"),
            str(DATA / "targets.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def db(station_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "station.gpkg"
    shutil.copyfile(station_file, path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _invoke(case: Bad | Good, db: Path, tmp_path: Path) -> tuple[object, Path]:
    if case.kind == "exemptions" and "exempt" not in main.commands:
        pytest.skip("no `planner exempt` command yet (planner/exemptions.py)")
    path = tmp_path / f"input_{case.id}{case.suffix}"
    case.write(path)
    argv = [a.format(db=db, f=path, tmp=tmp_path) for a in case.argv]
    return CliRunner().invoke(main, argv), path


def _params(cases: Sequence[Bad | Good]) -> list:
    return [
        pytest.param(
            c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        )
        for c in cases
    ]


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input_is_refused_clearly(case: Bad, db: Path, tmp_path: Path):
    before = _sha(db)
    result, path = _invoke(case, db, tmp_path)
    out = result.output
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code == case.exit_code, out
    names = case.names or str(path)
    if case.exit_code == 2:
        errors = [line for line in out.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, out
        message = out[out.index("error:") :]
        assert errors[0].startswith(f"error: {names}"), out
    else:  # verify: the report names the plan, each violation its rule and target
        message = out
        assert out.startswith(f"{names}:"), out
    where = (
        f"row {case.row}, column {case.column}"
        if case.row and case.column
        else (f"row {case.row}" if case.row else None)
    )
    if where:
        assert where in message, message
    for words in case.words:
        assert words in message, message
    assert _sha(db) == before, "the station file changed"


@pytest.mark.parametrize("case", _params(GOOD))
def test_unambiguous_input_is_accepted(case: Good, db: Path, tmp_path: Path):
    result, _ = _invoke(case, db, tmp_path)
    assert result.exit_code == 0, result.output
    assert "error:" not in result.output and "Traceback" not in result.output
    case.check(db, result.output)


def test_the_catalogue_covers_every_input_and_every_kind_of_bad_value():
    kinds = {c.kind for c in CASES} | {c.kind for c in GOOD}
    assert kinds == set(KINDS)
    assert {c.bad for c in CASES} | {"huge"} == set(BADS)  # huge: the tests below
    assert all(c.kind in KINDS and c.bad in BADS for c in CASES)
    accepted = {c.how for c in GOOD}
    assert {"Shift_JIS", "BOM", "和暦"} <= accepted
    assert len({c.id for c in CASES}) == len(CASES) and len({c.id for c in GOOD}) == len(GOOD)


# --------------------------------------------------------------------------------------------
# huge files: a clear error in bounded time and memory (measured in a child process)

RUN = """
import resource, sys, time
from planner.cli import main
start = time.perf_counter()
try:
    main(sys.argv[1:], prog_name="planner")
finally:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"PEAK_MB {peak:.0f} SECONDS {time.perf_counter() - start:.2f}", file=sys.stderr)
"""
PEAK_MB = 800  # `planner info` on the station takes ~240 MB


def _run_measured(argv: Sequence[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *argv], capture_output=True, text=True, timeout=120, env=env
    )
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK_MB")][-1].split()
    return proc, float(line[1]), float(line[3])


def _refused(proc: subprocess.CompletedProcess, path: Path) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}"), proc.stderr
    return proc.stderr


def test_huge_garbage_file_is_refused_quickly(db: Path, tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_bytes(GARBAGE * (50 * 2**20 // len(GARBAGE)))  # 50 MB
    before = _sha(db)
    proc, peak, seconds = _run_measured(["import", "--db", str(db), str(path)])
    assert "binary" in _refused(proc, path)
    assert seconds < 10 and peak < PEAK_MB, (seconds, peak)
    assert _sha(db) == before


def test_huge_text_file_with_one_endless_line_is_refused(db: Path, tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_bytes(b"target_id,beat_id,kind,address,lon,lat\n" + b"x" * (50 * 2**20))
    before = _sha(db)
    proc, peak, seconds = _run_measured(["import", "--db", str(db), str(path)])
    assert "row 2: not a CSV row" in _refused(proc, path)
    assert seconds < 10 and peak < PEAK_MB, (seconds, peak)
    assert _sha(db) == before


def test_200k_row_plan_with_one_bad_row(db: Path, tmp_path: Path):
    rows = [",".join(PLAN_HEADER)]
    for i in range(200_000):
        month = 1 + i % 12
        rows.append(
            f"T{i:06d},K1-1,O1,general,{PLAN_YEAR}-{month:02d}-{1 + i % 28:02d},"
            f"{month},day,never_met,{10 + i % 30}"
        )
    rows[150_001] = rows[150_001].replace(",day,", ",day,,", 1)  # one cell too many
    path = tmp_path / "plan.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = _sha(db)
    started = time.perf_counter()
    proc, peak, seconds = _run_measured(["verify", "--db", str(db), "--plan", str(path)])
    message = _refused(proc, path)
    assert "row 150002" in message and "more cells than header columns" in message
    assert message.count("row ") == 1  # one bad row, one problem
    assert seconds < 30 and peak < PEAK_MB, (seconds, peak, time.perf_counter() - started)
    assert _sha(db) == before
