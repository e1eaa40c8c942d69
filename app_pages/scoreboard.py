"""街道排名: the six-item score ranking, 红黑榜, community ranking, explanation, what-if weights, big screen."""
from datetime import date
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.config import load_config
from metrics.registry import METRICS
from metrics.score import ITEM_BY_ID, ITEM_IDS, honour_lists
from ui import auth
from ui import components as ui
from ui.bulletin import bulletin_html
from ui import data
from ui import filters as flt
from ui import format as fmt
from ui import published

ITEM_LABELS = {i: ITEM_BY_ID[i].label for i in ITEM_IDS}


def arrow(change, rank=False) -> str:
    if change is None or fmt.is_missing(change):
        return "—"
    if rank:
        return f"↑{int(change)}" if change > 0 else (f"↓{-int(change)}" if change < 0 else "—")
    return f"+{change:.2f}" if change > 0 else (f"{change:.2f}" if change < 0 else "0.00")


def ranking_table(board: pd.DataFrame, unit_label: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "排名": [fmt.number(r) for r in board["rank"]],
        unit_label: board["unit"],
        "综合得分": [fmt.number(s, 2) for s in board["score"]],
        "较上期": [arrow(c) for c in board["score_change"]],
        "名次变化": [arrow(c, rank=True) for c in board["rank_change"]],
        "同比": [arrow(c) for c in board["yoy_score_change"]],
    })
    for i in ITEM_IDS:
        out[ITEM_LABELS[i]] = [fmt.number(v, 2) for v in board[i]]
    return out


# --------------------------------------------------------------------------------------------- big screen

def kiosk_filters():
    preset = st.query_params.get("period", "上月")
    d_from, d_to = flt.preset_range(preset if preset in flt.PRESETS[:-1] else "上月", flt.today())
    from metrics.compute import Filters
    user = st.session_state["_user"]
    return Filters(d_from, d_to, scope=user.scope)


KIOSK_CSS = """
<style>
.stApp {background: #0b1d33;}
.stApp, .stApp p, .stApp h1, .stApp h2, .stApp span, .stApp div {color: #f4f7fb;}
.block-container {padding-top: 1.2rem; max-width: 100% !important;}
.gg-k-title {font-size: 3.2rem; font-weight: 800; letter-spacing: 0.1rem;}
.gg-k-sub {font-size: 1.5rem; color: #b9c7d8 !important;}
table.gg-k {width: 100%; border-collapse: collapse; font-size: 2.3rem;}
table.gg-k th {font-size: 1.5rem; color: #b9c7d8 !important; text-align: center; border-bottom: 3px solid #35506f;
               padding: 0.6rem;}
table.gg-k td {text-align: center; padding: 1.1rem 0.4rem; border-bottom: 1px solid #24405f;}
td.gg-k-rank {font-size: 3.4rem; font-weight: 800; color: #ffd34d !important;}
td.gg-k-score {font-size: 3.4rem; font-weight: 800;}
.gg-up {color: #58d68d !important;} .gg-down {color: #ff6b6b !important;}
</style>
"""


def kiosk_view(view: int, f) -> None:
    board, header = published.published_board(f, data.scoreboard(f))
    (_, last), imported = data.span()
    titles = ["六项综治业务指标 · 街道排名", "分项领先", "综合得分趋势"]
    state = published.marker(header) if header else "实时数据（未发布）"
    st.html(f"<div class='gg-k-title'>{titles[view]}</div><div class='gg-k-sub'>统计期 "
            f"{fmt.period_label(f.date_from, f.date_to)} · {state} · 数据截至 {last or '—'} · 最近导入 {imported or '—'}</div>")
    if board["score"].isna().all():
        st.html("<div class='gg-k-sub'>本期无可评分数据</div>")
        return
    if view == 0:
        rows = []
        for _, r in board.iterrows():
            ch = r["score_change"]
            cls = "gg-up" if ch is not None and not fmt.is_missing(ch) and ch > 0 else "gg-down"
            rc = arrow(r["rank_change"], rank=True)
            rows.append(f"<tr><td class='gg-k-rank'>{fmt.number(r['rank'])}</td><td>{r['unit']}</td>"
                        f"<td class='gg-k-score'>{fmt.number(r['score'], 2)}</td>"
                        f"<td class='{cls}'>{arrow(ch)}</td><td>{rc}</td>"
                        + "".join(f"<td>{fmt.number(r[i], 1)}</td>" for i in ITEM_IDS) + "</tr>")
        head = "".join(f"<th>{h}</th>" for h in ["名次", "街道", "综合得分", "较上期", "名次变化",
                                                  *[ITEM_LABELS[i] for i in ITEM_IDS]])
        st.html(f"<table class='gg-k'><tr>{head}</tr>{''.join(rows)}</table>")
        from metrics.rank_history import last_whole_month
        flags = data.rank_flags(data.rank_history(last_whole_month(f.date_to), 12, "street", f.scope))
        if flags:
            st.html("<div class='gg-k-sub'>" + "　".join(f"{u}：{t}" for u, ts in flags.items() for t in ts) + "</div>")
    elif view == 1:
        cells = []
        for i in ITEM_IDS:
            col = board[["unit", i]].dropna()
            if col.empty:
                continue
            top = col.sort_values(i, ascending=False).iloc[0]
            cells.append(f"<tr><td>{ITEM_LABELS[i]}</td><td class='gg-k-rank'>{top['unit']}</td>"
                         f"<td class='gg-k-score'>{top[i]:.1f}</td></tr>")
        st.html("<table class='gg-k'><tr><th>分项</th><th>领先街道</th><th>得分</th></tr>"
                + "".join(cells) + "</table>")
    else:
        from metrics.rank_history import last_whole_month
        fig = go.Figure()
        hist = data.rank_history(last_whole_month(f.date_to), 12, "street", f.scope)   # published months as published
        hist = hist[hist["month"] >= sorted(hist["month"].unique())[-6]]
        series: dict = {}
        for _, r in hist.iterrows():
            series.setdefault(r["unit"], []).append((fmt.month_label(r["month"]), r["score"]))
        for unit, pts in series.items():
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=unit, mode="lines+markers",
                                     line=dict(width=5), marker=dict(size=14)))
        fig.update_layout(height=760, paper_bgcolor="#0b1d33", plot_bgcolor="#0b1d33",
                          font=dict(family=ui.FONT, size=26, color="#f4f7fb"),
                          legend=dict(orientation="h", y=1.08, font=dict(size=28)),
                          margin=dict(l=40, r=40, t=60, b=40))
        fig.update_yaxes(gridcolor="#24405f")
        st.plotly_chart(fig, key="kiosk_trend", config={"displayModeBar": False})


