"""Street network: load a graph, snap doors to streets, travel matrices between doors.

Graphs are OSMnx-style :class:`networkx.MultiDiGraph` objects: graph attribute ``crs``
(``"EPSG:4326"``), nodes with ``x`` (lon) and ``y`` (lat), edges in both directions with
``length`` (metres), ``highway``, optional ``name`` and optional shapely ``geometry`` (a lon/lat
LineString from the edge's ``u`` to its ``v``).  Distances are measured in a metric CRS (the UTM
zone of the graph) and along the streets; nothing here optimises anything.

A graph read from OpenStreetMap (:func:`graph_from_osm`, built by :mod:`planner.streets`) holds
every mode's streets; its edges carry ``walk`` / ``bike`` / ``car`` and ``forward`` (the car's
one-way rule).  :func:`mode_graph` (``planner.streets.mode_graph``, cached) gives the graph of one
mode: :func:`travel_matrix` and :func:`travel_and_distance_matrix` take it for their ``mode``
themselves; :func:`distance_matrix` and :func:`distances_from` use the graph they are given.

A point (a door) reaches the network through the nearest street: straight to the street
(``distance_m``), then along it to one of the street's two end nodes.  Travel between two points
is the shorter of the four end-to-end combinations, or the walk along their common street when
both lie on the same one; points at identical coordinates (units of one building) are 0 apart.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import math
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import shapely
from shapely.geometry import LineString

from planner import geo
from planner._errors import InputError
from planner._validate import MAX_FILE_BYTES, decode_text
from planner.model import Mode, Post
from planner.streets import LINK_M, Way, mode_graph

SPEEDS_KMH: dict[Mode, float] = {Mode.WALK: 4.0, Mode.BIKE: 12.0, Mode.CAR: 20.0}
"""Door-to-door speeds (domain.md: walking 4.0 km/h, bicycle 12 km/h, motorbike/car 20 km/h)."""

UNREACHABLE = 10**9
"""Sentinel in travel and distance matrices for a pair with no path between them."""

DEFAULT_FAR_M = 60.0
"""Points farther than this from every street are reported by :func:`far_from_street`."""


@dataclass(frozen=True, eq=False)
class Snap:
    """Where points meet the street network (one array entry per point).

    Attributes
    ----------
    node
        Nearest reachable graph node: the closer end node (along the street) of the nearest street.
    distance_m
        Perpendicular distance from the point to the nearest street, in metres.
    access_m
        Distance from the point to ``node``: ``distance_m`` plus the way along the street.
    other_node
        The other end node of the nearest street.
    other_access_m
        Distance from the point to ``other_node`` via the street.
    edge
        Index of the nearest street in the row order of :func:`edges_to_lines`.
    along_m
        Position of the foot of the perpendicular along that street, in metres from its ``u`` end.
    """

    node: np.ndarray
    distance_m: np.ndarray
    access_m: np.ndarray
    other_node: np.ndarray
    other_access_m: np.ndarray
    edge: np.ndarray
    along_m: np.ndarray

    def __len__(self) -> int:
        return len(self.node)


# --------------------------------------------------------------------------- loading / saving


def graph_from_osm(
    path: str | Path,
    *,
    keep_highways: Collection[str] | None = None,
    bidirectional: bool = True,
    simplify: bool = True,
    retain_all: bool = False,
    link_m: float = LINK_M,
    bbox: tuple[float, float, float, float] | None = None,
) -> nx.MultiDiGraph:
    """Load the street graph of an OSM file as people walk, cycle and drive it.

    An OSM XML file (``.osm``, ``.xml``, optionally ``.gz``/``.bz2``) or a Geofabrik-style
    ``.osm.pbf`` extract (read with pyrosm).  The ways go through :mod:`planner.streets`: only
    streets are kept (``highway`` ways; areas, private or closed ways, ways under construction
    or proposed dropped), footways and sidewalks that touch another street without a shared
    node are linked to it within ``link_m`` metres, and each mode keeps its largest connected
    component.  Every edge carries ``walk`` / ``bike`` / ``car`` and ``forward`` (the car's
    one-way rule); :func:`planner.streets.mode_graph` gives one mode's graph.  An XML file may
    be in any encoding its declaration names (``Shift_JIS`` too); one without a declaration is
    UTF-8, UTF-16 or Shift_JIS (CP932).

    Parameters
    ----------
    path
        The OSM file.
    keep_highways
        ``highway`` values to keep; by default every street value.
    bidirectional
        Both directions of every street (walking, cycling); ``False`` keeps only the directions
        a car may take on one-way streets.
    simplify
        Merge chains of interstitial nodes into one edge with a ``geometry`` (OSMnx simplify).
    retain_all
        Keep every connected piece; by default only each mode's largest component.
    link_m
        Reach of a link between a footway and a street (0: no links, the file as drawn).
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``: read only the streets inside (the station's
        beats plus a margin, :func:`planner.geo.box_around`).

    Returns
    -------
    networkx.MultiDiGraph
        The street graph in EPSG:4326; ``G.graph["street_report"]`` says what was kept,
        dropped and linked (:class:`planner.streets.StreetReport`).

    Raises
    ------
    InputError
        If the file is missing, is not OSM data, or holds no street; or if a node of a street
        has a lat/lon that is not a number or out of range (lon and lat swapped), or is given
        twice with different coordinates (the message names the node).
    """
    from planner.streets import graph_from_ways, ways_from_pbf

    path = Path(path)
    if path.name.lower().endswith(".pbf"):
        nodes, ways = ways_from_pbf(path, bbox=bbox)
    else:
        root = _read_osm_root(path)
        nodes, ways = _ways_from_osm_root(
            root, keep_highways=keep_highways, source=str(path), bbox=bbox
        )
    G = graph_from_ways(
        nodes,
        ways,
        keep_highways=keep_highways,
        link_m=link_m,
        retain_all=retain_all,
        simplify=simplify,
        file=path.name,
        clip=bbox,
        source=str(path),
    )
    if not bidirectional:
        G.remove_edges_from(
            [
                (u, v, k)
                for u, v, k, d in G.edges(keys=True, data=True)
                if not d.get("forward", True)
            ]
        )
    return G


CLIP_MARGIN_M = 1000.0
"""Margin around the station's beats and posts when a ``.osm.pbf`` extract is clipped."""


