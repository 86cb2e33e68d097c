"""Printed route sheet: A4 PDF, Japanese text extractable, pages by length, names on request."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest
from pypdf import PdfReader
from test_maps import POST, TIERS, grid_graph, make_route  # route stand-ins shared with maps

from planner.sheets import FIRST_PAGE_ROWS, SheetHeader, date_ja, route_sheet, shortfall_line

HEADER = SheetHeader(
    date=date(2027, 4, 5),
    beat_id="B1",
    beat_name="第1受持区",
    officer="巡査部長 山田",
    shift="日勤",
    mode="walk",
    station="テスト警察署",
)


@pytest.fixture(scope="module")
def graph():
    return grid_graph()


def _sheet(tmp_path, graph, n_stops, *, with_names=False, name="sheet.pdf", **kw):
    route, targets = make_route(graph, n_stops, **kw)
    path = tmp_path / name
    route_sheet(
        path,
        route,
        streets=graph,
        post=POST,
        targets=targets,
        header=HEADER,
        tier_labels=TIERS,
        with_names=with_names,
    )
    return path, route


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_short_route_is_one_a4_page_in_japanese(tmp_path, graph):
    path, route = _sheet(tmp_path, graph, 9, dropped=("T900",), overrun=12)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = _text(path)
    for expected in (
        "巡回連絡",
        "経路表",
        "B1",
        "2027年4月5日（月）",
        "重点対象",
        "一般対象",
        "徒歩",
        "日勤",
        "面接",
        "不在・",
        "CR名刺",
        "転出",
        "新規",
        "備考",
        route.stops[0].address,
        "時間内に回れない訪問先",
        "約12分超過",
    ):
        assert expected in text, expected
    assert f"{route.total_m / 1000:.1f} km" in text
    assert "佐藤" not in text and "氏名" not in text
    assert (path.stat().st_mode & 0o777) == 0o600


def test_long_route_continues_on_page_two_with_names(tmp_path, graph):
    path, route = _sheet(tmp_path, graph, FIRST_PAGE_ROWS + 8, with_names=True)
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    page2 = reader.pages[1].extract_text()
    assert "続き" in page2 and route.stops[-1].address in page2
    assert route.stops[FIRST_PAGE_ROWS - 1].address in reader.pages[0].extract_text()
    assert "氏名" in _text(path) and "佐藤 方" in _text(path)


def test_date_and_shortfall_wording():
    assert date_ja(date(2027, 4, 4)) == "2027年4月4日（日）"

    def route(dropped: list[str], overrun: int) -> SimpleNamespace:
        return SimpleNamespace(dropped_mandatory=dropped, overrun_min=overrun)

    assert shortfall_line(route(["T1", "T2"], 0), {}) == "時間内に回れない訪問先: T1、T2"
    assert shortfall_line(route([], 7), {}) == "予定時間を超過（約7分超過）"
    assert shortfall_line(route([], 0), {}) == ""


def test_page_image_is_not_blank(tmp_path, graph):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    path, _ = _sheet(tmp_path, graph, 9)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path,
            tmp_path / "page",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pixels = np.asarray(Image.open(tmp_path / "page.png").convert("RGB")).reshape(-1, 3)
    assert (pixels < 200).any(axis=1).mean() > 0.01  # text, rules and streets
    assert (np.abs(pixels.astype(int) - (255, 127, 14)).sum(axis=1) < 90).mean() > 0.001  # route


# --------------------------------------------------------------------------- route outputs


def _outputs(tmp_path, graph, *, osm: bool):
    import csv
    from dataclasses import replace

    from conftest import tiny_station

    from planner.model import Mode, Officer
    from planner.patrol import PatrolRoute
    from planner.planfiles import write_route_outputs
    from planner.policy import load_policy

    station = tiny_station()
    station.officers.append(Officer("O2", "B1", "巡査 二人目", "chuzai", 0, Mode.WALK, {}))
    streets = graph.copy()
    if osm:
        streets.graph["source"] = "openstreetmap"
    route, _ = make_route(graph, 5)
    route = replace(route, back=route.stops[-1].depart + 4)
    second = replace(route, officer_id="O2")
    evening = replace(route, slot="evening", start=1020, end=1140)
    patrols = [PatrolRoute("B1", r, (r.start, r.end), ()) for r in (route, second, evening)]
    out = tmp_path / ("osm" if osm else "plain")
    written = write_route_outputs(out, patrols, station, load_policy("miyagi"), graph=streets)
    with (out / "route_B1_2027-04-05_O1.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return written, rows, route


def test_route_files_name_the_officer_end_at_the_post_and_are_private(tmp_path, graph):
    from planner.routes import hhmm

    written, rows, route = _outputs(tmp_path, graph, osm=True)
    names = sorted(p.name for p in written)
    stems = ("route_B1_2027-04-05_O1", "route_B1_2027-04-05_O1_evening", "route_B1_2027-04-05_O2")
    assert names == sorted(f"{s}.{ext}" for s in stems for ext in ("csv", "html", "pdf"))
    for path in written:  # home coordinates, addresses: every file owner-only
        assert (path.stat().st_mode & 0o777) == 0o600, path.name
    assert [r["target_id"] for r in rows[:-1]] == [s.target_id for s in route.stops]
    back = rows[-1]
    assert back["target_id"] == "" and back["seq"] == str(len(route.stops) + 1)
    assert back["arrive"] == hhmm(route.back) and back["depart"] == back["window"] == ""
    assert int(back["leg_m"]) == route.total_m - sum(s.leg_m for s in route.stops) == 300
    assert (float(back["lon"]), float(back["lat"])) == POST
    assert sum(int(r["leg_m"]) for r in rows) == route.total_m


def test_osm_streets_are_credited_on_map_and_sheet(tmp_path, graph):
    credit = "© OpenStreetMap contributors"
    for osm in (True, False):
        written, _, _ = _outputs(tmp_path, graph, osm=osm)
        html = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
        pdf = _text(next(p for p in written if p.suffix == ".pdf"))
        assert (credit in html) is osm
        assert ("OpenStreetMap contributors" in pdf) is osm
