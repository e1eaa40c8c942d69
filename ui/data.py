"""Cached reads for the pages. Every number comes from the indicator layer (metrics/). One decorator, `cached`,
keys every read by the store's version (an import is visible at once) and the scoring configuration's version
(an edit of data/scoring.toml changes values at once, not only colours), and bounds every cache."""
from __future__ import annotations

import functools
import hashlib
import os

import pandas as pd
import streamlit as st

from metrics import dims, privacy, score
from metrics.compute import Filters, compute_many
from metrics.config import config_path, load_config

from .conn import cursor, version

TTL = 600


_config_hash: dict = {}


def config_version() -> str:
    """The scoring configuration's content hash: part of every cache key. Read again only when the file's stat
    changes (every cached read of a rerun asks; hashing the file each time was a tenth of a warm rerun)."""
    path = config_path()
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return ""
    key = (str(path), s.st_ino, s.st_mtime_ns, s.st_size)
    if key not in _config_hash:
        _config_hash.clear()
        _config_hash[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _config_hash[key]


def cached(max_entries: int = 128):
    """Cache a read for the pages: the key is (the function, store version, configuration version, arguments)."""
    def wrap(fn):
        def read(name: str, store_version, scoring_version, args: tuple, kwargs: dict):
            return fn(*args, **kwargs)

        # one cache per function: Streamlit keys a function's cache by module, qualname and source, and REPLACES a
        # cache whose max_entries differ — so the name must be set before decorating, else every `read` shares one
        # key and each call with another max_entries wipes the others' entries (a page recomputed everything)
        read.__qualname__ = read.__name__ = f"cached_{fn.__module__}_{fn.__qualname__}"
        read = st.cache_data(ttl=TTL, max_entries=max_entries, show_spinner=False)(read)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return read(fn.__qualname__, version(), config_version(), args, kwargs)
        return call
    return wrap


def _personal_mode() -> str:
    user = st.session_state.get("_user")
    return user.role.personal if user is not None else "none"


def metric(metric_id: str, filters: Filters, group_by=()) -> pd.DataFrame:
    """One indicator, small relief counts suppressed for the signed-in role (metrics/privacy.py)."""
    return metrics([metric_id], filters, group_by)[metric_id]


@cached(256)
def _metrics(ids: tuple, filters: Filters, group_by: tuple) -> dict:
    return compute_many(cursor(), list(ids), filters, list(group_by))


def metrics(ids, filters: Filters, group_by=()) -> dict:
    """Several indicators, small relief counts suppressed for the signed-in role (metrics/privacy.py)."""
    frames = _metrics(tuple(ids), filters, tuple(group_by))
    return privacy.suppress_small(cursor(), frames, filters, group_by, _personal_mode())


def value_table(ids, filters: Filters, key: str) -> pd.DataFrame:
    """Each indicator's value by unit side by side (one outer join on the units, sorted), small relief counts
    suppressed for the role: the cockpit's drill table, kept as one small frame (a rerun reads it instead of the
    indicators' frames and joining them again)."""
    return _value_table(tuple(ids), filters, key, _personal_mode())


@cached(64)
def _value_table(ids: tuple, filters: Filters, key: str, mode: str) -> pd.DataFrame:
    frames = privacy.suppress_small(cursor(), _metrics(ids, filters, (key,)), filters, (key,), mode)
    return pd.concat([frames[i].set_index(key)["value"].rename(i) for i in ids], axis=1,
                     join="outer").sort_index().rename_axis(key).reset_index()


def totals(ids, filters: Filters) -> dict:
    """{id: (value, numerator, denominator)} for the ungrouped scope, small counts suppressed for the role."""
    return _totals(tuple(ids), filters, _personal_mode())


@cached(256)
def _totals(ids: tuple, filters: Filters, mode: str) -> dict:
    # a small dict is what the cockpit's cards read on every rerun: cheaper to keep than the frames it comes from
    frames = privacy.suppress_small(cursor(), _metrics(ids, filters, ()), filters, (), mode)
    return {i: (frames[i]["value"].iat[0], frames[i]["numerator"].iat[0], frames[i]["denominator"].iat[0])
            for i in ids}


@cached(16)
def first_data():
    """The first day of any activity data (metrics/periods.first_data): comparisons before it show "—"."""
    from metrics import periods

    return periods.first_data(cursor())


def compared_totals(ids, filters: Filters) -> tuple[dict, dict]:
    """(较上期, 同比) totals of metrics/periods' comparison periods, {id: (value, numerator, denominator)}; every
    value None when that period starts before the first data."""
    from metrics import periods

    out = []
    for other in (filters.previous(), filters.year_ago()):
        if periods.comparable((other.date_from, other.date_to), first_data()):
            out.append(totals(ids, other))
        else:
            out.append({i: (None, None, None) for i in ids})
    return out[0], out[1]


def item_parts(filters: Filters, level: str = "street") -> dict:
    """The six items' inputs by unit for one period (score.item_parts): a whole month read from the rows kept after
    the last import (metrics/month_parts.py) when they are current, else through the same cache entry as
    metrics(score.PARTS, filters, [unit key]) — computed once per period and store version for every page, user and
    use: the board, its 较上期/同比 columns, the rank history's months, the explanation and the fairness columns."""
    kept = _kept_parts(filters, level)
    return kept if kept is not None else _metrics(tuple(score.PARTS), filters, (score.LEVEL_KEY[level],))


@cached(128)
def _kept_parts(filters: Filters, level: str):
    from metrics import month_parts

    hit = month_parts.lookup(cursor(), [filters], level, load_config())
    # the frames themselves are cached (a lazily built mapping would rebuild them on every rerun's read)
    return dict(hit[0][1].items()) if hit else None


@cached(128)
def _scoreboard(filters: Filters, level: str) -> pd.DataFrame:
    return score.scoreboard(cursor(), filters, level, load_config(), first_data=first_data(), parts=item_parts)


def scoreboard(filters: Filters, level: str = "street", weights: dict | None = None) -> pd.DataFrame:
    """The ranking (score.scoreboard). With `weights` (权重模拟) other than the configured ones: the same board's item
    scores re-weighted and re-ranked (score.reweight), no query."""
    board = _scoreboard(filters, level)
    if weights and {i: float(w) for i, w in weights.items()} != {i: float(load_config().weights.get(i, 0.0))
                                                                for i in weights}:
        return score.reweight(board, weights)
    return board


@cached(32)
def district_board(filters: Filters) -> pd.DataFrame:
    """Streets in the user's scope with their rank among all streets (score.district_board)."""
    return score.district_board(cursor(), filters, first_data=first_data(), parts=item_parts)


@cached(128)
def explain(filters: Filters, unit: str, level: str = "street") -> dict:
    """Read off the cached board and parts of the period (score.explain): no second scoring."""
    return score.explain(cursor(), filters, unit, level, parts=item_parts(filters, level),
                         board=_scoreboard(filters, level))


@cached(16)
def hierarchy() -> pd.DataFrame:
    return dims.hierarchy(cursor())


@cached(16)
def span():
    """((first day, last day) of events, last import time)."""
    return dims.data_span(cursor()), dims.last_import(cursor())


@cached(64)
def distinct(table: str, column: str) -> list:
    return dims.distinct_values(cursor(), table, column)


@cached(256)
def query(name: str, filters: Filters, *extra) -> pd.DataFrame:
    """A named query of metrics/queries.py (record lists, funnels …)."""
    from metrics import queries

    return getattr(queries, name)(cursor(), filters, *extra)


@cached(256)
def explore_distinct(dataset: str, column: str, filters: Filters) -> list:
    from metrics import explore

    return explore.distinct(cursor(), dataset, column, filters)


@cached(256)
def _explore_aggregate(dataset, filters, group_by: tuple, measure, column, column_filters: dict):
    from metrics import explore

    return explore.aggregate(cursor(), dataset, filters, list(group_by), measure, column, column_filters)


def explore_aggregate(dataset: str, filters: Filters, group_by, measure: str, column, column_filters: dict):
    """The explorer's aggregate; relief below street level for a masked role: counts only, small ones as "<5"."""
    below = dataset == "relief" and privacy.small_groups_apply(group_by, filters, _personal_mode())
    if below and measure != "count":
        raise privacy.SmallGroups(privacy.SMALL_REFUSAL)
    out = _explore_aggregate(dataset, filters, tuple(group_by), measure, column, _freeze(column_filters))
    return privacy.suppress_small_counts(out) if below else out


@cached(64)
def geo(name: str, filters: Filters, *extra):
    """grid_shapes / event_bins / patrol_tracks of metrics/geo.py."""
    from metrics import geo as geo_

    return getattr(geo_, name)(cursor(), filters, *extra)


@cached(8)
def district_outline():
    from metrics import geo as geo_

    return geo_.district_outline(cursor())


@cached(32)
def street_outlines(scope=None):
    from metrics import geo as geo_

    return geo_.street_outlines(cursor(), scope)


@cached(128)
def explore_records(dataset: str, filters: Filters, column_filters: dict, limit: int, personal: str):
    """Record list and total of the explorer (cached: the explorer reruns on every widget, e.g. typing SQL)."""
    from metrics import explore

    return explore.records(cursor(), dataset, filters, _freeze(column_filters), limit, personal)


def _freeze(column_filters: dict) -> dict:
    """Column filters in a stable order with value lists as tuples (ranges stay Range): one cache key per meaning."""
    from metrics.explore import Range

    return {k: v if isinstance(v, Range) else tuple(v) for k, v in sorted(column_filters.items())}


# ------------------------------------------------------------------- published rankings, rank history, bulletin

@cached(64)
def published(level: str, d_from, d_to):
    """(header, board) of the latest published version of the period, or None (metrics/publish.latest)."""
    from metrics import publish

    con = cursor()
    return publish.latest(con, level, d_from, d_to) if publish.has_tables(con) else None


@cached(64)
def publications(level: str, d_from, d_to) -> pd.DataFrame:
    from metrics import publish

    return publish.versions(cursor(), level, d_from, d_to)


@cached(64)
def publication_board(publication_id: int) -> pd.DataFrame:
    from metrics import publish

    return publish.board(cursor(), publication_id)


@cached(64)
def published_diff(level: str, d_from, d_to, live: pd.DataFrame):
    """What moved between the latest published version and the live board (metrics/publish.diff)."""
    from metrics import publish

    pub = published(level, d_from, d_to)
    return None if pub is None else publish.diff(cursor(), pub[0], pub[1], live)


@cached(32)
def _rank_history(end, months: int, level: str, scope, streets: tuple):
    from metrics import rank_history as rh

    return rh.monthly(cursor(), end, months, level, load_config(), scope, streets, parts=item_parts)


def rank_history(end, months: int = 12, level: str = "street", scope=None, streets: tuple = ()) -> pd.DataFrame:
    """排名走势 month by month (metrics/rank_history.monthly)."""
    return _rank_history(end, months, level, scope, tuple(streets))


def rank_flags(history: pd.DataFrame) -> dict:
    from metrics import rank_history as rh

    return rh.flags(history, load_config())


@cached(32)
def history_flags(end, months: int = 12, level: str = "street", scope=None) -> dict:
    """The 排名走势 flags of the months up to `end` — one computation shared by every session (the ranking page and
    the kiosk showed them by re-deriving them from the history on every run)."""
    return rank_flags(rank_history(end, months, level, scope))


@cached(16)
def bulletin_docx(filters: Filters, level: str = "street", kind: str = "month", issued: str = "") -> bytes:
    """The Word 通报 (metrics/bulletin snapshot → ui/bulletin.bulletin_docx)."""
    from metrics import bulletin
    from ui.bulletin import bulletin_docx as docx

    return docx(bulletin.snapshot(cursor(), filters, level, kind), issued)


SQL_TYPES = {"VARCHAR": "文本", "BIGINT": "整数", "INTEGER": "整数", "HUGEINT": "整数", "SMALLINT": "整数",
             "DOUBLE": "小数", "FLOAT": "小数", "DECIMAL": "小数", "TIMESTAMP": "时间", "DATE": "日期",
             "BOOLEAN": "是/否"}


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _sql_columns(store_version, user) -> dict:
    from access.sqlguard import view_sql

    out = {}
    for name, (sql, params) in view_sql(user).items():
        cur = cursor()
        cur.execute(f"select * from ({sql}) limit 0", params)
        out[name] = [(d[0], SQL_TYPES.get(str(d[1]).split("(")[0], str(d[1]))) for d in cur.description]
        cur.fetchall()
    return out


def sql_columns(user) -> dict:
    """table → [(column, type in Chinese)] of the SQL tab's views as this user sees them."""
    return _sql_columns(version(), user)
