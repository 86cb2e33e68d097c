"""Streets as people walk them: OpenStreetMap ways to one street graph for walk, bike and car.

The pipeline (:func:`graph_from_ways`) has four steps, each counted in a :class:`StreetReport`:

1. **Keep streets.**  Only ways with a ``highway`` tag; ``area=yes`` ways, ways closed to
   everyone (``access=private|no`` with no mode tag opening them), ways being built or planned
   (``highway=construction|proposed|planned``), ways out of use and ways that are no travel way
   (platforms, raceways, ...) are dropped, as are ways left with fewer than two nodes.
2. **Decide the modes of each way** after OSMnx 2.1's ``walk`` / ``bike`` / ``drive_service``
   filters and pyrosm 0.25's access rule (the most specific of ``foot`` / ``bicycle`` /
   ``motorcar``, ``motor_vehicle``, ``vehicle`` and ``access`` decides).  Unlike OSMnx's
   ``walk``, a road whose sidewalks are mapped apart (``sidewalk=separate``) stays walkable:
   crossings are often not mapped and a Japanese residential carriageway is walked anyway.
3. **Link.**  Sidewalks and footpaths are often drawn beside the road without a shared node.
   Every end of a walkable way, and every node of a footway, path, pedestrian way, steps or
   cycleway that no other way shares, is linked to the nearest walkable way within
   ``link_m`` metres (shapely STRtree) when the network does not already join them nearby;
   the target edge is split at the foot of the perpendicular.  A pedestrian area (a square, a
   station plaza: dropped as a way) is walked across instead: straight paths join its entrances.
4. **Keep what connects.**  Per mode, only the largest connected component (strongly
   connected for the car, whose one-way streets run one way); the rest is counted.

The result is one :class:`networkx.MultiDiGraph` in OSMnx style, both directions of every way,
with boolean edge attributes ``walk``, ``bike``, ``car`` and ``forward`` (``False`` on the
direction a car may not take on a one-way street).  :func:`mode_graph` gives the graph of one
mode.  Nothing here opens a file but :func:`ways_from_pbf` (which reads through pyrosm).
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import shapely

from planner import geo
from planner._errors import InputError
from planner.model import Mode

LINK_M = 8.0
"""Default reach of a link: a footway end this close to another walkable way is joined to it."""

SOURCE_OSM = "openstreetmap"
"""``G.graph["source"]`` of a graph read from OpenStreetMap data (maps and sheets credit it)."""

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""The credit the ODbL asks for wherever OSM streets are shown."""

DROP_REASONS: dict[str, str] = {
    "not_street": "not streets (no highway tag: buildings, land use, ...)",
    "area": "areas (area=yes)",
    "no_access": "private or closed (access=private|no)",
    "construction": "under construction or proposed",
    "disused": "abandoned or razed",
    "not_travel": "not for travel (platforms, raceways, ...)",
    "too_short": "fewer than 2 nodes in the file or the clip",
}
"""Why a way is dropped, in the order the report lists them."""

_CONSTRUCTION = frozenset({"construction", "proposed", "planned"})
_DISUSED = frozenset({"abandoned", "razed", "no", "disused"})
_NOT_TRAVEL = frozenset(
    {"platform", "raceway", "bus_guideway", "escape", "rest_area", "services", "bus_stop"}
)
_MOTOR = frozenset({"motorway", "motorway_link"})
_FOOT_CLASS = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor", "track"}
)
_NO_BIKE = frozenset({"footway", "steps", "corridor", "elevator", "escalator", "pedestrian"})
_NO_CAR = frozenset(
    {
        "bridleway",
        "corridor",
        "cycleway",
        "elevator",
        "escalator",
        "footway",
        "path",
        "pedestrian",
        "steps",
        "track",
        "trail",
        "ladder",
        "busway",
    }
)
_NO_CAR_SERVICE = frozenset({"emergency_access", "parking", "parking_aisle", "private"})
_CLOSED = frozenset({"no", "private"})
_OPEN_FOOT = frozenset({"yes", "designated", "permissive"})
_ONEWAY = frozenset({"yes", "true", "1", "-1", "reverse"})
_REVERSED = frozenset({"-1", "reverse"})
MODE_ACCESS_KEYS: dict[Mode, tuple[str, ...]] = {
    Mode.WALK: ("foot", "access"),
    Mode.BIKE: ("bicycle", "vehicle", "access"),
    Mode.CAR: ("motorcar", "motor_vehicle", "vehicle", "access"),
}
"""Access tags per mode, most specific first: the first one a way carries decides."""