def load_streets(
    path: str | Path,
    *,
    around: Sequence[tuple[float, float]] = (),
    margin_m: float = CLIP_MARGIN_M,
    link_m: float = LINK_M,
) -> nx.MultiDiGraph:
    """The street graph of a file: GraphML (``.graphml``), OSM XML or an ``.osm.pbf`` extract.

    A ``.osm.pbf`` (a Geofabrik region holds far more than a station) is clipped to the box
    around ``around`` (the station's posts and beat corners) plus ``margin_m`` metres; an XML
    extract is read whole (it was cut for the station).

    Raises
    ------
    InputError
        As :func:`graph_from_osm` and :func:`graph_from_graphml`.
    """
    path = Path(path)
    if path.suffix.lower() == ".graphml":
        return graph_from_graphml(path)
    pbf = path.name.lower().endswith(".pbf")
    bbox = None
    if pbf and len(around):
        bbox = geo.box_around([p[0] for p in around], [p[1] for p in around], margin_m)
    return graph_from_osm(path, link_m=link_m, bbox=bbox)


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, mode="rb")
    if path.suffix == ".bz2":
        return bz2.open(path, mode="rb")
    return path.open("rb")


_DECLARATION = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:\-]+)"
)
_EXPAT_ENCODINGS = frozenset({"utf-8", "utf-16", "iso8859-1", "ascii"})  # read by expat itself
_SHIFT_JIS = frozenset({"shift_jis", "cp932", "windows-31j", "x-sjis", "ms_kanji"})


def _declared_encoding(head: bytes) -> str | None:
    """The codec of the encoding an XML declaration names (``None`` when it names none);
    Shift_JIS in any spelling is read as CP932, as Windows writes it."""
    m = _DECLARATION.match(head)
    if m is None:
        return None
    name = m.group(1).decode("ascii")
    if name.lower().replace("-", "_") in {n.replace("-", "_") for n in _SHIFT_JIS}:
        return "cp932"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"the XML declaration names an unknown encoding {name!r}") from None
    return "cp932" if codec in _SHIFT_JIS else codec


def _read_osm_root(path: Path) -> ET.Element:
    """The root element of an OSM XML file, decoded by its XML declaration.

    Expat reads UTF-8, UTF-16 and Latin-1 itself; any other declared encoding (Shift_JIS) is
    decoded here first.  A file without a declaration that is not UTF-8 is decoded as
    :func:`planner._validate.decode_text` does (Shift_JIS / CP932).
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with _open_binary(path) as fh:
            codec = _declared_encoding(fh.read(1024))
            fh.seek(0)
            if codec is None or codec in _EXPAT_ENCODINGS:
                try:
                    root = ET.parse(fh).getroot()
                except ET.ParseError:
                    fh.seek(0)
                    root = _parse_undeclared(fh.read(MAX_FILE_BYTES + 1), path)
            else:
                root = ET.fromstring(_decode(fh.read(MAX_FILE_BYTES + 1), codec, path))
    except InputError as exc:
        reason = str(exc).removeprefix(f"{path}: ").replace("CSV UTF-8", "UTF-8")
        raise InputError(f"{path}: not a readable OSM XML file: {reason}") from None
    except (ET.ParseError, ValueError, OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a readable OSM XML file: {exc}") from exc
    if root.tag != "osm":
        raise InputError(f"{path}: not an OSM XML file (root element <{root.tag}>, expected <osm>)")
    return root


def _decode(data: bytes, codec: str, path: Path) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: larger than the {MAX_FILE_BYTES // 2**20} MB an input file may have"
        )
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: not {codec} text as its XML declaration says (bad byte on line {line})"
        ) from None


def _parse_undeclared(data: bytes, path: Path) -> ET.Element:
    """Parse XML that expat could not: text in Shift_JIS without a declaration saying so, or
    no XML at all (the error of the UTF-8 reading is the one reported)."""
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: larger than the {MAX_FILE_BYTES // 2**20} MB an input file may have"
        )
    text = decode_text(data, path)  # a binary file, or text in no encoding we read: why
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return ET.fromstring(text)
    return ET.fromstring(data)  # UTF-8 after all: expat's own error again


def _lonlat_problem(lon: float, lat: float) -> str | None:
    """Why ``(lon, lat)`` is no point on Earth (``None`` when it is one)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"lon {lon:g} / lat {lat:g} is not a finite number"
    if abs(lat) > 90:
        hint = "; lon and lat look swapped" if abs(lon) <= 90 else ""
        return f"latitude {lat:g} is out of range [-90, 90]{hint}"
    if abs(lon) > 180:
        return f"longitude {lon:g} is out of range [-180, 180]"
    return None


