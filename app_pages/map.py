"""地图: district and grid boundaries as the base map, grids coloured by any indicator, event density binned in
DuckDB, patrol tracks of a day; Chinese tooltips; clicking a grid drills the whole app to it. Fully offline."""

import streamlit as st

from metrics import geo, labels
from metrics.registry import METRICS, SOURCES
from ui import components as ui
from ui import data, maps
from ui import filters as flt
from ui import format as fmt

f = flt.current()
cfg = maps.map_config()
ui.inject_css()
st.title("地图")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · 坐标 WGS-84 · "
           "底图为本地绘制的区界与网格（不访问任何外部地图服务）")

GRID_METRICS = [m for m, spec in METRICS.items() if "grid_id" in SOURCES[spec.numerator.source].keys]
c1, c2, c3 = st.columns([2, 2, 1])
metric_id = c1.selectbox("网格着色指标", GRID_METRICS,
                         index=GRID_METRICS.index("event_closure_rate"), format_func=lambda m: METRICS[m].label,
                         key="map_ind", bind="query-params")
cats = c2.multiselect("事件热力：类别", list(labels.CATEGORY), format_func=labels.CATEGORY.get, key="map_cat", select_all=False,
                      bind="query-params", placeholder="全部类别")
show_heat = c3.toggle("事件热力", value=False, key="map_heat")

shapes = data.geo("grid_shapes", f)
if shapes.empty:
    ui.empty("没有网格数据：请先导入网格及其边界。")
    st.stop()
values = data.metric(metric_id, f.with_(grids=()), ["grid_id"])
records, legend = maps.choropleth_records(shapes, values, metric_id, selected=set(f.grids))
layers = [maps.grid_layer(records)]
for geom in data.street_outlines(f.scope):
    layers.append(maps.outline_layer(geom, width=2, colour=[90, 90, 90, 220], layer_id=f"street{len(layers)}"))
outline = data.district_outline()
if outline is not None:
    layers.append(maps.outline_layer(outline))
bins = None
if show_heat:
    bins = data.geo("event_bins", f.with_(categories=tuple(cats)), float(cfg.get("event_cell_deg", 0.01)))
    if not bins.empty:
        layers.insert(1, maps.density_layer(bins))

track_days = data.geo("patrol_track_days", f)
with st.expander("巡查轨迹" + (f"（默认显示 {track_days['day'].iloc[0]:%m月%d日}，本期最近一个有轨迹的日子）"
                              if not track_days.empty else "（本期没有带轨迹的巡查）"), expanded=False):
    t1, t2 = st.columns(2)
    # the day follows the period (a new key per period) and opens on the period's latest day with tracks
    default_day = track_days["day"].iloc[0] if not track_days.empty else f.date_to
    day = t1.date_input("日期", default_day, min_value=f.date_from, max_value=f.date_to,
                        key=f"track_day_{f.date_from:%Y%m%d}_{f.date_to:%Y%m%d}")
    worker = t2.text_input("网格员编号（留空为范围内全部）", key="track_worker")
    tracks = data.geo("patrol_tracks", f, day, worker.strip())
    if tracks.empty:
        st.caption("该日所选范围内没有带轨迹的巡查记录。")
    else:
        grid_names = dict(zip(shapes["grid_id"], shapes["grid_name"]))
        layers.append(maps.tracks_layer(tracks, grid_names))
        st.caption(f"{len(tracks)} 条轨迹（最多显示 {geo.MAX_TRACKS} 条）")

# names on the map: streets always, communities as they fit when zoomed in
layers.append(maps.name_labels(shapes, "community", 160, colour=(60, 70, 80, 255)))
layers.append(maps.name_labels(shapes, "street", 18))


def on_pick():
    sel = st.session_state.get("map")
    objs = (sel or {}).get("selection", {}).get("objects", {}).get("grids", []) if isinstance(sel, dict) else \
        getattr(getattr(sel, "selection", None), "objects", {}).get("grids", [])
    if objs:
        g = objs[0]
        st.session_state["street"] = g["street"]
        st.session_state["community"] = g["community"]
        st.session_state["grid"] = g["grid_id"]


left, right = st.columns([5, 1])
with left:
    st.pydeck_chart(maps.deck(layers, maps.view_for(geo.bounds(shapes)), cfg), height=680, key="map",
                    on_select=on_pick, selection_mode="single-object")
with right:
    st.html(maps.legend_html(METRICS[metric_id].label, legend, heat=bins is not None and not bins.empty,
                             tracks=None if tracks.empty else len(tracks)))
    if bins is not None and not bins.empty:
        st.caption(f"事件热力：{int(bins['events'].sum()):,} 件事件聚合为 {len(bins):,} 个约 1 公里网格单元"
                   f"（服务器端聚合，最多 {geo.MAX_POINTS:,} 个）")
    st.caption("点击网格即将全站筛选到该网格；悬停查看网格名称、所属社区街道与指标值（含分子/分母）。")

if f.grids:
    g = shapes[shapes["grid_id"] == f.grids[0]]
    v = values[values["grid_id"] == f.grids[0]]
    if len(g):
        name = g.iloc[0]["grid_name"] or f.grids[0]
        st.markdown(f"**已选网格：{name}**（{'' if name == f.grids[0] else f.grids[0] + '，'}{g.iloc[0]['community']} · "
                    f"{g.iloc[0]['street']}）· {METRICS[metric_id].label} "
                    f"{fmt.value(metric_id, v.iloc[0]['value'] if len(v) else None)}")
