"""街道排名: the six-item score ranking, 红黑榜, community ranking, explanation, what-if weights, big screen."""
from datetime import date
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from metrics.config import load_config
from metrics.registry import METRICS
from metrics.score import ITEM_BY_ID, ITEM_IDS, honour_lists
from ui import auth, conn, data, fairness, kiosk, published
from ui import components as ui
from ui import filters as flt
from ui import format as fmt
from ui.bulletin import bulletin_html

ITEM_LABELS = {i: ITEM_BY_ID[i].label for i in ITEM_IDS}


def arrow(change, rank=False) -> str:
    if change is None or fmt.is_missing(change):
        return "—"
    if rank:
        return f"↑{int(change)}" if change > 0 else (f"↓{-int(change)}" if change < 0 else "—")
    return f"+{change:.2f}" if change > 0 else (f"{change:.2f}" if change < 0 else "0.00")


def ranking_table(board: pd.DataFrame, unit_label: str, district: bool = False) -> pd.DataFrame:
    out = pd.DataFrame({
        "排名": fairness.rank_cells(board, "全区第" if district else "第"),
        unit_label: fairness.unit_cells(board),
        "综合得分": [fmt.number(s, 2) for s in board["score"]],
        "较上期": [arrow(c) for c in board["score_change"]],
        "名次变化": [arrow(c, rank=True) for c in board["rank_change"]],
        "同比": [arrow(c) for c in board["yoy_score_change"]],
    })
    for i in ITEM_IDS:
        out[ITEM_LABELS[i]] = [fmt.number(v, 2) for v in board[i]]
    if "quality" in board:
        out["数据质量"] = board["quality"]
    return out


def show_ranking(slot, board: pd.DataFrame, unit_label: str, district: bool = False) -> None:
    """The ranking table, its first two columns wide enough for "第 2 名（1–3）" and "东关街道（样本少）" (the automatic
    width cut both)."""
    wide = st.column_config.TextColumn(width="medium")
    slot.dataframe(ranking_table(board, unit_label, district), hide_index=True,
                   column_config={"排名": wide, unit_label: wide})


# --------------------------------------------------------------------------------------------- big screen

def kiosk_filters():
    preset = st.query_params.get("period", "上月")
    d_from, d_to = flt.preset_range(preset if preset in flt.PRESETS[:-1] else "上月", flt.today())
    from metrics.compute import Filters
    user = st.session_state["_user"]
    return Filters(d_from, d_to, scope=user.scope)


def kiosk_screens(f) -> list:
    """The rotation: ranking, the six items (10 units a page), each item's leader, the trend. Each entry builds one
    complete view; the rotation shows entry (turn mod len)."""
    live = data.district_board(f) if f.scope is not None else data.scoreboard(f)
    board, header = published.published_board(f, live)          # the published version where one exists
    (_, last), _imported = data.span()
    state = published.marker(header) if header else "实时数据（未发布）"
    sub = f"统计期 {fmt.period_short(f.date_from, f.date_to)} · {state} · 数据截至 {last or '—'}"
    if board["score"].isna().all():
        return [lambda: st.html(kiosk.message("六项综治业务指标", sub, "本期无可评分数据"))]
    if f.scope is not None:
        # street staff: their streets' district ranks, no other street's name or score
        n = int(live["district_units"].iloc[0])
        return [lambda: st.html(kiosk.ranking(board, "六项综治业务指标 · 全区排名", sub,
                                              rank_cell=lambda r: f"全区第 {fmt.number(r['rank'])} 名",
                                              note=f"全区共 {n} 个街道参加排名")),
                lambda: st.html(kiosk.items(board, "分项得分", sub))]
    from metrics.rank_history import last_whole_month
    flags = data.history_flags(last_whole_month(f.date_to), 12, "street", f.scope)
    note = "　".join(f"{u}：{t}" for u, ts in flags.items() for t in ts)
    board = fairness.annotate(board, f, quality=False)
    note = "　".join(x for x in (fairness.kiosk_note(board), note) if x)
    screens = [lambda: st.html(kiosk.ranking(board, "六项综治业务指标 · 街道排名", sub, note=note))]
    for k in range(0, len(board), kiosk.ROWS_PER_COLUMN):
        page = board.iloc[k:k + kiosk.ROWS_PER_COLUMN]
        screens.append(lambda page=page: st.html(kiosk.items(page, "分项得分", sub)))
    screens.append(lambda: st.html(kiosk.leaders(board, "分项领先", sub)))
    screens.append(lambda: kiosk_trend(f, sub))
    return screens


