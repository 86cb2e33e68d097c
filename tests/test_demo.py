"""Tests of planner.demo: the synthetic station is deterministic, plausible and well formed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from planner.demo import (
    BRIDGES,
    DEMO_YEAR,
    RAIL_CROSSINGS,
    STATION_NAME,
    build_demo,
    rail_line,
    river_line,
)
from planner.model import (
    Card,
    DutyType,
    HouseholdType,
    Mode,
    PostKind,
    Station,
    TargetKind,
)
from planner.network import (
    UNREACHABLE,
    edges_to_lines,
    far_from_street,
    is_connected,
    snap_points,
    travel_matrix,
)
from planner.policy import classify, load_policy


@pytest.fixture(scope="module")
def demo() -> tuple[Station, nx.MultiDiGraph]:
    return build_demo(0)


@pytest.fixture(scope="module")
def station(demo) -> Station:
    return demo[0]


@pytest.fixture(scope="module")
def graph(demo) -> nx.MultiDiGraph:
    return demo[1]


def _edge_line(G: nx.MultiDiGraph, u, v, d) -> LineString:
    geom = d.get("geometry")
    if geom is not None:
        return geom
    return LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])


def test_same_seed_same_station(station, graph):
    again, again_graph = build_demo(0)
    assert again.targets == station.targets
    assert again.officers == station.officers
    assert again.officer_days == station.officer_days
    assert again.posts == station.posts
    assert [(b.beat_id, b.registry_households) for b in again.beats] == [
        (b.beat_id, b.registry_households) for b in station.beats
    ]
    assert list(again_graph.edges(keys=True, data="length")) == list(
        graph.edges(keys=True, data="length")
    )


def test_other_seed_other_town(station):
    other, _ = build_demo(1)
    assert other.targets != station.targets
    assert [(t.lon, t.lat) for t in other.targets[:50]] != [
        (t.lon, t.lat) for t in station.targets[:50]
    ]


def test_size_beats_and_kinds(station):
    assert station.name == STATION_NAME
    assert station.policy == "miyagi"
    assert station.visits == []
    assert len(station.targets) >= 2500
    beats = {b.beat_id for b in station.beats}
    assert len(beats) >= 4
    assert {t.beat_id for t in station.targets} == beats
    assert {t.tier for t in station.targets} == {"priority", "general"}
    assert {t.kind for t in station.targets} == {TargetKind.HOUSEHOLD, TargetKind.BUSINESS}
    assert len({t.target_id for t in station.targets}) == len(station.targets)


def test_posts_and_beats(station):
    kinds = {p.post_id: p.kind for p in station.posts}
    assert sorted(kinds.values()) == [PostKind.CHUZAISHO, PostKind.KOBAN]
    per_post = Counter(b.post_id for b in station.beats)
    koban = next(p for p, k in kinds.items() if k is PostKind.KOBAN)
    assert per_post[koban] == 3
    for beat in station.beats:
        households = sum(t.kind is TargetKind.HOUSEHOLD for t in station.targets_of(beat.beat_id))
        assert households * 1.02 < beat.registry_households <= households * 1.11
        assert beat.polygon is not None and beat.polygon.is_valid
        inside = beat.polygon.buffer(1e-9)
        assert all(inside.contains(Point(t.lon, t.lat)) for t in station.targets_of(beat.beat_id))


def test_one_beat_markedly_heavier(station):
    sizes = sorted(Counter(t.beat_id for t in station.targets).values(), reverse=True)
    assert 1100 <= sizes[0] <= 1300
    assert sizes[0] >= 1.4 * sizes[1]
    koban_sizes = [len(station.targets_of(b)) for b in ("K1-1", "K1-2", "K1-3")]
    assert max(koban_sizes) == sizes[0]
    assert 300 <= len(station.targets_of("C1")) <= 450


def test_tiers_follow_the_policy(station):
    policy = load_policy("miyagi")
    for t in station.targets:
        assert t.tier == classify(t.kind, t.reasons, policy)
        prefix = "H" if t.kind is TargetKind.HOUSEHOLD else "B"
        assert all(code.startswith(prefix) for code in t.reasons)
    codes = Counter(code for t in station.targets for code in t.reasons)
    for code in ("H1", "H2", "H3", "B1", "B2", "B3", "B4", "B5", "B6", "B7"):
        assert codes[code] > 0, code


def test_elderly_share_of_houses(station):
    units = Counter(t.building_id for t in station.targets)
    houses = [
        t for t in station.targets if t.kind is TargetKind.HOUSEHOLD and units[t.building_id] == 1
    ]
    share = sum("H3" in t.reasons for t in houses) / len(houses)
    assert 0.12 <= share <= 0.25


def test_apartments_share_building_and_point(station):
    by_building: dict[str, list] = {}
    for t in station.targets:
        by_building.setdefault(t.building_id, []).append(t)
    apartments = [ts for ts in by_building.values() if len(ts) >= 4]
    assert len(apartments) >= 50
    for ts in apartments:
        assert len({(t.lon, t.lat) for t in ts}) == 1
        assert len({t.beat_id for t in ts}) == 1
        units = [t for t in ts if t.kind is TargetKind.HOUSEHOLD]
        assert 4 <= len(units) <= 40
        assert all(re.search(r"\d+号室$", t.address) for t in units)
    assert max(len(ts) for ts in apartments) >= 24


def test_addresses_unique_and_japanese(station):
    addresses = [t.address for t in station.targets]
    assert len(set(addresses)) == len(addresses)
    town = re.compile(r"^\D+町\d+丁目\d+番\d+号( .+ \d+号室)?$")
    rural = re.compile(r"^大字\D+字\D+\d+番地$")
    for t in station.targets:
        pattern = rural if t.beat_id == "C1" else town
        assert pattern.match(t.address), t.address
        assert t.name


def test_cards_visits_and_minutes(station):
    targets = station.targets
    never = sum(t.card is Card.NONE for t in targets) / len(targets)
    provisional = sum(t.card is Card.PROVISIONAL for t in targets) / len(targets)
    assert 0.05 <= never <= 0.11
    assert 0.02 <= provisional <= 0.07
    for t in targets:
        if t.card is Card.NONE:
            assert t.last_visit is None
        if t.card is Card.FULL:
            assert date(2023, 1, 1) <= t.last_visit <= date(2026, 11, 30)
        if t.last_visit is not None:
            assert t.last_visit < date(DEMO_YEAR, 1, 1)
        if t.kind is TargetKind.BUSINESS:
            assert t.visit_minutes == 10
            assert t.household_type is HouseholdType.BUSINESS
        elif t.card is Card.FULL:
            assert 5 <= t.visit_minutes <= 10
        else:
            assert t.visit_minutes == 15
    years = Counter(t.last_visit.year for t in targets if t.last_visit)
    assert set(years) == {2023, 2024, 2025, 2026}


def test_availability_by_household_type(station):
    def share(kind: HouseholdType, values: set[str]) -> float:
        ts = [t for t in station.targets if t.household_type is kind]
        return sum(t.availability.value in values for t in ts) / len(ts)

    assert share(HouseholdType.SINGLE_WORKER, {"evening", "unknown"}) > 0.8
    assert share(HouseholdType.DUAL_EARNER, {"evening", "unknown"}) > 0.7
    assert share(HouseholdType.ELDERLY, {"day", "any"}) > 0.7


def test_every_target_near_a_street(station, graph):
    lons = [t.lon for t in station.targets]
    lats = [t.lat for t in station.targets]
    snap = snap_points(graph, lons, lats)
    assert snap.distance_m.max() <= 60.0
    assert far_from_street(graph, lons, lats) == []
    post_snap = snap_points(graph, [p.lon for p in station.posts], [p.lat for p in station.posts])
    assert post_snap.distance_m.max() <= 60.0


def test_graph_is_osmnx_style_and_connected(graph):
    assert graph.graph["crs"] == "EPSG:4326"
    assert is_connected(graph)
    for u, v, k, d in graph.edges(keys=True, data=True):
        assert d["length"] > 0
        assert "highway" in d
        assert graph.has_edge(v, u)
        assert graph.edges[v, u, k]["length"] == d["length"]
    for _, d in graph.nodes(data=True):
        assert 140.7 < d["x"] < 141.0
        assert 38.2 < d["y"] < 38.35


def test_only_bridges_cross_the_river(graph):
    river = river_line()
    crossing = [
        d for u, v, d in graph.edges(data=True) if _edge_line(graph, u, v, d).intersects(river)
    ]
    assert len(crossing) == 2 * len(BRIDGES)
    assert all(d.get("bridge") == "yes" for d in crossing)


def test_doors_face_a_street_on_their_side(station, graph):
    """The way from a door to its nearest street never crosses the river or the rail."""
    lons = [t.lon for t in station.targets]
    lats = [t.lat for t in station.targets]
    snap = snap_points(graph, lons, lats)
    lines = edges_to_lines(graph).geometry.to_numpy()[snap.edge]
    drives = shapely.shortest_line(shapely.points(lons, lats), lines)
    assert not shapely.intersects(drives, river_line()).any()
    assert not shapely.intersects(drives, rail_line()).any()


def test_rail_crossed_only_at_crossings(graph):
    rail = rail_line()
    crossing = [
        d for u, v, d in graph.edges(data=True) if _edge_line(graph, u, v, d).intersects(rail)
    ]
    assert len(crossing) == 2 * len(RAIL_CROSSINGS)
    assert Counter(d["railway"] for d in crossing) == {"level_crossing": 4, "underpass": 2}


def test_officers_and_days(station):
    officers = {o.beat_id: o for o in station.officers}
    assert set(officers) == {b.beat_id for b in station.beats}
    koban = [officers[b] for b in ("K1-1", "K1-2", "K1-3")]
    assert [o.pattern for o in koban] == ["koban3"] * 3
    assert sorted(o.phase for o in koban) == [0, 2, 4]
    assert all(o.mode is Mode.BIKE for o in koban)  # 交番 officers ride bicycles on rounds
    assert officers["C1"].pattern == "chuzai"
    assert officers["C1"].mode in (Mode.BIKE, Mode.CAR)
    for o in station.officers:
        days = [d for d in station.officer_days if d.officer_id == o.officer_id]
        senju = [d.date for d in days if d.kind is DutyType.SENJU]
        leave = [d.date for d in days if d.kind is DutyType.LEAVE]
        assert sorted(d.month for d in senju) == list(range(1, 13))
        assert all(d.weekday() < 5 and d.year == DEMO_YEAR for d in senju)
        assert any(d.month == 8 for d in leave) and any(d.month == 1 for d in leave)
        assert not set(senju) & set(leave)


def test_travel_between_beat_doors_is_finite(station, graph):
    sample = station.targets_of("K1-3")[:20] + station.targets_of("K1-1")[:20]
    T = travel_matrix(graph, [t.lon for t in sample], [t.lat for t in sample])
    assert (T < UNREACHABLE).all()
    np.testing.assert_array_equal(np.diag(T), 0)
