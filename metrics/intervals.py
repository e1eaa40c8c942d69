"""名次区间: a 95 % interval for each unit's rank in the six-item score, by a seeded bootstrap.

Method (README, 排名的不确定性):
- resampling unit: the period's records of each unit — events (by reported_at), patrols (by started_at) and workers'
  platform days (worker_days) — each drawn with replacement within the unit, as many as the unit has; grids, workers
  and the hand-entered 其他工作 scores are the units' fixed attributes and are not resampled;
- events are drawn as counts: the score reads an event only through the event summary's counts (metrics/summaries.py),
  so each unit's events are grouped into kinds (the distinct combinations of those counts) and every replicate draws
  how many of each kind — the multinomial with the kinds' shares, the same distribution as drawing the events
  themselves — summed into the private store's per grid × day summary instead of writing every drawn event (1 M
  events, 本年: 58 → 10 s); when an events measure of the score is not such a count, events are drawn as records;
- every replicate is scored by metrics/score.py itself: the replicates are written, side by side, into a private
  in-memory store with the project's own schema and views, each replicate's copy of a unit under its own name
  ("东关街道␟17"), and one call of score.scores() scores all of them — no second implementation of the score;
- ranks within each replicate as on the scoreboard (ties share a rank); the interval is the 2.5th percentile (lower
  value) to the 97.5th percentile (higher value) of a unit's replicate ranks, widened to include its observed rank;
- replicates and seed come from data/scoring.toml [intervals] (default 500 replicates, seed 20261123), so the same
  data gives the same interval on every page, export and CLI run.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data import store

from . import score, summaries
from .compute import Filters
from .config import Config, load_config
from .filters import build_where
from .registry import SOURCES

DEFAULT_REPLICATES = 500
DEFAULT_SEED = 20261123


def settings(cfg: Config) -> tuple[int, int]:
    raw = cfg.section("fairness").get("intervals", {})
    return int(raw.get("replicates", DEFAULT_REPLICATES)), int(raw.get("seed", DEFAULT_SEED))


def _place_sql(filters: Filters, alias: str = "g") -> tuple[str, dict]:
    """The grids of the filters' places and the user's scope (metrics/filters.py, as every indicator)."""
    params: dict = {}
    return build_where(SOURCES["grids"], filters, params, alias=alias), params


def _draw(codes: np.ndarray, replicates: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of every replicate's resample and their replicate number.

    `codes` is each record's unit; records must come sorted by unit. Every replicate draws, for each unit, as many
    records as the unit has, uniformly with replacement from that unit's records."""
    n = len(codes)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts_at = np.r_[True, codes[1:] != codes[:-1]]
    start = np.maximum.accumulate(np.where(starts_at, np.arange(n), 0))
    bounds = np.r_[np.flatnonzero(starts_at), n]
    size = np.repeat(np.diff(bounds), np.diff(bounds))
    rows = start + np.floor(rng.random((replicates, n)) * size).astype(np.int64)
    return rows.ravel(), np.repeat(np.arange(replicates, dtype=np.int64), n)


