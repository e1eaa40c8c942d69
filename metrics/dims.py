"""Dimension lists the filters offer (the hierarchy, categories …), read from the store."""
from __future__ import annotations

import pandas as pd


def hierarchy(con) -> pd.DataFrame:
    """street, community, grid_id, grid_name — one row per grid, in a stable order."""
    return con.sql("select street, community, grid_id, coalesce(grid_name, grid_id) as grid_name "
                   "from grids order by street, community, grid_id").df()


def data_span(con) -> tuple:
    """First and last event report dates (None, None on an empty store): where the data's time axis lies."""
    return tuple(con.sql("select min(reported_at)::date, max(reported_at)::date from events").fetchall()[0])


def last_import(con):
    rows = con.sql("select max(imported_at) from import_log").fetchall()
    return rows[0][0] if rows else None


def distinct_values(con, table: str, column: str) -> list:
    """Distinct non-null values of a whitelisted column, for multiselects."""
    allowed = {("events", "category"), ("events", "source"), ("events", "tier"), ("events", "department"),
               ("events", "outcome"), ("relief", "programme"), ("relief", "status")}
    if (table, column) not in allowed:
        raise ValueError(f"{table}.{column} is not a filter dimension")
    return [r[0] for r in con.sql(f"select distinct {column} from {table} where {column} is not null "
                                  f"order by 1").fetchall()]
