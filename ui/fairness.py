"""The fairness pieces the ranking views share (scoreboard, community ranking, kiosk, bulletin): rank intervals
(第 2 名（1–3）), 样本少 units kept off 红黑榜, the 数据质量 column (never part of the score), the leader's sentence."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from metrics import funnel as fn
from metrics.compute import Filters
from metrics.config import load_config
from metrics.quality import SIGNALS_LIST
from metrics.registry import METRICS
from metrics.score import LEVEL_KEY

from . import data, fairdata
from . import format as fmt


def annotate(board: pd.DataFrame, f: Filters, level: str = "street", quality: bool = True) -> pd.DataFrame:
    """The board with rank_low/rank_high, small (labels of parts under min_n) and quality (flagged records)."""
    board = board.copy()
    if board.empty:
        return board
    iv = fairdata.intervals(f, level)
    board = board.merge(iv, on="unit", how="left")
    parts = data.item_parts(f, level)       # the board's own inputs (no relief: nothing to suppress)
    small = fn.small_samples(parts, LEVEL_KEY[level], load_config())
    board["small"] = [small.get(u, []) for u in board["unit"]]
    if quality:
        flags = fairdata.flagged(f)
        key = "street" if level == "street" else "community"
        per = flags.groupby(key).size().to_dict() if len(flags) else {}
        board["quality"] = [f"{per.get(u, 0)} 条待核实" if per.get(u, 0) else "无" for u in board["unit"]]
    return board


def rank_cells(board: pd.DataFrame, prefix: str = "第") -> list[str]:
    """第 2 名（1–3）; just the rank when there is no interval (全区第 2 名 for street staff)."""
    out = []
    for _, r in board.iterrows():
        if fmt.is_missing(r["rank"]):
            out.append(fmt.DASH)
        elif "rank_low" in board and not fmt.is_missing(r.get("rank_low")):
            out.append(f"{prefix} {int(r['rank'])} 名（{int(r['rank_low'])}–{int(r['rank_high'])}）")
        else:
            out.append(f"{prefix} {int(r['rank'])} 名")
    return out


def unit_cells(board: pd.DataFrame) -> list[str]:
    return [f"{u}（样本少）" if "small" in board and s else u
            for u, s in zip(board["unit"], board["small"] if "small" in board else [None] * len(board))]


def honour_candidates(board: pd.DataFrame) -> pd.DataFrame:
    """The scored units 红黑榜 may name: 样本少 units are left out when scoring.toml says so."""
    scored = board.dropna(subset=["score"])
    if "small" in scored and load_config().section("fairness").get("exclude_small_from_honours", True):
        scored = scored[[not s for s in scored["small"]]]
    return scored


def caption(board: pd.DataFrame, unit_word: str = "街道") -> None:
    sentence = fn.rank_sentence(board, unit_word) if "rank_low" in board else ""
    if sentence:
        st.markdown(f"**{sentence}**")
    notes = ["括号内为名次的 95% 区间：每个单位的事件、巡查、网格员工作日在本单位内重抽样 500 次、用同一公式重算得分后"
             "名次的变动范围（方法见 README）"] if "rank_low" in board else []
    small = [u for u, s in zip(board["unit"], board.get("small", [])) if s]
    if small:
        notes.append(f"“样本少”：某项比率的分母不足 {fn.min_n(load_config())} 条（{'、'.join(small[:6])}"
                     f"{'等' if len(small) > 6 else ''}），不进入红黑榜")
    if "quality" in board:
        notes.append("“数据质量”为数据质量信号标记、需要核实的记录数（见“数据质量”页），不影响得分")
    if notes:
        st.caption("；".join(notes) + "。")


def n_note(metric_id: str, numerator, denominator) -> str:
    """'12 / 15，95% 区间 55.4%–93.0%' for a rate, with 样本少 under min_n; the fraction otherwise."""
    text = fmt.fraction(metric_id, numerator, denominator)
    m = METRICS.get(metric_id)
    if m is None or not m.is_rate or fmt.is_missing(denominator) or fmt.is_missing(numerator):
        return text
    w = fn.wilson(float(numerator), float(denominator))
    if w is None:
        return text
    text += f"，95% 区间 {fmt.pct(w[0])}–{fmt.pct(w[1])}"
    if float(denominator) < fn.min_n(load_config()):
        text += "，样本少"
    return text


def kiosk_note(board: pd.DataFrame) -> str:
    """The big screen's line of rank intervals: 名次区间（95%）：中街街道 1–1 · 东关街道 2–3 …"""
    if "rank_low" not in board:
        return ""
    cells = [f"{u} {int(lo)}–{int(hi)}" for u, lo, hi in zip(board["unit"], board["rank_low"], board["rank_high"])
             if not fmt.is_missing(lo)]
    return ("名次区间（95%）：" + " · ".join(cells)) if cells else ""


def bulletin_sections(board: pd.DataFrame, f: Filters) -> str:
    """四、名次的不确定性 and 五、数据质量, as HTML for the printable bulletin."""
    out = ["<h2>四、名次的不确定性</h2>"]
    sentence = fn.rank_sentence(board) if "rank_low" in board else ""
    out.append(f"<p>{html.escape(sentence or '—')}</p>")
    out.append("<p class='note'>名次后括号内为 95% 名次区间：各单位的事件、巡查、网格员工作日在本单位内有放回重抽样 500 次"
               "（固定种子），用同一公式重算得分排名，取第 2.5 至第 97.5 百分位。</p>")
    flags = fairdata.flagged(f)
    out.append("<h2>五、数据质量</h2>")
    if flags.empty:
        out.append("<p>本期没有被数据质量信号标记的记录。</p>")
    else:
        head = "".join(f"<th>{html.escape(s.label)}</th>" for s in SIGNALS_LIST)
        rows = []
        for street, g in flags.groupby("street"):
            c = g.groupby("signal").size()
            rows.append(f"<tr><td>{html.escape(str(street))}</td>"
                        + "".join(f"<td>{int(c.get(s.id, 0))}</td>" for s in SIGNALS_LIST) + "</tr>")
        out.append(f"<table><tr><th>街道</th>{head}</tr>{''.join(rows)}</table>")
        out.append("<p class='note'>数据质量信号只提示需要核实的记录（如上报后几分钟即结案、不足 10 分钟的巡查），"
                   "不改变任何得分；明细见看板“数据质量”页。</p>")
    return "\n".join(out)
