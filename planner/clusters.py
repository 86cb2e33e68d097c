"""Aggregation for the year plan: targets -> street clusters -> neighbourhoods, with travel times.

The year plan does not decide one boolean per target per day.  It groups a beat's targets into
small street clusters (cells of ``cluster_m`` metres: an apartment building, a short street) and
those into neighbourhoods (cells of ``neighbourhood_m``), and estimates in minutes:

* ``intra``: walking between the cluster's doors (a nearest-neighbour chain through its distinct
  points, times a street detour factor);
* ``hop``: from the neighbourhood's centre to the cluster and on (once per cluster and trip);
* ``trip``: the round trip post -> neighbourhood -> post, on the street network when there is one.

A trip that visits clusters c1..ck of one neighbourhood n then costs about
``trip(n) + sum(hop(ci) + intra(ci))`` minutes, which the year-plan model uses as its travel
estimate.  Grid cells are deterministic and need no tuning; they are small enough that the
estimate errs by minutes, not hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from planner import network
from planner.model import Mode

EARTH_M_PER_DEG_LAT = 110_540.0
EARTH_M_PER_DEG_LON_EQ = 111_320.0


@dataclass(frozen=True, slots=True)
class Cluster:
    """A few neighbouring doors visited in one go; ``members`` index the input points."""

    cluster_id: int
    neighbourhood: int
    members: tuple[int, ...]
    intra_min: float
    hop_min: float
    reachable: bool = True


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """A group of clusters reached by one trip from the post."""

    neighbourhood_id: int
    trip_min: float


@dataclass(frozen=True, slots=True)
class Geography:
    """The aggregation of one beat's points with travel estimates in minutes."""

    clusters: tuple[Cluster, ...]
    neighbourhoods: tuple[Neighbourhood, ...]

    def cluster_of(self) -> dict[int, int]:
        """Point index -> cluster id."""
        return {m: c.cluster_id for c in self.clusters for m in c.members}


