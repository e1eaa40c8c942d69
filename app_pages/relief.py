"""社会救助: households, persons and amounts by programme and month, new enrolments, approval days.
Aggregates only: no name or ID number is ever read here. Small counts below street level arrive as "<5" from the
indicator layer (metrics/privacy.py, applied in ui/data.py); this page only shows them."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import labels, privacy
from ui import components as ui
from ui import data
from ui import filters as flt
from ui import format as fmt

f = flt.current()
ui.inject_css()
st.title("社会救助")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)}（按申请日期选入）· "
           "仅显示汇总数，不显示申请人姓名与身份证号")

progs = st.multiselect("救助类别", list(labels.PROGRAMME), format_func=labels.PROGRAMME.get, key="prog", select_all=False,
                       bind="query-params", placeholder="全部类别")
f = f.with_(programmes=tuple(progs))
# below street level a masked role sees no charts: a bar's height would give away a suppressed count
below_street = privacy.small_groups_apply((), f, st.session_state["_user"].role.personal)

IDS = ["relief_households", "relief_persons", "relief_amount_yuan", "relief_new_households", "relief_approval_days"]
t = data.totals(IDS, f)
prev = data.compared_totals(IDS, f)[0]
if t["relief_households"][0] == 0 and t["relief_approval_days"][2] == 0:
    ui.empty("本期在所选范围内没有获批的救助案件。")
cols = st.columns(5)
for col, mid in zip(cols, IDS):
    with col:
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
            "户数": [fmt.number(v) for v in tbl["hh"]],
            "人数": [fmt.number(v) for v in tbl["relief_persons"]],
            "发放金额(元)": [fmt.number(v) for v in tbl["relief_amount_yuan"]],
            "新纳入户数": [fmt.number(v) for v in tbl["relief_new_households"]],
        }), hide_index=True)
    with right:
        if not below_street:
            fig = go.Figure(go.Pie(labels=[labels.PROGRAMME.get(p, p) for p in tbl["programme"]],
                                   values=tbl["relief_amount_yuan"], hole=0.45, textinfo="percent", textposition="inside"))
            st.plotly_chart(ui.style(fig, "发放金额构成"), key="amount_pie")

st.subheader("按月")
bm = data.metric("relief_households", f, ["month", "programme"])    # the registered indicator, by month
bm = bm[pd.to_numeric(bm["value"], errors="coerce").fillna(1) != 0]                   # "<5" stays
if bm.empty:
    ui.empty("本期无获批救助。")
else:
    fig = go.Figure()
    for prog, g in bm.groupby("programme"):
        fig.add_trace(go.Bar(x=[fmt.month_label(m) for m in g["month"]],
                             y=pd.to_numeric(g["value"], errors="coerce"), name=labels.PROGRAMME.get(prog, prog)))
    fig.update_layout(barmode="stack")
    if not below_street:
        st.plotly_chart(ui.style(fig, "各月获批户数（按申请月份）"), key="by_month")
    else:
        st.caption("社区、网格级不显示逐月图，以免小数目识别到户。")

st.subheader("各单位")
level = flt.level_of(f)
key = {"street": "street", "community": "community", "grid": "grid_id"}[level]
frames = data.metrics(["relief_households", "relief_persons", "relief_amount_yuan", "relief_approval_days"], f, [key])
u = frames["relief_households"][[key, "value"]].rename(columns={"value": "hh"})
for mid in ("relief_persons", "relief_amount_yuan", "relief_approval_days"):
    u = u.merge(frames[mid][[key, "value"]].rename(columns={"value": mid}), on=key, how="left")
st.dataframe(pd.DataFrame({
    labels.LEVEL[level]: u[key],
    "户数": [fmt.number(v) for v in u["hh"]],
    "人数": [fmt.number(v) for v in u["relief_persons"]],
    "发放金额(元)": [fmt.number(v) for v in u["relief_amount_yuan"]],
    "审批时长(天,中位)": [fmt.number(v, 1) for v in u["relief_approval_days"]],
}), hide_index=True)
