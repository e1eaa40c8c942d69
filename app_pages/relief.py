"""社会救助: households, persons and amounts by programme and month, new enrolments, approval days.
Aggregates only: no name or ID number is ever read here. Counts under 5 at grid level show as "<5"."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import labels
from metrics.registry import METRICS
from ui import components as ui
from ui import data
from ui import filters as flt
from ui import format as fmt

SMALL = 5
f = flt.current()
exact = st.session_state["_user"].role.small_counts_exact     # only roles with personal data see small counts
ui.inject_css()
st.title("社会救助")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)}（按申请日期选入）· "
           "仅显示汇总数，不显示申请人姓名与身份证号")

progs = st.multiselect("救助类别", list(labels.PROGRAMME), format_func=labels.PROGRAMME.get, key="prog",
                       bind="query-params", placeholder="全部类别")
f = f.with_(programmes=tuple(progs))
grid_level = bool(f.grids) and not exact


def small(v, n=None) -> str:
    """Counts (and amounts over them) below 5 at grid level are suppressed: a grid is a few hundred households."""
    n = v if n is None else n
    if grid_level and not fmt.is_missing(n) and 0 < float(n) < SMALL:
        return f"<{SMALL}"
    return fmt.number(v)


IDS = ["relief_households", "relief_persons", "relief_amount_yuan", "relief_new_households", "relief_approval_days"]
t = data.totals(IDS, f)
prev = data.compared_totals(IDS, f)[0]
if t["relief_households"][0] == 0 and t["relief_approval_days"][2] == 0:
    ui.empty("本期在所选范围内没有获批的救助案件。")
cols = st.columns(5)
hh = t["relief_households"][0]
for col, mid in zip(cols, IDS):
    with col:
        if grid_level and mid != "relief_approval_days" and small(t[mid][0], hh) == f"<{SMALL}":
            with st.container(border=True):
                st.metric(METRICS[mid].label, f"<{SMALL}", help="网格级小数目不予显示，以保护救助对象隐私")
        else:
            ui.card(mid, *t[mid], previous=prev[mid][0])

st.subheader("按救助类别")
frames = data.metrics(IDS[:4], f, ["programme"])
tbl = frames["relief_households"][["programme", "value"]].rename(columns={"value": "hh"})
for mid in IDS[1:4]:
    tbl = tbl.merge(frames[mid][["programme", "value"]].rename(columns={"value": mid}), on="programme", how="outer")
tbl = tbl.fillna(0)
if tbl.empty:
    ui.empty("本期无救助案件。")
else:
    left, right = st.columns([3, 2])
    with left:
        st.dataframe(pd.DataFrame({
            "救助类别": [labels.PROGRAMME.get(p, p) for p in tbl["programme"]],
            "户数": [small(v) for v in tbl["hh"]],
            "人数": [small(v, h) for v, h in zip(tbl["relief_persons"], tbl["hh"])],
            "发放金额(元)": [small(v, h) for v, h in zip(tbl["relief_amount_yuan"], tbl["hh"])],
            "新纳入户数": [small(v) for v in tbl["relief_new_households"]],
        }), hide_index=True)
    with right:
        if not grid_level:
            fig = go.Figure(go.Pie(labels=[labels.PROGRAMME.get(p, p) for p in tbl["programme"]],
                                   values=tbl["relief_amount_yuan"], hole=0.45, textinfo="percent", textposition="inside"))
            st.plotly_chart(ui.style(fig, "发放金额构成"), key="amount_pie")

st.subheader("按月")
bm = data.query("relief_by_month", f)
if bm.empty:
    ui.empty("本期无获批救助。")
else:
    fig = go.Figure()
    for prog, g in bm.groupby("programme"):
        fig.add_trace(go.Bar(x=[fmt.month_label(m) for m in g["month"]], y=g["households"],
                             name=labels.PROGRAMME.get(prog, prog)))
    fig.update_layout(barmode="stack")
    if not grid_level:
        st.plotly_chart(ui.style(fig, "各月获批户数（按申请月份）"), key="by_month")
    else:
        st.caption("网格级不显示逐月图，以免小数目识别到户。")

st.subheader("各单位")
level = flt.level_of(f)
key = {"street": "street", "community": "community", "grid": "grid_id"}[level]
frames = data.metrics(["relief_households", "relief_persons", "relief_amount_yuan", "relief_approval_days"], f, [key])
u = frames["relief_households"][[key, "value"]].rename(columns={"value": "hh"})
for mid in ("relief_persons", "relief_amount_yuan", "relief_approval_days"):
    u = u.merge(frames[mid][[key, "value"]].rename(columns={"value": mid}), on=key, how="left")
below_street = level == "grid" and not exact
st.dataframe(pd.DataFrame({
    {"street": "街道", "community": "社区", "grid": "网格"}[level]: u[key],
    "户数": [f"<{SMALL}" if below_street and 0 < v < SMALL else fmt.number(v) for v in u["hh"]],
    "人数": [f"<{SMALL}" if below_street and 0 < h < SMALL else fmt.number(v) for v, h in
           zip(u["relief_persons"], u["hh"])],
    "发放金额(元)": [f"<{SMALL}户" if below_street and 0 < h < SMALL else fmt.number(v) for v, h in
                 zip(u["relief_amount_yuan"], u["hh"])],
    "审批时长(天,中位)": [fmt.number(v, 1) for v in u["relief_approval_days"]],
}), hide_index=True)
