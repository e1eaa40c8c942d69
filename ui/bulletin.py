"""周通报 / 月通报: a printable bulletin of the street ranking (HTML with print styles; the browser prints it
to paper or PDF). Built from the same scoreboard frame the page shows."""
from __future__ import annotations

import html

import pandas as pd

from metrics import labels
from metrics.score import ITEM_BY_ID, ITEM_IDS, honour_lists

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
                  level_label: str = "街道", weights: dict | None = None,
                  extra: str = "") -> str:
    """The bulletin as one self-contained HTML document (no external resources); `weights` default to the scoring
    file's (a published version passes its own)."""
    if weights is None:
        from metrics.config import load_config

        weights = load_config().weights
    stated = "，".join(f"{ITEM_BY_ID[i].label} {fmt.number(weights.get(i), 0)}" for i in ITEM_IDS)
    head = "".join(f"<th>{h}</th>" for h in ["名次", level_label, "综合得分", "较上期", "名次变化",
                                              *[ITEM_BY_ID[i].label for i in ITEM_IDS]])
    rows = []
    for _, r in board.iterrows():
        ch, rc = r.get("score_change"), r.get("rank_change")
        interval = ("" if fmt.is_missing(r.get("rank_low")) else
                    f"<br><span class='note'>（{int(r['rank_low'])}–{int(r['rank_high'])}）</span>")
        rows.append("<tr>" + f"<td>{_cell(r['rank'], 0)}{interval}</td><td>{html.escape(str(r['unit']))}</td>"
                    f"<td><b>{_cell(r['score'])}</b></td>"
                    f"<td>{'—' if fmt.is_missing(ch) else f'{ch:+.2f}'}</td>"
                    f"<td>{'—' if fmt.is_missing(rc) or rc == 0 else (f'上升{int(rc)}' if rc > 0 else f'下降{-int(rc)}')}</td>"
                    + "".join(f"<td>{_cell(r[i])}</td>" for i in ITEM_IDS) + "</tr>")
    from .fairness import honour_candidates  # 样本少 units stay off the lists, as on the page

    top, bottom = honour_lists(honour_candidates(board))
    red = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(top["unit"], top["score"]))
    black = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(bottom["unit"], bottom["score"]))
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
<p><b>红榜：</b>{html.escape(red) if len(top) else '—'}</p>
<p><b>黑榜：</b>{html.escape(black) if len(top) else '—'}</p>
<h2>三、分项领先</h2>
<table><tr><th>分项</th><th>领先单位</th><th>得分</th><th>计算方法</th></tr>{''.join(leaders)}</table>
{extra}
<p class="note">说明：综合得分为各分项得分按权重（{html.escape(stated)}）的加权平均；无数据的分项不计入，权重按其余分项重新归一。
分项得分由平台数据按赋分标准的公式计算，其他工作为人工评分。</p>
</body></html>"""


# --------------------------------------------------------------------------------------------- Word (.docx)
# Built with python-docx from a metrics.bulletin.Snapshot; the one chart is drawn offline by matplotlib (Agg) with the
# Noto CJK font fontconfig finds — in-process and ~0.2 s, where kaleido would start a Chromium for every image.

CN_FONT = "宋体"
TITLE_FONT = "黑体"


def cjk_font_file() -> str | None:
    """The Noto Sans CJK font file (fc-match), for matplotlib; None when fontconfig finds none."""
    import subprocess

    try:
        out = subprocess.run(["fc-match", "Noto Sans CJK SC:lang=zh-cn", "--format=%{file}"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if out and "CJK" in out else None


def chart_png(snap) -> bytes:
    """排名走势: each unit's monthly composite score (up to 8 units), else this period's scores as bars."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    font = cjk_font_file()
    fp = FontProperties(fname=font) if font else FontProperties()
    fig, ax = plt.subplots(figsize=(7.2, 3.4), dpi=150)
    hist = snap.history.dropna(subset=["score"])
    units = list(snap.scored["unit"])
    if 0 < len(units) <= 8 and hist["month"].nunique() >= 2:
        months = sorted(hist["month"].unique())
        for unit in units:
            h = hist[hist["unit"] == unit].set_index("month").reindex(months)
            ax.plot(range(len(months)), h["score"].astype(float), marker="o", linewidth=2, label=unit)
        ax.set_xticks(range(len(months)), [f"{int(m[5:])}月" for m in months])
        title = "综合得分走势（按月）"
        ax.legend(prop=fp, fontsize=8, ncol=min(4, len(units)), loc="lower left", frameon=False)
    else:
        sc = snap.scored.iloc[::-1]
        ax.barh(list(sc["unit"]), sc["score"].astype(float), color="#1f6fd1")
        title = f"本期综合得分（{labels.LEVEL.get(snap.level, '')}）"
    ax.set_title(title, fontproperties=fp, fontsize=12)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(fp)
    ax.grid(axis="y" if len(units) <= 8 else "x", color="#dddddd")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()




