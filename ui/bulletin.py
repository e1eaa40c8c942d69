"""周通报 / 月通报: a printable bulletin of the street ranking (HTML with print styles; the browser prints it
to paper or PDF). Built from the same scoreboard frame the page shows."""
from __future__ import annotations

import html

import pandas as pd

from metrics.score import ITEM_BY_ID, ITEM_IDS

from . import format as fmt

CSS = """
body {font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', 'SimSun', sans-serif; margin: 2.2cm 2cm; color: #111;}
h1 {text-align: center; font-size: 22pt; letter-spacing: 2pt; margin-bottom: 4pt;}
.sub {text-align: center; color: #444; margin-bottom: 18pt;}
table {border-collapse: collapse; width: 100%; font-size: 11pt; margin: 8pt 0 16pt;}
th, td {border: 1px solid #777; padding: 5pt 6pt; text-align: center;}
th {background: #eef1f5;}
h2 {font-size: 14pt; border-left: 5pt solid #c0392b; padding-left: 6pt;}
.note {font-size: 9.5pt; color: #444;}
@media print { body {margin: 1.5cm;} @page {size: A4 landscape;} }
"""


def _cell(v, decimals=2) -> str:
    return html.escape(fmt.number(v, decimals))


def bulletin_html(board: pd.DataFrame, title: str, period: str, previous: str, issued: str,
                  level_label: str = "街道") -> str:
    """The bulletin as one self-contained HTML document (no external resources)."""
    head = "".join(f"<th>{h}</th>" for h in ["名次", level_label, "综合得分", "较上期", "名次变化",
                                              *[ITEM_BY_ID[i].label for i in ITEM_IDS]])
    rows = []
    for _, r in board.iterrows():
        ch, rc = r.get("score_change"), r.get("rank_change")
        rows.append("<tr>" + f"<td>{_cell(r['rank'], 0)}</td><td>{html.escape(str(r['unit']))}</td>"
                    f"<td><b>{_cell(r['score'])}</b></td>"
                    f"<td>{'—' if fmt.is_missing(ch) else f'{ch:+.2f}'}</td>"
                    f"<td>{'—' if fmt.is_missing(rc) or rc == 0 else (f'上升{int(rc)}' if rc > 0 else f'下降{-int(rc)}')}</td>"
                    + "".join(f"<td>{_cell(r[i])}</td>" for i in ITEM_IDS) + "</tr>")
    scored = board.dropna(subset=["score"])
    n = 1 if len(scored) <= 4 else 3
    red = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(scored.head(n)["unit"], scored.head(n)["score"]))
    black = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(scored.tail(n)["unit"][::-1], scored.tail(n)["score"][::-1]))
    leaders = []
    for i in ITEM_IDS:
        col = board[["unit", i]].dropna()
        if not col.empty:
            top = col.sort_values(i, ascending=False).iloc[0]
            leaders.append(f"<tr><td>{ITEM_BY_ID[i].label}</td><td>{html.escape(str(top['unit']))}</td>"
                           f"<td>{top[i]:.2f}</td><td class='note'>{html.escape(ITEM_BY_ID[i].formula)}</td></tr>")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<div class="sub">统计期 {html.escape(period)} · 较上期（环比）对比 {html.escape(previous)} · {html.escape(issued)}</div>
<h2>一、综合排名</h2>
<table><tr>{head}</tr>{''.join(rows)}</table>
<h2>二、红黑榜</h2>
<p><b>红榜：</b>{html.escape(red) if len(scored) >= 2 else '—'}</p>
<p><b>黑榜：</b>{html.escape(black) if len(scored) >= 2 else '—'}</p>
<h2>三、分项领先</h2>
<table><tr><th>分项</th><th>领先单位</th><th>得分</th><th>计算方法</th></tr>{''.join(leaders)}</table>
<p class="note">说明：综合得分为各分项得分按赋分标准权重的加权平均；无数据的分项不计入，权重按其余分项重新归一。
分项得分由平台数据按 data/scoring.toml 的公式计算，其他工作为人工评分。</p>
</body></html>"""
