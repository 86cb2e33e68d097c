"""Offline route map: no outside host in the page, markers per stop, private file, renders."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date

import networkx as nx
import numpy as np
import pytest
from conftest import chromium_screenshot

from planner.maps import assert_offline, route_map, route_map_html, street_lines, write_route_map
from planner.model import Availability, Card, Target, TargetKind
from planner.network import edges_to_lines
from planner.routes import DayRoute, RouteStop

POST = (140.8700, 38.2700)
STEP = 0.0012
TIERS = {"priority": "重点対象", "general": "一般対象"}


def grid_graph(n: int = 7) -> nx.MultiDiGraph:
    """An n×n street grid around the post (node (i, j) at POST + (i, j)·STEP)."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    ids = {}
    for i in range(n):
        for j in range(n):
            ids[i, j] = len(ids)
            G.add_node(ids[i, j], x=POST[0] + (i - 1) * STEP, y=POST[1] + (j - 1) * STEP)
    for (i, j), u in ids.items():
        for di, dj in ((1, 0), (0, 1)):
            if (i + di, j + dj) in ids:
                v = ids[i + di, j + dj]
                for a, b in ((u, v), (v, u)):
                    G.add_edge(a, b, length=100.0, highway="residential")
    return G


def make_route(
    G: nx.MultiDiGraph, n_stops: int, *, dropped: tuple[str, ...] = (), overrun: int = 0
) -> tuple[DayRoute, dict[str, Target]]:
    """A route through ``n_stops`` grid nodes along the streets, with its targets."""
    rng = np.random.default_rng(7)
    nodes = [v for v in G.nodes if v != 8]  # node 8 is the post, at (1, 1)
    chosen = [int(v) for v in rng.choice(nodes, size=n_stops, replace=n_stops > len(nodes))]
    stops, targets, path, clock, prev = [], {}, [], 540, 8
    for k, v in enumerate(chosen, start=1):
        leg = nx.shortest_path(G, prev, v)
        path += [(G.nodes[x]["x"], G.nodes[x]["y"]) for x in leg]
        clock += 3 * (len(leg) - 1)
        tid = f"T{k:03d}"
        tier = "priority" if k % 3 == 1 else "general"
        addr = f"みどり町{k // 10 + 1}丁目{k}番{k % 4 + 1}号"
        stops.append(
            RouteStop(
                seq=k,
                target_id=tid,
                arrive=clock,
                depart=clock + 10,
                wait_min=0,
                leg_m=100 * (len(leg) - 1),
                lon=G.nodes[v]["x"],
                lat=G.nodes[v]["y"],
                window=(540, 1020),
                optional=k % 5 == 0,
                tier=tier,
                address=addr,
            )
        )
        targets[tid] = Target(
            target_id=tid,
            beat_id="B1",
            kind=TargetKind.HOUSEHOLD,
            address=addr,
            lon=G.nodes[v]["x"],
            lat=G.nodes[v]["y"],
            tier=tier,
            last_visit=date(2026, 3, 1) if k % 2 else None,
            card=Card.FULL if k % 2 else Card.NONE,
            availability=Availability.DAY,
            name="佐藤 方",
        )
        clock, prev = clock + 10, v
    leg = nx.shortest_path(G, prev, 8)
    path += [(G.nodes[x]["x"], G.nodes[x]["y"]) for x in leg]
    route = DayRoute(
        officer_id="O1",
        date=date(2027, 4, 5),
        slot="day",
        start=540,
        end=1020,
        mode="walk",
        stops=stops,
        dropped_mandatory=list(dropped),
        dropped_optional=[],
        overrun_min=overrun,
        total_m=sum(s.leg_m for s in stops) + 300,
        total_min=clock - 540,
        path=path,
    )
    return route, targets


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    return grid_graph()


@pytest.fixture(scope="module")
def route_and_targets(graph):
    return make_route(graph, 9)


def _map(graph, route_and_targets, **kw):
    route, targets = route_and_targets
    return route_map(route, streets=graph, post=POST, targets=targets, tier_labels=TIERS, **kw)


