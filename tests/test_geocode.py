"""Offline geocoding against references in their published formats (fixtures made here, CP932
included) and against the real 町丁目 points in ../shared/realdata when it is present."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest

from planner._errors import InputError, RowError
from planner.geocode import (
    LEVEL_BLOCK,
    LEVEL_CHOME,
    LEVEL_NONE,
    NOTE_NO_BUILDINGS,
    Geocoder,
    block_csv,
    geocode_addresses,
    load_reference,
    town_csv,
)

SHARED = Path(__file__).parents[1].parent / "shared"
CHOME = SHARED / "realdata" / "chome-points"

# a made-up ward: 桜台 with 丁目 and 街区 (住居表示), 荒井 a 大字 with 地番 and a 小字
BLOCKS = [
    ("宮城県", "仙台市青葉区", "桜台一丁目", "", "1", 140.8000, 38.2600),
    ("宮城県", "仙台市青葉区", "桜台一丁目", "", "2", 140.8010, 38.2600),
    ("宮城県", "仙台市青葉区", "桜台二丁目", "", "1", 140.8000, 38.2620),
    ("宮城県", "仙台市青葉区", "一番町四丁目", "", "7", 140.8700, 38.2640),
    ("宮城県", "名取市", "荒井", "字新田", "123", 140.9000, 38.1700),
    ("宮城県", "名取市", "荒井", "", "45", 140.9010, 38.1710),
]
TOWNS = [
    ("宮城県", "仙台市青葉区", "桜台一丁目", 140.8005, 38.2605),
    ("宮城県", "仙台市青葉区", "本町一丁目", 140.8750, 38.2650),
    ("宮城県", "名取市", "本町", 140.8900, 38.1720),
]


@pytest.fixture
def refs(tmp_path: Path) -> list[Path]:
    blocks = tmp_path / "04_2023.csv"
    blocks.write_bytes(block_csv(BLOCKS))
    towns = tmp_path / "04000-17.0b.zip"
    with zipfile.ZipFile(towns, "w") as z:
        z.writestr("04_2023.csv", town_csv(TOWNS))
    return [blocks, towns]


def test_published_formats_are_cp932_and_quoted(refs: list[Path]) -> None:
    raw = refs[0].read_bytes()
    assert raw.startswith('"都道府県名","市区町村名"'.encode("cp932"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


@pytest.mark.parametrize(
    "address",
    [
        "宮城県仙台市青葉区桜台一丁目2番5号",
        "仙台市青葉区桜台1-2-5",
        "青葉区桜台１丁目２－５ コーポ桜101号室",
        "桜台1丁目2番地5",
        "桜台一丁目二番五号",
        "〒980-0811 宮城県 仙台市 青葉区 桜台 1-2-5",
        "９８００８１１　仙台市青葉区桜台１丁目２番５号",
    ],
)
def test_block_level_from_every_spelling(refs: list[Path], address: str) -> None:
    r = Geocoder(load_reference(refs)).geocode(address)
    assert (r.level, r.lon, r.lat) == (LEVEL_BLOCK, 140.801, 38.26)
    assert r.note == NOTE_NO_BUILDINGS
    assert r.town == "宮城県仙台市青葉区桜台1丁目"


def test_building_and_room_kept(refs: list[Path]) -> None:
    r = Geocoder(load_reference(refs)).geocode("桜台1-2-5 コーポ桜101号室")
    assert (r.building, r.room, r.block) == ("コーポ桜", "101号室", "2")


def test_chome_level_when_the_block_is_unknown_or_missing(refs: list[Path]) -> None:
    g = Geocoder(load_reference(refs))
    r = g.geocode("桜台1-9-1")
    assert (r.level, r.lon, r.lat) == (LEVEL_CHOME, 140.8005, 38.2605)  # the 町丁目 file's point
    assert "街区 9" in r.note
    r = g.geocode("桜台2丁目")  # only the 街区 file knows 二丁目: the centre of its 街区
    assert (r.level, r.lon, r.lat) == (LEVEL_CHOME, 140.8, 38.262)
    assert "no 街区" in r.note
    r = g.geocode("仙台市青葉区本町1-1-1")  # a 町丁目 point only
    assert r.level == LEVEL_CHOME and "no 街区 for this town" in r.note


def test_banchi_and_koaza(refs: list[Path]) -> None:
    g = Geocoder(load_reference(refs))
    assert (
        g.geocode("名取市荒井字新田123番地の4").lon,
        g.geocode("名取市荒井字新田123").level,
    ) == (
        140.9,
        LEVEL_BLOCK,
    )
    assert g.geocode("名取市荒井45-2").lon == 140.901
    assert g.geocode("名取市大字荒井45").level == LEVEL_BLOCK


def test_town_names_with_numerals_are_not_rewritten(refs: list[Path]) -> None:
    r = Geocoder(load_reference(refs)).geocode("一番町4-7-1")
    assert (r.level, r.lon) == (LEVEL_BLOCK, 140.87)


def test_none_and_ambiguous(refs: list[Path]) -> None:
    g = Geocoder(load_reference(refs))
    assert g.geocode("みどり町1-2-3").level == LEVEL_NONE
    assert g.geocode("").note == "empty address"
    r = g.geocode("本町1-1")  # 仙台市青葉区本町一丁目 and 名取市本町
    assert r.level == LEVEL_NONE and "ambiguous" in r.note and r.lon is None
    assert g.geocode("名取市本町1-1").lon == 140.89
    # near the station's post in 名取市 the town is no longer ambiguous
    near = Geocoder(load_reference(refs), near=[(140.89, 38.17)], km=5)
    r = near.geocode("本町1-1")
    assert r.lon == 140.89 and "station's area (also 宮城県仙台市青葉区本町)" in r.note


def test_ambiguous_without_points_near_the_station(tmp_path: Path) -> None:
    # 本町 in two cities, both near the post, neither with a point for 5丁目: no distance to
    # compare, so the town stays ambiguous (it raised TypeError before)
    towns = [
        ("宮城県", "仙台市青葉区", "本町一丁目", 140.8750, 38.2650),
        ("宮城県", "名取市", "本町一丁目", 140.8900, 38.1720),
    ]
    path = tmp_path / "04_2023.csv"
    path.write_bytes(town_csv(towns))
    near = Geocoder(load_reference([path]), near=[(140.88, 38.22)], km=20)
    r = near.geocode("本町5-1")
    assert r.level == LEVEL_NONE and "ambiguous" in r.note and r.lon is None


def test_repeated_addresses_matched_once(refs: list[Path]) -> None:
    out = geocode_addresses(["桜台1-1-1", "桜台1-1-1", "x"], Geocoder(load_reference(refs)))
    assert out[0] is out[1] and out[2].level == LEVEL_NONE


def test_geolonia_json_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "宮城県"
    folder.mkdir()
    items = [
        {"town": "桜台一丁目", "koaza": "", "lat": 38.2605, "lng": 140.8005},
        {"town": "荒巻", "koaza": "三居沢", "lat": 38.27, "lng": 140.84},
        {"town": "無点", "koaza": "", "lat": None, "lng": None},
    ]
    (folder / "仙台市青葉区.json").write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    g = Geocoder(load_reference([tmp_path]))
    assert g.geocode("宮城県仙台市青葉区桜台1-1").level == LEVEL_CHOME
    assert g.geocode("荒巻字三居沢5").lat == 38.27
    r = g.geocode("無点5")
    assert r.level == LEVEL_NONE and "no point" in r.note


def test_bad_reference_rows_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    rows = [*BLOCKS[:2], ("宮城県", "仙台市青葉区", "桜台一丁目", "", "3", math.nan, 38.26)]
    data = block_csv(rows).replace(b'"nan"', '"東経"'.encode("cp932"))
    bad.write_bytes(data)
    with pytest.raises(RowError) as err:
        load_reference([bad])
    assert "bad.csv: row 4, column 経度" in str(err.value)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(RowError, match="column 都道府県名: required column is missing"):
        load_reference([other])
    with pytest.raises(InputError, match="no such file"):
        load_reference([tmp_path / "absent.zip"])
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        load_reference([junk])


@pytest.mark.skipif(not CHOME.is_dir(), reason="../shared/realdata is absent")
def test_real_nerima_every_town_by_name() -> None:
    path = CHOME / "東京都" / "練馬区.json"
    items = json.loads(path.read_text("utf-8"))
    g = Geocoder(load_reference([path]))
    placed = 0
    for item in items:
        if item["lat"] is None or item["koaza"]:
            continue
        r = g.geocode(f"東京都練馬区{item['town']}12-3")
        assert r.level == LEVEL_CHOME, (item, r)
        assert (r.lon, r.lat) == (item["lng"], item["lat"])
        placed += 1
    assert placed > 200
    # 漢数字 in the reference, 算用数字 in the register, no prefecture or city
    a = g.geocode("桜台1丁目2番3号")
    b = g.geocode("練馬区桜台一丁目")
    assert (a.lon, a.lat) == (b.lon, b.lat) and a.town == "東京都練馬区桜台1丁目"


@pytest.mark.skipif(not CHOME.is_dir(), reason="../shared/realdata is absent")
def test_real_miyagi_sendai_towns_and_ambiguity() -> None:
    g = Geocoder(load_reference([CHOME / "宮城県"]), near=[(140.8694, 38.2602)], km=10)
    r = g.geocode("仙台市青葉区一番町4-1-1")
    assert r.level == LEVEL_CHOME and r.town == "宮城県仙台市青葉区一番町4丁目"
    assert abs(r.lat - 38.264) < 0.01
    r = g.geocode("仙台市青葉区荒巻字三居沢12")
    assert r.level == LEVEL_CHOME and r.town.endswith("荒巻三居沢")
    # 本町 is in several Miyagi towns; near a post in central Sendai it is 青葉区's
    r = g.geocode("本町2-1-1")
    assert r.town == "宮城県仙台市青葉区本町2丁目"
    far = Geocoder(load_reference([CHOME / "宮城県"]))
    assert "ambiguous" in far.geocode("本町2-1-1").note


def test_town_names_with_digits(tmp_path: Path) -> None:
    folder = tmp_path / "北海道"
    folder.mkdir()
    items = [
        {"town": "北１条西二丁目", "koaza": "", "lat": 43.06, "lng": 141.35},
        {"town": "北１条東", "koaza": "", "lat": 43.07, "lng": 141.36},
    ]
    (folder / "札幌市中央区.json").write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    g = Geocoder(load_reference([tmp_path]))
    r = g.geocode("札幌市中央区北1条西2丁目3-4")
    assert (r.level, r.lat, r.town) == (LEVEL_CHOME, 43.06, "北海道札幌市中央区北1条西2丁目")
    assert g.geocode("北１条東5").lat == 43.07
