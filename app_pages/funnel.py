"""漏斗图: is a unit really different, or is it noise? Each unit's rate against its denominator with 95 % and
99.8 % control limits around the district rate or the target (metrics/funnel.py, Spiegelhalter 2005)."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import funnel as fn
from metrics.registry import METRICS
from ui import components as ui
from ui import fairdata
from ui import filters as flt
from ui import format as fmt

LEVELS = {"community": "社区", "grid": "网格", "street": "街道"}
MIN_UNITS = 5          # a funnel over fewer units says little: streets only when the district has this many
DATASET = {"events": "事件", "patrols": "巡查", "grid_weeks": "巡查", "worker_days": "巡查", "grids": "网格",
           "workers": "网格", "relief": "社会救助"}

f = flt.current()
ui.inject_css()
st.title("漏斗图 · 差异是真是噪声")
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · "
           "精确二项控制线（Spiegelhalter 2005）")

rates = fn.rate_metrics()
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
metric_id = c1.selectbox("指标", rates, index=rates.index("satisfaction_rate"), format_func=lambda m: METRICS[m].label,
                         key="fmetric", bind="query-params")
n_streets = len(fairdata.funnel(metric_id, f, "street")["units"])
levels = [lv for lv in LEVELS if lv != "street" or n_streets >= MIN_UNITS]
level = c2.selectbox("比较单位", levels, format_func=LEVELS.get, key="flevel")
centre = c3.radio("中心线", ["district", "target"], horizontal=True, key="fcentre",
                  format_func=lambda c: {"district": "全区比率", "target": "目标值"}[c])
od = c4.checkbox("过度离散校正", key="fod", help="单位之间的差异大于二项波动时（φ > 1），按 Spiegelhalter 的乘法型 φ 放宽控制线")
if n_streets < MIN_UNITS:
    st.caption(f"街道只有 {n_streets} 个，不足 {MIN_UNITS} 个，不画街道漏斗图。")

res = fairdata.funnel(metric_id, f, level, centre, od)
units = res["units"]
label = METRICS[metric_id].label
if units.empty or res["curve"].empty:
    ui.empty("统计期内该指标没有可比较的单位（分母均为 0）。")
    st.stop()
if centre == "target" and res["centre_kind"] == "district":
    st.caption("该指标没有设定目标值，以全区比率为中心。")

cur = res["curve"]
n_lo = max(1.0, float(units["denominator"].min()) / 2)           # draw the funnel over the units' range only
cur = cur[cur["n"] >= n_lo]
fig = go.Figure()
for (lo, hi), name, dash in (((0.001, 0.999), "99.8% 控制线", "dot"), ((0.025, 0.975), "95% 控制线", "dash")):
    for p, show in ((lo, True), (hi, False)):
        fig.add_trace(go.Scatter(x=cur["n"], y=cur[f"p{p}"], mode="lines", name=name, legendgroup=name,
                                 showlegend=show, line=dict(color="#5b6770", dash=dash, width=1.5),
                                 hoverinfo="skip"))
fig.add_trace(go.Scatter(x=[cur["n"].min(), cur["n"].max()], y=[res["theta"]] * 2, mode="lines",
                         name="目标值" if res["centre_kind"] == "target" else "全区比率",
                         line=dict(color="#1f4e9c", width=2)))
colour = {"high": "#2e86de", "low": "#d64541", None: "#7f8c8d"}
tag = {"high": "显著高于", "low": "显著低于", None: "在控制线内"}
for sig in (None, "high", "low"):
    part = units[units["signal"].isna()] if sig is None else units[units["signal"] == sig]
    if part.empty:
        continue
    fig.add_trace(go.Scatter(
        x=part["denominator"], y=part["value"], mode="markers", name=tag[sig],
        marker=dict(size=9 if level != "grid" else 6, color=colour[sig], line=dict(width=0.5, color="#fff")),
        text=part["unit"], customdata=part[["numerator", "denominator"]].values,
        hovertemplate="%{text}<br>%{y:.1%}（%{customdata[0]:.0f} / %{customdata[1]:.0f}）<extra></extra>"))
fig.update_xaxes(title="样本数（分母）", type="log" if cur["n"].max() > 200 else "linear")
low = min(float(units["value"].min()), float(cur["p0.001"].min()))
high = max(float(units["value"].max()), float(cur["p0.999"].max()))
pad = max(0.01, (high - low) * 0.08)
fig.update_yaxes(title=label, tickformat=".1%" if high - low < 0.1 else ".0%",
                 range=[max(0.0, low - pad), min(1.0, high + pad) + (0.005 if high >= 1 else 0)])
fig.update_layout(legend=dict(orientation="h", y=-0.2))
st.plotly_chart(ui.style(fig, f"{label} · 按{LEVELS[level]}（{len(units)} 个）", height=460), key="funnel")
st.markdown(fn.sentence(res))
if od:
    st.caption(f"过度离散系数 φ = {res['phi']:.2f}" + ("（> 1，控制线已放宽）" if res["phi"] > 1 else "（≤ 1，不放宽）"))

out = units[units["signal"].notna()].copy()
st.subheader(f"显著偏离的{LEVELS[level]}（{len(out)} 个）")
if out.empty:
    st.caption("没有单位落在 95% 控制线之外。")
else:
    ref = "目标" if res["centre_kind"] == "target" else "全区"
    source = METRICS[metric_id].numerator.source
    h = None
    if level == "grid":
        from ui import data
        h = data.hierarchy().drop_duplicates("grid_id").set_index("grid_id")
    links = []
    for u in out["unit"]:
        if level == "street":
            links.append(fairdata.records_link(DATASET.get(source, "事件"), f, street=u))
        elif level == "community":
            st_name = None
            from ui import data
            hh = data.hierarchy()
            st_name = hh.loc[hh["community"] == u, "street"].iloc[0] if (hh["community"] == u).any() else None
            links.append(fairdata.records_link(DATASET.get(source, "事件"), f, street=st_name, community=u))
        else:
            row = h.loc[u] if u in h.index else None
            links.append(fairdata.records_link(DATASET.get(source, "事件"), f,
                                               street=None if row is None else row["street"],
                                               community=None if row is None else row["community"], grid=u))
    st.dataframe(pd.DataFrame({
        LEVELS[level]: out["unit"],
        "判定": [f"{'显著高于' if s == 'high' else '显著低于'}{ref}（{b}% 线外）" for s, b in zip(out["signal"], out["beyond"])],
        label: [fmt.pct(v) for v in out["value"]],
        "分子 / 分母": [fmt.fraction(metric_id, a, b) for a, b in zip(out["numerator"], out["denominator"])],
        "95% 控制线": [f"{fmt.pct(a)} – {fmt.pct(b)}" for a, b in zip(out["lo95"], out["hi95"])],
        "明细": links,
    }), hide_index=True, column_config={"明细": st.column_config.LinkColumn("明细", display_text="查看记录")})
