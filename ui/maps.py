"""pydeck map pieces that work offline: a blank (or intranet-tile) style served as a data URL, the district and
grid boundaries as the base map, a grid choropleth coloured 蓝/黄/红 against the target (or by quantiles), event
density from server-side bins, patrol tracks. Used by the map page and reusable elsewhere."""
from __future__ import annotations

import json
import math
import tomllib
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from metrics import geo
from metrics.config import load_config
from metrics.registry import METRICS
from metrics.status import status

from . import format as fmt

MAP_CONFIG = Path(__file__).resolve().parent.parent / "data" / "map.toml"
STATUS_RGB = {"blue": [31, 111, 209, 190], "yellow": [224, 168, 0, 190], "red": [214, 69, 65, 190]}
NO_VALUE = [200, 205, 210, 150]
SEQUENTIAL = [[222, 235, 247, 200], [158, 202, 225, 200], [107, 174, 214, 200], [49, 130, 189, 200],
              [8, 81, 156, 210]]
FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def map_config() -> dict:
    return tomllib.loads(MAP_CONFIG.read_text(encoding="utf-8")).get("map", {})


def style_url(cfg: dict | None = None) -> str:
    """A MapLibre style as a data URL: a plain background, plus the intranet raster tiles when configured.
    (map_style=None would make the browser fetch a public style; a data URL fetches nothing.)"""
    cfg = cfg if cfg is not None else map_config()
    style = {"version": 8, "sources": {},
             "layers": [{"id": "bg", "type": "background",
                         "paint": {"background-color": cfg.get("background", "#eef2f5")}}]}
    if cfg.get("tile_url"):
        style["sources"]["intranet"] = {"type": "raster", "tiles": [cfg["tile_url"]], "tileSize": 256}
        style["layers"].append({"id": "intranet", "type": "raster", "source": "intranet"})
    return "data:application/json," + urllib.parse.quote(json.dumps(style))


