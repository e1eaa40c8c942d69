"""month_parts: the six-item board's inputs of every calendar month, kept after each import (issue 15).

A scoreboard of a month is three boards (the month, 较上期, 同比), each the registry's parts by unit computed over the
period (metrics/score.item_parts → compute_many), plus the units and the hand-entered 其他工作 scores. Those inputs
change only when data is imported, so they are computed once per month after an import and stored; a board of a
whole calendar month without filters then reads a few hundred rows in one statement instead of computing. Nothing
here is a second definition: the stored rows are compute_many()'s own frames (and score._units / other_work), and
scores() does the arithmetic on them exactly as on freshly computed parts (tests/test_month_parts.py proves the
boards equal, month by month, after every kind of import).

When the rows are used (state()): store_meta 'month_parts' holds the definition they were computed under (the parts'
registry declarations, the configured parameters, the views and the 其他工作 query), the data generation they
reflect and the months they cover. Every import bumps the generation in its own transaction and records the months
it touched (ingest: the months of the events, patrols or scores it stored or replaced; every month for grids,
workers and boundaries, whose placement reaches back); refresh() then recomputes those months and stamps the new
generation (storefile.writing does so before publishing an import; demo.generate and a read-write opening of a
stale store too). Until then — or after scoring.toml changed — nothing is read from it and boards are computed
as before. A write that bypasses ingest must call bump().
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date

import pandas as pd

from .config import Config, load_config

TABLE = "month_parts"
META = "month_parts"                # {"definition", "generation", "months": [first, last] or null, "first_data"}
GENERATION = "data_generation"      # changes with every import
DIRTY = "month_parts_dirty"         # months imported since the rows were written: ["2026-10", …] or ["*"]
LEVELS = ("street", "community")
UNITS, MANUAL = "_unit", "_manual"   # the rows of score._units and score.other_work
ALL = "*"


def month_of(kind: str) -> str | None:
    """SQL for the month a stored row of `kind` counts in on the board (None: the board does not read it)."""
    from .registry import SOURCES

    if kind in ("events", "patrols"):
        return f"strftime({SOURCES[kind].time}, '%Y-%m')"
    return "month" if kind == "manual_scores" else None


@functools.lru_cache(maxsize=8)
def _definition(params: str) -> str:
    from data.store import SQL_DIR, views_checksum

    from .registry import METRICS
    from .score import PARTS

    spec = {"parts": [repr(METRICS[p]) for p in PARTS], "params": params, "views": views_checksum(),
            "other_work": (SQL_DIR / "queries" / "other_work.sql").read_text(encoding="utf-8"), "levels": LEVELS}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def definition(cfg: Config) -> str:
    from .compute import config_params

    return _definition(json.dumps([config_params(cfg), cfg.parameters.get("data_entry_fields")], sort_keys=True,
                                  default=str))


def _meta(con) -> dict:
    try:
        rows = con.execute("select key, value from store_meta where key in (?, ?, ?)",
                           [META, GENERATION, DIRTY]).fetchall()
    except Exception:           # a store without store_meta (a bare test database)
        return {}
    return {k: json.loads(v) if k != GENERATION else v for k, v in rows}


def state(con, cfg: Config | None = None) -> dict | None:
    """The stored rows' meta when they reflect the store as it is under this configuration, else None."""
    if getattr(con, "dialect", "duckdb") != "duckdb":          # another engine's export has no such table
        return None
    meta = _meta(con)
    stored = meta.get(META)
    if not stored or meta.get(DIRTY) or stored.get("generation") != meta.get(GENERATION) \
            or stored.get("definition") != definition(cfg or load_config()):
        return None
    return stored


def whole_month(filters) -> str | None:
    """'YYYY-MM' when the filters are one calendar month and nothing else (no place, category … and no scope)."""
    from .filters import FILTER_COLUMNS
    from .periods import _month_end

    f = filters
    if f.scope is not None or any(getattr(f, name) for name in FILTER_COLUMNS) or f.date_from.day != 1 \
            or f.date_to != _month_end(f.date_from.year, f.date_from.month):
        return None
    return f"{f.date_from:%Y-%m}"


def lookup(con, periods: list, level: str, cfg: Config | None = None, meta=...) -> dict:
    """{index in `periods`: (units, parts, manual)} for the periods the stored rows answer — one statement for all
    of them; {} when they answer none. parts is {part id: frame} exactly as score.item_parts computes it.
    `meta`: state(con, cfg) when the caller has read it."""
    if level not in LEVELS:
        return {}
    meta = state(con, cfg) if meta is ... else meta
    if meta is None or not meta.get("months"):
        return {}
    first, last = meta["months"]
    wanted = {i: m for i, f in enumerate(periods) if (m := whole_month(f)) and first <= m <= last}
    if not wanted:
        return {}
    months = sorted(set(wanted.values()))
    rows = con.execute(f"select month, part, unit, value, numerator, denominator from {TABLE} "
                       f"where level = ? and month in ({', '.join('?' * len(months))}) order by month, part, pos",
                       [level, *months]).fetchall()
    by_month: dict = {m: {} for m in months}
    for month, part, *rest in rows:
        by_month[month].setdefault(part, []).append(rest)
    return {i: _unpack(by_month[m], level) for i, m in wanted.items()}


