"""The one filter builder: how a period, the filter lists and the user's scope narrow a source's rows.

Every indicator (compute.py), every named query (sql/queries/*.sql, through `expand`), the explorer (explore.py) and
the score's unit list (score.py) read their rows through `build_where`, so a filter means the same everywhere. A
source (registry.SOURCES) declares its relation, its time column and its filterable columns; a filter list applies
to a source when the source has its column, the period when the source has a time column, and the scope always
(every source has a street). Values are bound parameters, never spliced into the text.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

# filter list (a field of compute.Filters) → the column it narrows
FILTER_COLUMNS = {"streets": "street", "communities": "community", "grids": "grid_id", "categories": "category",
                  "sources": "source", "tiers": "tier", "programmes": "programme", "workers": "worker_id",
                  "departments": "department"}


def _source(source):
    from .registry import SOURCES

    return SOURCES[source] if isinstance(source, str) else source


def period_params(filters) -> dict:
    """The period's bounds as bound parameters: dates ($from, $to) and timestamps [$from_ts, $to_excl)."""
    return {"from": filters.date_from, "to": filters.date_to,
            "from_ts": datetime.combine(filters.date_from, datetime.min.time()),
            "to_excl": datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time())}


def build_where(source, filters, params: dict, alias: str | None = None) -> str:
    """The WHERE condition (without the keyword) selecting a source's rows under `filters`; adds the values it
    needs to `params`. `alias` prefixes the columns (for a source joined under an alias)."""
    src = _source(source)
    col = (lambda c: f"{alias}.{c}") if alias else (lambda c: c)
    # a relation as of the period's end (v_grids_at($to_excl)) needs its bounds even when it has no time column
    used = set(re.findall(r"\$([a-z_]+)", src.relation))
    params.update({k: v for k, v in period_params(filters).items() if k in used})
    where = []
    if src.time:
        params.update({k: v for k, v in period_params(filters).items() if k in ("from_ts", "to_excl")})
        where.append(f"{col(src.time)} >= $from_ts and {col(src.time)} < $to_excl")
    for name, column in FILTER_COLUMNS.items():
        values = getattr(filters, name)
        if values and column in src.filters:
            where.append(in_list(col(column), f"f_{name}", values, params))
    if filters.scope is not None:
        where.append(in_list(col("street"), "scope", filters.scope, params))
    return " and ".join(where) or "true"


def in_list(column: str, name: str, values, params: dict) -> str:
    """`column in ($name_0, $name_1, …)` with one bound scalar per value (an empty list selects nothing). An IN-list
    of scalars carries over to every engine (a list parameter does not: list_contains/len($list) have no portable
    translation) and lets Spark prune Parquet partitions and row groups."""
    values = list(values)
    if not values:
        return "false"
    params.update({f"{name}_{i}": v for i, v in enumerate(values)})
    return f"{column} in ({', '.join(f'${name}_{i}' for i in range(len(values)))})"


def relation(source, filters, params: dict) -> str:
    """The source's rows under `filters` as a parenthesised relation: `(select * from v_events where …)`."""
    src = _source(source)
    relation_params(src, filters, params)
    return f"(select * from {src.relation} where {build_where(src, filters, params)})"


def relation_params(source, filters, params: dict) -> None:
    """Add the period bounds a source's relation takes (a table macro: v_grids_at($to_excl), grid_weeks($from, $to))."""
    src = _source(source)
    used = set(re.findall(r"\$([a-z_]+)", src.relation))
    params.update({k: v for k, v in period_params(filters).items() if k in used})


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def expand(sql: str, filters, params: dict) -> str:
    """A named query's text with each `{source}` placeholder replaced by that source's filtered relation."""
    from .registry import SOURCES

    def sub(m):
        if m.group(1) not in SOURCES:
            raise KeyError(f"unknown source {{{m.group(1)}}} in a named query")
        return relation(m.group(1), filters, params)

    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return _PLACEHOLDER.sub(sub, body)
