"""The big screen (大屏): what a meeting reads from the back of the room.

Every view is ONE element (one st.html, or one plotly figure carrying its own title), built completely before it is
sent, so the rotation swaps the whole screen at once instead of showing the next title over the old table.
Sizes are in vh so a view fills any screen; the smallest text is 4.6vh (≈ 50 px at 1080 px, the meeting-room
minimum of 48 px). Colours are light on #0b1d33 with a contrast of at least 7:1 (WCAG AAA); a direction is carried by
an arrow as well as by its colour. Up to 10 units a ranking is one column, up to 20 two columns side by side; more
units are paged (tests/test_browser.py measures font sizes, contrast and fit at 1920×1080).
"""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from metrics import labels
from metrics.score import ITEM_BY_ID, ITEM_IDS

from . import format as fmt

BG = "#0b1d33"
FG = "#f4f7fb"
MUTED = "#c3d0de"          # 9.9:1 on BG
GOLD = "#ffd34d"           # 11:1
UP = "#7ee2a8"             # 10:1
DOWN = "#ffb3b3"           # 9.4:1
RULE = "#35506f"           # lines only, never text
LINES = ["#ffd34d", "#7ec8ff", "#ff9f9f", "#9ff0b8", "#e0b3ff", "#ffc58a", "#f4f7fb", "#8fe3e3"]
MIN_FONT_PX = 48           # at 1920×1080: the smallest text a meeting must read
ROWS_PER_COLUMN = 10
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"

CSS = f"""
<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{background: {BG} !important;}}
[data-testid="stMain"] {{overflow: hidden !important;}}
.stApp .block-container {{padding: 0 !important; max-width: 100% !important;}}
.stApp [data-testid="stVerticalBlock"] {{gap: 0 !important;}}
/* no fade of the old view while the next one is computed: it is replaced whole when ready */
.stApp [data-stale="true"], .stApp .stale-element {{opacity: 1 !important; transition: none !important;}}
.gg-k {{height: 100vh; box-sizing: border-box; padding: 2.2vh 2.5vw 2vh; display: flex; flex-direction: column;
        color: {FG}; font-family: {FONT};}}
.gg-k-title {{font-size: 6.4vh; font-weight: 800; line-height: 1.15; color: {FG};}}
.gg-k-sub {{font-size: 4.6vh; line-height: 1.25; color: {MUTED}; margin-bottom: 1.2vh;}}
.gg-k-body {{flex: 1; min-height: 0; display: flex; gap: 3vw;}}
.gg-k-body > table {{flex: 1; height: 100%; border-collapse: collapse; table-layout: auto;}}
.gg-k tr:first-child {{height: 1%;}}
.gg-k th {{font-size: 4.6vh; font-weight: 700; color: {MUTED}; text-align: center; padding: 0 0.6vw 0.6vh;
          border-bottom: 0.35vh solid {RULE}; white-space: nowrap;}}
.gg-k td {{font-size: var(--cell, 4.6vh); text-align: center; padding: 0 0.6vw; color: {FG};
          border-bottom: 0.15vh solid {RULE}; white-space: nowrap;}}
.gg-k td.gg-k-unit {{text-align: left;}}
.gg-k td.gg-k-rank {{font-weight: 800; color: {GOLD};}}
.gg-k td.gg-k-score {{font-weight: 800;}}
.gg-k .gg-up {{color: {UP};}}
.gg-k .gg-down {{color: {DOWN};}}
.gg-k-note {{font-size: 4.6vh; color: {MUTED}; margin-top: 1vh;}}
</style>
"""


def _cell_font(rows: int, widest: float = 10.0) -> str:
    """Cells grow with the room they have: 3 rows get big type, 10 rows the 4.6vh minimum; `widest` caps it so that
    a table with many columns still fits the width."""
    per_row = 72.0 / max(rows, 1)                      # vh left for the table body, per row
    return f"{max(4.6, min(widest, per_row * 0.55)):.2f}vh"


def _frame(title: str, sub: str, body: str, rows: int, note: str = "", widest: float = 10.0) -> str:
    return (f"<div class='gg-k' style='--cell:{_cell_font(rows, widest)}'>"
            f"<div class='gg-k-title'>{html.escape(title)}</div><div class='gg-k-sub'>{html.escape(sub)}</div>"
            f"<div class='gg-k-body'>{body}</div>"
            + (f"<div class='gg-k-note'>{html.escape(note)}</div>" if note else "") + "</div>")


def _change_cell(v, decimals: int) -> str:
    cls = "" if fmt.is_missing(v) or round(float(v), decimals) == 0 else ("gg-up" if v > 0 else "gg-down")
    return f"<td class='{cls}'>{fmt.signed(v, decimals)}</td>"


