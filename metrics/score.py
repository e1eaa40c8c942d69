"""六项综治业务指标: the six-item grid score, its ranking and its explanation.

Each item is a 0–100 sub-score built from registered indicators (metrics/registry.py), so the scoreboard, the
cockpit and the explanation panel read the same numbers; the composite is the weighted mean of the items that have
a value, weights renormalised over them (INDICATORS.md). Weights and parameters come from data/scoring.toml.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.store import SQL_DIR

from . import month_parts
from .compute import Filters, compute_many
from .config import Config, load_config
from .filters import relation

SCORE_ID = "six_item_score"
SCORE_LABEL = "六项综治业务指标"
LEVEL_KEY = {"street": "street", "community": "community", "grid": "grid_id"}


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    formula: str          # how the item is computed, in Chinese, for the explanation panel
    parts: tuple          # registered indicators it is built from


ITEMS = (
    Item("item_worker_duty", "网格员履职", "100 × 平均(巡查达标率, 重点人员走访率)",
         ("patrol_compliance_rate", "key_person_visit_rate")),
    Item("item_platform_use", "信息平台使用", "100 × 在岗网格员有效工作日 ÷（在岗网格员数 × 工作日数）",
         ("platform_use_rate",)),
    Item("item_data_entry", "基础数据录入", "100 × (0.5 × 基础数据填报率 + 0.5 × 基础数据更新及时率)",
         ("data_entry_fill_rate", "data_fresh_rate")),
    Item("item_event_reporting", "事件采集上报", "100 × (0.5 × min(1, 千户事件数 ÷ 目标值) + 0.5 × 24小时内立案率)",
         ("events_per_1000_households", "registered_within_24h_rate")),
    Item("item_dispute_mediation", "矛盾纠纷排查调处", "100 × (0.5 × 矛盾纠纷调处成功率 + 0.5 × 矛盾纠纷按期办结率)",
         ("dispute_resolution_rate", "dispute_ontime_rate")),
    Item("item_other_work", "其他工作", "人工评分（各月得分的平均）", ()),
)
ITEM_IDS = tuple(i.id for i in ITEMS)
ITEM_BY_ID = {i.id: i for i in ITEMS}
PARTS = tuple(p for i in ITEMS for p in i.parts)


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(vals) / len(vals) if vals else None


def _part_value(part: str, value, cfg: Config):
    """A part's contribution in [0, 1]; events per 1000 households is capped against its target."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if part == "events_per_1000_households":
        target = float(cfg.parameters.get("target_events_per_1000", 20))
        return min(1.0, value / target) if target > 0 else None
    return float(value)


def _units(con, filters: Filters, level: str) -> list[str]:
    """The units of a level under the filters: the grids source read through the one filter builder."""
    params: dict = {}
    rel = relation("grids", filters, params)
    return sorted(r[0] for r in con.execute(f"select distinct {LEVEL_KEY[level]} from {rel}", params).fetchall())


def other_work(con, filters: Filters, level: str) -> dict:
    """unit → mean of the hand-entered 其他工作 scores of the months in the period that have one."""
    sql = (SQL_DIR / "queries" / "other_work.sql").read_text(encoding="utf-8")
    rows = con.execute(sql, {"level": level, "m_from": filters.date_from.strftime("%Y-%m"),
                             "m_to": filters.date_to.strftime("%Y-%m")}).fetchall()
    return {unit: (score, months) for unit, score, months in rows}


def item_parts(con, filters: Filters, level: str = "street", cfg: Config | None = None, cache: bool = True) -> dict:
    """{part id: DataFrame by unit} — the inputs of every item's formula (value, numerator, denominator); a whole
    month without filters is read from the rows kept after the last import (metrics/month_parts.py) when current."""
    cfg = cfg or load_config()
    if cache:
        hit = month_parts.lookup(con, [filters], level, cfg)
        if hit:
            return hit[0][1]
    return compute_many(con, PARTS, filters, [LEVEL_KEY[level]], cfg)


def _parts(con, filters: Filters, level: str, cfg: Config, parts) -> dict:
    """`parts` as given: None (compute them), a dict (already computed) or a function (filters, level) → dict (the
    dashboard passes its shared cache, so one period's parts are computed once for the board, its comparisons,
    the rank history, the explanation and the fairness columns)."""
    if parts is None:
        return item_parts(con, filters, level, cfg)
    return parts(filters, level) if callable(parts) else parts


def _inputs(con, filters: Filters, level: str, cfg: Config, parts, stored=None):
    """(units, parts, manual) of one period: `stored` (month_parts.lookup's answer, False when it had none) or the
    rows kept after the last import, else computed. Given parts (a dict) are used as they are."""
    if stored is None and not isinstance(parts, Mapping):
        stored = month_parts.lookup(con, [filters], level, cfg).get(0)
    if stored:
        units, kept, manual = stored
        return units, parts if isinstance(parts, Mapping) else kept, manual
    return _units(con, filters, level), _parts(con, filters, level, cfg, parts), other_work(con, filters, level)