def _node_problem(el: ET.Element) -> str | None:
    """Why a street's ``<node>`` cannot be used (``None`` when it can)."""
    try:
        int(el.get("id", ""))
    except ValueError:
        return f"id {el.get('id')!r} is not a whole number"
    coords = []
    for key in ("lon", "lat"):
        raw = el.get(key)
        if raw is None:
            return f"no {key} given"
        try:
            coords.append(float(raw))
        except ValueError:
            return f"{key} {raw!r} is not a number"
    return _lonlat_problem(*coords)


def _raise_problems(source: str, what: str, problems: Sequence[str]) -> None:
    """One error listing at most ten problems, each on its own line (``source: what``)."""
    if not problems:
        return
    lines = [f"{source}: {p}" for p in problems[:10]]
    if len(problems) > 10:
        lines.append(f"... and {len(problems) - 10} more {what}")
    raise InputError("\n".join(lines))


def _ways_from_osm_root(
    root: ET.Element,
    *,
    keep_highways: Collection[str] | None,
    source: str = "OSM file",
    bbox: tuple[float, float, float, float] | None = None,
) -> tuple[dict[int, tuple[float, float]], list[Way]]:
    """The nodes and ways of an ``<osm>`` root, the nodes of streets checked.

    With ``bbox`` only nodes inside it are kept and each way is cut where it leaves the box.

    Raises
    ------
    InputError
        If a node a street uses has a bad id, lat or lon, or is given twice with different
        coordinates (each such node named, at most ten).
    """
    from planner.streets import drop_reason, walk_area

    elements: dict[str | None, ET.Element] = {}
    twice: dict[str | None, ET.Element] = {}
    for el in root.findall("node"):
        ident = el.get("id")
        first = elements.setdefault(ident, el)
        where = (el.get("lat"), el.get("lon"))
        if first is not el and (first.get("lat"), first.get("lon")) != where:
            twice.setdefault(ident, el)
    ways: list[tuple[int, dict[str, str], list[str]]] = []  # refs as the file spells the ids
    used: dict[str, None] = {}
    squares: dict[str, None] = {}
    for way in root.findall("way"):
        tags = {t.get("k", ""): t.get("v", "") for t in way.findall("tag")}
        try:
            way_id = int(way.get("id", ""))
        except ValueError:
            continue
        refs = [nd.get("ref") or "" for nd in way.findall("nd")]
        refs = [ref for ref in refs if ref in elements]
        reason = drop_reason(tags, keep_highways)
        if reason is None:
            used.update(dict.fromkeys(refs))
        elif reason == "area" and walk_area(tags):  # squares walked across: only good nodes
            squares.update(dict.fromkeys(refs))
        ways.append((way_id, tags, refs))
    problems = []
    for ref in used:
        if ref in twice:
            a, b = elements[ref], twice[ref]
            problems.append(
                f"node {ref} is given twice with different coordinates (lat "
                f"{a.get('lat')}, lon {a.get('lon')} and lat {b.get('lat')}, lon "
                f"{b.get('lon')})"
            )
        elif (problem := _node_problem(elements[ref])) is not None:
            problems.append(f"node {ref}: {problem}")
    _raise_problems(source, "nodes", problems)
    used.update(
        {
            ref: None
            for ref in squares
            if ref not in twice and ref not in used and _node_problem(elements[ref]) is None
        }
    )
    nodes = {
        int(ref): (float(elements[ref].get("lon", "")), float(elements[ref].get("lat", "")))
        for ref in used
    }
    if bbox is not None:
        nodes = {
            n: p
            for n, p in nodes.items()
            if bbox[0] <= p[0] <= bbox[2] and bbox[1] <= p[1] <= bbox[3]
        }
    out: list[Way] = []
    for way_id, tags, refs in ways:
        ints = [int(r) for r in refs if r in used]
        if bbox is None or all(r in nodes for r in ints):
            out.append(Way(way_id, tags, tuple(r for r in ints if r in nodes) or tuple(ints)))
            continue
        runs = [list(g) for inside, g in groupby(ints, key=lambda r: r in nodes) if inside]
        out += [Way(way_id, tags, tuple(run)) for run in runs] or [Way(way_id, tags, ())]
    return nodes, out