def _draw_counts(freq: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """How often each kind of record is drawn in every replicate (replicates × kinds): a unit's n records drawn
    uniformly with replacement, counted by kind — the multinomial with the kinds' shares (the same distribution as
    drawing the records themselves, without writing n records per replicate)."""
    n = int(freq.sum())
    if n == 0:
        return np.zeros((replicates, len(freq)), np.int64)
    return rng.multinomial(n, freq / n, size=replicates)


def _event_kinds(con, filters: Filters, key: str, cfg: Config, read) -> tuple[dict, pa.Table] | None:
    """The period's events of the place as kinds: each distinct combination of what the score counts of an event
    (the event summary's columns, metrics/summaries.py: the registry's own count expressions) with its unit and how
    many events share it. None when an events measure of the score is not such a count (then events are drawn as
    records)."""
    from .registry import METRICS

    cols = summaries.columns(cfg)
    kept = set(cols.values())
    for part in score.PARTS:
        for m in (METRICS[part].numerator, METRICS[part].denominator):
            if m is not None and m.source == "events" and (m.pre_group or summaries.bind(m.expr, cfg) not in kept):
                return None
    where, _ = _place_sql(filters)
    per_event = ", ".join(f"{expr} as {c}" for c, expr in cols.items())
    names = ", ".join(cols)
    kinds = read(f"select _unit, {names}, count(*) as _n from (select g.{key} as _unit, e.event_id, {per_event} "
                 f"from v_event_rows e join grids g using (grid_id) where {where} and e.reported_at >= $from_ts "
                 f"and e.reported_at < $to_excl group by all) group by all order by all")
    return cols, kinds


def _base(mem, name: str) -> str:
    """Where a relation's rows live: the table itself, or its version table when history made it a view."""
    tables = {r[0] for r in mem.execute("select table_name from duckdb_tables()").fetchall()}
    return name if name in tables else name[:-1] + "_versions"


def _versioned(mem, name: str) -> str:
    return "" if _base(mem, name) == name else ", timestamp '1900-01-01' as valid_from, null as valid_to"


def _private_store(con, filters: Filters, level: str, replicates: int, seed: int, cfg: Config | None = None):
    """An in-memory store with the project's views over `replicates` resampled copies of the period's records.

    Inside it every grid, worker and unit has a short code with the replicate appended ("3.17"): short strings keep
    the copies cheap. Returns the connection and the unit names by code."""
    cfg = cfg or load_config()
    key = score.LEVEL_KEY[level]
    where, params = _place_sql(filters)
    p = {**params, "from_ts": pd.Timestamp(filters.date_from),
         "to_excl": pd.Timestamp(filters.date_to) + pd.Timedelta(days=1),
         "level": level, "m_from": filters.date_from.strftime("%Y-%m"), "m_to": filters.date_to.strftime("%Y-%m")}

    def read(sql):
        names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
        return con.sql(sql, params={k: v for k, v in p.items() if k in names}).to_arrow_table()

    grids = read(f"select g.*, dense_rank() over (order by g.{key}) - 1 as _u, "
                 f"row_number() over (order by g.grid_id) - 1 as _g from grids g where {where}")
    names = dict(zip(grids.column("_u").to_pylist(), grids.column(key).to_pylist()))
    mem = duckdb.connect(":memory:")
    mem.register("reps", pa.table({"rep": pa.array(np.arange(replicates), pa.int64())}))
    mem.register("src_grids", grids)
    mem.execute("create table grid_map as select grid_id, _g, _u from src_grids")
    # the base tables as every migration leaves them, then the project's views and macros over them
    for _, _, ddl in store.migrations():
        mem.execute(ddl)
    mem.execute(f"insert into {_base(mem, 'grids')} by name select s.* exclude (_u, _g) replace (_g || '.' || rep as grid_id, "
                "'u' || _u || '.' || rep as street, 'u' || _u || '.' || rep as community, null as district, "
                "null as boundary)" + _versioned(mem, 'grids') + " from src_grids s, reps")
    workers = read(f"select w.*, row_number() over (order by w.worker_id) - 1 as _w from workers w "
                   f"join grids g using (grid_id) where {where}")
    mem.register("src_workers", workers)
    mem.execute("create table worker_map as select worker_id, _w from src_workers")
    mem.execute(f"insert into {_base(mem, 'workers')} by name select s.* exclude (_w) replace (_w || '.' || rep as worker_id, "
                "m._g || '.' || rep as grid_id, null as name, null as phone)" + _versioned(mem, 'workers') +
                " from src_workers s join grid_map m using (grid_id), reps")
    manual = read("select * from manual_scores where level = $level and month between $m_from and $m_to")
    mem.register("src_manual", manual)
    mem.execute("insert into manual_scores select s.* replace ('u' || m._u || '.' || rep as unit) "
                f"from src_manual s join (select distinct {key}, _u from src_grids) m on m.{key} = s.unit, reps")

    rng = np.random.default_rng(seed)
    grid_code = {g: c for g, c in zip(grids.column("grid_id").to_pylist(), grids.column("_g").to_pylist())}
    unit_code = {g: c for g, c in zip(grids.column("grid_id").to_pylist(), grids.column("_u").to_pylist())}
    worker_code = dict(zip(workers.column("worker_id").to_pylist(), workers.column("_w").to_pylist()))
    n_grids, n_units, n_workers = grids.num_rows, len(names), workers.num_rows

    def codes(prefix: str, n: int) -> pa.Array:
        """The private names of n things × every replicate ("3.17"), in the order code × replicates + rep."""
        k = pa.array(np.repeat(np.arange(n), replicates)).cast(pa.string())
        r = pa.array(np.tile(np.arange(replicates), n)).cast(pa.string())
        return pc.binary_join_element_wise(pc.binary_join_element_wise(prefix, k, ""), r, ".") if prefix else \
            pc.binary_join_element_wise(k, r, ".")

    def column(of_row: np.ndarray, rows: np.ndarray, rep: np.ndarray, dictionary: pa.Array) -> pa.Array:
        # dictionary-encoded: the copies share R × (grids | units | workers) strings instead of one per record
        return pa.DictionaryArray.from_arrays(pa.array((of_row[rows] * replicates + rep).astype(np.int32)), dictionary)

    grid_dict, unit_dict = codes("", n_grids), codes("u", n_units)
    # (relation, the period's records of the place sorted by unit then id, the private view's select list)
    families = [
        ("events", f"select e.*, g.{key} as _unit from events e join grids g using (grid_id) where {where} "
                   "and e.reported_at >= $from_ts and e.reported_at < $to_excl order by _unit, e.event_id",
         "s.* exclude (_row, _unit) replace (i.grid_id as grid_id, null as worker_id, null as description, "
         "null as reporter_name, null as reporter_phone)"),
        ("patrols", f"select p.*, g.{key} as _unit from patrols p join grids g using (grid_id) where {where} "
                    "and p.started_at >= $from_ts and p.started_at < $to_excl order by _unit, p.patrol_id",
         "s.* exclude (_row, _unit) replace (i.grid_id as grid_id, null as worker_id, null as track)"),
        ("worker_days", f"select d.worker_id, d.day, d.grid_id, d.month, d.week, g.{key} as _unit from worker_days d "
                        f"join grids g using (grid_id) where {where} and d.day >= $from_ts and d.day < $to_excl "
                        "order by _unit, d.worker_id, d.day",
         "i.worker_id, s.day, i.grid_id, i.unit as street, i.unit as community, null as district, s.month, s.week"),
    ]
    kinds = _event_kinds(con, filters, key, cfg, read)
    if kinds is not None:
        # events as counts: every replicate's draw of each unit's events, summed into the private store's per grid ×
        # day summary (one row per unit copy, on the period's first day, on one of its grids) — what compute reads
        cols, table = kinds
        first_grid = {}
        for g, u in zip(grids.column("_g").to_pylist(), grids.column("_u").to_pylist()):
            first_grid.setdefault(u, g)
        code_of = {n: c for c, n in names.items()}
        unit_col = table.column("_unit").to_pylist()
        values = np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in cols]) if cols else \
            np.zeros((table.num_rows, 0), np.int64)
        freq = table.column("_n").to_numpy(zero_copy_only=False)
        out_grid, out_vals = [], []
        for unit in dict.fromkeys(unit_col):
            rows = np.flatnonzero(np.array([u == unit for u in unit_col]))
            totals = _draw_counts(freq[rows], replicates, rng) @ values[rows]        # replicates × columns
            g = first_grid[code_of[unit]]
            out_grid += [f"{g}.{r}" for r in range(replicates)]
            out_vals.append(totals)
        data = {"grid_id": pa.array(out_grid, pa.string()),
                "day": pa.array([filters.date_from] * len(out_grid), pa.date32())}
        stacked = np.vstack(out_vals) if out_vals else np.zeros((0, len(cols)), np.int64)
        for i, c in enumerate(cols):
            data[c] = pa.array(stacked[:, i].astype(np.int64))
        mem.register("src_event_days", pa.table(data))
        mem.execute("create or replace table event_days as select * from src_event_days")
        mem.execute("create table if not exists store_meta (key varchar primary key, value varchar)")
        mem.execute("insert or replace into store_meta values (?, ?)", [summaries.META_KEY, json.dumps(cols)])
        families = families[1:]
    views = []
    for table, sql, select in families:
        src = read(sql)
        rows, rep = _draw(src.column("_unit").to_numpy(zero_copy_only=False), replicates, rng)
        gids = src.column("grid_id").to_pylist()
        idx = {"_row": rows, "rep": rep,
               "grid_id": column(np.array([grid_code[g] for g in gids], np.int64), rows, rep, grid_dict)}
        if table == "worker_days":
            idx["unit"] = column(np.array([unit_code[g] for g in gids], np.int64), rows, rep, unit_dict)
            idx["worker_id"] = column(np.array([worker_code[w] for w in src.column("worker_id").to_pylist()],
                                               np.int64), rows, rep, codes("", n_workers))
        mem.register(f"src_{table}", src.append_column("_row", pa.array(np.arange(src.num_rows), pa.int64())))
        mem.register(f"idx_{table}", pa.table(idx))
        views.append(f"create or replace view {table} as select {select} from idx_{table} i "
                     f"join src_{table} s using (_row)")
    # resampled records are read through views (each is scanned once per score), not copied into tables
    for v in views[:-1]:           # events (unless drawn as counts, its table stays empty) and patrols
        mem.execute(f"drop table {v.split()[4]}")
        mem.execute(v)
    for ddl in store.view_statements():
        mem.execute(ddl)
    mem.execute(views[-1])          # after sql/views, whose worker_days (derived from the records) it replaces
    # the as-of form the registry reads (history: places as at the period end) reads the resampled days too
    mem.execute("create or replace macro worker_days_at(t) as table select * from worker_days")
    return mem, names


