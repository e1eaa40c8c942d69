"""数据质量 · gaming signals: each declared once, like an indicator — id, Chinese label, why it matters, the kind of
record it flags, the SQL that finds the records (sql/signals/<id>.sql) and its thresholds (data/scoring.toml
[quality.<id>], defaults here). The 数据质量 page, the scoreboard's 数据质量 column, the bulletin and
`cli.py quality` all read flagged() — signals never change a score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from data.store import SQL_DIR

from .compute import Filters
from .config import Config, load_config
from .filters import build_where, period_params, relation
from .registry import Source


@dataclass(frozen=True)
class Signal:
    id: str
    label: str
    why: str
    kind: str                 # event · patrol · worker · unit · grid: what `id` of a flagged row names
    base: str                 # the records a rate is taken over: events · patrols · workers · communities
    defaults: dict = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return (SQL_DIR / "signals" / f"{self.id}.sql").read_text(encoding="utf-8")


SIGNALS_LIST = [
    Signal("instant_closure", "秒办结", "上报后几分钟就结案，往往是为抬高办结率、按期办结率而“随报随结”",
           "event", "events", {"max_minutes": 10}),
    Signal("eval_at_closure", "结案即评价", "结案同一分钟内就有回访评价，群众不可能这么快回访，满意度多为代填",
           "event", "events", {"max_seconds": 60}),
    Signal("uniform_satisfaction", "满意度全满分", "一名网格员的大量评价全是 5 分；真实回访总有 4 分以下",
           "worker", "workers", {"min_rated": 20}),
    Signal("duplicate_event", "重复/拆分上报", "同一网格、同一类别、同一描述 24 小时内重复上报，虚增事件数与千户事件数",
           "event", "events", {"hours": 24}),
    Signal("short_patrol", "巡查过短", "不足 10 分钟的巡查走不完一个网格，多为凑巡查达标次数",
           "patrol", "patrols", {"min_minutes": 10}),
    Signal("overlapping_patrols", "巡查时间重叠", "同一网格员同一时间有两条巡查，属代签或重复登记",
           "patrol", "patrols", {"min_overlap_minutes": 0}),
    Signal("implausible_speed", "巡查速度异常", "里程 ÷ 时长超过步行或骑行速度，轨迹为驾车或里程为手填",
           "patrol", "patrols", {"max_kmh": 20}),
    Signal("month_end_bunching", "月末集中结案", "某社区月末两天的结案占比远高于全区，是赶在统计前集中结案",
           "unit", "communities", {"days": 2, "ratio": 3.0, "min_gap": 0.15, "min_closures": 10}),
    Signal("bulk_grid_update", "网格信息集中更新", "期末几天大批网格同时“更新”，只为基础数据更新及时率，内容未必更新",
           "unit", "communities", {"days": 3, "min_grids": 5, "min_share": 0.6}),
]
SIGNALS = {s.id: s for s in SIGNALS_LIST}
COLUMNS = ["signal", "kind", "id", "street", "community", "grid_id", "worker_id", "happened_at", "detail"]
KIND_LABELS = {"event": "事件", "patrol": "巡查", "worker": "网格员", "unit": "社区", "grid": "网格"}


def thresholds(signal: Signal, cfg: Config) -> dict:
    return {**signal.defaults, **cfg.section("quality").get(signal.id, {})}


# a flagged row carries its place and worker: the filters' places, workers and the user's scope apply to it
FLAGGED = Source("flagged", None, frozenset({"street", "community", "grid_id", "worker_id"}))


def _place(filters: Filters) -> tuple[str, dict]:
    params: dict = {}
    return build_where(FLAGGED, filters, params), params


def flagged(con, filters: Filters, signals=None, cfg: Config | None = None) -> pd.DataFrame:
    """Every flagged record of the period (one row each): signal, kind, id, street, community, grid_id, worker_id,
    happened_at (when), detail — inside the filters' places and the user's scope."""
    cfg = cfg or load_config()
    where, place = _place(filters)
    base = {**period_params(filters), **place}
    frames = []
    for s in [SIGNALS[i] if isinstance(i, str) else i for i in (signals or SIGNALS_LIST)]:
        sql = f"select * from ({s.sql}) s where {where} order by happened_at, id"
        params = {**base, **thresholds(s, cfg)}
        names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
        df = con.execute(sql, {k: v for k, v in params.items() if k in names}).df()
        df.insert(0, "kind", s.kind)
        df.insert(0, "signal", s.id)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return out[COLUMNS]


def counts(con, filters: Filters, level: str = "street", cfg: Config | None = None,
           flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per unit (street · community) and signal: flagged records, the records they are out of, and the rate; with
    the district's rate beside it. Columns: unit, signal, flagged, base, rate, district_rate."""
    cfg = cfg or load_config()
    flags = flagged(con, filters, cfg=cfg) if flags is None else flags
    key = {"street": "street", "community": "community"}[level]
    # the records a signal's rate is over, through the one filter builder (the user's scope included)
    base_sql = {"events": ("events", "count(*)"), "patrols": ("patrols", "count(*)"),
                "workers": ("workers", "count(*) filter (where active)"),
                "communities": ("grids", "count(distinct community)")}
    bases = {}
    for name, (source, agg) in base_sql.items():
        params: dict = {}
        q = f"select {key} as unit, {agg} as n from {relation(source, filters, params)} group by 1"
        bases[name] = dict(con.execute(q, params).fetchall())
    units = sorted(set().union(*[b.keys() for b in bases.values()]))
    rows = []
    for s in SIGNALS_LIST:
        f = flags[flags["signal"] == s.id]
        per = f.groupby(key).size().to_dict() if len(f) else {}
        total_base = sum(bases[s.base].values())
        district = len(f) / total_base if total_base else None
        for u in units:
            n = bases[s.base].get(u, 0)
            k = int(per.get(u, 0))
            rows.append({"unit": u, "signal": s.id, "flagged": k, "base": n, "rate": k / n if n else None,
                         "district_rate": district})
    return pd.DataFrame(rows, columns=["unit", "signal", "flagged", "base", "rate", "district_rate"])


def by_month(flags: pd.DataFrame) -> pd.DataFrame:
    """Flagged records per month and signal (the trend)."""
    if flags.empty:
        return pd.DataFrame(columns=["month", "signal", "flagged"])
    m = pd.to_datetime(flags["happened_at"]).dt.strftime("%Y-%m")
    return flags.assign(month=m).groupby(["month", "signal"]).size().rename("flagged").reset_index()


def unit_summary(flags: pd.DataFrame, level: str = "street") -> dict:
    """unit → the number of flagged records, for the scoreboard's 数据质量 column (it never changes a score)."""
    key = {"street": "street", "community": "community"}[level]
    return flags.groupby(key).size().to_dict() if len(flags) else {}