def _table(head: list[str], rows: list[str]) -> str:
    return "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def rank_text(r) -> str:
    return fmt.number(r["rank"])


def ranking(board: pd.DataFrame, title: str, sub: str, unit_label: str = "街道", rank_cell=rank_text,
            note: str = "") -> str:
    """名次 · 单位 · 综合得分 · 较上期 · 名次变化; one column up to 10 units, two columns (without 名次变化) up to 20."""
    two = len(board) > ROWS_PER_COLUMN

    def row(r) -> str:
        return (f"<tr><td class='gg-k-rank'>{rank_cell(r)}</td>"
                f"<td class='gg-k-unit'>{html.escape(str(r['unit']))}</td>"
                f"<td class='gg-k-score'>{fmt.number(r['score'], 2)}</td>{_change_cell(r['score_change'], 2)}"
                + ("" if two else _change_cell(r["rank_change"], 0)) + "</tr>")

    rows = [row(r) for _, r in board.iterrows()]
    head = ["名次", unit_label, "综合得分", "较上期"] + ([] if two else ["名次变化"])
    widest = 10.0 if rank_cell is rank_text else 6.5        # "全区第 2 名" is wider than "2"
    if not two:
        return _frame(title, sub, _table(head, rows), len(rows), note, widest=widest)
    half = (len(rows) + 1) // 2
    return _frame(title, sub, _table(head, rows[:half]) + _table(head, rows[half:]), half, note)


def items(board: pd.DataFrame, title: str, sub: str, unit_label: str = "街道") -> str:
    """The six item scores, two-character column heads (their full names in the note)."""
    head = ["名次", unit_label, *[labels.ITEM_SHORT[i] for i in ITEM_IDS]]
    rows = [f"<tr><td class='gg-k-rank'>{fmt.number(r['rank'])}</td>"
            f"<td class='gg-k-unit'>{html.escape(str(r['unit']))}</td>"
            + "".join(f"<td>{fmt.number(r[i], 1)}</td>" for i in ITEM_IDS) + "</tr>" for _, r in board.iterrows()]
    return _frame(title, sub, _table(head, rows), len(rows), widest=5.6)


def leaders(board: pd.DataFrame, title: str, sub: str) -> str:
    rows = []
    for i in ITEM_IDS:
        col = board[["unit", i]].dropna()
        if col.empty:
            continue
        top = col.sort_values(i, ascending=False).iloc[0]
        rows.append(f"<tr><td class='gg-k-unit'>{html.escape(ITEM_BY_ID[i].label)}</td>"
                    f"<td class='gg-k-rank'>{html.escape(str(top['unit']))}</td>"
                    f"<td class='gg-k-score'>{fmt.number(top[i], 1)}</td></tr>")
    return _frame(title, sub, _table(["分项", "领先", "得分"], rows), len(rows))


def message(title: str, sub: str, text: str) -> str:
    return _frame(title, sub, f"<div class='gg-k-title' style='color:{MUTED}'>{html.escape(text)}</div>", 1)


def trend(series: dict, title: str, sub: str, height_px: int = 1000) -> go.Figure:
    """Composite score by month, one line per unit, as ONE figure with its own title: the legend and axes at
    48 px or more, light on dark, sized for a 1920×1080 screen."""
    fig = go.Figure()
    for k, (unit, pts) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], name=unit, mode="lines+markers",
                                 line=dict(width=7, color=LINES[k % len(LINES)]), marker=dict(size=18)))
    big = dict(family=FONT, size=MIN_FONT_PX + 2, color=FG)
    fig.update_layout(
        height=height_px, paper_bgcolor=BG, plot_bgcolor=BG, font=big, showlegend=True,
        title=dict(text=f"<b>{html.escape(title)}</b>", x=0, xref="paper", xanchor="left", y=0.975, yanchor="top",
                   yref="container", font=dict(family=FONT, size=69, color=FG)),
        annotations=[dict(text=html.escape(sub), xref="paper", yref="paper", x=0, y=1, yshift=70,
                          xanchor="left", yanchor="bottom", showarrow=False,
                          font=dict(family=FONT, size=MIN_FONT_PX + 2, color=MUTED))],
        legend=dict(orientation="v", x=1.01, y=1, xanchor="left", font=big, bgcolor=BG, itemsizing="constant"),
        margin=dict(l=150, r=40, t=250, b=110), hoverlabel=dict(font=big))
    fig.update_xaxes(tickfont=big, color=FG, showgrid=False, linecolor=RULE, type="category")
    fig.update_yaxes(tickfont=big, color=FG, gridcolor=RULE, nticks=5, zeroline=False)
    return fig


def months_short(label_ym: str) -> str:
    """'2026-10' → '10月' (the year is in the subtitle)."""
    return f"{int(label_ym.split('-')[1])}月"