def graph_from_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Load a street graph saved by :func:`graph_to_graphml` (OSMnx GraphML).

    Every node must have ``x`` (lon) and ``y`` (lat) in range, every edge a ``length`` >= 0 and,
    if it has one, a WKT LineString ``geometry``; the graph's CRS must be lon/lat (EPSG:4326).

    Raises
    ------
    InputError
        If the file is missing or not an OSMnx GraphML file, or a node or edge is bad (the
        message names it: ``node 12``, ``edge 12→13``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        G = ox.load_graphml(path)
    except (
        ET.ParseError,
        nx.NetworkXError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        SyntaxError,
        shapely.errors.GEOSException,
    ) as exc:
        where = _graphml_text_problems(path)
        raise InputError(
            f"{path}: not a readable GraphML street graph: {where[0] if where else exc}"
        ) from None
    _raise_problems(str(path), "problems", _graph_problems(G))
    if G.number_of_edges() == 0:
        raise InputError(f"{path}: no streets (the graph has no edges)")
    for _, _, d in G.edges(data=True):  # GraphML keeps the mode flags as text
        for key in ("walk", "bike", "car", "forward", "oneway"):
            if isinstance(d.get(key), str):
                d[key] = d[key].strip().lower() in {"true", "1", "yes"}
    return G


def _graphml_text_problems(path: Path) -> list[str]:
    """The nodes and edges whose text OSMnx could not convert (read again without types)."""
    try:
        raw = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except Exception:  # the file itself is unreadable: OSMnx's error says why
        return []
    out = []
    for n, d in raw.nodes(data=True):
        for key in ("x", "y"):
            if key in d and not _is_float(d[key]):
                out.append(f"node {n}: {key} {d[key]!r} is not a number")
    for a, b, d in raw.edges(data=True):
        if "length" in d and not _is_float(d["length"]):
            out.append(f"edge {a}→{b}: length {d['length']!r} is not a number")
        if "geometry" in d:
            try:
                shapely.from_wkt(str(d["geometry"]))
            except shapely.errors.GEOSException:
                out.append(f"edge {a}→{b}: geometry {str(d['geometry'])[:40]!r} is not WKT")
    return out


def _is_float(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _graph_problems(G: nx.MultiDiGraph) -> list[str]:
    """What makes a loaded graph unusable as lon/lat streets: CRS, node coordinates, edge
    lengths and geometries (one line per node or edge)."""
    crs = G.graph.get("crs", "EPSG:4326")
    try:
        geographic = pyproj.CRS(crs).equals(pyproj.CRS(4326), ignore_axis_order=True)
    except pyproj.exceptions.CRSError:
        geographic = False
    if not geographic:
        return [f"the graph's CRS {crs!r} is not lon/lat (EPSG:4326); save it unprojected"]
    out = []
    for n, d in G.nodes(data=True):
        missing = [f"'{k}' ({what})" for k, what in (("x", "lon"), ("y", "lat")) if k not in d]
        if missing:
            out.append(f"node {n} has no {' and no '.join(missing)}")
        elif not all(isinstance(d[k], int | float) for k in ("x", "y")):
            out.append(f"node {n}: x {d['x']!r} / y {d['y']!r} are not numbers")
        elif (problem := _lonlat_problem(d["x"], d["y"])) is not None:
            out.append(f"node {n}: {problem}")
    for a, b, d in G.edges(data=True):
        length = d.get("length")
        if length is None:
            out.append(f"edge {a}→{b} has no 'length' (metres)")
        elif not isinstance(length, int | float) or not math.isfinite(length) or length < 0:
            out.append(f"edge {a}→{b}: length {length!r} is not a number of metres >= 0")
        geom = d.get("geometry")
        if geom is not None and (getattr(geom, "geom_type", None) != "LineString" or geom.is_empty):
            out.append(f"edge {a}→{b}: geometry is not a LineString")
    return out


def check_near_posts(G: nx.MultiDiGraph, posts: Sequence[Post], *, source: str) -> None:
    """Refuse a street network farther than :data:`planner.store.MAX_DISTANCE_KM` from every
    post (a file of another town, or lon and lat swapped); nothing to check without posts.

    Raises
    ------
    InputError
        Naming ``source``, the node nearest to a post and how far it is, or that lon and lat
        look swapped.
    """
    from planner.store import MAX_DISTANCE_KM, far_from_posts

    if not posts or len(G) == 0:
        return
    nodes = list(G.nodes)
    xs = np.fromiter((G.nodes[n]["x"] for n in nodes), dtype=float, count=len(nodes))
    ys = np.fromiter((G.nodes[n]["y"] for n in nodes), dtype=float, count=len(nodes))
    post_lons, post_lats = [p.lon for p in posts], [p.lat for p in posts]
    km = geo.nearest_m(xs, ys, post_lons, post_lats) / 1000
    if km.min() <= MAX_DISTANCE_KM:
        return
    i = int(np.argmin(km))
    swapped = geo.nearest_m(ys, xs, post_lons, post_lats) / 1000
    if swapped.min() <= MAX_DISTANCE_KM:
        i = int(np.argmin(swapped))
    problems = far_from_posts(float(xs[i]), float(ys[i]), posts)
    what = problems[0][1] if problems else f"{km.min():.0f} km from the nearest post"
    raise InputError(
        f"{source}: the street network is far outside the station; node "
        f"{nodes[i]}, the one nearest to a post: {what}"
    )


def graph_to_graphml(G: nx.MultiDiGraph, path: str | Path) -> None:
    """Save a street graph as OSMnx GraphML (geometries as WKT, reloaded by OSMnx; the import
    report as JSON)."""
    from planner.streets import street_report

    report = G.graph.get("street_report")
    parsed = street_report(G)
    if parsed is not None:
        G.graph["street_report"] = parsed.to_json()
    try:
        ox.save_graphml(G, Path(path))
    finally:
        if report is not None:
            G.graph["street_report"] = report


# --------------------------------------------------------------------------- projection


def utm_crs_from_lonlat(lon: float, lat: float) -> pyproj.CRS:
    """The WGS 84 / UTM zone CRS containing a lon/lat point (metres)."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def project_points(
    lons: Iterable[float], lats: Iterable[float], *, crs: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat points to a metric CRS.

    Parameters
    ----------
    lons, lats
        Coordinates in EPSG:4326.
    crs
        Target CRS (anything :class:`pyproj.CRS` accepts); by default the UTM zone of the
        points' mean.

    Returns
    -------
    tuple of numpy.ndarray
        Projected ``x`` and ``y`` (metres for a metric CRS).
    """
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    if crs is None:
        crs = utm_crs_from_lonlat(float(lon.mean()), float(lat.mean())) if len(lon) else 4326
    transformer = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _metric_crs_of_graph(G: nx.MultiDiGraph) -> tuple[pyproj.CRS, pyproj.CRS]:
    """The graph's own CRS and the metric CRS to measure it in."""
    graph_crs = pyproj.CRS(G.graph.get("crs", "EPSG:4326"))
    if not graph_crs.is_geographic:
        return graph_crs, graph_crs
    xs = np.fromiter((d["x"] for _, d in G.nodes(data=True)), dtype=float)
    ys = np.fromiter((d["y"] for _, d in G.nodes(data=True)), dtype=float)
    return graph_crs, utm_crs_from_lonlat(float(xs.mean()), float(ys.mean()))


# --------------------------------------------------------------------------- edges as lines


def _undirected_edges(G: nx.MultiDiGraph) -> list[tuple[Any, Any, Any, dict]]:
    """One ``(u, v, key, data)`` per street: a two-way street's reverse edge is left out."""
    seen: set[tuple] = set()
    out = []
    for u, v, k, d in G.edges(keys=True, data=True):
        length = round(float(d.get("length", 0.0)), 2)
        ident = (u, v, length) if _node_order(u, v) else (v, u, length)
        if ident in seen:
            continue
        seen.add(ident)
        out.append((u, v, k, d))
    return out


def _node_order(u: Any, v: Any) -> bool:
    try:
        return bool(u <= v)
    except TypeError:
        return str(u) <= str(v)


def _flat(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return ";".join(str(x) for x in value)
    return value


def edges_to_lines(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """One line per street (a two-way street once), for maps and storage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``u``, ``v``, ``key``, ``length`` (m), ``highway``, ``name`` and ``geometry``
        (the edge's geometry, or the straight line from ``u`` to ``v``), in the graph's CRS.
        List-valued attributes of simplified edges are joined with ``;``.
    """
    rows = []
    for u, v, k, d in _undirected_edges(G):
        geom = d.get("geometry")
        if geom is None:
            nu, nv = G.nodes[u], G.nodes[v]
            geom = LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        rows.append(
            {
                "u": u,
                "v": v,
                "key": k,
                "length": float(d.get("length", 0.0)),
                "highway": _flat(d.get("highway", "")),
                "name": _flat(d.get("name", "")),
                "geometry": geom,
            }
        )
    columns = ["u", "v", "key", "length", "highway", "name", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=G.graph.get("crs"))


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True, eq=False)
class _Streets:
    lines: np.ndarray  # projected shapely LineStrings, u -> v
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    tree: shapely.STRtree
    graph_crs: pyproj.CRS
    metric_crs: pyproj.CRS


def _streets_of_graph(G: nx.MultiDiGraph) -> _Streets:
    edges = _undirected_edges(G)
    if not edges:
        raise InputError("the street graph has no edges")
    graph_crs, metric_crs = _metric_crs_of_graph(G)
    lines = np.empty(len(edges), dtype=object)
    for i, (u, v, _, d) in enumerate(edges):
        geom = d.get("geometry")
        if geom is None:
            nu, nv = G.nodes[u], G.nodes[v]
            geom = LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        lines[i] = geom
    u = np.asarray([e[0] for e in edges])
    v = np.asarray([e[1] for e in edges])
    length = np.asarray([float(e[3].get("length", np.nan)) for e in edges])
    if np.isnan(length).any():
        raise InputError("the street graph has edges without a 'length' attribute")
    if graph_crs != metric_crs:
        transformer = pyproj.Transformer.from_crs(graph_crs, metric_crs, always_xy=True)

        def to_metric(coords: np.ndarray) -> np.ndarray:
            return np.column_stack(transformer.transform(coords[:, 0], coords[:, 1]))

        lines = shapely.transform(lines, to_metric)
    if not np.isfinite(shapely.get_coordinates(lines)).all():
        raise InputError(
            "the street graph has coordinates that are not finite in metres (lon/lat out of range?)"
        )
    # orient every line from u to v (a user's geometry might be stored the other way round)
    ux, uy = _node_xy(G, u, graph_crs, metric_crs)
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    end = shapely.get_coordinates(shapely.get_point(lines, -1))
    flip = np.hypot(end[:, 0] - ux, end[:, 1] - uy) < np.hypot(start[:, 0] - ux, start[:, 1] - uy)
    lines = np.where(flip, shapely.reverse(lines), lines)
    return _Streets(lines, u, v, length, shapely.STRtree(lines), graph_crs, metric_crs)


def _node_xy(
    G: nx.MultiDiGraph, nodes: np.ndarray, graph_crs: pyproj.CRS, metric_crs: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray([G.nodes[n]["x"] for n in nodes.tolist()], dtype=float)
    y = np.asarray([G.nodes[n]["y"] for n in nodes.tolist()], dtype=float)
    if graph_crs == metric_crs:
        return x, y
    transformer = pyproj.Transformer.from_crs(graph_crs, metric_crs, always_xy=True)
    px, py = transformer.transform(x, y)
    return np.asarray(px, dtype=float), np.asarray(py, dtype=float)


def _snap_with(streets: _Streets, lons: Iterable[float], lats: Iterable[float]) -> Snap:
    x, y = project_points(lons, lats, crs=streets.metric_crs)
    n = len(x)
    if n == 0:
        empty_f = np.zeros(0, dtype=float)
        empty_i = np.zeros(0, dtype=np.int64)
        no_nodes = streets.u[:0]
        return Snap(no_nodes, empty_f, empty_f, no_nodes, empty_f, empty_i, empty_f)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("points to snap must have finite lon/lat coordinates")
    points = shapely.points(x, y)
    (src, hit), dist = streets.tree.query_nearest(points, return_distance=True, all_matches=True)
    # ties (a point at a crossing): take the lowest street index, for determinism
    order = np.lexsort((hit, src))
    src, hit, dist = src[order], hit[order], dist[order]
    first = np.r_[True, src[1:] != src[:-1]]
    edge = np.empty(n, dtype=np.int64)
    distance = np.empty(n, dtype=float)
    edge[src[first]] = hit[first]
    distance[src[first]] = dist[first]

    lines = streets.lines[edge]
    geom_len = shapely.length(lines)
    length = streets.length[edge]
    frac = np.divide(
        shapely.line_locate_point(lines, points),
        geom_len,
        out=np.zeros(n, dtype=float),
        where=geom_len > 0,
    )
    along = np.clip(frac, 0.0, 1.0) * length
    near_u = along <= length - along
    to_u = distance + along
    to_v = distance + (length - along)
    return Snap(
        node=np.where(near_u, streets.u[edge], streets.v[edge]),
        distance_m=distance,
        access_m=np.where(near_u, to_u, to_v),
        other_node=np.where(near_u, streets.v[edge], streets.u[edge]),
        other_access_m=np.where(near_u, to_v, to_u),
        edge=edge,
        along_m=along,
    )


def snap_points(G: nx.MultiDiGraph, lons: Iterable[float], lats: Iterable[float]) -> Snap:
    """Snap lon/lat points to the nearest street of a graph.

    Parameters
    ----------
    G
        Street graph (OSMnx style).
    lons, lats
        Points in EPSG:4326.

    Returns
    -------
    Snap
        Per point: nearest node via the street, perpendicular and access distances (metres).
    """
    return _snap_with(_streets_of_graph(G), lons, lats)


def far_from_street(
    G: nx.MultiDiGraph,
    lons: Iterable[float],
    lats: Iterable[float],
    *,
    threshold_m: float = DEFAULT_FAR_M,
) -> list[int]:
    """Indices of the points farther than ``threshold_m`` metres from every street."""
    snap = snap_points(G, lons, lats)
    return [int(i) for i in np.flatnonzero(snap.distance_m > threshold_m)]


# --------------------------------------------------------------------------- matrices


def _routing_graph(G: nx.MultiDiGraph) -> nx.DiGraph:
    """A simple digraph with the shortest ``length`` of any parallel edges."""
    H = nx.DiGraph()
    H.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        w = float(d["length"])
        if not H.has_edge(u, v) or H[u][v]["length"] > w:
            H.add_edge(u, v, length=w)
    return H


def _node_distances(G: nx.MultiDiGraph, nodes: list[Any]) -> np.ndarray:
    """Street metres between the given nodes (one Dijkstra per node), ``inf`` if unreachable."""
    H = _routing_graph(G)
    index = {n: i for i, n in enumerate(nodes)}
    out = np.full((len(nodes), len(nodes)), np.inf)
    for i, source in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(H, source, weight="length")
        for target, metres in lengths.items():
            j = index.get(target)
            if j is not None:
                out[i, j] = metres
    return out


def _door_to_door_metres(
    snap: Snap, D: np.ndarray, ends: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Door-to-door metres between distinct snapped points (float, ``inf`` if unreachable)."""
    access = (snap.access_m, snap.other_access_m)
    best = np.full((len(snap), len(snap)), np.inf)
    for p in (0, 1):
        for q in (0, 1):
            via = access[p][:, None] + D[np.ix_(ends[p], ends[q])] + access[q][None, :]
            best = np.minimum(best, via)
    same_street = snap.edge[:, None] == snap.edge[None, :]
    along = (
        snap.distance_m[:, None]
        + np.abs(snap.along_m[:, None] - snap.along_m[None, :])
        + snap.distance_m[None, :]
    )
    best = np.where(same_street, np.minimum(best, along), best)
    np.fill_diagonal(best, 0.0)
    return best


def _street_metres(G: nx.MultiDiGraph, lons: Iterable[float], lats: Iterable[float]) -> np.ndarray:
    """Float metres between points along the streets (shared by both matrix functions)."""
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lons and lats must be 1-d sequences of the same length")
    if len(lon) == 0:
        return np.zeros((0, 0), dtype=float)
    # identical points (units of one building) are computed once and stay 0 apart
    unique, inverse = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    snap = snap_points(G, unique[:, 0], unique[:, 1])
    n = len(snap)
    end_nodes, end_index = np.unique(
        np.concatenate([snap.node, snap.other_node]), return_inverse=True
    )
    D = _node_distances(G, end_nodes.tolist())
    metres = _door_to_door_metres(snap, D, (end_index[:n], end_index[n:]))
    return metres[np.ix_(inverse, inverse)]


def _to_int(values: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    out = np.full(values.shape, UNREACHABLE, dtype=np.int64)
    out[finite] = np.minimum(np.rint(values[finite]), UNREACHABLE).astype(np.int64)
    return out


def distance_matrix(G: nx.MultiDiGraph, lons: Iterable[float], lats: Iterable[float]) -> np.ndarray:
    """Street distance in whole metres between every pair of points.

    Each point is snapped to its nearest street (:func:`snap_points`); the distance from *i* to
    *j* is the access to one end of *i*'s street, the shortest path between the ends, and the
    access from an end of *j*'s street, whichever combination is shortest (or the walk along a
    shared street).  One Dijkstra runs per distinct end node: only the rows needed.

    Parameters
    ----------
    G
        Street graph with ``length`` on every edge.
    lons, lats
        Points in EPSG:4326.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(n, n)``, 0 on the diagonal and between identical points,
        :data:`UNREACHABLE` where no path exists.
    """
    return _to_int(_street_metres(G, lons, lats))


def distances_from(
    G: nx.MultiDiGraph, origin: tuple[float, float], lons: Iterable[float], lats: Iterable[float]
) -> np.ndarray:
    """Street distance in whole metres from one origin to many points (one-to-many).

    Two Dijkstra runs (from the ends of the origin's street) instead of one per point: this is
    what the year plan needs to reach every cluster of a beat from its post.

    Parameters
    ----------
    G
        Street graph with ``length`` on every edge.
    origin
        ``(lon, lat)`` of the start, e.g. the post.
    lons, lats
        Points in EPSG:4326.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of length ``n``, :data:`UNREACHABLE` where no path exists.
    """
    lon = np.asarray(list(lons), dtype=float)
    lat = np.asarray(list(lats), dtype=float)
    if len(lon) == 0:
        return np.zeros(0, dtype=np.int64)
    snap = snap_points(G, np.r_[origin[0], lon], np.r_[origin[1], lat])
    H = _routing_graph(G)
    best = np.full(len(lon), np.inf)
    for start, start_access in (
        (snap.node[0], snap.access_m[0]),
        (snap.other_node[0], snap.other_access_m[0]),
    ):
        reach = nx.single_source_dijkstra_path_length(H, start, weight="length")
        for ends, access in (
            (snap.node[1:], snap.access_m[1:]),
            (snap.other_node[1:], snap.other_access_m[1:]),
        ):
            via = np.array([reach.get(e, np.inf) for e in ends.tolist()]) + access + start_access
            best = np.minimum(best, via)
    same = snap.edge[1:] == snap.edge[0]
    along = snap.distance_m[0] + np.abs(snap.along_m[1:] - snap.along_m[0]) + snap.distance_m[1:]
    best = np.where(same, np.minimum(best, along), best)
    return _to_int(best)


def street_or_straight_metres(
    lons: Sequence[float] | np.ndarray,
    lats: Sequence[float] | np.ndarray,
    graph: nx.MultiDiGraph | None,
    *,
    detour: float = geo.DETOUR,
) -> np.ndarray:
    """Metres between every pair of points: along the streets, or the straight line x
    ``detour`` without a graph and where the graph has no path between two points.

    The one fallback of the routes, the checker and the simulator (the straight line of
    :func:`planner.geo.pairwise_m`; here and not in :mod:`planner.geo` because it needs
    :func:`distance_matrix`).

    Parameters
    ----------
    lons, lats
        Degrees, one per point (a sequence or a 1-d array: read twice, so not an iterator).
    graph
        The street network (of the mode travelled), or ``None``.
    detour
        Street metres per straight-line metre (:data:`planner.geo.DETOUR`).

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float metres; never :data:`UNREACHABLE`.
    """
    straight = geo.pairwise_m(lons, lats) * detour
    if graph is None:
        return straight
    street = distance_matrix(graph, lons, lats).astype(float)
    return np.where(street >= UNREACHABLE, straight, street)


def speed_mps(mode: Mode | str, speeds_kmh: Mapping[Mode | str, float] | None = None) -> float:
    """Speed of a travel mode in metres per second (``speeds_kmh`` overrides :data:`SPEEDS_KMH`)."""
    speeds = dict(SPEEDS_KMH)
    speeds.update({Mode(k): float(v) for k, v in (speeds_kmh or {}).items()})
    kmh = speeds[Mode(mode)]
    if not kmh > 0:
        raise ValueError(f"speed of {Mode(mode).value} must be positive, got {kmh}")
    return kmh / 3.6


def travel_matrix(
    G: nx.MultiDiGraph,
    lons: Iterable[float],
    lats: Iterable[float],
    *,
    mode: Mode | str = Mode.WALK,
    speeds_kmh: Mapping[Mode | str, float] | None = None,
) -> np.ndarray:
    """Travel time in whole seconds between every pair of points.

    The metres of :func:`distance_matrix` (unrounded) on the streets ``mode`` may use
    (:func:`mode_graph`: no motorway on foot, one-way streets one way by car) divided by the
    speed of ``mode``.

    Parameters
    ----------
    G
        Street graph with ``length`` on every edge.
    lons, lats
        Points in EPSG:4326.
    mode
        How the officer moves (:class:`planner.model.Mode`).
    speeds_kmh
        Speeds overriding :data:`SPEEDS_KMH`, by mode.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(n, n)`` in seconds, :data:`UNREACHABLE` where no path exists.
    """
    speed = speed_mps(mode, speeds_kmh)
    return _to_int(_street_metres(mode_graph(G, mode), lons, lats) / speed)


def travel_and_distance_matrix(
    G: nx.MultiDiGraph,
    lons: Iterable[float],
    lats: Iterable[float],
    *,
    mode: Mode | str = Mode.WALK,
    speeds_kmh: Mapping[Mode | str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`travel_matrix` and :func:`distance_matrix` from one search, both on the streets
    ``mode`` may use (half the work of two calls; the day routes need both).

    Returns
    -------
    tuple of numpy.ndarray
        Seconds and metres, ``int64`` ``(n, n)``, :data:`UNREACHABLE` where no path exists.
    """
    metres = _street_metres(mode_graph(G, mode), lons, lats)
    return _to_int(metres / speed_mps(mode, speeds_kmh)), _to_int(metres)


# --------------------------------------------------------------------------- connectivity


def largest_component_share(G: nx.MultiDiGraph) -> float:
    """Share of the nodes in the largest weakly connected component (0.0 for an empty graph)."""
    if len(G) == 0:
        return 0.0
    return max(len(c) for c in nx.weakly_connected_components(G)) / len(G)


def is_connected(G: nx.MultiDiGraph) -> bool:
    """True when the graph has nodes and is weakly connected."""
    return len(G) > 0 and nx.is_weakly_connected(G)