def test_default_page_refers_to_no_outside_host(graph, route_and_targets, tmp_path):
    path = tmp_path / "route.html"
    write_route_map(path, _map(graph, route_and_targets))
    page = path.read_text(encoding="utf-8")
    assert assert_offline(page) == []
    urls = re.findall(r"(?:https?|wss?|ftp)://[^\s\"'<>]+", page, flags=re.I)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}  # an XML namespace, never fetched
    assert not re.search(r"<script[^>]+src\s*=", page, flags=re.I)
    assert not re.search(r"<link[^>]+href\s*=", page, flags=re.I)
    assert "L.tileLayer" not in page and "{z}" not in page
    assert "L.map(" in page and "Leaflet 1.9" in page  # Leaflet itself is inlined
    assert "$(" not in page.split("</head>")[1]  # folium's own scripts use no jQuery here
    assert "@font-face" in page and "data:font/ttf;base64," in page  # Japanese glyphs inlined


def test_assert_offline_finds_remote_references():
    page = (
        '<script src="https://cdn.example.com/x.js"></script><link href="//cdn.example.org/a.css">'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    )
    assert assert_offline(page) == ["https://cdn.example.com/x.js", "//cdn.example.org/a.css"]


def test_tiles_only_on_request(graph, route_and_targets):
    url = "https://example.invalid/{z}/{x}/{y}.png"
    page = route_map_html(_map(graph, route_and_targets, tiles=url))
    assert url in page
    assert assert_offline(page) == ["https://example.invalid/{z}/{x}/{y}.png"]
    assert "example.invalid" in page.split("L.control.attribution")[1]  # attributed to its host


def test_markers_names_and_popups(graph, route_and_targets):
    route, _ = route_and_targets
    page = route_map_html(_map(graph, route_and_targets))
    assert page.count("data-seq=") == len(route.stops)
    assert page.count("L.marker(") == len(route.stops) + 1  # and the post
    assert "重点対象" in page and "一般対象" in page and route.stops[0].address in page
    assert "佐藤" not in page and "\\u4f50\\u85e4" not in page.lower()  # nor JSON-escaped
    assert "佐藤 方" in route_map_html(_map(graph, route_and_targets, with_names=True))


def test_street_lines_from_graph_or_frame(graph):
    from_graph = street_lines(graph)
    assert len(from_graph) == 2 * 7 * 6  # two-way streets once
    frame = edges_to_lines(graph).to_crs(3857)
    again = street_lines(frame)
    assert len(again) == len(from_graph)
    assert np.allclose(np.vstack(again), np.vstack(from_graph))
    assert street_lines(None) == []


def test_file_is_private(graph, route_and_targets, tmp_path):
    path = tmp_path / "route.html"
    write_route_map(path, _map(graph, route_and_targets))
    assert (path.stat().st_mode & 0o777) == 0o600


def test_renders_in_headless_chromium(graph, route_and_targets, tmp_path):
    from PIL import Image

    page, shot = tmp_path / "route.html", tmp_path / "route.png"
    write_route_map(page, _map(graph, route_and_targets))
    done = chromium_screenshot(page, shot)
    console = [ln for ln in done.stderr.decode(errors="replace").splitlines() if "CONSOLE" in ln]
    assert not [ln for ln in console if "Uncaught" in ln or "Error" in ln], console
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
    non_white = (pixels < 245).any(axis=1).mean()
    assert non_white > 0.01
    colours = {tuple(int(c) for c in p) for p in pixels[:: max(1, len(pixels) // 20000)]}
    assert len(colours) > 5
    orange = np.abs(pixels.astype(int) - (255, 127, 14)).sum(axis=1) < 90  # the route line
    assert orange.mean() > 0.001
    red = np.abs(pixels.astype(int) - (214, 39, 40)).sum(axis=1) < 60  # first-tier markers
    assert red.sum() > 50
    if os.environ.get("JUNKAI_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["JUNKAI_KEEP_SCREENSHOT"])