def kiosk_trend(f, sub: str) -> None:
    from metrics.rank_history import last_whole_month
    hist = data.rank_history(last_whole_month(f.date_to), 12, "street", f.scope)   # published months as published
    months = sorted(hist["month"].unique())[-6:]
    hist = hist[hist["month"].isin(months)]
    series: dict = {}
    for _, r in hist.sort_values("month").iterrows():
        series.setdefault(r["unit"], []).append((kiosk.months_short(r["month"]), r["score"]))
    note = ""
    if len(series) > 8:             # a legend of 20 lines does not read from the back: the 4 first and 4 last
        order = list(data.scoreboard(f).dropna(subset=["score"])["unit"])
        keep = set(order[:4] + order[-4:])
        series = {u: p for u, p in series.items() if u in keep}
        note = "（前 4 名与后 4 名）"
    span = f"{fmt.month_label(months[0])} – {fmt.month_label(months[-1])} · " if months else ""
    # the months replace the 统计期 part of the subtitle: with both, the line ran off the right of a 1920 px screen
    rest = sub.split(" · ", 1)[1] if span and sub.startswith("统计期") and " · " in sub else sub
    st.plotly_chart(kiosk.trend(series, "综合得分趋势" + note, span + rest),
                    key="kiosk_trend", theme=None, config={"displayModeBar": False, "staticPlot": True})


if flt.kiosk():
    st.html(kiosk.CSS)
    interval = st.query_params.get("every", "15")
    pinned = int(st.query_params["view"]) if st.query_params.get("view", "").isdigit() else None
    pinned = pinned if pinned and pinned > 0 else None

    @st.fragment(run_every=f"{int(interval) if interval.isdigit() else 15}s")
    def rotating():
        # a fragment rerun skips app.py: check (and keep alive) the login here, so an expired or removed account
        # falls back to the login page instead of rotating on
        if auth.current_user() is None:
            st.rerun()
        with conn.guard():              # an engine gone away: said on the screen, retried next rotation
            screens = kiosk_screens(kiosk_filters())
            if pinned is not None:          # ?view=N: one view stays up (the ranking while a street reports)
                view = min(pinned, len(screens)) - 1
            else:
                view = (st.session_state.get("_kiosk_view", -1) + 1) % len(screens)
                st.session_state["_kiosk_view"] = view
            screens[view]()

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
           f" · 同比对比 {fmt.period_label(yoy.date_from, yoy.date_to)}（对比期早于最早数据时显示“—”）"
           f" · 数据截至 {last or '—'} · 最近导入 {imported or '—'} · 大屏模式：在地址后加 ?kiosk=1（固定一屏：&view=1）")

street_scope = f.with_(communities=(), grids=())
# street staff see their streets' rank among ALL streets (全区第 2 名，共 3 个街道), never the others' names or scores
live = (data.district_board(street_scope.with_(streets=())) if f.scope is not None
        else data.scoreboard(street_scope.with_(streets=())))
district_units = int(live["district_units"].iloc[0]) if f.scope is not None and not live.empty else None
if live.empty:
    ui.empty("还没有网格数据，无法评分。请先在“数据导入”导入网格。")
    st.stop()

st.subheader("街道排名")
board, header = published.banner(street_scope.with_(streets=()), live)      # the published version where one exists
# the ranking shows at once; the rank intervals (a bootstrap: seconds on a large district, the first time after an
# import) and the 排名走势 flags (twelve months) fill in above and inside it when they are ready
flags_slot, table_slot = st.container(), st.empty()
show_ranking(table_slot, board, "街道", district=district_units is not None)
if district_units is None:            # staff read district ranks: their intervals are not computed in scope
    with st.spinner("正在计算名次区间……"):
        board = fairness.annotate(board, street_scope.with_(streets=()))
    show_ranking(table_slot, board, "街道")
with flags_slot:
    published.flags_line(street_scope.with_(streets=()))