@dataclass(frozen=True)
class Way:
    """One OSM way as read from a file: id, tags and node ids in order."""

    id: int
    tags: Mapping[str, str]
    refs: tuple[int, ...]


@dataclass
class StreetReport:
    """What became of an OSM file's ways on the way to the street graph.

    Attributes
    ----------
    source
        ``"openstreetmap"`` for OSM data (the outputs then credit OSM).
    file
        The file's name (no folder).
    ways_read
        Ways in the file (or the clip).
    ways_kept
        Ways kept for at least one mode.
    dropped
        Reason (:data:`DROP_REASONS`) -> ways dropped for it.
    links, split, link_m
        Links added, edges split at a link's foot, and the reach of a link in metres.
    areas_crossed, area_paths
        Pedestrian areas (squares, station plazas: dropped as ways) walked across instead, and
        the straight paths added between their entrances.
    component_share
        Mode -> share of that mode's nodes in its largest connected component.
    nodes_dropped, pieces_dropped
        Walkable nodes and pieces outside the largest walking component.
    modes
        Mode -> ``[nodes, km]`` of its graph (km of ways, each counted once).
    clip
        ``(min_lon, min_lat, max_lon, max_lat)`` the file was clipped to, if it was.
    """

    source: str = SOURCE_OSM
    file: str = ""
    ways_read: int = 0
    ways_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    links: int = 0
    split: int = 0
    link_m: float = LINK_M
    component_share: dict[str, float] = field(default_factory=dict)
    nodes_dropped: int = 0
    pieces_dropped: int = 0
    areas_crossed: int = 0
    area_paths: int = 0
    modes: dict[str, list[float]] = field(default_factory=dict)
    clip: tuple[float, float, float, float] | None = None

    def lines(self) -> list[str]:
        """The report as a few printable lines (counts only: no personal data)."""
        where = f" ({self.file})" if self.file else ""
        out = [
            f"streets from OpenStreetMap{where}: {self.ways_kept:,} of {self.ways_read:,} ways kept"
        ]
        if self.clip:
            x0, y0, x1, y1 = self.clip
            out[0] += (
                f" (clipped to the station's beats plus a margin: lon {x0:.4f}–{x1:.4f}, "
                f"lat {y0:.4f}–{y1:.4f})"
            )
        dropped = [
            f"{self.dropped[k]:,} {label}"
            for k, label in DROP_REASONS.items()
            if self.dropped.get(k)
        ]
        out.append("dropped: " + ("; ".join(dropped) if dropped else "nothing"))
        out.append(
            f"linked: {self.links:,} footway/sidewalk/path ends and nodes joined to the "
            f"nearest street within {self.link_m:g} m where no node was shared "
            f"({self.split:,} streets split at the link)"
        )
        if self.areas_crossed:
            areas = "area" if self.areas_crossed == 1 else "areas"
            out[-1] += (
                f"; {self.areas_crossed:,} pedestrian {areas} walked across by "
                f"{self.area_paths:,} straight paths between their entrances"
            )
        share = self.component_share.get(Mode.WALK.value, 1.0)
        pieces = "piece" if self.pieces_dropped == 1 else "pieces"
        out.append(
            f"connected: the largest walking network holds {share:.1%} of the nodes; "
            f"{self.nodes_dropped:,} nodes in {self.pieces_dropped:,} {pieces} not "
            "connected to it were dropped"
        )
        per_mode = [f"{m} {int(n):,} nodes / {km:.1f} km" for m, (n, km) in self.modes.items()]
        if per_mode:
            out.append("graphs: " + ", ".join(per_mode) + " (car: one-way streets one way)")
        return out

    def to_json(self) -> str:
        """The report as JSON text (stored beside the streets in the station file)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> StreetReport:
        """A report stored by :meth:`to_json` (unknown keys ignored)."""
        raw = json.loads(text)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        if known.get("clip") is not None:
            known["clip"] = tuple(known["clip"])
        return cls(**known)


# --------------------------------------------------------------------------- way rules


def _closed(tags: Mapping[str, str], keys: Sequence[str]) -> bool:
    """Whether the most specific access tag present closes the way (``private;delivery`` too)."""
    for key in keys:
        value = tags.get(key)
        if value is not None:
            return any(part.strip() in _CLOSED for part in value.split(";"))
    return False


def drop_reason(
    tags: Mapping[str, str], keep_highways: Collection[str] | None = None
) -> str | None:
    """Why a way is no street for anyone (a key of :data:`DROP_REASONS`), ``None`` if it is one.

    ``keep_highways`` keeps only those ``highway`` values (others count as ``not_street``).
    """
    highway = tags.get("highway")
    if not highway:
        return "not_street"
    if tags.get("area") == "yes":
        return "area"
    if highway in _CONSTRUCTION:
        return "construction"
    if highway in _DISUSED:
        return "disused"
    if highway in _NOT_TRAVEL:
        return "not_travel"
    if keep_highways is not None and highway not in keep_highways:
        return "not_street"
    if not any(way_modes(tags).values()):
        return "no_access"
    return None


def way_modes(tags: Mapping[str, str]) -> dict[Mode, bool]:
    """Which modes may use a street way (after OSMnx 2.1's walk / bike / drive_service)."""
    highway = tags.get("highway", "")
    private_service = tags.get("service") == "private"
    walk = (
        highway not in _MOTOR
        and highway not in {"elevator", "escalator"} | {"busway"}
        and not (highway == "cycleway" and tags.get("foot") not in _OPEN_FOOT)
        and not _closed(tags, MODE_ACCESS_KEYS[Mode.WALK])
        and not private_service
    )
    bike = (
        highway not in _MOTOR
        and not (highway in _NO_BIKE and tags.get("bicycle") not in _OPEN_FOOT)
        and not _closed(tags, MODE_ACCESS_KEYS[Mode.BIKE])
        and not private_service
    )
    car = (
        highway not in _NO_CAR
        and tags.get("service") not in _NO_CAR_SERVICE
        and not _closed(tags, MODE_ACCESS_KEYS[Mode.CAR])
    )
    return {Mode.WALK: walk, Mode.BIKE: bike, Mode.CAR: car}


_WALK_AREAS = frozenset({"pedestrian", "footway", "path", "living_street"})


def walk_area(tags: Mapping[str, str]) -> bool:
    """A square or plaza people walk across (``highway=pedestrian`` + ``area=yes`` ...)."""
    return tags.get("highway") in _WALK_AREAS and not _closed(tags, MODE_ACCESS_KEYS[Mode.WALK])


def oneway(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """``(one-way for cars, against the way's node order)``; roundabouts are one-way."""
    value = tags.get("oneway", "")
    if value in _ONEWAY:
        return True, value in _REVERSED
    return tags.get("junction") in {"roundabout", "circular"}, False


# --------------------------------------------------------------------------- the pipeline


def graph_from_ways(
    nodes: Mapping[int, tuple[float, float]],
    ways: Iterable[Way],
    *,
    keep_highways: Collection[str] | None = None,
    link_m: float = LINK_M,
    retain_all: bool = False,
    simplify: bool = True,
    file: str = "",
    clip: tuple[float, float, float, float] | None = None,
    source: str = "",
) -> nx.MultiDiGraph:
    """Build the street graph of OSM ways (see the module docstring for the four steps).

    Parameters
    ----------
    nodes
        Node id -> ``(lon, lat)``; references to absent nodes are left out of their way.
    ways
        The file's ways (every kind; non-streets are counted and dropped).
    keep_highways
        ``highway`` values to keep; by default every street value.
    link_m
        Reach of a link in metres; 0 links nothing (the graph as the file draws it).
    retain_all
        Keep every connected piece instead of each mode's largest component.
    simplify
        Merge chains of interstitial nodes into one edge with a ``geometry`` (OSMnx).
    file, clip
        The file's name and the clip box, for the report.
    source
        How errors name the input (its path); by default ``file``.

    Returns
    -------
    networkx.MultiDiGraph
        In EPSG:4326; ``G.graph["source"] == "openstreetmap"`` and ``G.graph["street_report"]``
        the :class:`StreetReport`.

    Raises
    ------
    InputError
        If no way is left.
    """
    report = StreetReport(file=file, link_m=float(link_m), clip=clip)
    dropped: Counter[str] = Counter()
    kept: list[tuple[Way, dict[Mode, bool]]] = []
    squares: list[Way] = []
    for way in ways:
        report.ways_read += 1
        reason = drop_reason(way.tags, keep_highways)
        refs = [r for r in way.refs if r in nodes]
        refs = [r for i, r in enumerate(refs) if i == 0 or r != refs[i - 1]]
        if reason is None and len(refs) < 2:
            reason = "too_short"
        if reason is not None:
            dropped[reason] += 1
            if reason == "area" and walk_area(way.tags) and len(refs) >= 4:
                squares.append(Way(way.id, way.tags, tuple(refs)))
            continue
        kept.append((Way(way.id, way.tags, tuple(refs)), way_modes(way.tags)))
    report.dropped = {k: dropped[k] for k in DROP_REASONS if dropped[k]}
    report.ways_kept = len(kept)
    if not kept:
        raise InputError(
            f"{source or file or 'OSM data'}: no streets (no way with a usable "
            "highway tag and 2+ nodes)"
        )
    linker = _Linker(nodes, [(w, m[Mode.WALK]) for w, m in kept], link_m)
    links = linker.run() if link_m > 0 else []
    report.links, report.split = len(links), linker.split_count
    G = nx.MultiDiGraph(crs="EPSG:4326", source=SOURCE_OSM)
    for w, modes in kept:
        _add_way(G, w, linker.refs_with_splits(w), modes, linker.coords)
    for a, b in links:
        _add_link(G, a, b, linker.coords)
    paths = linker.area_paths(squares) if link_m > 0 else []
    report.areas_crossed = len({w for w, _, _ in paths})
    report.area_paths = len(paths)
    for _, a, b in paths:
        _add_link(G, a, b, linker.coords, highway="pedestrian")
    if not retain_all:
        _keep_largest(G, report)
    else:
        report.component_share = {m.value: _share(mode_graph(G, m)) for m in Mode}
    G.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in G.edges(keys=True, data=True)
            if not (d["walk"] or d["bike"] or d["car"])
        ]
    )
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    if G.number_of_edges() == 0:
        raise InputError(f"{source or file or 'OSM data'}: no streets left after loading")
    if simplify:
        G = _simplify(G)
    report.modes = {m.value: _size(G, m) for m in Mode}
    G.graph["street_report"] = report
    return G


