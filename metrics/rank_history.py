"""排名走势: each unit's score and rank month by month, and the flags of data/scoring.toml's [[rank_rules]]
(连续 2 个月末位 → 约谈提醒, 连续 3 个月第一 → 通报表扬 …).

A month's board is its latest published version where one exists (what was announced stands), else the live
scores of that month (as of that month: the indicator layer applies each period's own state).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from . import periods, publish, score
from .compute import Filters
from .config import Config, load_config

COLUMNS = ["month", "unit", "score", "rank", "source"]


def last_whole_month(d_to: date) -> date:
    """The last month a period reaches in full: its own month when it ends on the month's last day, else the one
    before (a month to date is not yet a month of the history)."""
    if (d_to + timedelta(days=1)).day == 1:
        return d_to
    return d_to.replace(day=1) - timedelta(days=1)


def monthly(con, end: date, months: int = 12, level: str = "street", cfg: Config | None = None,
            scope: tuple | None = None, streets: tuple = (), parts=None) -> pd.DataFrame:
    """month ('2026-10'), unit, score, rank, source ('已发布 v1' or '实时') for the `months` months ending with the
    month of `end`, oldest first. Published ranks are district-wide, so they are used for the whole district only;
    `scope` (a user's streets) or `streets` (e.g. one street's communities) rank live within them, as the
    scoreboard does. `parts`: score._parts (the dashboard's shared cache of each month's item parts)."""
    cfg = cfg or load_config()
    frames = []
    for d_from, d_to in periods.months_back(end, months):
        pub = publish.latest(con, level, d_from, d_to) if publish.has_tables(con) else None
        if pub is not None and scope is None and not streets:
            header, b = pub
            b = b[["unit", "score", "rank"]].copy()
            b["source"] = f"已发布 v{header['version']}"
        else:
            b = score.scores(con, Filters(d_from, d_to, scope=scope, streets=streets), level, cfg,
                             parts)[["unit", "score", "rank"]].copy()
            b["source"] = "实时"
        b.insert(0, "month", f"{d_from:%Y-%m}")
        frames.append(b)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return out[COLUMNS]


def flags(history: pd.DataFrame, cfg: Config | None = None) -> dict:
    """{unit: ["连续 3 个月末位 · 约谈提醒", …]}: each rule whose position (first/last) the unit has held for at least
    its number of months, counting back from the history's last month (the run's full length is named). 'last' is
    the lowest rank among the units scored that month; ties at the top or bottom count."""
    cfg = cfg or load_config()
    if history.empty:
        return {}
    months = sorted(history["month"].unique())
    position: dict = {}                      # month → {unit: "first"/"last"/None}
    for m in months:
        b = history[(history["month"] == m) & history["score"].notna()]
        ranks = pd.to_numeric(b["rank"], errors="coerce")
        if len(b) < 2 or ranks.isna().all():
            position[m] = {}
            continue
        lo, hi = ranks.min(), ranks.max()
        position[m] = {u: ("first" if r == lo else "last" if r == hi else None) for u, r in zip(b["unit"], ranks)}
    out: dict = {}
    for rule in cfg.rank_rules:
        for unit in history["unit"].unique():
            run = 0
            for m in reversed(months):
                if position[m].get(unit) != rule["position"]:
                    break
                run += 1
            if rule["months"] > 0 and run >= rule["months"]:
                word = "第一" if rule["position"] == "first" else "末位"
                out.setdefault(unit, []).append(f"连续 {run} 个月{word} · {rule['flag']}")
    return out