def local_xy(
    lons: Sequence[float], lats: Sequence[float], lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of ``(lon0, lat0)`` (equirectangular: exact to 0.1 % over a beat)."""
    x = (
        (np.asarray(lons, dtype=float) - lon0)
        * EARTH_M_PER_DEG_LON_EQ
        * math.cos(math.radians(lat0))
    )
    y = (np.asarray(lats, dtype=float) - lat0) * EARTH_M_PER_DEG_LAT
    return x, y


def _cells(x: np.ndarray, y: np.ndarray, size: float) -> list[tuple[int, int]]:
    return [(math.floor(a / size), math.floor(b / size)) for a, b in zip(x, y, strict=True)]


def _chain_length(x: np.ndarray, y: np.ndarray) -> float:
    """Length of a nearest-neighbour chain through distinct points (metres, straight line)."""
    pts = sorted({(round(a, 1), round(b, 1)) for a, b in zip(x, y, strict=True)})
    if len(pts) < 2:
        return 0.0
    todo = pts[1:]
    cur = pts[0]
    total = 0.0
    while todo:
        j = min(
            range(len(todo)), key=lambda k: (todo[k][0] - cur[0]) ** 2 + (todo[k][1] - cur[1]) ** 2
        )
        nxt = todo.pop(j)
        total += math.dist(cur, nxt)
        cur = nxt
    return total


def build_geography(
    lons: Sequence[float],
    lats: Sequence[float],
    post: tuple[float, float],
    *,
    graph: nx.MultiDiGraph | None = None,
    mode: Mode = Mode.WALK,
    speeds_kmh: dict | None = None,
    cluster_m: float = 150.0,
    neighbourhood_m: float = 600.0,
    detour: float = 1.3,
) -> Geography:
    """Group points into clusters and neighbourhoods and estimate travel minutes.

    Parameters
    ----------
    lons, lats
        The beat's target points (apartment households may repeat a point).
    post
        ``(lon, lat)`` of the post the officer starts from.
    graph
        Street network; without one, straight-line distances times ``detour`` are used.
    mode, speeds_kmh
        How the officer moves, and the speeds (default :data:`planner.network.SPEEDS_KMH`).
    cluster_m, neighbourhood_m
        Cell sizes in metres.
    detour
        Street distance over straight-line distance for short hops (1.3 in grid towns).
    """
    m_per_min = network.speed_mps(mode, speeds_kmh) * 60.0
    x, y = local_xy(lons, lats, *post)
    cluster_cells = _cells(x, y, cluster_m)
    keys = sorted(set(cluster_cells))
    members: dict[tuple[int, int], list[int]] = {k: [] for k in keys}
    for i, cell in enumerate(cluster_cells):
        members[cell].append(i)
    # neighbourhood of a cluster: the cell of its centroid
    cx = {k: float(np.mean(x[members[k]])) for k in keys}
    cy = {k: float(np.mean(y[members[k]])) for k in keys}
    nb_cell = {k: (math.floor(cx[k] / neighbourhood_m), math.floor(cy[k] / neighbourhood_m))
               for k in keys}  # fmt: skip
    nb_keys = sorted(set(nb_cell.values()))
    nb_index = {k: i for i, k in enumerate(nb_keys)}
    nb_members = {k: [c for c in keys if nb_cell[c] == k] for k in nb_keys}
    nb_x = {k: float(np.mean([cx[c] for c in nb_members[k]])) for k in nb_keys}
    nb_y = {k: float(np.mean([cy[c] for c in nb_members[k]])) for k in nb_keys}

    # a real door stands for each cluster and neighbourhood (the member nearest the centre)
    def medoid(idx: list[int], px: float, py: float) -> int:
        return min(idx, key=lambda i: ((x[i] - px) ** 2 + (y[i] - py) ** 2, i))

    c_medoid = {k: medoid(members[k], cx[k], cy[k]) for k in keys}
    n_medoid = {k: medoid([c_medoid[c] for c in nb_members[k]], nb_x[k], nb_y[k]) for k in nb_keys}
    post_m = _metres_from_post(graph, post, lons, lats, [n_medoid[k] for k in nb_keys],
                               [c_medoid[k] for k in keys], detour)  # fmt: skip
    trip_m, reach_m = post_m
    neighbourhoods = tuple(
        Neighbourhood(nb_index[k], 2.0 * trip_m[i] / m_per_min) for i, k in enumerate(nb_keys)
    )
    clusters = []
    for cid, k in enumerate(keys):
        idx = members[k]
        n = nb_cell[k]
        intra = _chain_length(x[idx], y[idx]) * detour / m_per_min
        hop = math.hypot(cx[k] - nb_x[n], cy[k] - nb_y[n]) * detour / m_per_min
        clusters.append(
            Cluster(cid, nb_index[n], tuple(idx), intra, hop, reachable=reach_m[cid] < math.inf)
        )
    return Geography(tuple(clusters), neighbourhoods)


def _metres_from_post(
    graph: nx.MultiDiGraph | None,
    post: tuple[float, float],
    lons: Sequence[float],
    lats: Sequence[float],
    nb_points: list[int],
    cluster_points: list[int],
    detour: float,
) -> tuple[list[float], list[float]]:
    """Metres from the post to each neighbourhood's and each cluster's representative door."""
    idx = nb_points + cluster_points
    plon = [lons[i] for i in idx]
    plat = [lats[i] for i in idx]
    if graph is None:
        x, y = local_xy(plon, plat, *post)
        metres = [float(math.hypot(a, b) * detour) for a, b in zip(x, y, strict=True)]
    else:
        raw = network.distances_from(graph, post, plon, plat)
        metres = [math.inf if d >= network.UNREACHABLE else float(d) for d in raw]
    n = len(nb_points)
    # a neighbourhood whose centre door is cut off is reached, if at all, like its clusters
    trip = [m if m < math.inf else 0.0 for m in metres[:n]]
    return trip, metres[n:]