if flt.kiosk():
    st.html(KIOSK_CSS)
    interval = st.query_params.get("every", "15")

    @st.fragment(run_every=f"{int(interval) if interval.isdigit() else 15}s")
    def rotating():
        # a fragment rerun skips app.py: check (and keep alive) the login here, so an expired or removed account
        # falls back to the login page instead of rotating on
        if auth.current_user() is None:
            st.rerun()
        view = st.session_state.get("_kiosk_view", -1) + 1
        st.session_state["_kiosk_view"] = view % 3
        kiosk_view(view % 3, kiosk_filters())

    rotating()
    st.stop()

# --------------------------------------------------------------------------------------------- the page

f = flt.current()
cfg = load_config()
ui.inject_css()
(_, last), imported = data.span()
st.title("街道排名 · 六项综治业务指标")
prev = f.previous()
yoy = f.year_ago()
st.caption(f"统计期 {fmt.period_label(f.date_from, f.date_to)} · 较上期（环比）对比 {fmt.period_label(prev.date_from, prev.date_to)}"
           f" · 同比对比 {fmt.period_label(yoy.date_from, yoy.date_to)}（对比期早于最早数据时显示“—”） · 数据截至 {last or '—'} · 最近导入 {imported or '—'} · 大屏模式：在地址后加 ?kiosk=1")

street_scope = f.with_(communities=(), grids=())
live = data.scoreboard(street_scope.with_(streets=()))
if live.empty:
    ui.empty("还没有网格数据，无法评分。请先在“数据导入”导入网格。")
    st.stop()

st.subheader("街道排名")
board, header = published.banner(street_scope.with_(streets=()), live)      # the published version where one exists
published.flags_line(street_scope.with_(streets=()))
st.dataframe(ranking_table(board, "街道"), hide_index=True)
b_html, b_word = st.columns([1, 4])
b_html.download_button(
    "下载排名通报（可打印）",
    bulletin_html(board, "六项综治业务指标排名通报", fmt.period_label(f.date_from, f.date_to),
                  fmt.period_label(prev.date_from, prev.date_to),
                  (published.marker(header) if header else "草稿·未发布") + f" · {date.today():%Y年%m月%d日}印发",
                  weights=header["weights"] if header else None).encode("utf-8"),
    f"排名通报_{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.html", "text/html", key="bulletin",
    on_click=lambda: auth.log("export", {"what": "排名通报", "rows": len(board)}))
with b_word:
    published.word_button(street_scope.with_(streets=()))
published.publish_panel(street_scope.with_(streets=()), lambda b: st.dataframe(ranking_table(b, "街道"), hide_index=True))

if f.scope is not None:
    st.caption("排名只在您的权限范围内计算；全区排名以区级通报为准。")
top, bottom = honour_lists(board)
red, black = st.columns(2) if len(top) else (None, None)


def honour_list(title: str, rows: pd.DataFrame, colour: str) -> None:
    """红榜 / 黑榜 as plain styled blocks (not alerts: a warning list is content, not an app error)."""
    items = "".join(f"<div style='padding:0.5rem 0.8rem;margin:0.3rem 0;border-left:6px solid {colour};"
                    f"background:#f6f8fa;font-size:1.05rem'>第 {fmt.number(r['rank'])} 名 <b>{r['unit']}</b> · "
                    f"{fmt.number(r['score'], 2)} 分</div>" for _, r in rows.iterrows())
    st.html(f"<div><div style='font-weight:700;font-size:1.1rem;color:{colour}'>{title}</div>{items}</div>")


