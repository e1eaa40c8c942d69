"""事件闭环: the six-step loop — funnel, time per step, on-time closure, backlog by age, overdue list; disputes and
hazards; by category, source and department. Every count links to its records in the explorer."""
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import labels
from metrics.registry import METRICS
from ui import components as ui
from ui import data
from ui import filters as flt
from ui import format as fmt

f = flt.current()
ui.inject_css()
st.title("事件闭环 · 六步闭环")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)}（按上报时间选入）")

cats = st.multiselect("事件类别", list(labels.CATEGORY), format_func=labels.CATEGORY.get, key="cat", select_all=False,
                      bind="query-params", placeholder="全部类别")
f = f.with_(categories=tuple(cats))


def explorer_link(text: str, **params) -> str:
    """A link that opens the explorer on these records (bound widgets take their display labels from the URL)."""
    base = {"dataset": "事件", "period": st.query_params.get("period", "上月")}
    for name, vals in (("street", f.streets), ("community", f.communities)):
        if vals:
            base[name] = vals[0]
    if "category" in params:
        params["category"] = labels.CATEGORY[params["category"]]
    return f"[{text}](explorer?{urlencode({**base, **params})})"


HEAD = ["event_count", "event_closure_rate", "event_ontime_rate", "event_median_hours", "open_backlog",
        "satisfaction_rate"]
now = data.totals(HEAD, f)
if now["event_count"][0] == 0:
    ui.empty("本期在所选范围内没有事件。")
    st.stop()
prev = data.compared_totals(HEAD, f)[0]
cols = st.columns(len(HEAD))
for col, mid in zip(cols, HEAD):
    with col:
        ui.card(mid, *now[mid], previous=prev[mid][0])

st.subheader("六步闭环漏斗与各环节时长")
left, right = st.columns(2)
with left:
    fun = data.query("funnel", f)
    names = dict(labels.STEPS)
    fig = go.Figure(go.Funnel(y=[names[s] for s in fun["step_id"]], x=fun["events"], textinfo="value+percent initial",
                              marker=dict(color=["#1f6fd1", "#2f80e0", "#4a90e2", "#6aa5ea", "#8bb9f0", "#aecdf5"])))
    st.plotly_chart(ui.style(fig, "各环节到达的事件数"), key="funnel")
with right:
    stage_ids = ["stage_hours_registered", "stage_hours_dispatched", "stage_hours_handled", "stage_hours_closed",
                 "stage_hours_evaluated"]
    st_tot = data.totals(stage_ids, f)
    df = pd.DataFrame({"环节": [METRICS[i].label.replace("时长(中位)", "") for i in stage_ids],
                       "小时": [st_tot[i][0] for i in stage_ids],
                       "样本": [fmt.fraction(i, None, st_tot[i][2]) for i in stage_ids]})
    fig = go.Figure(go.Bar(x=df["环节"], y=df["小时"], text=[fmt.value(i, st_tot[i][0]) for i in stage_ids],
                           customdata=df["样本"], hovertemplate="%{x}<br>%{y:.1f} 小时<br>%{customdata}<extra></extra>",
                           marker_color="#1f6fd1"))
    st.plotly_chart(ui.style(fig, "各环节时长（中位数，小时）"), key="stages")

st.subheader("在办积压与超期")
left, right = st.columns([1, 2])
with left:
    bl = data.metric("open_backlog", f, ["age_band"])
    order = ["≤3天", "3–7天", "7–30天", ">30天"]
    bl = bl.set_index("age_band").reindex(order).fillna({"value": 0}).reset_index()
    fig = go.Figure(go.Bar(x=bl["age_band"], y=bl["value"], text=[fmt.number(v) for v in bl["value"]],
                           marker_color=["#7fb3ea", "#e0a800", "#e67e22", "#d64541"]))
    st.plotly_chart(ui.style(fig, "期末在办事件账龄"), key="backlog")