def colour_scale(metric_id: str, values: pd.Series):
    """(colour per value, legend rows). With a target: 蓝/黄/红; otherwise five quantile classes."""
    cfg = load_config()
    if metric_id in cfg.targets:
        colours = [STATUS_RGB.get(status(metric_id, None if fmt.is_missing(v) else v, cfg), NO_VALUE)
                   for v in values]
        t = cfg.targets[metric_id]
        word = "≤" if METRICS[metric_id].direction == "lower" else "≥"     # direction: the registry's
        legend = [("蓝 · 达标", STATUS_RGB["blue"], f"{word} {fmt.value(metric_id, t['target'])}"),
                  ("黄 · 关注", STATUS_RGB["yellow"], "差距在容差内"),
                  ("红 · 预警", STATUS_RGB["red"], "差距超出容差"), ("无数据", NO_VALUE, "—")]
        return colours, legend
    v = pd.to_numeric(values, errors="coerce")
    finite = v.dropna()
    if finite.empty:
        return [NO_VALUE] * len(values), [("无数据", NO_VALUE, "—")]
    edges = np.unique(np.quantile(finite, [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    classes = np.clip(np.searchsorted(edges, v.fillna(-np.inf), side="right") - 1, 0, max(len(edges) - 2, 0))
    colours = [NO_VALUE if math.isnan(x) else SEQUENTIAL[min(int(c), 4)] for x, c in zip(v, classes)]
    legend = [(f"{fmt.value(metric_id, edges[i])} – {fmt.value(metric_id, edges[i + 1])}", SEQUENTIAL[min(i, 4)], "")
              for i in range(max(len(edges) - 1, 1)) if len(edges) > 1] + [("无数据", NO_VALUE, "")]
    return colours, legend


def choropleth_records(shapes: pd.DataFrame, values: pd.DataFrame, metric_id: str, selected=()) -> tuple:
    """One record per polygon part with flat fields for the Chinese tooltip; and the legend."""
    merged = shapes.merge(values[["grid_id", "value", "numerator", "denominator"]], on="grid_id", how="left")
    colours, legend = colour_scale(metric_id, merged["value"])
    label = METRICS[metric_id].label
    records = []
    for (_, r), colour in zip(merged.iterrows(), colours):
        shape = geo.usable(r["boundary"]) if r["boundary"] else None
        if shape is None:                   # no boundary, or one that cannot be drawn (non-finite, off the map)
            continue
        for ring in geo.polygons(shape):
            records.append({
                "polygon": ring, "fill": colour, "grid_id": r["grid_id"], "grid_name": r["grid_name"],
                "street": r["street"], "community": r["community"], "indicator": label,
                "value": None if fmt.is_missing(r["value"]) else float(r["value"]),
                "value_text": fmt.value(metric_id, r["value"]),
                "basis": fmt.fraction(metric_id, r["numerator"], r["denominator"]),
                "line": [20, 20, 20, 255] if r["grid_id"] in selected else [255, 255, 255, 200],
                "width": 4 if r["grid_id"] in selected else 1,
            })
    return records, legend


def grid_layer(records) -> pdk.Layer:
    return pdk.Layer("PolygonLayer", records, id="grids", get_polygon="polygon", get_fill_color="fill",
                     get_line_color="line", get_line_width="width", line_width_units='"pixels"', stroked=True,
                     filled=True, pickable=True, auto_highlight=True)


def outline_layer(geom, width: int = 3, colour=(40, 40, 40, 255), layer_id: str = "district") -> pdk.Layer:
    data = [{"path": ring} for ring in geo.polygons(geom)]
    return pdk.Layer("PathLayer", data, id=layer_id, get_path="path", get_color=list(colour),
                     get_width=width, width_units='"pixels"', pickable=False)


# the event heat layer in purples: it must not read as the 蓝/黄/红 status of the grids beneath it
HEAT_RGB = [[242, 240, 247], [218, 218, 235], [188, 189, 220], [158, 154, 200], [117, 107, 177], [84, 39, 143]]
TRACK_RGB = [230, 126, 34, 230]


def density_layer(bins: pd.DataFrame) -> pdk.Layer:
    return pdk.Layer("HeatmapLayer", bins[["lon", "lat", "events"]].to_dict("records"), id="events",
                     get_position=["lon", "lat"], get_weight="events", radius_pixels=40, opacity=0.75,
                     aggregation='"SUM"', color_range=HEAT_RGB)


def tracks_layer(tracks: pd.DataFrame, grid_names: dict | None = None) -> pdk.Layer:
    """Patrol tracks; each carries the fields of the one map tooltip (TOOLTIP), so hovering a track reads
    网格 · 社区 · 街道 · 巡查时间 · 网格员, never a raw {placeholder}."""
    names = grid_names or {}
    data = []
    for p, i, w, g, s, e, street, community, dist in zip(
            tracks["path"], tracks["patrol_id"], tracks["worker_id"], tracks["grid_id"], tracks["started_at"],
            tracks["ended_at"], tracks["street"], tracks["community"], tracks["distance_m"]):
        data.append({"path": p, "grid_id": g, "grid_name": names.get(g) or g, "street": street,
                     "community": community, "indicator": "巡查轨迹",
                     "value_text": f"{s:%H:%M}–{e:%H:%M}" if pd.notna(e) else f"{s:%H:%M}",
                     "basis": f"网格员 {w} · 巡查 {i}" + ("" if fmt.is_missing(dist) else f" · {float(dist):,.0f} 米")})
    return pdk.Layer("PathLayer", data, id="tracks", get_path="path", get_color=TRACK_RGB, get_width=4,
                     width_units='"pixels"', pickable=True)


def name_labels(shapes: pd.DataFrame, column: str, size: int, colour=(30, 40, 50, 255)) -> pdk.Layer:
    """Street or community names at the middle of their grids. Streets in fixed pixels (always readable);
    communities in metres, so they grow into view as the map is zoomed in to where they fit."""
    pts = []
    for name, part in shapes.dropna(subset=[column]).groupby(column):
        geoms = [shapely.from_geojson(b) for b in part["boundary"] if b]
        if geoms:
            c = shapely.union_all(geoms).representative_point()
            pts.append({"name": str(name), "position": [round(c.x, 6), round(c.y, 6)]})
        elif part[["lon", "lat"]].notna().all(axis=None):
            pts.append({"name": str(name), "position": [float(part["lon"].mean()), float(part["lat"].mean())]})
    metres = column != "street"
    return pdk.Layer("TextLayer", pts, id=f"labels_{column}", get_position="position", get_text="name",
                     get_size=size, size_units='"meters"' if metres else '"pixels"',
                     size_min_pixels=0 if metres else size, size_max_pixels=22 if metres else size,
                     get_color=list(colour), character_set='"auto"', font_family=f"'{FONT}'",
                     font_weight='"bold"' if not metres else '"normal"', outline_width=3,
                     outline_color=[255, 255, 255, 230], font_settings={"sdf": True}, pickable=False)


def view_for(bounds) -> pdk.ViewState:
    if bounds is None:
        return pdk.ViewState(longitude=106.68, latitude=35.54, zoom=9)
    x0, y0, x1, y1 = bounds
    if not all(math.isfinite(v) for v in bounds):
        return pdk.ViewState(longitude=106.68, latitude=35.54, zoom=9)
    span = min(max(x1 - x0, (y1 - y0) * 1.4, 1e-3), 360.0)
    zoom = max(3.0, min(16.0, math.log2(360 / span) + 0.6))
    return pdk.ViewState(longitude=(x0 + x1) / 2, latitude=(y0 + y1) / 2, zoom=zoom, pitch=0)


TOOLTIP = {
    "html": "<b>{grid_name}</b>（{grid_id}）<br/>{community} · {street}<br/>{indicator}：<b>{value_text}</b>"
            "<br/>{basis}",
    "style": {"fontFamily": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "fontSize": "14px",
              "backgroundColor": "#1f2d3d", "color": "#fff"},
}


def deck(layers, view_state, cfg: dict | None = None) -> pdk.Deck:
    return pdk.Deck(layers=layers, initial_view_state=view_state, map_style=style_url(cfg), tooltip=TOOLTIP)


def legend_html(title: str, rows, heat: bool = False, tracks: int | None = None) -> str:
    """The map's key: the grid colours, then the heat layer's own scale and the track line when they are shown."""
    items = "".join(f"<div style='display:flex;align-items:center;gap:8px;margin:3px 0'>"
                    f"<span style='width:18px;height:14px;background:rgba({c[0]},{c[1]},{c[2]},{c[3] / 255:.2f});"
                    f"border:1px solid #999;display:inline-block'></span><span>{name}</span>"
                    f"<span style='color:#4a5560'>{note}</span></div>" for name, c, note in rows)
    extra = ""
    if heat:
        stops = ",".join(f"rgb({r},{g},{b})" for r, g, b in HEAT_RGB)
        extra += ("<div style='margin-top:10px'><b>事件热力</b><div style='display:flex;align-items:center;gap:6px;"
                  f"margin:3px 0'><span>少</span><span style='flex:1;height:12px;background:linear-gradient(90deg,"
                  f"{stops});border:1px solid #999'></span><span>多</span></div>"
                  "<div style='color:#4a5560'>紫色深浅为事件密度，与网格的蓝/黄/红状态无关</div></div>")
    if tracks is not None:
        r, g, b, _ = TRACK_RGB
        extra += ("<div style='margin-top:10px;display:flex;align-items:center;gap:8px'>"
                  f"<span style='width:22px;height:4px;background:rgb({r},{g},{b});display:inline-block'></span>"
                  f"<span>巡查轨迹（{tracks} 条）</span></div>")
    return f"<div style='font-size:0.9rem'><b>{title}</b>{items}{extra}</div>"