if red is not None:
    with red:
        honour_list("红榜（前列）", top, "#c0392b")
    with black:
        honour_list("黑榜（末位）", bottom, "#2c3e50")

tab_explain, tab_comm, tab_hist, tab_whatif = st.tabs(["得分解读", "社区排名", "排名走势", "权重模拟（不保存）"])

with tab_explain:
    units = list(board["unit"])
    default = f.streets[0] if f.streets and f.streets[0] in units else units[0]
    unit = st.selectbox("选择街道", units, index=units.index(default), key="explain_unit")
    ex = data.explain(street_scope.with_(streets=()), unit)
    st.markdown(f"**{unit}** 综合得分 **{fmt.number(ex['score'], 2)}**，第 {fmt.number(ex['rank'])} 名。"
                "综合得分 = 有得分各项按权重的加权平均（无数据的分项不计，权重按其余分项重新归一）。")
    rows = []
    for it in ex["items"]:
        inputs = "；".join(
            f"{METRICS[x['metric']].label if x['metric'] in METRICS else '人工评分'} "
            + (fmt.value(x["metric"], x["value"]) if x["metric"] in METRICS else fmt.number(x["value"], 1))
            + (f"（{fmt.fraction(x['metric'], x['numerator'], x['denominator'])}）" if x["metric"] in METRICS
               else f"（{x['denominator']} 个月）")
            for x in it["inputs"])
        rows.append({"分项": it["label"], "得分": fmt.number(it["value"], 2), "权重": fmt.number(it["weight"]),
                     "实际占比": fmt.pct(it["weight_share"]), "贡献分": fmt.number(it["contribution"], 2),
                     "计算方法": it["formula"], "计算依据": inputs})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    # bound widgets read their display labels from the URL (Streamlit bind="query-params")
    params = {"dataset": "事件", "street": unit, "period": st.query_params.get("period", "上月")}
    st.markdown(f"查看记录：[该街道矛盾纠纷明细](explorer?{urlencode({**params, 'category': '矛盾纠纷'})}) · "
                f"[该街道全部事件](explorer?{urlencode(params)}) · "
                f"[该街道巡查记录](explorer?{urlencode({**params, 'dataset': '巡查'})})")

with tab_comm:
    streets = list(board["unit"])
    s = st.selectbox("街道", streets, index=streets.index(f.streets[0]) if f.streets and f.streets[0] in streets
                     else 0, key="comm_street")
    cboard = data.scoreboard(street_scope.with_(streets=(s,)), level="community")
    cpub, cheader = published.published_board(f, cboard, "community")   # district-wide ranks where published
    if cheader is not None:
        st.caption(f"{published.marker(cheader)} · 名次为全区社区名次；下方可展开街道内的实时排名。")
        st.dataframe(ranking_table(cpub, "社区"), hide_index=True)
    with st.expander("街道内实时排名", expanded=cheader is None):
        st.dataframe(ranking_table(cboard, "社区"), hide_index=True)

with tab_hist:
    h_level, h_months = st.columns(2)
    which = h_level.radio("层级", ["街道", *[f"{u}各社区" for u in board["unit"]]], horizontal=True, key="hist_level")
    n_months = h_months.radio("月数", [12, 24], horizontal=True, key="hist_months")
    if which == "街道":
        published.history_view(street_scope.with_(streets=()), "street", n_months)
    else:
        published.history_view(street_scope.with_(streets=(which.removesuffix("各社区"),)), "community", n_months)

with tab_whatif:
    st.caption("调整权重后即时重新排名，与正式排名并列对照；不会保存，也不改变正式赋分标准。")
    cols = st.columns(6)
    weights = {}
    for col, i in zip(cols, ITEM_IDS):
        weights[i] = col.number_input(ITEM_LABELS[i], 0, 100, int(cfg.weights.get(i, 0)), step=5, key=f"w_{i}")
    if sum(weights.values()) == 0:
        st.warning("权重之和为 0，无法计算。")
    else:
        alt = data.scoreboard(street_scope.with_(streets=()), weights=weights)
        both = board[["unit", "rank", "score"]].merge(alt[["unit", "rank", "score"]], on="unit",
                                                      suffixes=("_official", "_whatif"))
        st.dataframe(pd.DataFrame({
            "街道": both["unit"],
            "正式排名": [fmt.number(v) for v in both["rank_official"]],
            "正式得分": [fmt.number(v, 2) for v in both["score_official"]],
            "模拟排名": [fmt.number(v) for v in both["rank_whatif"]],
            "模拟得分": [fmt.number(v, 2) for v in both["score_whatif"]],
            "名次变化": [arrow(int(a) - int(b), rank=True) if not (pd.isna(a) or pd.isna(b)) else "—"
                     for a, b in zip(both["rank_official"], both["rank_whatif"])],
        }), hide_index=True)
