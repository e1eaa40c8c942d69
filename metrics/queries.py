"""Named record-level queries the pages show (funnels, overdue lists, heat maps). The SQL text lives in
sql/queries/*.sql and names its sources as `{events}`, `{grids}` …: each is replaced by that source's rows under the
filters, built by metrics/filters.py (the indicators' own rule), so a query file holds no filter of its own."""
from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from data.store import SQL_DIR

from .compute import Filters, _params
from .filters import expand


@lru_cache(maxsize=64)
def _sql(name: str) -> str:
    return (SQL_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def run(con, name: str, filters: Filters, **extra) -> pd.DataFrame:
    """Run a named query: its sources filtered, every value bound (period, filter lists, parameters, `extra`)."""
    from .config import load_config

    params = {k: v for k, v in _params(filters, load_config()).items() if not k.startswith("_")}
    params.update(extra)
    sql = expand(_sql(name), filters, params)
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def funnel(con, filters: Filters) -> pd.DataFrame:
    return run(con, "event_funnel", filters)


def overdue(con, filters: Filters, limit: int = 200) -> pd.DataFrame:
    return run(con, "overdue_events", filters, max_rows=limit)


def patrol_heat(con, filters: Filters) -> pd.DataFrame:
    return run(con, "patrol_grid_weeks", filters)


def worker_activity(con, filters: Filters) -> pd.DataFrame:
    return run(con, "worker_activity", filters)

