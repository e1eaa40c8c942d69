"""The numbers of a 通报 (ranking bulletin), gathered once: the Word bulletin (ui/bulletin.py), its test and the
scoreboard page's download all read this snapshot, so every number in the document is one of these.

The ranking is the latest published version of the period (发布) or, when none exists, the live one marked 草稿·未发布.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import labels, periods, publish, queries, rank_history, score
from .compute import Filters, compute
from .config import Config, load_config


@dataclass
class Snapshot:
    filters: Filters
    level: str
    kind: str                       # month | week
    district: str
    board: pd.DataFrame             # the scoreboard shown (published or live), best first
    header: dict | None             # the published version's header; None for a draft
    events: dict                    # {"now": n, "prev": n|None, "yoy": n|None, "prev_period": (d, d), "yoy_period": …}
    history: pd.DataFrame           # rank_history.monthly
    flags: dict                     # rank_history.flags: {unit: [text, …]}
    overdue: pd.DataFrame           # 督办: per street — count, still open, longest overdue hours, event ids
    weights: dict = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.header is not None

    @property
    def scored(self) -> pd.DataFrame:
        return self.board.dropna(subset=["score"])

    def leaders(self) -> list[tuple[str, str, float]]:
        """(item id, unit, value) of the best unit of each item that has values."""
        out = []
        for i in score.ITEM_IDS:
            col = self.board[["unit", i]].dropna()
            col = col[pd.to_numeric(col[i], errors="coerce").notna()]
            if not col.empty:
                top = col.assign(_v=col[i].astype(float)).sort_values(["_v", "unit"], ascending=[False, True]).iloc[0]
                out.append((i, top["unit"], float(top[i])))
        return out


def _event_count(con, f: Filters, first=...) -> int | None:
    """Events reported in the period; for a comparison period (`first` given) None when it starts before the data."""
    if first is not ... and not periods.comparable((f.date_from, f.date_to), first):
        return None
    return int(compute(con, "event_count", f).iloc[0]["value"] or 0)


def overdue_by_street(con, f: Filters, limit: int = 100000) -> pd.DataFrame:
    """督办 list from the overdue_events named query: per street the overdue events of the period, how many are still
    open, the longest overdue time and the first five event ids (most overdue first)."""
    rows = queries.overdue(con, f, limit=limit)
    if rows.empty:
        return pd.DataFrame(columns=["street", "overdue", "open", "max_hours", "examples"])
    rows = rows.sort_values(["hours_overdue", "event_id"], ascending=[False, True])
    out = rows.groupby("street", sort=False).agg(
        overdue=("event_id", "count"), open=("closed_at", lambda s: int(s.isna().sum())),
        max_hours=("hours_overdue", "max"), examples=("event_id", lambda s: "、".join(list(s)[:5])))
    return out.reset_index().sort_values(["overdue", "street"], ascending=[False, True]).reset_index(drop=True)


def snapshot(con, filters: Filters, level: str = "street", kind: str = "month", months: int = 12,
             cfg: Config | None = None) -> Snapshot:
    cfg = cfg or load_config()
    first = periods.first_data(con)
    pub = publish.latest(con, level, filters.date_from, filters.date_to) if publish.has_tables(con) else None
    live = None
    if pub is not None:
        header, board = pub
        if filters.scope is not None:       # district ranks stay; units outside the scope are not shown
            live = score.scoreboard(con, filters, level, cfg, first_data=first)
            board = board[board["unit"].isin(live["unit"])].reset_index(drop=True)
    else:
        header, board = None, score.scoreboard(con, filters, level, cfg, first_data=first)
    prev, yoy = filters.previous(), filters.year_ago()
    events = {"now": _event_count(con, filters), "prev": _event_count(con, prev, first),
              "yoy": _event_count(con, yoy, first), "prev_period": (prev.date_from, prev.date_to),
              "yoy_period": (yoy.date_from, yoy.date_to)}
    end = rank_history.last_whole_month(filters.date_to)
    history = rank_history.monthly(con, end, months, level, cfg, scope=filters.scope)
    district = con.execute("select coalesce(min(district), '') from grids").fetchall()[0][0]
    weights = header["weights"] if header else {i: cfg.weights.get(i, 0.0) for i in score.ITEM_IDS}
    return Snapshot(filters, level, kind, district, board, header, events, history,
                    rank_history.flags(history, cfg), overdue_by_street(con, filters), weights)


def change_text(now, before, unit: str = "件") -> str:
    """'增加 120 件（+5.3%）' / '减少 …' / '持平' / '—' (no comparison)."""
    if before is None:
        return "—"
    d = now - before
    if d == 0:
        return "持平"
    pct = f"（{d / before:+.1%}）" if before else ""
    return f"{'增加' if d > 0 else '减少'} {abs(d):,} {unit}{pct}"


def lead_text(s: Snapshot, period: str) -> str:
    """The lead paragraph, drafted from the numbers (the writer edits it in Word)."""
    e = s.events
    parts = [f"{period}，{s.district or '全区'}{'' if s.filters.scope is None else '（权限范围内）'}共上报事件 "
             f"{e['now']:,} 件，环比{change_text(e['now'], e['prev'])}，同比{change_text(e['now'], e['yoy'])}。"]
    sc = s.scored
    label = labels.LEVEL[s.level]
    if len(sc):
        top, bottom = sc.iloc[0], sc.iloc[-1]
        parts.append(f"六项综治业务指标综合得分第一名为{top['unit']}（{top['score']:.2f} 分）")
        if len(sc) >= 2:
            parts.append(f"，末位为{bottom['unit']}（{bottom['score']:.2f} 分）。")
        else:
            parts.append("。")
    else:
        parts.append(f"本期无可评分的{label}。")
    for unit, texts in s.flags.items():
        parts.append(f"{unit}{'；'.join(t.replace(' · ', '，建议') for t in texts)}。")
    return "".join(parts)