def replicate_ranks(con, filters: Filters, level: str = "street", cfg: Config | None = None,
                    replicates: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """One row per unit and replicate: unit, rep, score, rank (within the replicate)."""
    cfg = cfg or load_config()
    r_default, s_default = settings(cfg)
    replicates = r_default if replicates is None else int(replicates)
    seed = s_default if seed is None else int(seed)
    mem, names = _private_store(con, filters, level, replicates, seed, cfg)
    try:
        plain = replace(filters, streets=(), communities=(), grids=(), scope=None)
        boot = score.scores(mem, plain, level, cfg)
    finally:
        mem.close()
    parts = boot["unit"].str.slice(1).str.split(".", n=1, expand=True)
    out = pd.DataFrame({"unit": parts[0].astype(int).map(names), "rep": parts[1].astype(int),
                        "score": pd.to_numeric(boot["score"], errors="coerce")})
    out["rank"] = out.groupby("rep")["score"].rank(method="min", ascending=False)
    return out


def rank_intervals(con, filters: Filters, level: str = "street", cfg: Config | None = None,
                   replicates: int | None = None, seed: int | None = None,
                   observed: pd.DataFrame | None = None) -> pd.DataFrame:
    """unit, rank (observed), rank_low, rank_high — the 95 % bootstrap interval of each unit's rank."""
    cfg = cfg or load_config()
    observed = score.scores(con, filters, level, cfg) if observed is None else observed
    reps = replicate_ranks(con, filters, level, cfg, replicates, seed)
    rows = []
    for _, r in observed.iterrows():
        ranks = reps.loc[(reps["unit"] == r["unit"]) & reps["rank"].notna(), "rank"].to_numpy()
        if pd.isna(r["rank"]) or len(ranks) == 0:
            rows.append({"unit": r["unit"], "rank_low": None, "rank_high": None})
            continue
        low = int(np.percentile(ranks, 2.5, method="lower"))
        high = int(np.percentile(ranks, 97.5, method="higher"))
        rows.append({"unit": r["unit"], "rank_low": min(low, int(r["rank"])), "rank_high": max(high, int(r["rank"]))})
    out = pd.DataFrame(rows, columns=["unit", "rank_low", "rank_high"])
    return out.astype({"rank_low": "Int64", "rank_high": "Int64"})
