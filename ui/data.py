"""Cached reads for the pages. Every number comes from the indicator layer (metrics/); the cache key holds the
store's version so an import is visible at once, and every cache is bounded."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import dims, privacy, score
from metrics.compute import Filters, compute_many
from metrics.config import load_config

from .conn import cursor, version

TTL = 600


def _personal_mode() -> str:
    user = st.session_state.get("_user")
    return user.role.personal if user is not None else "none"


def metric(metric_id: str, filters: Filters, group_by=()) -> pd.DataFrame:
    """One indicator, small relief counts suppressed for the signed-in role (metrics/privacy.py)."""
    return metrics([metric_id], filters, group_by)[metric_id]


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _metrics(store_version, ids: tuple, filters: Filters, group_by: tuple) -> dict:
    return compute_many(cursor(), list(ids), filters, list(group_by))


def metrics(ids, filters: Filters, group_by=()) -> dict:
    """Several indicators, small relief counts suppressed for the signed-in role (metrics/privacy.py)."""
    frames = _metrics(version(), tuple(ids), filters, tuple(group_by))
    return privacy.suppress_small(cursor(), frames, filters, group_by, _personal_mode())


def totals(ids, filters: Filters) -> dict:
    """{id: (value, numerator, denominator)} for the ungrouped scope."""
    frames = metrics(ids, filters)
    return {i: tuple(frames[i].iloc[0][["value", "numerator", "denominator"]]) for i in ids}


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _first_data(store_version):
    from metrics import periods

    return periods.first_data(cursor())


def first_data():
    """The first day of any activity data (metrics/periods.first_data): comparisons before it show "—"."""
    return _first_data(version())


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


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _scoreboard(store_version, filters: Filters, level: str, weights: tuple) -> pd.DataFrame:
    cfg = load_config()
    if weights:
        cfg = cfg.with_weights(dict(weights))
    return score.scoreboard(cursor(), filters, level, cfg, first_data=first_data())


def scoreboard(filters: Filters, level: str = "street", weights: dict | None = None) -> pd.DataFrame:
    return _scoreboard(version(), filters, level, tuple(sorted((weights or {}).items())))


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _explain(store_version, filters: Filters, unit: str, level: str) -> dict:
    return score.explain(cursor(), filters, unit, level)


def explain(filters: Filters, unit: str, level: str = "street") -> dict:
    return _explain(version(), filters, unit, level)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _hierarchy(store_version) -> pd.DataFrame:
    return dims.hierarchy(cursor())


def hierarchy() -> pd.DataFrame:
    return _hierarchy(version())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _span(store_version):
    return dims.data_span(cursor()), dims.last_import(cursor())


def span():
    """((first day, last day) of events, last import time)."""
    return _span(version())


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _distinct(store_version, table: str, column: str) -> list:
    return dims.distinct_values(cursor(), table, column)


def distinct(table: str, column: str) -> list:
    return _distinct(version(), table, column)


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _query(store_version, name: str, filters: Filters, extra: tuple) -> pd.DataFrame:
    from metrics import queries

    return getattr(queries, name)(cursor(), filters, *extra)


def query(name: str, filters: Filters, *extra) -> pd.DataFrame:
    """A named query of metrics/queries.py (record lists, funnels …), cached."""
    return _query(version(), name, filters, tuple(extra))


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _explore_distinct(store_version, dataset: str, column: str, filters: Filters) -> list:
    from metrics import explore

    return explore.distinct(cursor(), dataset, column, filters)


def explore_distinct(dataset: str, column: str, filters: Filters) -> list:
    return _explore_distinct(version(), dataset, column, filters)


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _explore_aggregate(store_version, dataset, filters, group_by, measure, column, column_filters):
    from metrics import explore

    return explore.aggregate(cursor(), dataset, filters, list(group_by), measure, column,
                             {k: v for k, v in column_filters})


def explore_aggregate(dataset: str, filters: Filters, group_by, measure: str, column, column_filters: dict):
    """The explorer's aggregate; relief below street level for a masked role: counts only, small ones as "<5"."""
    frozen = _freeze(column_filters)
    below = dataset == "relief" and privacy.small_groups_apply(group_by, filters, _personal_mode())
    if below and measure != "count":
        raise privacy.SmallGroups(privacy.SMALL_REFUSAL)
    out = _explore_aggregate(version(), dataset, filters, tuple(group_by), measure, column, frozen)
    return privacy.suppress_small_counts(out) if below else out


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _geo(store_version, name: str, filters: Filters, extra: tuple):
    from metrics import geo

    return getattr(geo, name)(cursor(), filters, *extra)


