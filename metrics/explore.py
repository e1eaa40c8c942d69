"""The ad-hoc explorer's data access: whitelisted datasets, columns, filters, group-bys and measures, plus the
read-only SQL runner with a row limit and a time limit. No page builds SQL itself."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from . import labels, privacy
from .compute import Filters
from .filters import build_where, in_list, relation_params
from .registry import SOURCES

# Columns that hold personal data (declared with their mask kind in data/columns.py): never offered as filters or
# group-bys; shown in the record list only as the role allows.
PERSONAL = privacy.PERSONAL_NAMES


@dataclass(frozen=True)
class Dataset:
    source: str               # the registry source it reads (relation, period column, filterable columns)
    label: str
    dims: tuple               # categorical columns: filters and group-bys
    numeric: tuple            # numeric columns: ranges, sum and mean
    columns: tuple            # what the record list shows (never personal data)

    @property
    def view(self) -> str:
        return SOURCES[self.source].relation

    @property
    def time(self) -> str | None:
        return SOURCES[self.source].time


DATASETS = {
    "events": Dataset("events", "事件",
                      ("street", "community", "grid_id", "category", "subcategory", "source", "tier", "outcome",
                       "department", "month", "week"),
                      ("satisfaction", "hours_to_close", "hours_registered"),
                      ("event_id", "street", "community", "grid_id", "category", "subcategory", "source", "tier",
                       "reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "evaluated_at",
                       "due_at", "outcome", "resolved_on_site", "satisfaction", "worker_id", "department")),
    "relief": Dataset("relief", "社会救助",
                      ("street", "community", "grid_id", "programme", "status", "month"),
                      ("persons", "amount_yuan", "approval_days"),
                      ("case_id", "household_id", "street", "community", "grid_id", "programme", "persons",
                       "amount_yuan", "applied_at", "approved_at", "paid_at", "status", "newly_enrolled")),
    "patrols": Dataset("patrols", "巡查",
                       ("street", "community", "grid_id", "worker_id", "month", "week"),
                       ("distance_m", "households_visited", "key_person_visits", "hazards_found", "events_reported"),
                       ("patrol_id", "worker_id", "street", "community", "grid_id", "started_at", "ended_at",
                        "distance_m", "households_visited", "key_person_visits", "hazards_found", "events_reported")),
    "grids": Dataset("grids", "网格",
                     ("street", "community", "grid_id", "has_active_worker"),
                     ("households", "population", "key_persons", "active_workers"),
                     ("grid_id", "grid_name", "street", "community", "households", "population", "key_persons",
                      "active_workers", "lon", "lat", "updated_at")),
}

COLUMN_LABELS = labels.COLUMNS        # the one column-label table (metrics/labels.py)


def personal_select(dataset: str, mode: str) -> list[str]:
    """The personal columns a role sees: none, masked, or as stored."""
    if mode == "none":
        return []
    return [f"{privacy.masked(c, kind, mode)} as {c}" for c, kind in privacy.PERSONAL.get(dataset, {}).items()]


@dataclass(frozen=True)
class Range:
    """An inclusive number range filter (either end may be open). Any other filter value is a set of values."""
    lo: float | None = None
    hi: float | None = None


MEASURES = {"count": "记录数", "sum": "合计", "mean": "平均", "median": "中位数"}


def _where(ds: Dataset, filters: Filters, column_filters: dict, params: dict) -> str:
    """The source's rows under the filters (the one builder), narrowed further by the explorer's column filters."""
    relation_params(ds.source, filters, params)             # the relation as of the period's end
    where = [build_where(ds.source, filters, params)]
    available = set(ds.dims) | set(ds.numeric) | set(ds.columns)
    for n, (column, cond) in enumerate(sorted(column_filters.items())):
        if column not in available or column in PERSONAL:
            raise ValueError(f"{column} is not a column of {ds.view}")
        if isinstance(cond, Range):
            lo, hi = cond.lo, cond.hi
            if lo is not None:
                params[f"c{n}lo"] = lo
                where.append(f"{column} >= $c{n}lo")
            if hi is not None:
                params[f"c{n}hi"] = hi
                where.append(f"{column} <= $c{n}hi")
        elif cond:
            where.append(in_list(f"cast({column} as varchar)", f"c{n}", [str(v) for v in cond], params))
    return " and ".join(where) or "true"


def records(con, dataset: str, filters: Filters, column_filters: dict | None = None, limit: int = 1000,
            personal: str = "none"):
    """The matching records, newest first, at most `limit`, and the total count. Personal columns only as the
    role allows: none (left out), masked, or full."""
    ds = DATASETS[dataset]
    params: dict = {}
    where = _where(ds, filters, column_filters or {}, params)
    total = con.execute(f"select count(*) from {ds.view} where {where}", params).fetchall()[0][0]
    order = f"order by {ds.time} desc" if ds.time else "order by 1"
    params["limit"] = int(limit)
    cols = list(ds.columns) + personal_select(dataset, personal)
    df = con.execute(f"select {', '.join(cols)} from {ds.view} where {where} {order} limit $limit",
                     params).df()
    return df, total


def aggregate(con, dataset: str, filters: Filters, group_by=(), measure: str = "count", column: str | None = None,
              column_filters: dict | None = None) -> pd.DataFrame:
    """count / sum / mean / median of a numeric column, grouped by up to two whitelisted dimensions."""
    ds = DATASETS[dataset]
    group_by = list(group_by)[:2]
    for g in group_by:
        if g not in ds.dims:
            raise ValueError(f"cannot group {dataset} by {g!r}")
    if measure == "count":
        expr = "count(*)"
    elif measure in ("sum", "mean", "median") and column in ds.numeric:
        expr = {"sum": "sum", "mean": "avg", "median": "median"}[measure] + f"({column})"
    else:
        raise ValueError(f"measure {measure!r} of {column!r} is not available for {dataset}")
    params: dict = {}
    where = _where(ds, filters, column_filters or {}, params)
    keys = [f"cast({g} as varchar) as {g}" for g in group_by]
    sql = f"select {', '.join(keys + [expr + ' as value'])} from {ds.view} where {where}"
    if group_by:
        sql += " group by all order by " + ", ".join(group_by)
    return con.execute(sql, params).df()


def distinct(con, dataset: str, column: str, filters: Filters, limit: int = 500) -> list:
    ds = DATASETS[dataset]
    if column not in ds.dims:
        raise ValueError(column)
    params: dict = {"limit": limit}
    where = _where(ds, filters, {}, params)
    return [r[0] for r in con.execute(f"select distinct cast({column} as varchar) from {ds.view} where {where} "
                                      f"and {column} is not null order by 1 limit $limit", params).fetchall()]


# --------------------------------------------------------------------------------------------- the SQL tab

READ_ONLY_START = re.compile(r"^\s*(select|with|from)\b", re.I)


class QueryRefused(Exception):
    pass


def check_sql(sql: str) -> str:
    """A first, friendly check: one SELECT statement. What it may read is decided by access/sqlguard.py, and the
    connection itself is locked down (read-only file, no external access, configuration locked)."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryRefused("请输入查询语句。")
    if not READ_ONLY_START.match(text):
        raise QueryRefused("只允许只读查询（SELECT / WITH）：不能写入、挂载数据库或读取文件。")
    return text


def run_sql(db, sql: str, row_limit: int = 10_000, seconds: float = 10.0, user=None) -> tuple[pd.DataFrame, bool]:
    """Run a query through the guard (views scoped and masked for `user`) in the SQL tab's bounded worker
    (access/sqlworker.py: its own process, memory, one thread, a hard wall-clock kill including parsing, a result
    cap). `db` is the store's path, or a cursor on it. Returns (rows, truncated)."""
    from access import sqlworker

    check_sql(sql)
    if user is None:
        raise QueryRefused("未登录。")
    if hasattr(db, "execute"):
        db = db.execute("select path from duckdb_databases() where database_name = current_database()"
                        ).fetchall()[0][0]
    try:
        return sqlworker.run(db, sql, user, seconds=seconds, budget={"rows": int(row_limit)})
    except sqlworker.Refused as e:
        raise QueryRefused(str(e)) from None