def _add_way(
    G: nx.MultiDiGraph,
    way: Way,
    refs: Sequence[int],
    modes: Mapping[Mode, bool],
    coords: Mapping[int, tuple[float, float]],
) -> None:
    one, backwards = oneway(way.tags)
    attrs = {
        "osmid": way.id,
        "highway": way.tags["highway"],
        "walk": modes[Mode.WALK],
        "bike": modes[Mode.BIKE],
        "car": modes[Mode.CAR],
        "oneway": one,
    }
    if way.tags.get("name"):
        attrs["name"] = way.tags["name"]
    for a, b in itertools.pairwise(refs):
        length = geo.great_circle_m(*coords[a], *coords[b])
        for u, v, ahead in ((a, b, True), (b, a, False)):
            _node(G, u, coords)
            _node(G, v, coords)
            G.add_edge(u, v, length=length, forward=(not one) or (ahead != backwards), **attrs)


def _add_link(
    G: nx.MultiDiGraph,
    a: int,
    b: int,
    coords: Mapping[int, tuple[float, float]],
    *,
    highway: str = "footway",
) -> None:
    length = geo.great_circle_m(*coords[a], *coords[b])
    for u, v in ((a, b), (b, a)):
        _node(G, u, coords)
        _node(G, v, coords)
        G.add_edge(
            u,
            v,
            length=length,
            osmid=0,
            highway=highway,
            walk=True,
            bike=False,
            car=False,
            oneway=False,
            forward=True,
            link=True,
        )


