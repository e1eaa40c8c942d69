"""Reusable pieces of the pages: indicator cards, status badges, charts in one style."""
from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from metrics import labels, privacy
from metrics.registry import METRICS
from metrics.status import COLOURS, status

from . import format as fmt

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def badge(state: str | None) -> str:
    if state is None:
        return "<span class='gg-badge gg-none'>无目标</span>"
    return (f"<span class='gg-badge' style='background:{COLOURS[state]}'>"
            f"{labels.STATUS[state]} · {labels.STATUS_TEXT[state]}</span>")


CSS = """
<style>
.gg-badge {color: #fff; border-radius: 4px; padding: 1px 8px; font-size: 0.8rem; font-weight: 600;
           white-space: nowrap; flex-shrink: 0;}
.gg-none {background: #9aa5b1;}
.gg-card-foot {color: #5b6770; font-size: 0.82rem; margin-top: -0.4rem;}
</style>
"""


def inject_css() -> None:
    st.html(CSS)


def card(metric_id: str, value, numerator, denominator, previous=None, trend=None, target=None,
         year_ago=False, records_url: str | None = None) -> None:
    """An indicator card: value, 蓝/黄/红 against its target, change vs the previous period, a sparkline,
    and what the value stands on (numerator / denominator) in its help and foot."""
    m = METRICS[metric_id]
    if isinstance(value, str):                  # suppressed: a small relief count shown as "<5" (metrics/privacy.py)
        with st.container(border=True):
            st.metric(m.label, value, help=privacy.SMALL_HELP)
        return
    state = status(metric_id, None if fmt.is_missing(value) else value)
    with st.container(border=True):
        # the title carries the help icon (st.metric's own help is hidden with its collapsed label)
        st.markdown(f"<div style='display:flex;justify-content:space-between;align-items:center;gap:6px'>"
                    f"<b style='white-space:nowrap;overflow:hidden;text-overflow:ellipsis'>{html.escape(m.label)}</b>"
                    f"{badge(state)}</div>", unsafe_allow_html=True,
                    help=f"{m.description}。口径：{fmt.labelled_fraction(metric_id, numerator, denominator)}")
        delta = fmt.change(metric_id, value, previous)
        lower_better = m.direction == "lower"
        spark = [v for v in (trend or []) if not fmt.is_missing(v)]
        st.metric(m.label, fmt.value(metric_id, value), delta=delta,
                  delta_color="inverse" if lower_better else ("off" if m.direction == "none" else "normal"),
                  label_visibility="collapsed", chart_data=spark or None, chart_type="area",
                  delta_arrow="off" if delta is not None and delta.lstrip().startswith("0") else "auto")
        foot = fmt.labelled_fraction(metric_id, numerator, denominator)
        if target is not None:
            foot += f" · 目标 {fmt.value(metric_id, target)}"
        link = f" · <a href='{html.escape(records_url)}' target='_self'>查看记录</a>" if records_url else ""
        st.html(f"<div class='gg-card-foot'>{html.escape(foot)}{link}</div>")
        if year_ago is not False:          # the cockpit: 较上期 and 同比 side by side, "—" where there is none
            yoy = fmt.change(metric_id, value, year_ago)
            st.html(f"<div class='gg-card-foot'>较上期 {html.escape(delta or fmt.DASH)} · "
                    f"同比 {html.escape(yoy or fmt.DASH)}</div>")


def bar(df, x: str, y: str, title: str, metric_id: str | None = None, target=None, horizontal=False,
        text=None, color=None) -> go.Figure:
    fig = go.Figure(go.Bar(x=df[y] if horizontal else df[x], y=df[x] if horizontal else df[y],
                           orientation="h" if horizontal else "v", text=text, textposition="auto",
                           marker_color=color or "#1f6fd1"))
    if target is not None:
        target_line(fig, target, vertical=horizontal)
    return style(fig, title, percent=(metric_id is not None and METRICS[metric_id].is_rate))


def target_line(fig: go.Figure, target: float, vertical: bool = False, color: str = "#d64541") -> go.Figure:
    """A dashed 目标 line across the plot: the shape and label add_hline/add_vline draw, set in one layout update —
    plotly's add_hline alone cost ~10 ms a chart on every rerun (it walks every subplot's axes)."""
    if vertical:
        shape = dict(type="line", xref="x", yref="paper", x0=target, x1=target, y0=0, y1=1)
        label = dict(xref="x", yref="paper", x=target, y=1, xanchor="left", yanchor="top")
    else:
        shape = dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=target, y1=target)
        label = dict(xref="paper", yref="y", x=1, y=target, xanchor="right", yanchor="bottom")
    fig.update_layout(shapes=[*fig.layout.shapes, dict(shape, line=dict(color=color, dash="dash"))],
                      annotations=[*fig.layout.annotations, dict(label, text="目标", showarrow=False)])
    return fig


def style(fig: go.Figure, title: str = "", percent: bool = False, height: int = 360) -> go.Figure:
    layout = dict(title=title, height=height, margin=dict(l=10, r=10, t=50 if title else 10, b=10),
                  font=dict(family=FONT, size=14), separators=".,", plot_bgcolor="#fff",
                  legend=dict(orientation="h", y=-0.15))
    if percent:             # one layout update (every chart here has one pair of axes): plotly's updates are slow
        horizontal = bool(fig.data) and getattr(fig.data[0], "orientation", None) == "h"
        layout["xaxis" if horizontal else "yaxis"] = dict(tickformat=".0%")
    fig.update_layout(**layout)
    return fig


def empty(message: str) -> None:
    st.info(message, icon=":material/info:")
