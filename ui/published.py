"""The scoreboard page's 发布 parts: the 已发布 marker and the diff against live numbers, the publish control for
admins and 考核员, the version list, 排名走势 with its flags, and the Word 通报 download. Kept here so the page
(app_pages/scoreboard.py) only calls them."""
from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import labels
from metrics.score import ITEM_BY_ID

from . import auth, conn, data
from . import format as fmt


def marker(header: dict) -> str:
    """'已发布 v1 · 2026年11月03日' (the words every view of a published ranking carries)."""
    return f"已发布 v{header['version']} · {header['published_at']:%Y年%m月%d日}"


def published_board(f, live: pd.DataFrame, level: str = "street"):
    """(board to show, header): the latest published version of the period limited to the units the user sees,
    or (live, None) when nothing is published."""
    pub = data.published(level, f.date_from, f.date_to)
    if pub is None:
        return live, None
    header, board = pub
    return board[board["unit"].isin(live["unit"])].reset_index(drop=True), header


def _moves_table(d: dict, scoped: bool) -> pd.DataFrame:
    rows = []
    for u in d["units"]:
        if u["status"] != "moved":
            rows.append({"单位": u["unit"], "已发布名次": "—", "实时名次": "—", "已发布得分": "—", "实时得分": "—",
                         "变动分项": "发布后新增" if u["status"] == "added" else "实时数据中已无此单位"})
            continue
        if scoped and not u["items"] and not fmt.is_missing(u["score_published"]) \
                and abs(u["score_published"] - u["score_live"]) < 0.005:
            continue                          # only the in-scope rank differs: not a move of the numbers
        rows.append({"单位": u["unit"],
                     "已发布名次": fmt.number(u["rank_published"]), "实时名次": "—" if scoped else fmt.number(u["rank_live"]),
                     "已发布得分": fmt.number(u["score_published"], 2), "实时得分": fmt.number(u["score_live"], 2),
                     "变动分项": "；".join(f"{ITEM_BY_ID[i['item']].label} {fmt.number(i['published'], 2)} → "
                                      f"{fmt.number(i['live'], 2)}" for i in u["items"]) or "—"})
    return pd.DataFrame(rows)


def banner(f, live: pd.DataFrame, level: str = "street"):
    """Show the 已发布 marker and, when live numbers have moved since, a notice with what moved and which imports
    came after. Returns (board to show, header or None)."""
    board, header = published_board(f, live, level)
    if header is None:
        st.caption(f"本期{labels.LEVEL[level]}排名尚未发布：以下为实时数据（草稿·未发布）。")
        return board, None
    who = f" 由 {header['published_by']} 发布" + (f" · 备注：{header['note']}" if header.get("note") else "") \
        + (f" · 更正原因：{header['reason']}" if header.get("reason") else "")
    st.html(f"<div class='gg-published' style='padding:0.5rem 0.9rem;border-left:6px solid #1f6fd1;background:#eef4fc;"
            f"font-size:1.05rem'><b>{html.escape(marker(header))}</b> {header['published_at']:%H:%M}"
            f"{html.escape(who)} · 下表为发布时冻结的排名</div>")
    d = data.published_diff(level, f.date_from, f.date_to, live)
    moves = _moves_table(d, f.scope is not None) if d else pd.DataFrame()
    if moves.empty and not (d and d["scoring_changed"]):
        return board, header
    imports = d["imports"]
    st.warning(f"实时数据与已发布版本不一致：{len(moves)} 个{labels.LEVEL[level]}的得分或名次在发布后有变动"
               + (f"，发布后有 {len(imports)} 次导入" if len(imports) else "")
               + ("，赋分标准文件也已修改" if d["scoring_changed"] else "")
               + "。正式排名以已发布版本为准；如需更正，请发布新版本并说明原因。")
    with st.expander("发布后的变动明细", expanded=True):
        if not moves.empty:
            st.table(moves, hide_index=True)
        if len(imports):
            st.caption("发布后导入的数据（导致变动的来源）：")
            st.table(pd.DataFrame({
                "导入编号": imports["import_id"], "文件": imports["file_name"], "类型": imports["kind"],
                "新增行": [fmt.number(v) for v in imports["rows_inserted"]],
                "更新行": [fmt.number(v) for v in imports["rows_updated"]],
                "导入时间": [f"{t:%Y-%m-%d %H:%M}" for t in imports["imported_at"]],
                "导入人": imports["imported_by"].fillna("—")}), hide_index=True)
    return board, header


def publish_panel(f, render) -> None:
    """发布 for admins and 考核员: freeze the street and the community ranking of the period (a new version with a
    reason when one exists), and the list of versions; `render(board)` shows an older version's ranking."""
    from access.accounts import User

    user: User | None = auth.current_user(touch=False)
    versions = data.publications("street", f.date_from, f.date_to)
    if user is not None and user.role.can_publish and f.scope is None and not conn.unavailable("publish"):
        with st.expander("发布本期排名" if versions.empty else f"发布更正版本（已发布 v{int(versions['version'].max())}）"):
            st.caption("发布后，本期街道和社区排名连同各项数值、权重参数、数据版本一并冻结，不能修改；"
                       "晚到的数据只改变实时数据，不改变已发布排名。更正须发布新版本并说明原因。")
            note = st.text_input("备注（可选）", key="publish_note")
            reason = st.text_input("更正原因（必填）", key="publish_reason") if not versions.empty else None
            if st.button("发布", type="primary", key="publish_go"):
                _publish(f, user, note, reason)
    if not versions.empty:
        with st.expander(f"发布记录（{len(versions)} 个版本）"):
            st.dataframe(pd.DataFrame({
                "版本": [f"v{v}" for v in versions["version"]],
                "发布时间": [f"{t:%Y-%m-%d %H:%M}" for t in versions["published_at"]],
                "发布人": versions["published_by"], "备注": versions["note"].fillna("—"),
                "更正原因": versions["reason"].fillna("—"),
                "数据版本": [f"截至导入 #{fmt.number(v)}" for v in versions["last_import_id"]],
                "赋分标准 SHA-256": [s[:16] + "…" for s in versions["scoring_sha256"]]}), hide_index=True)
            if len(versions) > 1:
                pick = st.selectbox("查看历史版本", list(versions["version"]), format_func=lambda v: f"v{v}",
                                    key="publish_old")
                pid = int(versions.loc[versions["version"] == pick, "publication_id"].iloc[0])
                render(data.publication_board(pid))