def _node(G: nx.MultiDiGraph, n: int, coords: Mapping[int, tuple[float, float]]) -> None:
    if n not in G:
        G.add_node(n, x=coords[n][0], y=coords[n][1])


def _share(G: nx.MultiDiGraph) -> float:
    if len(G) == 0:
        return 0.0
    return max(len(c) for c in nx.weakly_connected_components(G)) / len(G)


def _keep_largest(G: nx.MultiDiGraph, report: StreetReport) -> None:
    """Turn a mode off on every edge outside that mode's largest component."""
    for mode in Mode:
        H = mode_graph(G, mode, cache=False)
        if len(H) == 0:
            report.component_share[mode.value] = 0.0
            continue
        strongly = mode is Mode.CAR
        pieces = list(
            nx.strongly_connected_components(H) if strongly else nx.weakly_connected_components(H)
        )
        pieces.sort(key=lambda c: (-len(c), min(c)))
        keep = pieces[0]
        report.component_share[mode.value] = len(keep) / len(H)
        if mode is Mode.WALK:
            report.nodes_dropped = len(H) - len(keep)
            report.pieces_dropped = len(pieces) - 1
        for u, v, d in G.edges(data=True):
            if d[mode.value] and (u not in keep or v not in keep):
                d[mode.value] = False


