"""数据质量: gaming and data-quality signals (metrics/quality.py) — counts and rates per street, community or worker
against the district, the monthly trend, and the flagged records. Signals point at records; they never change a score."""
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.config import load_config
from metrics.quality import KIND_LABELS, SIGNALS, SIGNALS_LIST, thresholds
from ui import components as ui
from ui import fairdata
from ui import filters as flt
from ui import format as fmt

f = flt.current()
cfg = load_config()
user = st.session_state.get("_user")
ui.inject_css()
st.title("数据质量 · 异常与刷数信号")
ref = "全区" if f.scope is None else "范围内"
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · "
           "信号只提示需要核实的记录，不改变任何得分；阈值在 data/scoring.toml 的 [quality.*] 中设置")

flags = fairdata.flagged(f)
LEVELS = {"street": "街道", "community": "社区", "worker": "网格员"}
level = st.radio("按", list(LEVELS), format_func=LEVELS.get, horizontal=True, key="qlevel")

st.subheader("信号一览")
counts = fairdata.quality_counts(f, "street")
summary = []
for s in SIGNALS_LIST:
    c = counts[counts["signal"] == s.id]
    n, base = int(c["flagged"].sum()), int(c["base"].sum())
    summary.append({"信号": s.label, "标记": f"{n:,}", "对象": KIND_LABELS[s.kind],
                    f"{ref}比率": fmt.pct(n / base, 2) if base else "—",
                    "为什么要看": s.why,
                    "阈值": "，".join(f"{k}={v}" for k, v in thresholds(s, cfg).items())})
st.dataframe(pd.DataFrame(summary), hide_index=True)

st.subheader(f"按{LEVELS[level]}")
if level in ("street", "community"):
    c = fairdata.quality_counts(f, level)
    table = c.pivot_table(index="unit", columns="signal", values="flagged", aggfunc="sum").fillna(0).astype(int)
    rates = {(r["unit"], r["signal"]): (r["rate"], r["district_rate"], r["base"]) for _, r in c.iterrows()}
    show = pd.DataFrame({LEVELS[level]: table.index})
    for s in SIGNALS_LIST:
        cells = []
        for u in table.index:
            k = int(table.loc[u, s.id]) if s.id in table.columns else 0
            rate, district, base = rates.get((u, s.id), (None, None, 0))
            flag = " ▲" if rate is not None and district is not None and k > 0 and rate > 2 * district else ""
            cells.append("—" if not base else f"{k}（{fmt.pct(rate, 1)}）{flag}")
        show[s.label] = cells
    st.dataframe(show, hide_index=True)
    st.caption(f"格内为：标记数（占该单位同类记录的比例）；▲ 表示比例超过{ref}的 2 倍。")
else:
    w = flags[flags["worker_id"].notna()]
    if w.empty:
        st.caption("本期没有与网格员关联的标记记录。")
    else:
        per = w.pivot_table(index=["worker_id", "street", "community"], columns="signal", values="id",
                            aggfunc="count").fillna(0).astype(int)
        per["合计"] = per.sum(axis=1)
        per = per.sort_values("合计", ascending=False).head(50).reset_index()
        per = per.rename(columns={"worker_id": "网格员编号", "street": "街道", "community": "社区",
                                  **{s.id: s.label for s in SIGNALS_LIST}})
        st.dataframe(per, hide_index=True)
        st.caption("网格员以编号显示；姓名、电话属个人信息，不在看板中展示。按标记合计排列，前 50 名。")

st.subheader("近六个月趋势")
months = []
y, m = f.date_to.year, f.date_to.month
for _ in range(6):
    months.append((y, m))
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
start = date(months[-1][0], months[-1][1], 1)
trend_flags = fairdata.flagged(f.with_(date_from=start))
from metrics.quality import by_month  # noqa: E402

trend = by_month(trend_flags)
if trend.empty:
    st.caption("近六个月没有标记记录。")
else:
    fig = go.Figure()
    for s in SIGNALS_LIST:
        t = trend[trend["signal"] == s.id]
        if len(t):
            fig.add_trace(go.Scatter(x=[fmt.month_label(x) for x in t["month"]], y=t["flagged"], name=s.label,
                                     mode="lines+markers"))
    st.plotly_chart(ui.style(fig, "每月标记记录数", height=340), key="qtrend")

st.subheader("标记记录")
if user is not None and not user.role.records:
    st.caption("您的角色只能查看汇总，不能查看记录明细。")
else:
    sig = st.selectbox("信号", [s.id for s in SIGNALS_LIST], format_func=lambda i: SIGNALS[i].label, key="qsignal")
    rec = flags[flags["signal"] == sig]
    st.caption(f"{SIGNALS[sig].label}：{SIGNALS[sig].why}。共 {len(rec):,} 条。")
    if rec.empty:
        st.caption("本期没有被该信号标记的记录。")
    else:
        st.dataframe(pd.DataFrame({
            "编号": rec["id"], "对象": [KIND_LABELS[k] for k in rec["kind"]], "街道": rec["street"],
            "社区": rec["community"], "网格": rec["grid_id"].fillna("—"), "网格员编号": rec["worker_id"].fillna("—"),
            "时间": [fmt.DASH if pd.isna(t) else f"{pd.Timestamp(t):%Y-%m-%d %H:%M}" for t in rec["happened_at"]],
            "说明": rec["detail"]}), hide_index=True, height=360)
        st.caption("说明只含时间、时长、里程与编号，不含姓名、电话与事件描述。")
