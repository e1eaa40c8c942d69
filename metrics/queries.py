"""Named record-level queries the pages show (funnels, overdue lists, heat maps). Each reads views from sql/views,
takes the same Filters as the indicators and binds every value; the SQL text lives in sql/queries/*.sql."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from data.store import SQL_DIR

from .compute import FILTER_COLUMNS, Filters, _params


@lru_cache(maxsize=64)
def _sql(name: str) -> str:
    return (SQL_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def _bind(filters: Filters, **extra) -> dict:
    """Every parameter a query file may use: period bounds and each filter list (empty list = no filter)."""
    from .config import load_config

    p = {k: v for k, v in _params(filters, load_config()).items() if not k.startswith("_")}
    for name in FILTER_COLUMNS:
        p[f"f_{name}"] = list(getattr(filters, name))
    p["scope_all"] = filters.scope is None
    p["scope"] = list(filters.scope or ())
    p.update(extra)
    return p


def run(con, name: str, filters: Filters, **extra) -> pd.DataFrame:
    import re

    sql = _sql(name)
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    return con.execute(sql, {k: v for k, v in _bind(filters, **extra).items() if k in used}).df()


def funnel(con, filters: Filters) -> pd.DataFrame:
    return run(con, "event_funnel", filters)


def overdue(con, filters: Filters, limit: int = 200) -> pd.DataFrame:
    return run(con, "overdue_events", filters, limit=limit)


def patrol_heat(con, filters: Filters) -> pd.DataFrame:
    return run(con, "patrol_grid_weeks", filters)


def worker_activity(con, filters: Filters) -> pd.DataFrame:
    return run(con, "worker_activity", filters)


def relief_by_month(con, filters: Filters) -> pd.DataFrame:
    return run(con, "relief_by_month", filters)