def _size(G: nx.MultiDiGraph, mode: Mode) -> list[float]:
    H = mode_graph(G, mode, cache=False)
    seen: set[tuple] = set()
    metres = 0.0
    for u, v, d in H.edges(data=True):
        key = (min(u, v), max(u, v), round(d["length"], 2))
        if key not in seen:
            seen.add(key)
            metres += d["length"]
    return [len(H), round(metres / 1000, 1)]


def _simplify(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """OSMnx simplification that keeps a node wherever the modes or one-way rules change."""
    import osmnx as ox

    report = G.graph.pop("street_report", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        S = ox.simplify_graph(G, edge_attrs_differ=["walk", "bike", "car", "oneway"])
    for _, _, d in S.edges(data=True):
        for key in ("walk", "bike", "car", "oneway", "forward"):
            if isinstance(d.get(key), list):
                d[key] = all(d[key])
    if report is not None:
        S.graph["street_report"] = report
    return S


# --------------------------------------------------------------------------- linking


class _Linker:
    """Joins walkable ways that touch without a shared node (see the module docstring)."""

    def __init__(
        self,
        nodes: Mapping[int, tuple[float, float]],
        ways: Sequence[tuple[Way, bool]],
        link_m: float,
    ) -> None:
        self.link_m = float(link_m)
        self.ways = ways
        self._nodes = nodes
        used = sorted({r for w, _ in ways for r in w.refs})
        self.coords: dict[int, tuple[float, float]] = {n: nodes[n] for n in used}
        self.split_count = 0
        self._splits: dict[int, list[tuple[float, int]]] = {}  # segment -> [(t, node)]
        self._next_id = -1
        walk = [w for w, ok in ways if ok]
        lon = np.array([self.coords[n][0] for n in used]) if used else np.zeros(0)
        lat = np.array([self.coords[n][1] for n in used]) if used else np.zeros(0)
        self._to_xy = _metric_transform(lon, lat)
        self._xy: dict[int, tuple[float, float]] = {}
        if used:
            xs, ys = self._to_xy(lon, lat)
            self._xy = {n: (float(x), float(y)) for n, x, y in zip(used, xs, ys, strict=True)}
        self._seg: list[tuple[int, int, int]] = []  # (index in walk, a, b)
        self._segs_of: dict[int, list[int]] = {}  # id(way) -> its segments, in order
        for i, w in enumerate(walk):
            ks = self._segs_of.setdefault(id(w), [])
            for a, b in itertools.pairwise(w.refs):
                ks.append(len(self._seg))
                self._seg.append((i, a, b))
        self._walk = walk
        self._ways_of_node: dict[int, set[int]] = {}
        for i, w in enumerate(walk):
            for r in w.refs:
                self._ways_of_node.setdefault(r, set()).add(i)
        lines = [shapely.LineString([self._xy[a], self._xy[b]]) for _, a, b in self._seg]
        self._tree = shapely.STRtree(lines) if lines else None
        self._lines = lines
        self._graph = nx.Graph()
        for _, a, b in self._seg:
            self._graph.add_edge(a, b, weight=self._dist(a, b))

    def _dist(self, a: int, b: int) -> float:
        (x1, y1), (x2, y2) = self._xy[a], self._xy[b]
        return math.hypot(x2 - x1, y2 - y1)

    def candidates(self) -> list[int]:
        """Ends of walkable ways and unshared nodes of footway-class ways, by id."""
        degree: Counter[int] = Counter()
        for _, a, b in self._seg:
            degree[a] += 1
            degree[b] += 1
        out = {n for n, k in degree.items() if k == 1}
        for i, w in enumerate(self._walk):
            if w.tags.get("highway") in _FOOT_CLASS:
                out.update(r for r in w.refs if self._ways_of_node[r] == {i})
        return sorted(out)

    def run(self) -> list[tuple[int, int]]:
        """Add the links; return them as ``(candidate node, node on the other way)``."""
        if self._tree is None:
            return []
        links = []
        for n in self.candidates():
            target = self._target(n)
            if target is not None:
                links.append((n, target))
                self._graph.add_edge(n, target, weight=self._dist(n, target))
        return links

    def _target(self, n: int) -> int | None:
        x, y = self._xy[n]
        point = shapely.Point(x, y)
        if self._tree is None:
            return None
        hits = self._tree.query(point, predicate="dwithin", distance=self.link_m)
        mine = self._ways_of_node[n]
        best: tuple[float, int] | None = None
        for k in sorted(int(h) for h in hits):
            i = self._seg[k][0]
            if i in mine:
                continue
            d = float(self._lines[k].distance(point))
            if best is None or d < best[0] - 1e-9:
                best = (d, k)
        if best is None:
            return None
        dist, k = best
        foot_t = float(self._lines[k].project(point, normalized=True))
        a_node, b_node, t_a, t_b = self._piece(k, foot_t)
        seg_len = float(self._lines[k].length)
        to_a, to_b = (foot_t - t_a) * seg_len, (t_b - foot_t) * seg_len
        # already joined nearby through the network: no link
        cutoff = 2 * dist + 10.0
        reach = nx.single_source_dijkstra_path_length(self._graph, n, cutoff=cutoff)
        via = min(reach.get(a_node, math.inf) + to_a, reach.get(b_node, math.inf) + to_b)
        if via <= cutoff:
            return None
        if to_a <= 1.0:
            return a_node
        if to_b <= 1.0:
            return b_node
        return self._split(k, foot_t, a_node, b_node)

    def _piece(self, k: int, t: float) -> tuple[int, int, float, float]:
        """The piece of segment ``k`` (after earlier splits) holding position ``t``."""
        _, a, b = self._seg[k]
        points = [(0.0, a), *self._splits.get(k, []), (1.0, b)]
        for (t0, n0), (t1, n1) in itertools.pairwise(points):
            if t0 <= t <= t1:
                return n0, n1, t0, t1
        return a, b, 0.0, 1.0

    def _split(self, k: int, t: float, a: int, b: int) -> int:
        new = self._next_id
        self._next_id -= 1
        line = self._lines[k]
        p = line.interpolate(t, normalized=True)
        self._xy[new] = (p.x, p.y)
        lon, lat = self._to_xy(np.array([p.x]), np.array([p.y]), inverse=True)
        self.coords[new] = (float(lon[0]), float(lat[0]))
        self._splits.setdefault(k, []).append((t, new))
        self._splits[k].sort()
        self.split_count += 1
        if self._graph.has_edge(a, b):
            self._graph.remove_edge(a, b)
        self._graph.add_edge(a, new, weight=self._dist(a, new))
        self._graph.add_edge(new, b, weight=self._dist(new, b))
        self._ways_of_node[new] = {self._seg[k][0]}
        return new

    def area_paths(self, squares: Sequence[Way]) -> list[tuple[int, int, int]]:
        """Straight paths across pedestrian areas between their entrances: ``(area, a, b)``.

        An entrance is a node of the area's outline that a kept walkable way also uses; two
        entrances are joined when the straight line between them stays inside the area.
        """
        out = []
        for way in squares:
            if way.refs[0] != way.refs[-1]:
                continue
            if any(r not in self._nodes for r in way.refs):
                continue
            lon = np.array([self._nodes[r][0] for r in way.refs])
            lat = np.array([self._nodes[r][1] for r in way.refs])
            area = shapely.Polygon(np.column_stack(self._to_xy(lon, lat)))
            if not area.is_valid or area.area <= 0:
                continue
            inside = area.buffer(0.5)
            doors = sorted({r for r in way.refs if r in self._ways_of_node})
            for a, b in itertools.combinations(doors, 2):
                if inside.covers(shapely.LineString([self._xy[a], self._xy[b]])):
                    out.append((way.id, a, b))
        return out

    def refs_with_splits(self, way: Way) -> list[int]:
        """The way's nodes with the split nodes inserted where links landed."""
        segments = self._segments_of(way)
        if not self._splits or not segments:
            return list(way.refs)
        out = [way.refs[0]]
        for k in segments:
            _, _, b = self._seg[k]
            out += [n for _, n in self._splits.get(k, [])]
            out.append(b)
        return out

    def _segments_of(self, way: Way) -> list[int]:
        return self._segs_of.get(id(way), [])


def _metric_transform(lon: np.ndarray, lat: np.ndarray) -> Callable[..., tuple]:
    """Lon/lat <-> metres in the UTM zone of the points' mean."""
    from planner.network import utm_crs_from_lonlat

    crs = utm_crs_from_lonlat(float(lon.mean()), float(lat.mean())) if len(lon) else 32654
    fwd = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    inv = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)

    def transform(x: np.ndarray, y: np.ndarray, *, inverse: bool = False) -> tuple:
        return (inv if inverse else fwd).transform(x, y)

    return transform


# --------------------------------------------------------------------------- modes


_MODE_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[Mode, nx.MultiDiGraph]] = (
    weakref.WeakKeyDictionary()
)


