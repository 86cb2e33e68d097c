"""Distances on the Earth: the planner's one home for straight-line metres between lon/lat points.

One Earth model
---------------
A sphere of radius :data:`EARTH_RADIUS_M` (6 371 008.8 m, the IUGG mean radius), so one degree
of latitude is :data:`M_PER_DEG` (about 111 195 m) everywhere.  Over a station (a few km) a
sphere errs by well under 1 % against the ellipsoid, far less than the streets' detour, and
every straight-line figure of the planner (plan, routes, checker, simulator, validation,
geocoder, maps) uses it:

* :func:`great_circle_m` / :func:`great_circle_m_array`: haversine metres between two points
  (scalar / numpy-broadcasting);
* :func:`local_xy`: metres east and north of a point (equirectangular projection around its
  latitude: exact to 0.1 % over a few km); :func:`offset_lonlat` goes the other way;
* :func:`pairwise_m`: the straight-line matrix between many points, the street network's
  fallback (times :data:`DETOUR`);
* :func:`nearest_m`: metres from each of many points to the nearest of a few (street nodes to
  posts);
* :func:`box_around` / :func:`to_box_m`: a lon/lat box around points with a margin in metres,
  and the distance from a point to a box.

One exception, kept for identical plans: the year plan's cluster grid (:func:`grid_xy`,
:mod:`planner.clusters`) cuts cells of 150 m / 600 m, and estimates the walks inside a cluster
and between a neighbourhood's clusters, with its own metres per degree (110 540 m of latitude,
111 320 m of longitude at the equator).  The cells are ``floor(x / size)``: the sphere's scale
(0.6 % north-south, 0.1 % east-west) puts 73 of the demo's 2 965 targets in other cells and so
changes the year plan, for no gain worth it (a cell is a grouping; the estimates are rough).

Street distances
----------------
This module imports nothing of the planner (only :mod:`math` and :mod:`numpy`), so everything
may import it without cycles.  Distances along the streets, and "street metres, else the
straight line x :data:`DETOUR` where no path exists", need a street graph and live in
:mod:`planner.network` (:func:`planner.network.distance_matrix`,
:func:`planner.network.street_or_straight_metres`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_M = 6_371_008.8
"""Radius (metres) of the one spherical Earth model (IUGG mean radius)."""

M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
"""Metres per degree of latitude (and of longitude at the equator) on :data:`EARTH_RADIUS_M`."""

DETOUR = 1.3
"""Street metres per straight-line metre where a station has no street graph (grid towns), and
where a street graph has no path between two points: the one factor the plan, the routes, the
checker and the simulator use."""

GRID_M_PER_DEG_LAT = 110_540.0
"""Metres per degree of latitude of the year plan's cluster grid (:func:`grid_xy` only)."""

