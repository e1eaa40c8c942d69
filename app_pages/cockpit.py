"""驾驶舱: headline indicators against targets, trends, and the comparison one level down, with drill-down."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import labels, periods
from metrics.config import load_config
from metrics.registry import METRICS, SOURCES
from metrics.status import COLOURS, status
from ui import components as ui
from ui import data
from ui import filters as flt
from ui import format as fmt

HEADLINE = ["dispute_resolution_rate", "dispute_onsite_rate", "hazard_rectification_rate", "satisfaction_rate",
            "event_closure_rate", "event_ontime_rate", "event_count", "open_backlog",
            "events_per_1000_households", "grid_staffing_rate", "patrol_compliance_rate", "key_person_visit_rate"]
COMPARE = ["dispute_resolution_rate", "hazard_rectification_rate", "satisfaction_rate", "event_ontime_rate",
           "event_closure_rate", "events_per_1000_households", "patrol_compliance_rate", "key_person_visit_rate",
           "grid_staffing_rate"]
NEXT_KEY = {"street": "street", "community": "community", "grid": "grid_id"}


def trend_filters(f):
    """The 12 months that end with the period's month (metrics/periods)."""
    return f.with_(date_from=periods.months_back(f.date_to, 12)[0][0])


def monthly(metric_id: str) -> bool:
    return "month" in SOURCES[METRICS[metric_id].numerator.source].keys


f = flt.current()
cfg = load_config()
ui.inject_css()
(first, last), imported = data.span()
st.title("驾驶舱")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · "
           f"事件数据截至 {last or '—'} · 最近导入 {imported or '—'}")

now = data.totals(HEADLINE, f)
prev, yoy = data.compared_totals(HEADLINE, f)
tf = trend_filters(f)
trend_ids = [i for i in HEADLINE if monthly(i)]
trends = data.metrics(trend_ids, tf, ["month"])

if now["event_count"][0] == 0:
    ui.empty(f"{flt.scope_label(f)}在本期（{fmt.period_label(f.date_from, f.date_to)}）没有事件记录；"
             f"事件数据的时间范围是 {first or '—'} 至 {last or '—'}。")

RECORDS = {"events": "事件", "patrols": "巡查", "grid_weeks": "巡查", "grids": "网格", "workers": "网格", "relief": "社会救助"}


def records_url(mid: str) -> str:
    """The 自助分析 link behind a card: its records under the same period and place."""
    from urllib.parse import urlencode

    params = {"dataset": RECORDS.get(METRICS[mid].numerator.source, "事件")}
    for key in ("period", "street", "community", "grid", "from", "to"):
        if st.query_params.get(key):
            params[key] = st.query_params.get(key)
    if mid.startswith("dispute_"):
        params["category"] = "矛盾纠纷"
    elif mid.startswith("hazard_"):
        params["category"] = "安全隐患"
    return "explorer?" + urlencode(params)


for row in range(0, len(HEADLINE), 4):
    cols = st.columns(4)
    for col, mid in zip(cols, HEADLINE[row:row + 4]):
        with col:
            value, num, den = now[mid]
            spark = list(trends[mid]["value"]) if mid in trends else None
            ui.card(mid, value, num, den, previous=prev[mid][0], year_ago=yoy[mid][0], trend=spark,
                    target=cfg.targets.get(mid, {}).get("target"), records_url=records_url(mid))

st.divider()
left, right = st.columns([3, 2])
with left:
    choice = st.selectbox("趋势与对比指标", COMPARE, format_func=lambda i: METRICS[i].label, key="ind",
                          bind="query-params")
    target = cfg.targets.get(choice, {}).get("target")
    if monthly(choice):
        t = data.metric(choice, tf, ["month"])
        if t.empty:
            ui.empty("近 12 个月没有数据。")
        else:
            fig = go.Figure(go.Scatter(x=[fmt.month_label(m) for m in t["month"]], y=t["value"], mode="lines+markers",
                                       line=dict(color="#1f6fd1", width=3),
                                       customdata=[fmt.fraction(choice, n, d) for n, d in
                                                   zip(t["numerator"], t["denominator"])],
                                       hovertemplate="%{x}<br>%{y}<br>%{customdata}<extra></extra>"))
            if target is not None:
                ui.target_line(fig, target, color=COLOURS["red"])
            st.plotly_chart(ui.style(fig, f"{METRICS[choice].label} · 近 12 个月", METRICS[choice].is_rate),
                            key="trend")
    else:
        ui.empty(f"{METRICS[choice].label} 是时点指标，不按月变化；见右侧对比。")

level = flt.level_of(f)
key = NEXT_KEY[level]
with right:
    comp = data.metric(choice, f, [key])
    if comp.empty:
        ui.empty(f"本期各{labels.LEVEL[level]}均无数据。")
    else:
        names = data.hierarchy().drop_duplicates("grid_id").set_index("grid_id")["grid_name"]
        comp = comp.sort_values("value", na_position="first")
        label = comp[key].map(lambda g: names.get(g, g)) if key == "grid_id" else comp[key]
        colors = [COLOURS.get(status(choice, v) or "", "#9aa5b1") for v in comp["value"]]
        fig = ui.bar(pd.DataFrame({"unit": label, "value": comp["value"]}), "unit", "value",
                     f"各{labels.LEVEL[level]}{METRICS[choice].label}", choice, target, horizontal=True,
                     text=[fmt.value(choice, v) for v in comp["value"]], color=colors)
        fig.update_layout(height=max(300, 28 * len(comp) + 80))
        st.plotly_chart(fig, key="compare")

st.subheader(f"逐级钻取：各{labels.LEVEL[level]}")
# every indicator's value by unit side by side (one outer join on the units, sorted)
table = data.value_table(COMPARE, f, key)
if table.empty:
    ui.empty("没有可比较的单位。")
else:
    units = list(table[key])
    shown = pd.DataFrame({labels.LEVEL[level]: units})
    for mid in COMPARE:
        shown[METRICS[mid].label] = [fmt.value(mid, v) for v in table[mid]]

    def drill():
        rows = st.session_state["drill"].selection.rows
        if not rows:
            return
        unit = st.session_state["_drill_units"][rows[0]]
        h = data.hierarchy()
        if level == "street":
            st.session_state["street"] = unit
        elif level == "community":
            st.session_state["community"] = unit
        else:
            st.session_state["community"] = h.loc[h["grid_id"] == unit, "community"].iloc[0]
            st.session_state["grid"] = unit

    st.session_state["_drill_units"] = units
    st.dataframe(shown, hide_index=True, on_select=drill if level != "grid" or not f.grids else "ignore",
                 selection_mode="single-row", key="drill")
    st.caption("点选一行即钻取到该单位；左侧筛选栏可返回上级。各比率的分子/分母见指标卡说明与“自助分析”。")
