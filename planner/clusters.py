"""Aggregation for the year plan: targets -> street clusters -> neighbourhoods, with travel times.

The year plan does not decide one boolean per target per day.  It groups a beat's targets into
small street clusters (cells of ``cluster_m`` metres: an apartment building, a short street) and
those into neighbourhoods (cells of ``neighbourhood_m``), and estimates in minutes:

* ``intra``: walking between the cluster's doors (a nearest-neighbour chain through its distinct
  points along the streets);
* ``hop``: from the neighbourhood's centre door to the cluster's (once per cluster and trip), at
  least what a trip to that cluster alone costs beyond the neighbourhood's trip;
* ``trip``: the round trip post -> neighbourhood's centre door -> post.

A trip that visits clusters c1..ck of one neighbourhood n then costs about
``trip(n) + sum(hop(ci) + intra(ci))`` minutes, which the year-plan model uses as its travel
estimate.  Grid cells are deterministic and need no tuning; they are small enough that the
estimate errs by minutes, not hours.

One travel model
----------------
Every minute here comes from :class:`Travel`: street metres of
:func:`planner.network.distance_matrix` (what :func:`planner.routes.route_day` routes on) at the
officer's speed, or straight-line metres x ``detour`` for a station without streets (the
routes' own fallback, :data:`planner.geo.DETOUR`).  The year plan checks each planned duty
slot with :meth:`Travel.tour_minutes` (a tour from the post through the slot's doors and back),
and a target is ``no_window`` only when :meth:`Travel.lone_minutes` (the post, the door and
back) does not fit any slot it may be visited in.  A beat with more than
:data:`FULL_MATRIX_POINTS` distinct door points keeps no full matrix (memory): its clusters use
straight lines x ``detour`` inside and street metres from the post, and each tour gets a matrix
of its own doors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from planner import geo, network
from planner.model import Mode

FULL_MATRIX_POINTS = 4_000
"""Most distinct points (post and doors) of a beat kept in one street matrix (128 MB)."""


class Travel:
    """Travel between a beat's post (index 0) and its doors (index ``i + 1`` for input point i).

    Parameters
    ----------
    lons, lats
        The doors (repeated points, e.g. flats of one building, are 0 m apart).
    post
        ``(lon, lat)`` of the post.
    graph
        Street network (:func:`planner.network.distance_matrix`); ``None``: straight lines x
        ``detour``.
    m_per_min
        Metres the officer covers in a minute.
    detour
        Street over straight-line metres where there are no streets.
    """

    def __init__(
        self,
        lons: Sequence[float],
        lats: Sequence[float],
        post: tuple[float, float],
        *,
        graph: nx.MultiDiGraph | None,
        m_per_min: float,
        detour: float,
    ) -> None:
        pts = np.column_stack(
            [np.r_[post[0], np.asarray(lons, float)], np.r_[post[1], np.asarray(lats, float)]]
        )
        self.unique, inverse = np.unique(pts, axis=0, return_inverse=True)
        self.point = inverse.ravel()
        self.graph = graph
        self.m_per_min = m_per_min
        self.detour = detour
        self.full = len(self.unique) <= FULL_MATRIX_POINTS
        self._m = self._matrix(self.unique) if self.full else None
        self._local: dict[int, int] = {}  # without a full matrix: point -> row of _lm
        self._lm = np.zeros((0, 0))

    def prepare(self, doors: Sequence[int]) -> None:
        """Without a full matrix: compute one for the post and these doors (a month's), so
        that :meth:`tour_minutes` of any of them needs no street search of its own."""
        if self.full:
            return
        pts = sorted({int(self.point[0]), *(int(self.point[d + 1]) for d in doors)})
        self._local = {p: k for k, p in enumerate(pts)}
        self._lm = self._matrix(self.unique[pts])

    def _between(self, pts: list[int]) -> np.ndarray:
        """Metres between distinct points (indices into ``unique``)."""
        if self._m is not None:
            return self._m[np.ix_(pts, pts)]
        if all(p in self._local for p in pts):
            rows = [self._local[p] for p in pts]
            return self._lm[np.ix_(rows, rows)]
        return self._matrix(self.unique[pts])

    def _matrix(self, pts: np.ndarray) -> np.ndarray:
        """Metres between points: along the streets (``inf`` where no path), else straight x
        detour."""
        if self.graph is None:
            return network.street_or_straight_metres(pts[:, 0], pts[:, 1], None, detour=self.detour)
        d = network.distance_matrix(self.graph, pts[:, 0], pts[:, 1]).astype(float)
        d[d >= network.UNREACHABLE] = np.inf
        return d

    def metres(self, idx: Sequence[int]) -> np.ndarray:
        """Metres between the given indices (0 = the post, ``i + 1`` = door i)."""
        p = self.point[np.asarray(idx, dtype=np.int64)]
        if self._m is not None:
            return self._m[np.ix_(p, p)]
        u, inv = np.unique(p, return_inverse=True)
        return self._matrix(self.unique[u])[np.ix_(inv.ravel(), inv.ravel())]

    def lone_minutes(self, doors: Sequence[int]) -> list[float]:
        """Minutes from the post to each door and back (travel only; ``inf`` if cut off)."""
        if not len(doors):
            return []
        if self._m is not None:
            p = self.point[np.asarray([d + 1 for d in doors])]
            there = self._m[self.point[0], p] + self._m[p, self.point[0]]
        elif self.graph is None:
            m = self.metres([0, *(x + 1 for x in doors)])
            there = m[0, 1:] + m[1:, 0]
        else:  # no full matrix: one-to-many from the post, there and back alike
            p = self.unique[self.point[np.asarray([d + 1 for d in doors])]]
            post = self.unique[self.point[0]]
            d = network.distances_from(self.graph, (post[0], post[1]), p[:, 0], p[:, 1])
            there = np.where(d >= network.UNREACHABLE, np.inf, 2.0 * d.astype(float))
        return [float(x) / self.m_per_min for x in there]

    def tour_minutes(self, doors: Sequence[int]) -> float:
        """Minutes of a walk (ride) from the post through the doors and back.

        A nearest-neighbour tour improved by 2-opt moves on the symmetric upper bound
        ``max(d(i, j), d(j, i))``: never shorter than the best tour, so a slot whose doors fit
        this tour fits the router's (which searches further).  ``inf`` if a door is cut off.
        """
        pts = sorted({int(self.point[d + 1]) for d in doors} - {int(self.point[0])})
        if not pts:
            return 0.0
        m = self._between([int(self.point[0]), *pts])
        if not np.isfinite(m).all():
            return math.inf
        return tour_metres(np.maximum(m, m.T)) / self.m_per_min


def tour_metres(m: np.ndarray) -> float:
    """Length of a closed tour from point 0 through every point of the symmetric matrix ``m``:
    nearest neighbour, then 2-opt until no move shortens it (deterministic)."""
    n = len(m)
    if n <= 1:
        return 0.0
    t = np.asarray([*_nn_order(m), 0])
    improved = True
    while improved and n > 3:
        improved = False
        for i in range(1, n - 1):
            a, b = t[i - 1], t[i]
            c, d = t[i + 1 : n], t[i + 2 : n + 1]
            gain = m[a, b] + m[c, d] - m[a, c] - m[b, d]
            k = int(np.argmax(gain))
            if gain[k] > 1e-9:
                j = i + 1 + k
                t[i : j + 1] = t[i : j + 1][::-1]
                improved = True
    return float(m[t[:-1], t[1:]].sum())


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
    travel: Travel | None = None

    def cluster_of(self) -> dict[int, int]:
        """Point index -> cluster id."""
        return {m: c.cluster_id for c in self.clusters for m in c.members}


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


def _nn_order(m: np.ndarray) -> list[int]:
    """Point 0, then always the nearest point not yet taken (ties: the lower index)."""
    left = set(range(1, len(m)))
    order = [0]
    while left:
        nxt = min(left, key=lambda j: (m[order[-1], j], j))
        order.append(nxt)
        left.remove(nxt)
    return order


def _chain_metres(m: np.ndarray) -> float:
    """Length of a nearest-neighbour chain through the points of a metres matrix from point 0."""
    order = _nn_order(m)
    return float(sum(m[a, b] for a, b in itertools.pairwise(order)))


def build_geography(
    lons: Sequence[float],
    lats: Sequence[float],
    post: tuple[float, float],
    *,
    graph: nx.MultiDiGraph | None = None,
    mode: Mode = Mode.WALK,
    speeds_kmh: Mapping[str, float] | None = None,
    cluster_m: float = 150.0,
    neighbourhood_m: float = 600.0,
    detour: float = geo.DETOUR,
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
    if graph is not None:  # the streets this officer may use, as routes.route_day uses them
        graph = network.mode_graph(graph, mode)
    travel = Travel(lons, lats, post, graph=graph, m_per_min=m_per_min, detour=detour)
    x, y = geo.grid_xy(lons, lats, *post)  # the plan's own cell grid (geo.grid_xy says why)
    cluster_cells = _cells(x, y, cluster_m)
    keys = sorted(set(cluster_cells))
    members: dict[tuple[int, int], list[int]] = {k: [] for k in keys}
    for i, cell in enumerate(cluster_cells):
        members[cell].append(i)
    # neighbourhood of a cluster: the cell of its centroid
    cx = {k: float(np.mean(x[members[k]])) for k in keys}
    cy = {k: float(np.mean(y[members[k]])) for k in keys}
    nb_cell = {
        k: (math.floor(cx[k] / neighbourhood_m), math.floor(cy[k] / neighbourhood_m)) for k in keys
    }
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
    nb_doors = [n_medoid[k] for k in nb_keys]
    c_doors = [c_medoid[k] for k in keys]
    lone = travel.lone_minutes(nb_doors + c_doors)
    # a neighbourhood whose centre door is cut off is reached, if at all, like its clusters
    trip = [t if t < math.inf else 0.0 for t in lone[: len(nb_doors)]]
    reach = lone[len(nb_doors) :]
    neighbourhoods = tuple(Neighbourhood(nb_index[k], trip[i]) for i, k in enumerate(nb_keys))
    clusters = []
    for cid, k in enumerate(keys):
        idx = members[k]
        n = nb_cell[k]
        if travel.full:  # street metres: the chain through the doors, the hop from the centre
            m = travel.metres([n_medoid[n] + 1, *(i + 1 for i in idx)])
            m = np.where(np.isfinite(m), m, 0.0)
            intra = _chain_metres(np.maximum(m[1:, 1:], m[1:, 1:].T)) / m_per_min
            hop = float(m[0, 1 + idx.index(c_medoid[k])]) / m_per_min
            if reach[cid] < math.inf:  # a trip to this cluster alone is never underestimated
                hop = max(hop, reach[cid] - trip[nb_index[n]])
        else:
            intra = _chain_length(x[idx], y[idx]) * detour / m_per_min
            hop = math.hypot(cx[k] - nb_x[n], cy[k] - nb_y[n]) * detour / m_per_min
        clusters.append(
            Cluster(cid, nb_index[n], tuple(idx), intra, hop, reachable=reach[cid] < math.inf)
        )
    return Geography(tuple(clusters), neighbourhoods, travel)
