"""Map data: grid shapes, the district outline, server-side event bins and patrol tracks (all WGS-84)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import shapely

from .compute import Filters
from .queries import run

MAX_POINTS = 5000          # the most event cells a map ships to the browser, whatever the number of events
MAX_TRACKS = 500


def usable(geom_or_text):
    """A stored shape fit to draw: parsed (GeoJSON or WKT text), every coordinate finite and inside the import's
    bounding box; None otherwise. Stores written before the importer checked this can hold ±1e308 or metres,
    which crashed the map for everyone (math domain error)."""
    import math

    from data.ingest import CHINA_BBOX

    try:
        geom = geom_or_text
        if isinstance(geom, str):
            geom = shapely.from_geojson(geom) if geom.lstrip().startswith("{") else shapely.from_wkt(geom)
        if geom is None or geom.is_empty:
            return None
        x0, y0, x1, y1 = geom.bounds
    except Exception:                       # unparseable text: skip the shape, keep the map
        return None
    (lon0, lon1), (lat0, lat1) = CHINA_BBOX["lon"], CHINA_BBOX["lat"]
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    return geom if lon0 <= x0 and x1 <= lon1 and lat0 <= y0 and y1 <= lat1 else None


def grid_shapes(con, filters: Filters) -> pd.DataFrame:
    """Grids in the street/community scope (the grid filter is left out: the map shows the grid among its
    neighbours and highlights it)."""
    return run(con, "grid_shapes", filters.with_(grids=()))


def district_outline(con):
    """The district boundary as a shapely geometry: the stored area, else the union of the grid shapes."""
    rows = con.sql("select boundary from areas where level = 'district' and boundary is not null limit 1").fetchall()
    if rows and usable(rows[0][0]) is not None:
        return usable(rows[0][0])
    shapes = [g for (b,) in con.sql("select boundary from grids where boundary is not null").fetchall()
              if (g := usable(b)) is not None]
    return shapely.union_all(shapes) if shapes else None


def street_outlines(con, scope: tuple | None = None) -> list:
    """Street boundaries where stored (areas), within the user's scope: thin lines between the grids."""
    rows = con.sql("select name, boundary from areas where level = 'street' and boundary is not null "
                   "order by name").fetchall()
    return [g for name, b in rows if (scope is None or name in scope) and (g := usable(b)) is not None]


def polygons(geom) -> list[list[list[float]]]:
    """Outer rings of a (Multi)Polygon as [[lon, lat], …] lists, the shape pydeck's PolygonLayer takes."""
    parts = getattr(geom, "geoms", [geom])
    return [[[round(x, 6), round(y, 6)] for x, y in p.exterior.coords] for p in parts]


def event_bins(con, filters: Filters, cell: float = 0.01) -> pd.DataFrame:
    return run(con, "event_bins", filters, cell=cell, max_points=MAX_POINTS)


def patrol_track_days(con, filters: Filters) -> pd.DataFrame:
    """Days of the period with tracked patrols (day, tracks), newest first."""
    return run(con, "patrol_track_days", filters)


def patrol_tracks(con, filters: Filters, day: date, worker: str = "") -> pd.DataFrame:
    one_day = filters.with_(date_from=day, date_to=day)          # the period is the day
    df = run(con, "patrol_tracks", one_day, worker=worker or "", max_tracks=MAX_TRACKS)
    geoms = [usable(t) for t in df["track"]]
    df = df.loc[[g is not None for g in geoms]].copy()
    df["path"] = [[[round(x, 6), round(y, 6)] for x, y in g.coords] for g in geoms if g is not None]
    return df.drop(columns=["track"])


def bounds(shapes: pd.DataFrame) -> tuple[float, float, float, float] | None:
    geoms = [g for b in shapes["boundary"] if b and (g := usable(b)) is not None]
    if not geoms:
        pts = shapes.dropna(subset=["lon", "lat"])
        pts = pts[pts["lon"].between(73, 136) & pts["lat"].between(3, 54)]     # the import's box (CHINA_BBOX)
        if pts.empty:
            return None
        return pts["lon"].min(), pts["lat"].min(), pts["lon"].max(), pts["lat"].max()
    return tuple(shapely.GeometryCollection(geoms).bounds)