class StoredParts(Mapping):
    """{part id: frame} as score.item_parts computes it, each frame built when first asked for; `by_unit` gives
    the values the board's arithmetic needs without building any."""

    def __init__(self, key: str, parts: dict):
        from .score import PARTS

        self.key, self._rows, self._frames = key, {p: parts.get(p, []) for p in PARTS}, {}
        self.by_unit = {p: {r[0]: r[1] for r in rows} for p, rows in self._rows.items()}

    def __getitem__(self, part: str) -> pd.DataFrame:
        if part not in self._frames:
            from .compute import frame_from

            cols = list(zip(*self._rows[part])) or [[], [], [], []]
            self._frames[part] = frame_from(self.key, part, list(cols[0]), *map(list, cols[1:]))
        return self._frames[part]

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _unpack(parts: dict, level: str):
    """(units, parts, manual) of one month from its stored rows ([unit, value, numerator, denominator] by part)."""
    from .score import LEVEL_KEY

    units = sorted(r[0] for r in parts.pop(UNITS, []))
    manual = {u: (s, int(n)) for u, s, _, n in parts.pop(MANUAL, [])}
    return units, StoredParts(LEVEL_KEY[level], parts), manual


def bump(con, months=None) -> None:
    """Within an import's transaction: the data changed (in `months`, 'YYYY-MM' strings; None: in every month)."""
    meta = _meta(con)
    dirty = set(meta.get(DIRTY) or ()) | ({ALL} if months is None else set(months))
    con.execute("insert or replace into store_meta values (?, ?), (?, ?)",
                [GENERATION, uuid.uuid4().hex, DIRTY, json.dumps(sorted(dirty))])


def stale(con, cfg: Config | None = None) -> bool:
    try:
        has = con.execute("select count(*) from duckdb_tables() where table_name = ? and schema_name = 'main' "
                          "and database_name = current_database()", [TABLE]).fetchall()[0][0]
    except Exception:
        return False
    return bool(has) and state(con, cfg) is None


def _data_months(con) -> tuple[str, str] | None:
    """The months with activity data: from the first (periods.first_data) to the last event or patrol."""
    from .periods import first_data

    first = first_data(con)
    last = con.execute("select max(d) from (select max(reported_at)::date as d from events "
                       "union all select max(started_at)::date from patrols)").fetchall()[0][0]
    if first is None or last is None:
        return None
    return f"{first:%Y-%m}", f"{max(first, last):%Y-%m}"


def _month_list(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def compute_month(con, month: str, level: str, cfg: Config) -> pd.DataFrame:
    """The stored rows of one level and month: computed by the board's own functions."""
    from .compute import Filters
    from .periods import _month_end
    from .score import LEVEL_KEY, _units, item_parts, other_work

    y, m = int(month[:4]), int(month[5:])
    f = Filters(date(y, m, 1), _month_end(y, m))
    key = LEVEL_KEY[level]
    frames = [pd.DataFrame({"part": UNITS, "pos": range(len(units := _units(con, f, level))), "unit": units})]
    for part, df in item_parts(con, f, level, cfg, cache=False).items():
        frames.append(pd.DataFrame({"part": part, "pos": range(len(df)), "unit": df[key].astype(object),
                                    "value": pd.to_numeric(df["value"], errors="coerce").astype(float),
                                    "numerator": df["numerator"].astype(float),
                                    "denominator": df["denominator"].astype(float)}))
    manual = other_work(con, f, level)
    frames.append(pd.DataFrame({"part": MANUAL, "pos": range(len(manual)), "unit": list(manual),
                                "value": [float(s) if s is not None else None for s, _ in manual.values()],
                                "denominator": [float(n) for _, n in manual.values()]}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "month", month)
    out.insert(0, "level", level)
    return out.reindex(columns=["level", "month", "part", "pos", "unit", "value", "numerator", "denominator"])


def refresh(con, cfg: Config | None = None, transaction: bool = True) -> list[str] | None:
    """Recompute the months the imports since the last refresh touched (all of them after a change of definition)
    and stamp the current generation — in a transaction of its own, or the caller's (transaction=False). Returns
    the months computed (None: nothing to do, or a store without the table)."""
    from .periods import first_data

    cfg = cfg or load_config()
    if not stale(con, cfg):
        return None
    meta = _meta(con)
    stored = meta.get(META) or {}
    generation = meta.get(GENERATION) or uuid.uuid4().hex
    dirty = set(meta.get(DIRTY) or ())
    span = _data_months(con)
    every = ALL in dirty or stored.get("definition") != definition(cfg) or not stored
    all_months = _month_list(*span) if span else []
    months = all_months if every else sorted(m for m in dirty if m in set(all_months))
    if transaction:
        con.execute("begin transaction")
    try:
        if every:
            con.execute(f"delete from {TABLE}")
        elif months:
            con.execute(f"delete from {TABLE} where month in ({', '.join('?' * len(months))})", months)
        frames = [compute_month(con, m, level, cfg) for m in months for level in LEVELS]
        if frames:
            con.register("_gg_month_parts", pd.concat(frames, ignore_index=True))
            con.execute(f"insert into {TABLE} select * from _gg_month_parts")
            con.unregister("_gg_month_parts")
        first = span[0] if span else None
        first_day = first_data(con)
        meta_value = {"definition": definition(cfg), "generation": generation,
                      "months": [first, span[1]] if span else None,
                      "first_data": first_day.isoformat() if first_day else None}
        con.execute("insert or replace into store_meta values (?, ?), (?, ?), (?, ?)",
                    [META, json.dumps(meta_value), GENERATION, generation, DIRTY, "[]"])
        if transaction:
            con.execute("commit")
    except BaseException:
        if transaction:
            con.execute("rollback")
        raise
    return months