def scores(con, filters: Filters, level: str = "street", cfg: Config | None = None, parts=None,
           stored=None) -> pd.DataFrame:
    """One row per unit: the six item scores, the composite score (2 decimals) and the rank (ties share a rank).
    `stored`: see _inputs."""
    cfg = cfg or load_config()
    return _frame(_ranked(_score_rows(con, filters, level, cfg, parts, stored)))


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["unit", *ITEM_IDS, "score"])
    df["rank"] = pd.array([r["rank"] for r in rows], dtype="Int64")
    return df


def _score_rows(con, filters: Filters, level: str, cfg: Config, parts, stored=None) -> list[dict]:
    key = LEVEL_KEY[level]
    units, parts, manual = _inputs(con, filters, level, cfg, parts, stored)
    lookup = getattr(parts, "by_unit", None) or {p: dict(zip(df[key], df["value"])) for p, df in parts.items()}
    rows = []
    for unit in units:
        row = {"unit": unit}
        for item in ITEMS:
            if item.id == "item_other_work":
                row[item.id] = manual.get(unit, (None, 0))[0]
            else:
                v = _mean(_part_value(p, lookup[p].get(unit), cfg) for p in item.parts)
                row[item.id] = None if v is None else 100.0 * v
        row["score"] = composite(row, cfg.weights)
        rows.append(row)
    return rows


