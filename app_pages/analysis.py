"""研判: readings across the data families — busy grids with too few patrols, hotspots that persist, relief against
dispute density, key persons against visit gaps. Every figure comes from registered indicators (metrics/analysis.py)."""
import pandas as pd
import streamlit as st

from metrics.config import load_config
from ui import components as ui
from ui import data, fairdata
from ui import filters as flt
from ui import format as fmt

f = flt.current()
cfg = load_config()
ui.inject_css()
st.title("研判 · 跨领域分析")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · 各表数字均来自登记指标；"
           "“地图”链接在地图页按相应指标着色并定位到该地")
h = data.hierarchy().drop_duplicates("grid_id")
names = h.set_index("grid_id")["grid_name"]
LINK = {"地图": st.column_config.LinkColumn("地图", display_text="在地图上看")}


def grid_cols(ids) -> dict:
    sub = h.set_index("grid_id")
    return {"网格": [names.get(g) or g for g in ids], "网格编码": list(ids),
            "街道": [sub["street"].get(g, "—") for g in ids], "社区": [sub["community"].get(g, "—") for g in ids]}


target = cfg.targets.get("patrol_compliance_rate", {}).get("target", 0.8)
st.subheader("一、事件多而巡查不达标的网格")
busy = fairdata.analysis("busy_grids_low_patrol", f)
if busy.empty:
    st.caption(f"没有事件数居前四分之一且巡查达标率低于 {fmt.pct(target, 0)} 的网格（或统计期内没有完整的自然周）。")
else:
    st.caption(f"事件数不少于 {fmt.number(busy['threshold'].iloc[0])} 件（前四分之一）且巡查达标率低于目标 "
               f"{fmt.pct(target, 0)}：事件多的地方更需要巡查。共 {len(busy)} 个。")
    st.dataframe(pd.DataFrame({
        **grid_cols(busy["grid_id"]), "事件数": busy["events"].astype(int),
        "巡查达标率": [fmt.pct(v) for v in busy["compliance"]],
        "达标周数": [f"{int(a)} / {int(b)}" for a, b in zip(busy["weeks_met"], busy["weeks"])],
        "地图": [fairdata.map_link(h, "巡查达标率", grid=g) for g in busy["grid_id"]]}),
        hide_index=True, column_config=LINK, height=300)

st.subheader("二、连续三个月的事件热点网格")
hot = fairdata.analysis("persistent_hotspots", f)
if hot.empty:
    st.caption("没有连续三个月都位于事件数前 10% 的网格。")
else:
    st.caption(f"截至统计期末的最近三个自然月，每月事件数都在前 10% 的网格，共 {len(hot)} 个：热点长期不降，说明源头问题没有解决。")
    st.dataframe(pd.DataFrame({
        **grid_cols(hot["grid_id"]), "三个月事件数": hot["events"].astype(int), "逐月": hot["by_month"],
        "地图": [fairdata.map_link(h, "事件数", grid=g) for g in hot["grid_id"]]}),
        hide_index=True, column_config=LINK, height=260)

st.subheader("三、救助户与矛盾纠纷密度（按社区）")
rel = fairdata.analysis("relief_vs_disputes", f)
if rel.empty:
    st.caption("没有社区数据。")
else:
    both = int(rel["both_high"].sum())
    st.caption(f"每千户获批救助户数与每千户矛盾纠纷数；两项都高于各社区中位数的为“双高”社区（{both} 个）："
               "困难群众集中、矛盾多发，宜把救助与调解放在一起看。")
    st.dataframe(pd.DataFrame({
        "社区": rel["community"], "户数": rel["households"].astype(int),
        "救助户（每千户）": [f"{int(a)}（{b:.1f}）" for a, b in zip(rel["relief"], rel["relief_per_1000"])],
        "矛盾纠纷（每千户）": [f"{int(a)}（{b:.2f}）" for a, b in zip(rel["disputes"], rel["disputes_per_1000"])],
        "双高": ["是" if b else "" for b in rel["both_high"]],
        "地图": [fairdata.map_link(h, "千户事件数", community=c) for c in rel["community"]]}),
        hide_index=True, column_config=LINK, height=300)

kp_target = cfg.targets.get("key_person_visit_rate", {}).get("target", 0.9)
st.subheader("四、重点人员走访缺口")
kp = fairdata.analysis("key_person_gaps", f)
if kp.empty:
    st.caption(f"有重点人员的网格走访率都不低于 {fmt.pct(kp_target, 0)}（或统计期内没有完整的自然周）。")
else:
    st.caption(f"有重点人员、走访率低于目标 {fmt.pct(kp_target, 0)} 的网格，按欠走访人次（重点人员数 × 完整周数 − 已走访）"
               f"从多到少，共 {len(kp)} 个。重点人员只以人数出现。")
    st.dataframe(pd.DataFrame({
        **grid_cols(kp["grid_id"]), "走访率": [fmt.pct(v) for v in kp["visit_rate"]],
        "已走访 / 应走访": [f"{int(a)} / {int(b)}" for a, b in zip(kp["visits"], kp["owed"])],
        "欠走访人次": kp["gap"].astype(int),
        "地图": [fairdata.map_link(h, "重点人员走访率", grid=g) for g in kp["grid_id"]]}),
        hide_index=True, column_config=LINK, height=300)