def geo(name: str, filters: Filters, *extra):
    """grid_shapes / event_bins / patrol_tracks of metrics/geo.py, cached."""
    return _geo(store_version=version(), name=name, filters=filters, extra=tuple(extra))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _outline(store_version):
    from metrics import geo

    return geo.district_outline(cursor())


def district_outline():
    return _outline(version())


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _street_outlines(store_version, scope):
    from metrics import geo

    return geo.street_outlines(cursor(), scope)


def street_outlines(scope=None):
    return _street_outlines(version(), scope)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def _explore_records(store_version, dataset, filters, column_filters, limit, personal):
    from metrics import explore

    return explore.records(cursor(), dataset, filters, {k: v for k, v in column_filters}, limit, personal)


def explore_records(dataset: str, filters: Filters, column_filters: dict, limit: int, personal: str):
    """Record list and total of the explorer (cached: the explorer reruns on every widget, e.g. typing SQL)."""
    frozen = _freeze(column_filters)
    return _explore_records(version(), dataset, filters, frozen, limit, personal)


def _freeze(column_filters: dict) -> tuple:
    """Hashable column filters for the cache key: value lists become tuples, ranges stay Range."""
    from metrics.explore import Range

    return tuple(sorted((k, v if isinstance(v, Range) else tuple(v)) for k, v in column_filters.items()))


# ------------------------------------------------------------------- published rankings, rank history, bulletin

@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _published(store_version, level: str, d_from, d_to):
    from metrics import publish

    con = cursor()
    return publish.latest(con, level, d_from, d_to) if publish.has_tables(con) else None


def published(level: str, d_from, d_to):
    """(header, board) of the latest published version of the period, or None (metrics/publish.latest)."""
    return _published(version(), level, d_from, d_to)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _publications(store_version, level: str, d_from, d_to):
    from metrics import publish

    return publish.versions(cursor(), level, d_from, d_to)


def publications(level: str, d_from, d_to) -> pd.DataFrame:
    return _publications(version(), level, d_from, d_to)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _publication_board(store_version, publication_id: int):
    from metrics import publish

    return publish.board(cursor(), publication_id)


def publication_board(publication_id: int) -> pd.DataFrame:
    return _publication_board(version(), publication_id)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _published_diff(store_version, level: str, d_from, d_to, live: pd.DataFrame):
    from metrics import publish

    pub = published(level, d_from, d_to)
    return None if pub is None else publish.diff(cursor(), pub[0], pub[1], live)


def published_diff(level: str, d_from, d_to, live: pd.DataFrame):
    """What moved between the latest published version and the live board (metrics/publish.diff)."""
    return _published_diff(version(), level, d_from, d_to, live)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _rank_history(store_version, end, months: int, level: str, scope, streets: tuple):
    from metrics import rank_history as rh

    return rh.monthly(cursor(), end, months, level, load_config(), scope, streets)


def rank_history(end, months: int = 12, level: str = "street", scope=None, streets: tuple = ()) -> pd.DataFrame:
    """排名走势 month by month (metrics/rank_history.monthly), cached per store version."""
    return _rank_history(version(), end, months, level, scope, tuple(streets))


def rank_flags(history: pd.DataFrame) -> dict:
    from metrics import rank_history as rh

    return rh.flags(history, load_config())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _bulletin_docx(store_version, filters: Filters, level: str, kind: str, issued: str) -> bytes:
    from metrics import bulletin
    from ui.bulletin import bulletin_docx

    return bulletin_docx(bulletin.snapshot(cursor(), filters, level, kind), issued)


def bulletin_docx(filters: Filters, level: str = "street", kind: str = "month", issued: str = "") -> bytes:
    """The Word 通报 (metrics/bulletin snapshot → ui/bulletin.bulletin_docx), cached per store version."""
    return _bulletin_docx(version(), filters, level, kind, issued)
