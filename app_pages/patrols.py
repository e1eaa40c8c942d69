"""网格巡查: patrols per grid-week, the grid × week compliance heat map, key-person visits, worker activity,
and the grids falling short."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.config import load_config
from ui import components as ui
from ui import data
from ui import filters as flt
from ui import format as fmt

f = flt.current()
cfg = load_config()
required = cfg.parameters.get("required_patrols_per_week", 3)
ui.inject_css()
st.title("网格巡查")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · "
           f"达标：每个完整周（周一至周日）巡查不少于 {required} 次")

IDS = ["patrols_per_grid_week", "patrol_compliance_rate", "key_person_visit_rate", "platform_use_rate"]
t = data.totals(IDS, f)
prev = data.compared_totals(IDS, f)[0]
cols = st.columns(4)
for col, mid in zip(cols, IDS):
    with col:
        ui.card(mid, *t[mid], previous=prev[mid][0], target=cfg.targets.get(mid, {}).get("target"))

heat = data.query("patrol_heat", f)
st.subheader("网格 × 周 巡查次数")
if heat.empty:
    ui.empty("统计期内没有完整的自然周（周一至周日），无法计算巡查达标；请选择更长的统计期。")
else:
    names = data.hierarchy().drop_duplicates("grid_id").set_index("grid_id")["grid_name"]
    pivot = heat.pivot_table(index="grid_id", columns="week", values="patrols", aggfunc="sum").fillna(0)
    order = heat.drop_duplicates("grid_id").set_index("grid_id")[["street", "community"]]
    pivot = pivot.loc[order.sort_values(["street", "community"]).index]
    # colour: below the weekly requirement is red, at or above is blue
    scale = [[0, "#d64541"], [max(0.001, (required - 0.5) / max(required * 2, 1)), "#f5b7b1"],
             [min(0.999, (required - 0.5) / max(required * 2, 1) + 0.001), "#aecdf5"], [1, "#1f4e9c"]]
    fig = go.Figure(go.Heatmap(z=pivot.values, x=list(pivot.columns),
                               y=[f"{names.get(g, g)}" for g in pivot.index], zmin=0, zmax=required * 2,
                               colorscale=scale, colorbar=dict(title="次/周"),
                               hovertemplate="%{y}<br>%{x} 起一周<br>巡查 %{z} 次<extra></extra>"))
    fig.update_layout(height=min(4000, max(400, 14 * len(pivot) + 120)))
    fig.update_yaxes(showticklabels=len(pivot) <= 60, autorange="reversed")
    st.plotly_chart(ui.style(fig, f"共 {len(pivot)} 个网格 × {pivot.shape[1]} 周；红色为未达标",
                             height=min(4000, max(400, 14 * len(pivot) + 120))), key="heat")

    # the grids below 100% compliance, by the registered indicators (not re-derived here)
    by_grid = data.metrics(["patrol_compliance_rate", "patrols_per_grid_week", "key_person_visit_rate"], f,
                           ["grid_id"])
    short = by_grid["patrol_compliance_rate"].rename(columns={"value": "rate", "numerator": "met",
                                                               "denominator": "weeks"})
    short = short.merge(by_grid["patrols_per_grid_week"][["grid_id", "numerator"]].rename(
        columns={"numerator": "patrols"}), on="grid_id", how="left")
    short = short.merge(by_grid["key_person_visit_rate"][["grid_id", "value"]].rename(
        columns={"value": "visit_rate"}), on="grid_id", how="left")
    short = short.merge(order.reset_index(), on="grid_id", how="inner")
    short = short[pd.to_numeric(short["rate"], errors="coerce") < 1].sort_values(["rate", "patrols"])
    st.subheader(f"未达标网格（{len(short)} 个）")
    st.dataframe(pd.DataFrame({
        "网格": [names.get(g, g) for g in short["grid_id"]], "网格编码": short["grid_id"], "街道": short["street"],
        "社区": short["community"], "达标周数": [f"{int(m)} / {int(w)}" for m, w in zip(short["met"], short["weeks"])],
        "巡查达标率": [fmt.value("patrol_compliance_rate", v) for v in short["rate"]],
        "巡查次数": [fmt.number(v) for v in short["patrols"]],
        "重点人员走访率": [fmt.value("key_person_visit_rate", v) for v in short["visit_rate"]]}),
        hide_index=True, height=320)

st.subheader("网格员工作量")
wa = data.query("worker_activity", f)
if wa.empty:
    ui.empty("范围内没有在岗网格员。")
else:
    st.dataframe(pd.DataFrame({
        "网格员编号": wa["worker_id"], "街道": wa["street"], "社区": wa["community"], "网格": wa["grid_id"],
        "巡查次数": wa["patrols"], "巡查里程(公里)": wa["km"], "走访户数": wa["households_visited"],
        "走访重点人员": wa["key_person_visits"], "上报事件": wa["events_reported"], "平台活跃工作日": wa["active_days"],
    }), hide_index=True, height=320)
    st.caption("网格员以编号显示；姓名、电话属个人信息，不在看板中展示。")