with right:
    od = data.query("overdue", f)
    st.markdown(f"**超期事件**（期末已过办理时限：未结或逾期结案），共 {len(od):,} 件"
                + ("（仅显示最超期的 200 件）" if len(od) >= 200 else ""))
    if od.empty:
        ui.empty("本期没有超期事件。")
    else:
        show = pd.DataFrame({"事件编号": od["event_id"], "街道": od["street"], "社区": od["community"],
                             "类别": od["category"].map(labels.CATEGORY), "承办部门": od["department"],
                             "上报时间": od["reported_at"], "办理时限": od["due_at"], "结案时间": od["closed_at"],
                             "超期(小时)": od["hours_overdue"]})
        st.dataframe(fmt.readable(show), hide_index=True, height=300)

tab_d, tab_h, tab_c = st.tabs(["矛盾纠纷", "安全隐患", "按类别 / 来源 / 部门"])
with tab_d:
    fd = f.with_(categories=("dispute",))
    ids = ["dispute_resolution_rate", "dispute_onsite_rate", "dispute_ontime_rate", "event_count"]
    t = data.totals(ids, fd)
    if t["event_count"][0] == 0:
        ui.empty("本期无矛盾纠纷。")
    else:
        cols = st.columns(3)
        for col, mid in zip(cols, ids[:3]):
            with col:
                ui.card(mid, *t[mid])
        left, right = st.columns(2)
        with left:
            tiers = data.metric("event_count", fd, ["tier"])
            fig = go.Figure(go.Pie(labels=[labels.TIER.get(x, "未分级") for x in tiers["tier"]], values=tiers["value"],
                                   hole=0.45, textinfo="label+value"))
            st.plotly_chart(ui.style(fig, "纠纷等级"), key="tiers")
        with right:
            oc = data.metric("event_count", fd, ["outcome"])
            fig = go.Figure(go.Bar(x=[labels.OUTCOME.get(x, "未办结") for x in oc["outcome"]], y=oc["value"],
                                   text=[fmt.number(v) for v in oc["value"]], marker_color="#1f6fd1"))
            st.plotly_chart(ui.style(fig, "调处结果"), key="outcomes")
        st.markdown("记录：" + explorer_link(f"本期矛盾纠纷 {fmt.number(t['event_count'][0])} 件", category="dispute"))
with tab_h:
    fh = f.with_(categories=("hazard",))
    t = data.totals(["hazard_rectification_rate", "event_count"], fh)
    if t["event_count"][0] == 0:
        ui.empty("本期无安全隐患。")
    else:
        c1, c2 = st.columns([1, 2])
        with c1:
            ui.card("hazard_rectification_rate", *t["hazard_rectification_rate"])
        with c2:
            by = data.metric("hazard_rectification_rate", fh, ["street"])
            fig = ui.bar(by, "street", "value", "各街道隐患整改率", "hazard_rectification_rate",
                         text=[fmt.fraction("hazard_rectification_rate", n, d) for n, d in
                               zip(by["numerator"], by["denominator"])])
            st.plotly_chart(fig, key="hz_street")
        st.markdown("记录：" + explorer_link(f"本期安全隐患 {fmt.number(t['event_count'][0])} 条", category="hazard"))
with tab_c:
    for key, title, mapping in (("category", "按类别", labels.CATEGORY), ("source", "按来源", labels.SOURCE),
                                ("department", "按承办部门", None)):
        frames = data.metrics(["event_count", "event_closure_rate", "event_ontime_rate"], f, [key])
        tbl = frames["event_count"][[key, "value"]].rename(columns={"value": "n"})
        for mid in ("event_closure_rate", "event_ontime_rate"):
            tbl = tbl.merge(frames[mid][[key, "value"]].rename(columns={"value": mid}), on=key, how="left")
        tbl = tbl.sort_values("n", ascending=False)
        st.markdown(f"**{title}**")
        st.dataframe(pd.DataFrame({
            title[1:]: [(mapping or {}).get(v, v) if v is not None else "未填" for v in tbl[key]],
            "事件数": [fmt.number(v) for v in tbl["n"]],
            "办结率": [fmt.pct(v) for v in tbl["event_closure_rate"]],
            "按期办结率": [fmt.pct(v) for v in tbl["event_ontime_rate"]],
        }), hide_index=True)
