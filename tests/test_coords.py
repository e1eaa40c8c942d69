"""Tests for data/coords.py against published reference pairs from well-known open-source implementations."""

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from data import coords  # noqa: E402

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat)
GCJ_PAIRS = [
    # googollee/eviltransform, go/transform_test.go and python/test.py (same `tests` table; shanghai, shenzhen, beijing)
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    # wandergis/coordtransform, README.md: wgs84togcj02(116.404, 39.915)
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]

# (gcj_lon, gcj_lat, bd_lon, bd_lat): exact published outputs of the closed-form BD-09 formulas.
# wandergis/coordtransform, README.md: gcj02tobd09(116.404, 39.915) and bd09togcj02(116.404, 39.915)
GCJ_TO_BD = [(116.404, 39.915, 116.41036949371029, 39.92133699351021)]
BD_TO_GCJ = [(116.404, 39.915, 116.39762729119315, 39.90865673957631)]

# Glatzel/pyxis, python/tests/test_crypto.py: one point in WGS-84 / GCJ-02 / BD-09
PYXIS_WGS, PYXIS_GCJ, PYXIS_BD = (
    (121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705), (121.10271732371203, 30.61484572185035))
# hujiulong/gcoord, test/unit/crs/BD09.spec.ts: BD09 (123, 45) -> WGS84, published to 8 decimals, checked to 5 there
GCOORD_BD, GCOORD_WGS = (123.0, 45.0), (122.98762210, 44.99171540)

# The closed-form BD-09 -> GCJ-02 formula used everywhere (coordtransform, eviltransform, ...) is not an exact
# inverse of GCJ-02 -> BD-09: the round trip is off by up to ~2e-6 deg (~0.23 m) across China.
BD_INVERSE_TOL = 3e-6


@pytest.mark.parametrize("wlon, wlat, glon, glat", GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_published(wlon, wlat, glon, glat):
    np.testing.assert_allclose(coords.wgs84_to_gcj02(wlon, wlat), (glon, glat), rtol=0, atol=1e-7)


@pytest.mark.parametrize("wlon, wlat, glon, glat", GCJ_PAIRS)
def test_gcj02_to_wgs84_inverts_published(wlon, wlat, glon, glat):
    np.testing.assert_allclose(coords.gcj02_to_wgs84(glon, glat), (wlon, wlat), rtol=0, atol=1e-7)


@pytest.mark.parametrize("glon, glat, blon, blat", GCJ_TO_BD)
def test_gcj02_to_bd09_matches_published(glon, glat, blon, blat):
    np.testing.assert_allclose(coords.gcj02_to_bd09(glon, glat), (blon, blat), rtol=0, atol=1e-9)


@pytest.mark.parametrize("blon, blat, glon, glat", BD_TO_GCJ)
def test_bd09_to_gcj02_matches_published(blon, blat, glon, glat):
    np.testing.assert_allclose(coords.bd09_to_gcj02(blon, blat), (glon, glat), rtol=0, atol=1e-9)


def test_pyxis_chain():
    np.testing.assert_allclose(coords.wgs84_to_gcj02(*PYXIS_WGS), PYXIS_GCJ, rtol=0, atol=1e-6)
    np.testing.assert_allclose(coords.wgs84_to_bd09(*PYXIS_WGS), PYXIS_BD, rtol=0, atol=1e-6)
    np.testing.assert_allclose(coords.bd09_to_wgs84(*PYXIS_BD), PYXIS_WGS, rtol=0, atol=BD_INVERSE_TOL)


def test_gcoord_bd09_to_wgs84():
    np.testing.assert_allclose(coords.bd09_to_wgs84(*GCOORD_BD), GCOORD_WGS, rtol=0, atol=1e-5)


@pytest.fixture
def china_grid():
    lon, lat = np.meshgrid(np.arange(73.5, 135.01, 0.5), np.arange(18.0, 53.51, 0.5))
    return lon.ravel(), lat.ravel()


def test_round_trip_gcj02(china_grid):
    lon, lat = china_grid
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    assert np.all(np.hypot(glon - lon, glat - lat) > 1e-4)  # every grid point is really shifted
    np.testing.assert_allclose(coords.gcj02_to_wgs84(glon, glat), (lon, lat), rtol=0, atol=1e-7)


def test_round_trip_bd09(china_grid):
    lon, lat = china_grid
    np.testing.assert_allclose(coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat)), (lon, lat),
                               rtol=0, atol=BD_INVERSE_TOL)


def test_outside_china_unchanged():
    lon, lat = np.array([-122.4, 2.35, 151.2]), np.array([37.77, 48.86, -33.87])  # San Francisco, Paris, Sydney
    for f in (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84):
        out_lon, out_lat = f(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_to_wgs84_dispatch():
    lon, lat = np.array([116.404, 106.68]), np.array([39.915, 35.54])
    np.testing.assert_array_equal(coords.to_wgs84(lon, lat, "wgs84"), (lon, lat))
    np.testing.assert_array_equal(coords.to_wgs84(lon, lat, "gcj02"), coords.gcj02_to_wgs84(lon, lat))
    np.testing.assert_array_equal(coords.to_wgs84(lon, lat, "bd09"), coords.bd09_to_wgs84(lon, lat))
    with pytest.raises(ValueError, match="unknown coordinate system"):
        coords.to_wgs84(lon, lat, "cgcs2000")


def test_geometry_to_wgs84_moves_each_vertex():
    poly = Polygon([(106.67, 35.53), (106.69, 35.53), (106.69, 35.55), (106.67, 35.55)])
    out = coords.geometry_to_wgs84(poly, "gcj02")
    xy = shapely.get_coordinates(poly)
    np.testing.assert_allclose(shapely.get_coordinates(out),
                               np.column_stack(coords.gcj02_to_wgs84(xy[:, 0], xy[:, 1])), rtol=0, atol=1e-12)
    assert coords.geometry_to_wgs84(poly, "wgs84").equals(poly)


def test_offset_magnitude_kongtong():
    lon, lat = 106.68, 35.54  # 崆峒区, Pingliang, Gansu
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    metres = np.hypot((glon - lon) * 111_320 * np.cos(np.radians(lat)), (glat - lat) * 110_574)
    assert 100 < metres < 800