def mode_graph(G: nx.MultiDiGraph, mode: Mode | str, *, cache: bool = True) -> nx.MultiDiGraph:
    """The street graph of one mode: the edges that mode may use, one-way streets one way for
    the car.

    A graph without mode attributes (a GraphML file of another tool, a made-up town) is every
    mode's graph as it is.  The result is cached per graph and mode: do not change ``G``
    afterwards.

    Parameters
    ----------
    G
        A graph from :func:`graph_from_ways` (or any OSMnx-style graph).
    mode
        ``walk``, ``bike`` or ``car``.

    Returns
    -------
    networkx.MultiDiGraph
        A copy of ``G``'s allowed edges (same node ids and attributes).
    """
    mode = Mode(mode)
    first = next(iter(G.edges(data=True)), None)
    if first is None or mode.value not in first[2]:
        return G
    if cache and G in _MODE_CACHE and mode in _MODE_CACHE[G]:
        return _MODE_CACHE[G][mode]

    def allowed(u: Any, v: Any, k: Any) -> bool:
        d = G.edges[u, v, k]
        return bool(d.get(mode.value, True)) and (mode is not Mode.CAR or d.get("forward", True))

    edges = [(u, v, k) for u, v, k in G.edges(keys=True) if allowed(u, v, k)]
    H = G.edge_subgraph(edges).copy()  # a graph of its own: shortest paths run at full speed
    if cache:
        _MODE_CACHE.setdefault(G, {})[mode] = H
    return H