def _publish(f, user, note, reason) -> None:
    from metrics import publish

    from .conn import writer

    try:
        with writer() as w:                 # a copy of the store, swapped in when both levels are stored
            done = []
            for level in ("street", "community"):
                h = publish.publish(w.con, f.date_from, f.date_to, level, user.username, user.role.id, note,
                                    reason if not publish.versions(w.con, level, f.date_from, f.date_to).empty
                                    else None)
                done.append(h)
    except Exception as e:                  # refused (PublishError) or the store is busy: nothing stored
        if not isinstance(e, publish.PublishError) and type(e).__name__ != "StoreBusy":
            raise
        auth.log("publish", {"from": f.date_from, "to": f.date_to, "refused": str(e)}, ok=False)
        st.error(str(e))
        return
    for h in done:
        auth.log("publish", {"level": h["level"], "from": f.date_from, "to": f.date_to, "version": h["version"],
                             "units": h["units"], "reason": h["reason"], "last_import_id": h["last_import_id"]})
    st.toast(f"已发布 v{done[0]['version']}")
    st.rerun()


def history_view(f, level: str = "street", months: int = 12) -> None:
    """排名走势: each unit's rank and score per month (published versions where they exist), chart and table."""
    from metrics.rank_history import last_whole_month

    end = last_whole_month(f.date_to)
    hist = data.rank_history(end, months, level, f.scope, f.streets)
    if hist.dropna(subset=["score"]).empty:
        st.info("近期没有可评分的月份。")
        return
    fig = go.Figure()
    months_ = sorted(hist["month"].unique())
    for unit in hist["unit"].unique():
        h = hist[hist["unit"] == unit].set_index("month").reindex(months_)
        fig.add_trace(go.Scatter(x=[fmt.month_label(m) for m in months_], y=h["rank"].astype(float), name=unit,
                                 mode="lines+markers", customdata=h["score"],
                                 hovertemplate=f"{unit}<br>%{{x}} 第 %{{y}} 名<br>得分 %{{customdata:.2f}}<extra></extra>"))
    n = int(pd.to_numeric(hist["rank"], errors="coerce").max() or 1)
    fig.update_yaxes(autorange="reversed", dtick=1, range=[n + 0.5, 0.5], title="名次")
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), title=f"近 {months} 个月名次走势",
                      legend=dict(orientation="h", y=-0.2))
    st.plotly_chart(fig, key=f"rank_history_{level}")
    table = hist.assign(cell=[("—" if fmt.is_missing(r) else f"第{int(r)}名 ") + fmt.number(s, 2)
                              for r, s in zip(hist["rank"], hist["score"])])
    wide = table.pivot(index="unit", columns="month", values="cell").reindex(columns=months_)
    wide.columns = [fmt.month_label(m) + ("·已发布" if (hist[hist["month"] == m]["source"] != "实时").any() else "")
                    for m in months_]
    st.dataframe(wide.reset_index().rename(columns={"unit": labels.LEVEL[level]}), hide_index=True)
    st.caption("已发布的月份取其最新发布版本，其余月份为按当月数据的实时计算。" if not f.streets else
               f"{'、'.join(f.streets)}各社区在街道内的名次，按当月数据实时计算。")
    flags = data.rank_flags(hist)
    if flags:
        st.caption("提示：" + "；".join(f"{u} {t}" for u, ts in flags.items() for t in ts))


def flags_line(f, level: str = "street") -> dict:
    """The 排名走势 flags of the period (data/scoring.toml [[rank_rules]]), shown as one line; returns them."""
    from metrics.rank_history import last_whole_month

    fl = data.history_flags(last_whole_month(f.date_to), 12, level, f.scope)
    if fl:
        st.html("<div style='margin:0.3rem 0 0.6rem;font-size:1.05rem'>" + "　".join(
            f"<span style='padding:0.15rem 0.5rem;border-radius:4px;background:"
            f"{'#fdecea' if '末位' in t else '#e8f6ee'}'>{html.escape(u)}：{html.escape(t)}</span>"
            for u, ts in fl.items() for t in ts) + "</div>")
    return fl


def word_button(f) -> None:
    """下载 Word 通报: built on click (deferred), from the published version or live marked 草稿·未发布."""
    issued = f"{date.today():%Y年%m月%d日}"
    st.download_button("下载 Word 通报", lambda: data.bulletin_docx(f, "street", "month", issued),
                       f"排名通报_{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", key="bulletin_docx",
                       on_click=lambda: auth.log("export", {"what": "Word 通报", "from": f.date_from, "to": f.date_to}))
