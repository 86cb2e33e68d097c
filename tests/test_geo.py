"""Tests of planner.geo against known distances and an independent yardstick (pyproj's WGS84
geodesic): the sphere may differ from the ellipsoid by up to about 0.5 %, never more."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest

from planner import geo

WGS84 = pyproj.Geod(ellps="WGS84")
TOKYO = (139.7671, 35.6812)  # Tokyo Station
SENDAI = (140.8824, 38.2601)  # Sendai Station
SENDAI_KOBAN = (140.8700, 38.2700)


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(WGS84.inv(a[0], a[1], b[0], b[1])[2])


def test_one_degree_of_latitude_is_about_111_2_km():
    m = geo.great_circle_m(140.0, 38.0, 140.0, 39.0)
    assert m == pytest.approx(111_195, abs=1)  # 2 pi 6371.0088 km / 360
    assert m == pytest.approx(geo.M_PER_DEG, rel=1e-9)
    # the ellipsoid's degree between 38° and 39° N is 111.0 km (0.17 % shorter)
    assert m == pytest.approx(geodesic_m((140.0, 38.0), (140.0, 39.0)), rel=0.002)


def test_a_degree_of_longitude_shrinks_with_cos_latitude():
    at_equator = geo.great_circle_m(0.0, 0.0, 1.0, 0.0)
    assert at_equator == pytest.approx(geo.M_PER_DEG, rel=1e-9)
    # at 60° N a short step east is half as long as at the equator
    assert geo.great_circle_m(0.0, 60.0, 0.01, 60.0) == pytest.approx(
        geo.great_circle_m(0.0, 0.0, 0.01, 0.0) / 2, rel=1e-5
    )


def test_tokyo_to_sendai():
    m = geo.great_circle_m(*TOKYO, *SENDAI)
    assert 302_000 < m < 304_500  # about 303 km station to station
    assert m == pytest.approx(geodesic_m(TOKYO, SENDAI), rel=0.005)


def test_symmetric_and_zero_for_one_point():
    assert geo.great_circle_m(*TOKYO, *SENDAI) == geo.great_circle_m(*SENDAI, *TOKYO)
    assert geo.great_circle_m(*SENDAI, *SENDAI) == 0.0
    # antipodes: half the circumference, no domain error from rounding
    assert geo.great_circle_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(
        math.pi * geo.EARTH_RADIUS_M, rel=1e-12
    )


def test_vectorised_equals_scalar_and_broadcasts():
    rng = np.random.default_rng(1)
    lon1, lat1 = rng.uniform(139, 142, 20), rng.uniform(35, 40, 20)
    lon2, lat2 = rng.uniform(139, 142, 20), rng.uniform(35, 40, 20)
    v = geo.great_circle_m_array(lon1, lat1, lon2, lat2)
    s = [geo.great_circle_m(*p) for p in zip(lon1, lat1, lon2, lat2, strict=True)]
    np.testing.assert_allclose(v, s, rtol=1e-12)
    grid = geo.great_circle_m_array(lon1[:, None], lat1[:, None], lon2, lat2)
    assert grid.shape == (20, 20)
    np.testing.assert_allclose(np.diag(grid), v, rtol=1e-12)
    np.testing.assert_allclose(
        grid, geo.great_circle_m_array(lon2, lat2, lon1[:, None], lat1[:, None])
    )


@pytest.mark.parametrize("bearing", [0, 30, 45, 90, 135, 200, 270, 330])
def test_local_projection_within_0_1_percent_at_2_km(bearing):
    lon0, lat0 = SENDAI_KOBAN
    # a point 2 km away on the given bearing, placed by pyproj (independent of geo)
    lon, lat, _ = WGS84.fwd(lon0, lat0, bearing, 2000.0)
    x, y = geo.local_xy(lon, lat, lon0, lat0)
    assert math.hypot(x, y) == pytest.approx(geo.great_circle_m(lon0, lat0, lon, lat), rel=0.001)
    assert math.hypot(x, y) == pytest.approx(2000.0, rel=0.005)  # against the ellipsoid
    # the direction is kept: east is +x, north is +y
    assert math.degrees(math.atan2(x, y)) % 360 == pytest.approx(bearing, abs=0.5)


def test_offset_lonlat_goes_back_to_local_xy():
    lon0, lat0 = SENDAI_KOBAN
    lon, lat = geo.offset_lonlat(lon0, lat0, east_m=300.0, north_m=-400.0)
    x, y = geo.local_xy(lon, lat, lon0, lat0)
    assert (float(x), float(y)) == pytest.approx((300.0, -400.0), rel=1e-4)
    assert geo.great_circle_m(lon0, lat0, lon, lat) == pytest.approx(500.0, rel=1e-3)


def test_pairwise_matrix():
    lons = [140.8700, 140.8750, 140.8812, 140.8650]
    lats = [38.2700, 38.2731, 38.2655, 38.2790]
    m = geo.pairwise_m(lons, lats)
    assert m.shape == (4, 4)
    np.testing.assert_array_equal(m, m.T)
    np.testing.assert_array_equal(np.diag(m), 0.0)
    gc = geo.great_circle_m_array(np.array(lons)[:, None], np.array(lats)[:, None], lons, lats)
    np.testing.assert_allclose(m, gc, rtol=0.001)
    assert geo.pairwise_m([], []).shape == (0, 0)
    assert geo.pairwise_m(iter(lons), iter(lats)).shape == (4, 4)  # any iterables


def test_nearest_point_distance():
    rng = np.random.default_rng(2)
    lons, lats = rng.uniform(140.8, 141.0, 50), rng.uniform(38.2, 38.4, 50)
    to_lons, to_lats = [140.87, 140.95, 140.81], [38.27, 38.35, 38.39]
    got = geo.nearest_m(lons, lats, to_lons, to_lats)
    want = [
        min(geo.great_circle_m(x, y, a, b) for a, b in zip(to_lons, to_lats, strict=True))
        for x, y in zip(lons, lats, strict=True)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.isinf(geo.nearest_m(lons, lats, [], [])).all()


def test_box_around_keeps_the_margin_on_every_side():
    lons, lats = [140.8700, 140.8812, 140.8650], [38.2700, 38.2655, 38.2790]
    x0, y0, x1, y1 = geo.box_around(lons, lats, 500.0)
    assert x0 < min(lons) and y0 < min(lats) and x1 > max(lons) and y1 > max(lats)
    # from the outermost points to the box's sides: at least 500 m (within rounding), at most
    # a little more (the east-west margin is measured on the poleward side)
    sides = [
        geo.great_circle_m(min(lons), 38.27, x0, 38.27),
        geo.great_circle_m(max(lons), 38.27, x1, 38.27),
        geo.great_circle_m(140.87, min(lats), 140.87, y0),
        geo.great_circle_m(140.87, max(lats), 140.87, y1),
    ]
    assert all(500.0 - 1e-6 <= s < 502.0 for s in sides), sides
    assert geo.box_around([140.87], [38.27], 0.0) == (140.87, 38.27, 140.87, 38.27)
    with pytest.raises(ValueError, match="no points"):
        geo.box_around([], [], 100.0)


def test_distance_to_a_box():
    box = (140.86, 38.26, 140.88, 38.28)
    assert geo.to_box_m(140.87, 38.27, box) == 0.0
    east = geo.offset_lonlat(140.88, 38.27, east_m=1000.0, north_m=0.0)
    assert geo.to_box_m(*east, box) == pytest.approx(1000.0, rel=1e-3)
    corner = geo.to_box_m(140.89, 38.29, box)
    assert corner == pytest.approx(geo.great_circle_m(140.89, 38.29, 140.88, 38.28))
    assert geo.to_box_m(140.87, 38.27, (1.0, 0.0, 0.0, 1.0)) == math.inf  # an empty box


def test_detour_and_the_plan_grid_are_fixed():
    assert geo.DETOUR == 1.3
    # the year plan's cell grid keeps its own scale (changing it changes plans)
    x, y = geo.grid_xy([141.0], [39.0], 140.0, 38.0)
    assert float(y[0]) == 110_540.0
    assert float(x[0]) == pytest.approx(111_320.0 * math.cos(math.radians(38.0)))