fairness.caption(board)
b_html, b_word = st.columns([1, 4])
b_html.download_button(
    "下载排名通报（可打印）",
    # built when the button is pressed, not on every run of the page
    lambda: bulletin_html(board, "六项综治业务指标排名通报", fmt.period_label(f.date_from, f.date_to),
                          fmt.period_label(prev.date_from, prev.date_to),
                          (published.marker(header) if header else "草稿·未发布") + f" · {date.today():%Y年%m月%d日}印发",
                          weights=header["weights"] if header else None,
                          extra=fairness.bulletin_sections(board, street_scope.with_(streets=()))).encode("utf-8"),
    f"排名通报_{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.html", "text/html", key="bulletin",
    on_click=lambda: auth.log("export", {"what": "排名通报", "rows": len(board)}))
with b_word:
    published.word_button(street_scope.with_(streets=()))
published.publish_panel(street_scope.with_(streets=()), lambda b: show_ranking(st, b, "街道"))

if f.scope is not None:
    st.caption(f"名次为全区排名（全区共 {fmt.number(district_units)} 个街道参加排名）；"
               "其他街道的名称和得分不向您显示。")
top, bottom = honour_lists(fairness.honour_candidates(board))     # 样本少 units stay off the lists
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

# only the open tab runs (on_change="rerun"): the community board, the 12-month history and the what-if view are
# computed when someone opens them, not on every visit of the ranking
tab_explain, tab_comm, tab_hist, tab_whatif = st.tabs(["得分解读", "社区排名", "排名走势", "权重模拟（不保存）"],
                                                      key="sb_tab", on_change="rerun")

with tab_explain:
    if tab_explain.open:
        units = list(board["unit"])
        default = f.streets[0] if f.streets and f.streets[0] in units else units[0]
        unit = st.selectbox("选择街道", units, index=units.index(default), key="explain_unit")
        ex = data.explain(street_scope.with_(streets=()), unit)
        rank_words = (f"全区第 {fmt.number(board.set_index('unit').loc[unit, 'rank'])} 名（共 "
                      f"{fmt.number(district_units)} 个街道）" if district_units is not None
                      else f"第 {fmt.number(ex['rank'])} 名")
        st.markdown(f"**{unit}** 综合得分 **{fmt.number(ex['score'], 2)}**，{rank_words}。"
                    "综合得分 = 有得分各项按权重的加权平均（无数据的分项不计，权重按其余分项重新归一）。")
        rows = []
        for it in ex["items"]:
            inputs = "；".join(
                f"{METRICS[x['metric']].label if x['metric'] in METRICS else '人工评分'} "
                + (fmt.value(x["metric"], x["value"]) if x["metric"] in METRICS else fmt.number(x["value"], 1))
                + (f"（{fairness.n_note(x['metric'], x['numerator'], x['denominator'])}）" if x["metric"] in METRICS
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
    if tab_comm.open:
        streets = list(board["unit"])
        s = st.selectbox("街道", streets, index=streets.index(f.streets[0]) if f.streets and f.streets[0] in streets
                         else 0, key="comm_street")
        cboard = fairness.annotate(data.scoreboard(street_scope.with_(streets=(s,)), level="community"),
                                   street_scope.with_(streets=(s,)), level="community")
        cpub, cheader = published.published_board(f, cboard, "community")   # district-wide ranks where published
        if cheader is not None:
            st.caption(f"{published.marker(cheader)} · 名次为全区社区名次；下方可展开街道内的实时排名。")
            show_ranking(st, cpub, "社区")
        with st.expander("街道内实时排名", expanded=cheader is None):
            show_ranking(st, cboard, "社区")
            fairness.caption(cboard, "社区")

with tab_hist:
    if tab_hist.open:
        h_level, h_months = st.columns(2)
        which = h_level.radio("层级", ["街道", *[f"{u}各社区" for u in board["unit"]]], horizontal=True, key="hist_level")
        n_months = h_months.radio("月数", [12, 24], horizontal=True, key="hist_months")
        if which == "街道":
            published.history_view(street_scope.with_(streets=()), "street", n_months)
        else:
            published.history_view(street_scope.with_(streets=(which.removesuffix("各社区"),)), "community", n_months)

with tab_whatif:
    if tab_whatif.open:
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
