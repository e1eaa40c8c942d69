"""compute(con, indicator, filters, group_by): the one way any number on any page is produced."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import summaries
from .config import Config, load_config
from .filters import FILTER_COLUMNS, build_where, period_params
from .registry import METRICS, SOURCES, Measure, Metric

GRID_COLUMNS = {"grid_name", "street", "community", "district", "households", "population", "key_persons", "lon",
                "lat", "boundary", "updated_at"}


@dataclass(frozen=True)
class Filters:
    """A period [date_from, date_to] (inclusive, local dates) and optional lists narrowing every row set."""
    date_from: date
    date_to: date
    streets: tuple = ()
    communities: tuple = ()
    grids: tuple = ()
    categories: tuple = ()
    sources: tuple = ()
    tiers: tuple = ()
    programmes: tuple = ()
    workers: tuple = ()
    departments: tuple = ()
    scope: tuple | None = None      # the streets the user may see (None: all); intersected with every query

    def __post_init__(self):
        for name in FILTER_COLUMNS:
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))
        if self.scope is not None:
            object.__setattr__(self, "scope", tuple(self.scope))
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """环比: the previous calendar month/quarter/year, else the range of equal length before (metrics/periods)."""
        from .periods import previous

        d_from, d_to = previous(self.date_from, self.date_to)
        return replace(self, date_from=d_from, date_to=d_to)

    def year_ago(self) -> Filters:
        """同比: the same period one year earlier (metrics/periods)."""
        from .periods import year_ago

        d_from, d_to = year_ago(self.date_from, self.date_to)
        return replace(self, date_from=d_from, date_to=d_to)

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)


def working_days(d_from: date, d_to: date) -> int:
    return int(np.busday_count(d_from, d_to + timedelta(days=1)))


def config_params(cfg: Config) -> dict:
    """The bound parameters that come from data/scoring.toml, not from the period (the event summary binds these
    into its columns: metrics/summaries.py)."""
    p = cfg.parameters
    return {"required_patrols": p.get("required_patrols_per_week", 3), "fresh_days": p.get("fresh_days", 90),
            "registration_hours": int(p.get("registration_hours", 24))}


def _params(filters: Filters, cfg: Config) -> dict:
    fields = [f for f in cfg.parameters.get("data_entry_fields", []) if f in GRID_COLUMNS]
    return {
        **period_params(filters),
        "days": filters.days,
        "working_days": working_days(filters.date_from, filters.date_to),
        **config_params(cfg),
        "n_fields": len(fields),
        "_fields": fields,
    }


_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def _expr(expr: str, params: dict) -> str:
    # data-entry fields come from configuration: identifiers whitelisted against the grid columns, never values
    return expr.replace("$fields_filled", " + ".join(f"count({f})" for f in params["_fields"]) or "0")


def _source_sql(source: str, exprs: list[str], filters: Filters, keys: list[str], params: dict):
    """One scan of a source computing several aggregates (v0, v1, …) grouped by the keys it has."""
    src = SOURCES[source]
    used = [k for k in keys if k in src.keys]
    cols = [f"{src.keys[k]} as {k}" for k in used] + [f"{_expr(e, params)} as v{i}" for i, e in enumerate(exprs)]
    sql = f"select {', '.join(cols)} from {src.relation} where {build_where(src, filters, params)}"
    return sql + (" group by all" if used else ""), used


def _pre_group_sql(m: Measure, filters: Filters, keys: list[str], params: dict):
    src = SOURCES[m.source]
    used = [k for k in keys if k in src.keys]
    # a pre-group column that is also a group key (relief by programme) is selected once: Spark refuses a
    # subquery with two columns of one name
    inner = ([f"{src.keys[k]} as {k}" for k in used] + [c for c in m.pre_group if c not in used]
             + [f"{_expr(m.pre_expr, params)} as v"])
    sql = (f"select {', '.join(used + [_expr(m.expr, params) + ' as v0'])} from (select {', '.join(inner)} "
           f"from {src.relation} where {build_where(src, filters, params)} group by all)")
    return sql + (" group by all" if used else ""), used


def _run(con, sql: str, params: dict) -> pd.DataFrame:
    bound = {k: v for k, v in params.items() if k in set(_PARAM.findall(sql))}
    return con.execute(sql, bound).df()


# the joined path and the event summary (see compute_many); off only to check them against the plain computation
# (tests/test_metrics.py, tests/test_summaries.py)
ONE_STATEMENT = True
SUMMARIES = True


def compute_many(con, indicators, filters: Filters, group_by=(), cfg: Config | None = None) -> dict:
    """Several indicators at once: measures over the same source share one scan. Returns {id: DataFrame}.

    When every source can be grouped by all the keys (the usual case: a place, a month), the scans and their joins
    run as one statement and a single small frame comes back; otherwise each scan is its own statement and the
    frames are joined here (_join: e.g. events by category over the households of the whole scope)."""
    metrics = [METRICS[i] if isinstance(i, str) else i for i in indicators]
    cfg = cfg or load_config()
    keys = list(group_by or ())
    for metric in metrics:
        bad = [k for k in keys if k not in SOURCES[metric.numerator.source].keys]
        if bad:
            raise ValueError(f"{metric.id} cannot be grouped by {bad[0]!r}")
    params = _params(filters, cfg)
    wanted = {m for metric in metrics for m in (metric.numerator, metric.denominator) if m is not None}
    # an events count is read from the per grid × day summary when the store has it and the filters allow
    usable = summaries.plan(con, filters, keys, cfg) if SUMMARIES else None
    eff = {m: summaries.measure(m, cfg, usable) if usable else m for m in wanted}
    measures = sorted(set(eff.values()), key=lambda m: (m.source, m.expr, m.pre_group))
    scans = _plan(measures, filters, keys, params)
    if ONE_STATEMENT and all(used == keys for _, used, _ in scans):
        return _one_statement(con, metrics, scans, keys, params, eff)
    frames: dict = {}
    for sql, used, ms in scans:
        df = _run(con, sql, params)
        for i, m in enumerate(ms):
            frames[m] = (df[used + [f"v{i}"]].rename(columns={f"v{i}": "v"}), used)
    out = {}
    for metric in metrics:
        num, num_keys = frames[eff[metric.numerator]]
        num = num.rename(columns={"v": "numerator"})
        if metric.denominator is not None:
            den, den_keys = frames[eff[metric.denominator]]
            df = _join(num, den.rename(columns={"v": "denominator"}), num_keys, den_keys)
        else:
            df = num.copy()
            df["denominator"] = np.nan
        if keys:
            df = df.sort_values(keys, kind="stable").reset_index(drop=True)
        out[metric.id] = _frame(df, metric, keys)
    return out


def _plan(measures, filters: Filters, keys: list[str], params: dict) -> list:
    """The scans: [(sql, keys it groups by, [measures it computes as v0, v1, …])] — every distinct measure once,
    plain ones batched per source, a measure that aggregates twice (pre_group) on its own."""
    scans, by_source = [], {}
    for m in measures:
        if m.pre_group:
            sql, used = _pre_group_sql(m, filters, keys, params)
            scans.append((sql, used, [m]))
        else:
            by_source.setdefault(m.source, []).append(m)
    for source, ms in by_source.items():
        sql, used = _source_sql(source, [m.expr for m in ms], filters, keys, params)
        scans.append((sql, used, ms))
    return scans


def _one_statement(con, metrics, scans, keys: list[str], params: dict, eff: dict) -> dict:
    """Every scan a CTE, joined on the keys (null-safe, as pandas merges missing keys) in one statement; each scan
    carries a presence column so an indicator keeps exactly the groups its numerator or denominator has."""
    ctes, cols, where = [], [], {}
    for n, (sql, _, ms) in enumerate(scans):
        ctes.append(f"s{n} as (select *, true as p from ({sql}))")
        cols.append(f"s{n}.p as p{n}")
        for i, m in enumerate(ms):
            cols.append(f"s{n}.v{i} as m{n}_{i}")
            where[m] = (f"m{n}_{i}", f"p{n}")
    if keys:
        k = ", ".join(keys)
        ctes.append("k as (" + " union ".join(f"select {k} from s{n}" for n in range(len(scans))) + ")")
        joins = " ".join(f"left join s{n} on " + " and ".join(f"s{n}.{c} is not distinct from k.{c}" for c in keys)
                         for n in range(len(scans)))
        sql = f"with {', '.join(ctes)} select {', '.join(f'k.{c}' for c in keys)}, {', '.join(cols)} from k {joins}"
    else:
        sql = f"with {', '.join(ctes)} select {', '.join(cols)} from " + " cross join ".join(
            f"s{n}" for n in range(len(scans)))
    wide = _run(con, sql, params)
    if keys:
        wide = wide.sort_values(keys, kind="stable").reset_index(drop=True)
    out = {}
    for metric in metrics:
        num_col, num_p = where[eff[metric.numerator]]
        present = wide[num_p].notna().to_numpy()
        data = {c: wide[c] for c in keys}
        data["numerator"] = wide[num_col]
        if metric.denominator is not None:
            den_col, den_p = where[eff[metric.denominator]]
            present = present | wide[den_p].notna().to_numpy()
            data["denominator"] = wide[den_col]
        else:
            data["denominator"] = np.nan
        df = pd.DataFrame(data)
        if keys and not present.all():
            df = df[present].reset_index(drop=True)
        out[metric.id] = _frame(df, metric, keys)
    return out


def _frame(df: pd.DataFrame, metric: Metric, keys: list[str]) -> pd.DataFrame:
    """The indicator's frame: keys, metric, value (None where there is none), numerator, denominator — built in one
    constructor (the page layer's cost is mostly pandas' per-operation overhead on frames of a few rows)."""
    value, num, den = _values(df["numerator"], df["denominator"], metric)
    data = {k: df[k].array for k in keys}
    data.update({"metric": np.full(len(value), metric.id, dtype=object), "value": value, "numerator": num,
                 "denominator": den})
    return pd.DataFrame(data, columns=[*keys, "metric", "value", "numerator", "denominator"])


def frame_from(key: str, metric_id: str, units: list, values: list, numerators: list, denominators: list
               ) -> pd.DataFrame:
    """An indicator's frame (as _frame builds it) from stored columns; NULL values read back as None
    (metrics/month_parts.py keeps computed frames this way)."""
    value = np.array([np.nan if v is None else v for v in values], dtype=float)
    out = value.astype(object)
    out[np.isnan(value)] = None
    data = {key: units, "metric": np.full(len(out), metric_id, dtype=object), "value": out,
            "numerator": np.array([np.nan if v is None else v for v in numerators], dtype=float),
            "denominator": np.array([np.nan if v is None else v for v in denominators], dtype=float)}
    return pd.DataFrame(data, columns=[key, "metric", "value", "numerator", "denominator"])


def compute(con, indicator, filters: Filters, group_by=(), cfg: Config | None = None) -> pd.DataFrame:
    """One row per group: the group keys, then metric, value, numerator, denominator.

    A rate is a fraction in [0, 1]; an empty denominator gives value None (never 0 or 1).
    """
    metric = METRICS[indicator] if isinstance(indicator, str) else indicator
    return compute_many(con, [metric], filters, group_by, cfg)[metric.id]


def _join(num: pd.DataFrame, den: pd.DataFrame, num_keys, den_keys) -> pd.DataFrame:
    common = [k for k in den_keys if k in num_keys]
    if not num_keys and not den_keys:
        return pd.concat([num, den], axis=1)
    if not common:                      # e.g. events by month over households: the same denominator every month
        return num.merge(den, how="cross")
    how = "outer" if set(num_keys) == set(den_keys) else "left"
    if set(den_keys) > set(num_keys):
        raise ValueError("denominator is finer-grained than numerator")
    if how == "left" and len(num_keys) > len(common):
        # numerator has time keys the denominator lacks: keep every place of the denominator
        return num.merge(den, on=common, how="left")
    return num.merge(den, on=common, how=how)


def _values(numerator, denominator, metric: Metric):
    """(value, numerator, denominator) arrays: a ratio's value is numerator ÷ denominator × scale where the
    denominator is neither missing nor 0 (else None, never 0 or 1); a median's value is its numerator."""
    num = np.asarray(pd.to_numeric(numerator, errors="coerce"), dtype=float)
    den = np.asarray(pd.to_numeric(denominator, errors="coerce"), dtype=float)
    if den.ndim == 0:
        den = np.full(len(num), float(den))
    if metric.kind == "ratio":
        num = np.where(np.isnan(den), np.nan, np.where(np.isnan(num), 0.0, num))
        ok = ~np.isnan(den) & (den != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(ok, num / np.where(ok, den, 1.0) * metric.scale, np.nan)
    elif metric.kind == "median":
        value = num
        num = np.full(len(num), np.nan)
    else:
        num = np.where(np.isnan(num), 0.0, num)
        value = num
    out = value.astype(object)
    out[np.isnan(value)] = None
    return out, num, den


def total(con, indicator: str, filters: Filters, cfg: Config | None = None) -> dict:
    """The ungrouped row as a dict."""
    return compute(con, indicator, filters, (), cfg).iloc[0].to_dict()