def street_report(G: nx.MultiDiGraph) -> StreetReport | None:
    """The :class:`StreetReport` a graph carries (``None`` if it was not read from OSM)."""
    report = G.graph.get("street_report")
    if isinstance(report, StreetReport):
        return report
    if isinstance(report, str) and report:
        try:
            return StreetReport.from_json(report)
        except (ValueError, TypeError):  # not a report this version wrote
            return None
    return None


def from_osm(G: nx.MultiDiGraph | None) -> bool:
    """Whether a street graph came from OpenStreetMap data (its outputs must credit OSM)."""
    if G is None:
        return False
    if G.graph.get("source") == SOURCE_OSM:
        return True
    return str(G.graph.get("created_with", "")).startswith("OSMnx")


# --------------------------------------------------------------------------- .osm.pbf


def ways_from_pbf(
    path: str | Path, *, bbox: tuple[float, float, float, float] | None = None
) -> tuple[dict[int, tuple[float, float]], list[Way]]:
    """Nodes and highway ways of an ``.osm.pbf`` extract (Geofabrik style), read with pyrosm.

    Parameters
    ----------
    path
        The ``.osm.pbf`` file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``: read only what lies in it.

    Returns
    -------
    tuple
        Node id -> ``(lon, lat)``, and the ways (every way carrying a ``highway`` tag, with all
        its tags; the reader drops other ways, which the report then does not count).

    Raises
    ------
    InputError
        If the file is missing or pyrosm cannot read it.
    """
    import pyrosm

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    extra = [
        "access",
        "foot",
        "bicycle",
        "vehicle",
        "motorcar",
        "motor_vehicle",
        "oneway",
        "junction",
        "service",
        "sidewalk",
        "name",
    ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
            got = osm.get_network(custom_filter=['["highway"]'], nodes=True, extra_attributes=extra)
            # pyrosm's network frame gives "area" as the geometry's area, not the tag
            areas = osm.get_data_by_custom_criteria(
                custom_filter={"area": ["yes"]}, keep_nodes=False, keep_relations=False
            )
    except Exception as exc:  # pyrosm raises many kinds on a broken file
        raise InputError(f"{path}: not a readable .osm.pbf file: {exc}") from exc
    if got is None or got[1] is None or len(got[1]) == 0:
        raise InputError(
            f"{path}: no streets (no way with a highway tag"
            + (" in the clip" if bbox else "")
            + ")"
        )
    node_frame, edges = got
    area_ids = set() if areas is None else {int(i) for i in areas["id"]}
    nodes = {
        int(i): (float(x), float(y))
        for i, x, y in zip(node_frame["id"], node_frame["lon"], node_frame["lat"], strict=True)
    }
    tag_cols = [
        c
        for c in edges.columns
        if c
        not in {
            "id",
            "u",
            "v",
            "length",
            "geometry",
            "tags",
            "osm_type",
            "timestamp",
            "version",
            "visible",
            "changeset",
            "area",
        }
    ]
    ways: list[Way] = []
    current: tuple[int, dict[str, str], list[int]] | None = None
    records = edges[["id", "u", "v", "tags", *tag_cols]].itertuples(index=False, name=None)
    for rec in records:
        wid, u, v, extra_tags = int(rec[0]), int(rec[1]), int(rec[2]), rec[3]
        if current is not None and current[0] == wid and current[2][-1] == u:
            current[2].append(v)
            continue
        if current is not None:
            ways.append(Way(current[0], current[1], tuple(current[2])))
        tags = {
            c: str(val)
            for c, val in zip(tag_cols, rec[4:], strict=True)
            if isinstance(val, str) and val
        }
        tags.update(_json_tags(extra_tags))
        if wid in area_ids:
            tags["area"] = "yes"
        current = (wid, tags, [u, v])
    if current is not None:
        ways.append(Way(current[0], current[1], tuple(current[2])))
    return nodes, ways


def _json_tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