GRID_M_PER_DEG_LON_EQ = 111_320.0
"""Metres per degree of longitude at the equator of the cluster grid (:func:`grid_xy` only)."""


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle metres between two lon/lat points (haversine on :data:`EARTH_RADIUS_M`).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees.

    Returns
    -------
    float
        Metres along the sphere; symmetric, 0 for equal points.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def great_circle_m_array(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> np.ndarray:
    """:func:`great_circle_m` for arrays (numpy broadcasting: e.g. ``(n, 1)`` against ``(m,)``
    gives an ``(n, m)`` matrix).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees; any shapes that broadcast together.

    Returns
    -------
    numpy.ndarray
        Metres, of the broadcast shape.
    """
    p1 = np.radians(np.asarray(lat1, dtype=float))
    p2 = np.radians(np.asarray(lat2, dtype=float))
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def local_xy(
    lons: ArrayLike, lats: ArrayLike, lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of ``(lon0, lat0)`` (equirectangular projection around ``lat0``).

    Parameters
    ----------
    lons, lats
        Degrees (arrays of one shape, or scalars).
    lon0, lat0
        The origin, degrees.

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` (east) and ``y`` (north) in metres; exact to about 0.1 % within a few km of the
        origin (the error grows with the distance north or south of ``lat0``).
    """
    x = (np.asarray(lons, dtype=float) - lon0) * M_PER_DEG * math.cos(math.radians(lat0))
    y = (np.asarray(lats, dtype=float) - lat0) * M_PER_DEG
    return x, y


def offset_lonlat(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``north_m`` metres north of ``(lon, lat)`` and then ``east_m`` metres east
    along that latitude (negative values go south and west).

    Parameters
    ----------
    lon, lat
        Degrees.
    east_m, north_m
        Metres.

    Returns
    -------
    tuple of float
        ``(lon, lat)`` in degrees.
    """
    lat2 = lat + north_m / M_PER_DEG
    lon2 = lon + east_m / (M_PER_DEG * math.cos(math.radians(lat2)))
    return lon2, lat2


def pairwise_m(lons: Iterable[float], lats: Iterable[float]) -> np.ndarray:
    """Straight-line metres between every pair of points.

    Equirectangular around the points' mean latitude (exact to about 0.1 % over a beat).

    Parameters
    ----------
    lons, lats
        Degrees, one per point.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float metres, symmetric with a zero diagonal; ``(0, 0)`` for no points.
    """
    lon = np.radians(np.asarray(list(lons), dtype=float))
    lat = np.radians(np.asarray(list(lats), dtype=float))
    if lon.size == 0:
        return np.zeros((0, 0))
    x = EARTH_RADIUS_M * lon * math.cos(float(lat.mean()))
    y = EARTH_RADIUS_M * lat
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def nearest_m(
    lons: ArrayLike, lats: ArrayLike, to_lons: ArrayLike, to_lats: ArrayLike
) -> np.ndarray:
    """Great-circle metres from each point to the nearest of the points ``to``.

    Parameters
    ----------
    lons, lats
        Degrees: many points (e.g. every node of a street network).
    to_lons, to_lats
        Degrees: a few points (e.g. the posts); memory stays of the size of ``lons``.

    Returns
    -------
    numpy.ndarray
        Metres, of the shape of ``lons``; ``inf`` everywhere when ``to`` is empty.
    """
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    nearest = np.full(np.broadcast(lon, lat).shape, np.inf)
    for x, y in zip(np.ravel(to_lons), np.ravel(to_lats), strict=True):
        nearest = np.minimum(nearest, great_circle_m_array(lon, lat, float(x), float(y)))
    return nearest


def box_around(
    lons: ArrayLike, lats: ArrayLike, margin_m: float
) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` around points plus at least ``margin_m`` metres
    on every side.

    The longitude margin is measured on the box's parallel farthest from the equator (where a
    degree of longitude is shortest), so every side keeps at least ``margin_m``.

    Parameters
    ----------
    lons, lats
        Degrees, one per point.
    margin_m
        Metres (0 gives the points' own bounds).

    Returns
    -------
    tuple of float
        Degrees.

    Raises
    ------
    ValueError
        Without points.
    """
    lon = np.asarray(lons, dtype=float).ravel()
    lat = np.asarray(lats, dtype=float).ravel()
    if lon.size == 0:
        raise ValueError("no points to put a box around")
    dlat = margin_m / M_PER_DEG
    lat0, lat1 = float(lat.min()) - dlat, float(lat.max()) + dlat
    poleward = min(max(abs(lat0), abs(lat1)), 90.0)
    dlon = margin_m / (M_PER_DEG * max(math.cos(math.radians(poleward)), 1e-6))
    return float(lon.min()) - dlon, lat0, float(lon.max()) + dlon, lat1


def to_box_m(lon: float, lat: float, box: tuple[float, float, float, float]) -> float:
    """Great-circle metres from a point to the nearest point of a lon/lat box.

    Parameters
    ----------
    lon, lat
        Degrees.
    box
        ``(min_lon, min_lat, max_lon, max_lat)``.

    Returns
    -------
    float
        0 inside the box; ``inf`` for an empty box (``min_lon > max_lon``).
    """
    x0, y0, x1, y1 = box
    if x0 > x1:
        return math.inf
    return great_circle_m(lon, lat, min(max(lon, x0), x1), min(max(lat, y0), y1))


def grid_xy(
    lons: ArrayLike, lats: ArrayLike, lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of ``(lon0, lat0)`` on the year plan's cluster grid.

    Like :func:`local_xy` but with the grid's own scale (:data:`GRID_M_PER_DEG_LAT`,
    :data:`GRID_M_PER_DEG_LON_EQ`), kept exactly as the year plan has always cut its cells
    and estimated its in-cluster walks: the cells are ``floor(x / size)``, and the sphere's
    scale would move targets across cell borders and change the plan (module text).  For a
    distance, use :func:`local_xy` or :func:`great_circle_m`.

    Parameters
    ----------
    lons, lats
        Degrees.
    lon0, lat0
        The origin (the beat's post), degrees.

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` (east) and ``y`` (north) in grid metres.
    """
    x = (
        (np.asarray(lons, dtype=float) - lon0)
        * GRID_M_PER_DEG_LON_EQ
        * math.cos(math.radians(lat0))
    )
    y = (np.asarray(lats, dtype=float) - lat0) * GRID_M_PER_DEG_LAT
    return x, y