def honour_lists(board: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """红榜 (the best, first) and 黑榜 (the worst, worst first) of a ranking: one unit each when at most four units
    have a score, else three, never the same unit on both; no lists under two scored units."""
    scored = board.dropna(subset=["score"])
    if len(scored) < 2:
        return scored.head(0), scored.head(0)
    n = 1 if len(scored) <= 4 else min(3, len(scored) // 2)
    return scored.head(n), scored.tail(n).iloc[::-1]


def composite(items: dict, weights: dict) -> float | None:
    """Weighted mean of the items that have a value, weights renormalised over them; two decimals."""
    have = [(weights.get(i, 0.0), items.get(i)) for i in ITEM_IDS if items.get(i) is not None]
    total = sum(w for w, _ in have)
    if not have or total <= 0:
        return None
    return round(sum(w * v for w, v in have) / total, 2)


def _order(units, scores) -> tuple[list[int], list]:
    """(positions best first, rank of each position): highest score first, then by unit; equal scores share a
    rank (1, 1, 3); units without a score come last (by unit) and have no rank."""
    def score(v):
        return None if v is None or pd.isna(v) else float(v)

    def by_unit(i):                 # a missing unit (None or NaN) last
        u = units[i]
        missing = u is None or u != u
        return missing, "" if missing else u

    vals = [score(v) for v in scores]
    scored = sorted((i for i, v in enumerate(vals) if v is not None), key=lambda i: (-vals[i], by_unit(i)))
    rest = sorted((i for i, v in enumerate(vals) if v is None), key=by_unit)
    ranks: list = [None] * len(vals)
    for n, i in enumerate(scored):
        prev = scored[n - 1] if n else None
        ranks[i] = ranks[prev] if prev is not None and vals[prev] == vals[i] else n + 1
    return scored + rest, ranks


def _ranked(rows: list[dict]) -> list[dict]:
    """The rows best first, each with its rank (_order)."""
    order, ranks = _order([r["unit"] for r in rows], [r["score"] for r in rows])
    return [{**rows[i], "rank": ranks[i]} for i in order]


def rank(df: pd.DataFrame) -> pd.DataFrame:
    """Highest score first; equal scores share a rank (1, 1, 3); units without a score have no rank (_order)."""
    order, ranks = _order(df["unit"].tolist(), pd.to_numeric(df["score"], errors="coerce").tolist())
    out = df.iloc[order].reset_index(drop=True)
    out["rank"] = pd.array([ranks[i] for i in order], dtype="Int64")
    return out


def reweight(board: pd.DataFrame, weights: dict) -> pd.DataFrame:
    """权重模拟: the same item scores under other weights, re-ranked — no query (the items are the board's own)."""
    out = board[["unit", *ITEM_IDS]].copy()
    out["score"] = [composite({i: (None if pd.isna(r[i]) else r[i]) for i in ITEM_IDS}, weights)
                    for _, r in out.iterrows()]
    return rank(out)


def scoreboard(con, filters: Filters, level: str = "street", cfg: Config | None = None,
               first_data=..., parts=None) -> pd.DataFrame:
    """The ranking with its comparisons (metrics/periods): 较上期 (环比) as prev_score, prev_rank, score_change,
    rank_change and 同比 as yoy_score, yoy_rank, yoy_score_change, yoy_rank_change. A comparison period that starts
    before the first data gives no value. `parts`: see _parts (used for all three periods)."""
    from . import periods

    cfg = cfg or load_config()
    others = (("prev", filters.previous()), ("yoy", filters.year_ago()))
    # the three periods' inputs from the rows kept after the last import, in one statement, where they answer
    meta = None if isinstance(parts, Mapping) else month_parts.state(con, cfg)
    stored = month_parts.lookup(con, [filters, *(o for _, o in others)], level, cfg, meta=meta) if meta else {}
    miss = None if isinstance(parts, Mapping) else False       # False: looked up, not kept
    if first_data is ...:
        first_data = (date.fromisoformat(meta["first_data"]) if meta and meta.get("first_data")
                      else periods.first_data(con))
    rows = _ranked(_score_rows(con, filters, level, cfg, parts, stored.get(0, miss)))
    board = _frame(rows)
    for n, (prefix, other) in enumerate(others, start=1):
        then = {}
        if periods.comparable((other.date_from, other.date_to), first_data):
            then = {r["unit"]: r for r in _ranked(_score_rows(con, other, level, cfg, parts, stored.get(n, miss)))}
        was = [then.get(r["unit"]) for r in rows]
        before = [None if w is None or w["score"] is None or pd.isna(w["score"]) else w["score"] for w in was]
        rank_before = [None if w is None else w["rank"] for w in was]
        board[f"{prefix}_score"] = np.array([np.nan if b is None else b for b in before], dtype=float)
        board[f"{prefix}_rank"] = pd.array(rank_before, dtype="Int64")
        change = "score_change" if prefix == "prev" else "yoy_score_change"
        board[change] = [None if r["score"] is None or pd.isna(r["score"]) or b is None else round(r["score"] - b, 2)
                         for r, b in zip(rows, before)]
        board[change.replace("score", "rank")] = [None if r["rank"] is None or b is None else b - r["rank"]  # + moved up
                                                  for r, b in zip(rows, rank_before)]
    return board


def district_board(con, filters: Filters, cfg: Config | None = None, first_data=..., parts=None) -> pd.DataFrame:
    """The street ranking as a scoped user may see it: every street of the district is ranked (so 东关 staff read
    "全区第 2 名" and not "第 1 名" among their own streets), then only the rows inside the scope are kept, with
    `district_units`, the number of ranked streets. No other street's name or score leaves this function.
    Without a scope it is the plain scoreboard with `district_units` added."""
    full = scoreboard(con, filters.with_(scope=None, streets=(), communities=(), grids=()), "street", cfg,
                      first_data=first_data, parts=parts)
    ranked = int(full["rank"].notna().sum())
    mine = full if filters.scope is None else full[full["unit"].isin(filters.scope)]
    return mine.assign(district_units=ranked).reset_index(drop=True)


def explain(con, filters: Filters, unit: str, level: str = "street", cfg: Config | None = None, parts=None,
            board: pd.DataFrame | None = None) -> dict:
    """Why a unit has its score: each item's value, weight, share of the composite and its formula's inputs.
    `parts` (see _parts) and `board` (this period's scores or scoreboard): the page passes what it already has, so
    the explanation is read off the board instead of computing it again."""
    cfg = cfg or load_config()
    key = LEVEL_KEY[level]
    parts = _parts(con, filters, level, cfg, parts)
    board = scores(con, filters, level, cfg, parts) if board is None else board
    row = board.set_index("unit").loc[unit]
    have = {i: row[i] for i in ITEM_IDS if row[i] is not None and not pd.isna(row[i])}
    total_w = sum(cfg.weights.get(i, 0.0) for i in have)
    manual = other_work(con, filters, level).get(unit, (None, 0))
    items = []
    for item in ITEMS:
        value = have.get(item.id)
        weight = cfg.weights.get(item.id, 0.0)
        share = weight / total_w if value is not None and total_w else None
        inputs = []
        for p in item.parts:
            r = parts[p][parts[p][key] == unit]
            rec = r.iloc[0].to_dict() if len(r) else {"value": None, "numerator": None, "denominator": None}
            inputs.append({"metric": p, "value": rec["value"], "numerator": _num(rec["numerator"]),
                           "denominator": _num(rec["denominator"])})
        if item.id == "item_other_work":
            inputs.append({"metric": "manual_scores", "value": manual[0], "numerator": None,
                           "denominator": manual[1]})
        items.append({"item": item.id, "label": item.label, "formula": item.formula, "value": value,
                      "weight": weight, "weight_share": share,
                      "contribution": None if share is None else round(share * value, 4), "inputs": inputs})
    return {"unit": unit, "level": level, "score": None if pd.isna(row["score"]) else row["score"],
            "rank": None if pd.isna(row["rank"]) else int(row["rank"]), "items": items}


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