def _font(run, name=CN_FONT, size=None, bold=None, colour=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    return run


def _para(doc, text="", size=12, bold=False, align=None, name=CN_FONT, colour=None, indent=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        _font(p.add_run(text), name, size, bold, colour)
    return p


def _table(doc, header: list[str], rows: list[list[str]], size=9.5):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, header):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(h), CN_FONT, size, True)
    for r in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, r):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(cell.paragraphs[0].add_run(str(v)), CN_FONT, size)
    return t


def signed(v, decimals=2) -> str:
    return fmt.DASH if fmt.is_missing(v) else f"{float(v):+.{decimals}f}"


def rank_move(v) -> str:
    if fmt.is_missing(v) or v == 0:
        return fmt.DASH
    return f"上升{int(v)}" if v > 0 else f"下降{-int(v)}"


def docx_title(snap) -> str:
    kind = "周" if snap.kind == "week" else "月"
    return f"{snap.district}网格化服务管理六项综治业务指标{kind}通报"


def ranking_rows(snap) -> list[list[str]]:
    """The ranking table's rows exactly as the document prints them (the test compares them with the snapshot)."""
    return [[fmt.number(r["rank"]), str(r["unit"]), fmt.number(r["score"], 2), signed(r["score_change"]),
             signed(r["yoy_score_change"]), rank_move(r["rank_change"]),
             *[fmt.number(r[i], 2) for i in ITEM_IDS]] for _, r in snap.board.iterrows()]


def bulletin_docx(snap, issued: str) -> bytes:
    """The Word bulletin of a snapshot (metrics.bulletin.snapshot) as .docx bytes."""
    import io

    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    from metrics.bulletin import lead_text

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))
    f = snap.filters
    period = fmt.period_label(f.date_from, f.date_to)
    label = labels.LEVEL[snap.level]
    _para(doc, docx_title(snap), 20, True, "center", TITLE_FONT, "B22222")
    _para(doc, f"〔{f.date_to:%Y}〕第    号", 12, align="center")
    if snap.published:
        h = snap.header
        state = (f"已发布 v{h['version']} · {h['published_at']:%Y年%m月%d日 %H:%M} 由 {h['published_by']} 发布"
                 + (f" · 更正原因：{h['reason']}" if h.get("reason") else ""))
    else:
        state = "草稿·未发布（实时数据，发布后以发布版本为准）"
    _para(doc, f"统计期 {period} · {state}", 10.5, align="center", colour=None if snap.published else "C00000")
    _para(doc, lead_text(snap, period), 12, indent=True)

    _para(doc, f"一、{label}综合排名", 14, True, name=TITLE_FONT)
    prev_p, yoy_p = snap.events["prev_period"], snap.events["yoy_period"]
    _para(doc, f"较上期对比 {fmt.period_label(*prev_p)}；同比对比 {fmt.period_label(*yoy_p)}；"
               "对比期早于最早数据时为“—”。", 9)
    _table(doc, ["名次", label, "综合得分", "较上期", "同比", "名次变化", *[ITEM_BY_ID[i].label for i in ITEM_IDS]],
           ranking_rows(snap), 9)

    _para(doc, "二、红黑榜", 14, True, name=TITLE_FONT)
    top, bottom = honour_lists(snap.board)
    if len(top):
        red = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(top["unit"], top["score"]))
        black = "、".join(f"{u}（{s:.2f} 分）" for u, s in zip(bottom["unit"], bottom["score"]))
    else:
        red = black = fmt.DASH
    _para(doc, f"红榜：{red}", 12)
    _para(doc, f"黑榜：{black}", 12)

    _para(doc, "三、分项领先", 14, True, name=TITLE_FONT)
    _table(doc, ["分项", "领先单位", "得分", "权重"],
           [[ITEM_BY_ID[i].label, u, f"{v:.2f}", fmt.number(snap.weights.get(i), 0)] for i, u, v in snap.leaders()])

    _para(doc, "四、排名走势", 14, True, name=TITLE_FONT)
    doc.add_picture(io.BytesIO(chart_png(snap)), width=Cm(17))
    if snap.flags:
        for unit, texts in snap.flags.items():
            _para(doc, f"{unit}：{'；'.join(texts)}", 12)
    else:
        _para(doc, "本期无连续末位或连续第一的单位。", 12)

    _para(doc, "五、督办事项（期内超期事件）", 14, True, name=TITLE_FONT)
    od = snap.overdue
    if od.empty:
        _para(doc, "本期无超期事件。", 12)
    else:
        _table(doc, ["街道", "超期事件数", "其中未办结", "最长超期（小时）", "超期最久的事件"],
               [[r["street"], fmt.number(r["overdue"]), fmt.number(r["open"]), fmt.number(r["max_hours"], 1),
                 r["examples"]] for _, r in od.iterrows()])

    weights = "，".join(f"{ITEM_BY_ID[i].label} {fmt.number(snap.weights.get(i), 0)}" for i in ITEM_IDS)
    sha = f"；赋分标准文件 SHA-256 {snap.header['scoring_sha256'][:16]}…" if snap.published else ""
    _para(doc, f"说明：综合得分为各分项得分按权重（{weights}）的加权平均；无数据的分项不计入，权重按其余分项重新归一"
               f"{sha}。", 9)
    _para(doc, issued, 12, align="right")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
