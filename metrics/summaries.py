"""event_days: the per grid × day sums of the events' additive measures, kept at import (issue 15).

A period's six-item board reads a month of events three times (the period, 较上期, 同比) through the placement join and
the flags of v_events_at; the same counts summed over ~grids × days rows are an order of magnitude less work, and
the gap grows with the store. Nothing here is a second definition: the summary's columns are the registry's own
measure expressions (metrics/registry.py) — every events measure that is a count (count(*) or count(col), with an
optional FILTER: counts add up over days exactly; a floating-point sum would not, bit for bit) — with the
configuration parameters they use bound to the configured values, each stored under a name derived from its bound
text. compute() swaps an events measure for the sum of its column when the store has that exact column and the
filters and groups allow it (place and calendar keys only: the summary has no category, source, tier, worker or
department), else it reads the events as before. A changed parameter (24 小时立案 in data/scoring.toml) therefore makes
a new column name that the stored summary lacks: the raw path answers until the next read-write opening rebuilds it.

Kept fresh: every import of events refreshes the days it touched (the new rows' days and the days of the rows they
replace) in the import's transaction; data/demo.py rebuilds after generating; a read-write opening rebuilds a
summary whose columns are not the registry's. Placement (street, community) is not stored: v_event_days_at(t) joins
the grids as of the period's end, exactly as v_events_at(t) does, so grid history stays time-correct.
"""
from __future__ import annotations

import hashlib
import json
import re

from .config import Config, load_config

TABLE = "event_days"
SOURCE = "event_days"          # the registry source reading it (v_event_days_at)
META_KEY = "event_days_columns"

# counts only: a sum of DOUBLEs summed again per day is not bit-for-bit the sum over the rows
_ADDITIVE = re.compile(r"^count\((\*|[a-z_][a-z0-9_]*)\)(\s+filter\s*\(where\s.+\))?$", re.S)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def bind(expr: str, cfg: Config) -> str | None:
    """The measure's expression with its configuration parameters as literals, or None when it does not add up
    over days (a median, a distinct count) or depends on the period ($to_excl, $days …)."""
    text = " ".join(expr.split())
    if not _ADDITIVE.match(text):
        return None
    from .compute import config_params

    names = set(_PARAM.findall(text))
    values = config_params(cfg)         # the configuration's parameters; any other depends on the period
    if names - values.keys():
        return None
    for name in names:
        text = re.sub(rf"\${name}\b", str(values[name]), text)
    return text


def column(bound: str) -> str:
    return "c_" + hashlib.sha1(bound.encode()).hexdigest()[:12]


def columns(cfg: Config | None = None) -> dict[str, str]:
    """{column: bound expression} for every additive events measure of the registry."""
    from .registry import METRICS

    cfg = cfg or load_config()
    out = {}
    for metric in METRICS.values():
        for m in (metric.numerator, metric.denominator):
            if m is not None and m.source == "events" and not m.pre_group:
                bound = bind(m.expr, cfg)
                if bound is not None:
                    out[column(bound)] = bound
    return dict(sorted(out.items()))


def _select(cols: dict, where: str = "") -> str:
    body = ", ".join(f"{expr} as {c}" for c, expr in cols.items())
    return (f"select grid_id, cast(reported_at as date) as day, {body} from v_event_rows {where} "
            "group by grid_id, cast(reported_at as date)")


def stored(con) -> dict[str, str]:
    """{bound expression: column} of the summary the store holds (empty when it has none)."""
    try:
        rows = con.execute("select value from store_meta where key = ?", [META_KEY]).fetchall()
    except Exception:           # a store without store_meta (a bare test database, another engine)
        return {}
    return {expr: c for c, expr in json.loads(rows[0][0]).items()} if rows else {}


def is_stale(con, cfg: Config | None = None) -> bool:
    cols = columns(cfg)
    return {v: k for k, v in cols.items()} != stored(con)


def rebuild(con, cfg: Config | None = None) -> None:
    """The whole summary from the events (within the caller's transaction, if any)."""
    cols = columns(cfg)
    con.execute(f"create or replace table {TABLE} as {_select(cols)} order by day, grid_id")
    con.execute("insert or replace into store_meta values (?, ?)", [META_KEY, json.dumps(cols, ensure_ascii=False)])


def refresh_days(con, days: str, cfg: Config | None = None) -> None:
    """Recompute the summary rows of the days in relation `days` (one column `day`): after an import of events."""
    if is_stale(con, cfg):
        rebuild(con, cfg)
        return
    cols = columns(cfg)
    con.execute(f"delete from {TABLE} where day in (select day from {days})")
    con.execute(f"insert into {TABLE} {_select(cols, f'where cast(reported_at as date) in (select day from {days})')}")


def plan(con, filters, keys, cfg: Config) -> dict[str, str] | None:
    """{bound expression: column} usable for this computation, or None when the summary cannot answer it."""
    from .filters import FILTER_COLUMNS
    from .registry import SOURCES

    if getattr(con, "dialect", "duckdb") != "duckdb":              # another engine: its export has no summary
        return None
    # what the summary's registry source can filter and group by (places, calendar): not category, source, tier …
    src = SOURCES[SOURCE]
    lost = SOURCES["events"].filters - src.filters
    if any(getattr(filters, f) and column in lost for f, column in FILTER_COLUMNS.items()) \
            or not set(keys) <= src.keys.keys():
        return None
    return stored(con) or None


def measure(m, cfg: Config, usable: dict):
    """The measure read from the summary (the sum of its column), or the measure itself."""
    from .registry import Measure

    if m.source != "events" or m.pre_group:
        return m
    bound = bind(m.expr, cfg)
    col = usable.get(bound) if bound else None
    if col is None:
        return m
    # a count is 0, not NULL, over no rows (an ungrouped period without events), as count() is
    return Measure(SOURCE, f"cast(coalesce(sum({col}), 0) as bigint)")
