"""Cached reads for the fairness and data-quality views (funnel plots, rank intervals, signals, 研判), through
ui/data.py's one `cached` decorator (the key holds the store and the scoring configuration: an edit of a signal's
threshold or of min_n shows at once)."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from metrics.compute import Filters

from .conn import cursor
from .data import cached


@cached(256)
def _funnel(metric_id: str, filters: Filters, level: str, centre: str, od: bool) -> dict:
    from metrics import funnel as fn

    return fn.funnel(cursor(), metric_id, filters, level, centre, od)


def funnel(metric_id: str, filters: Filters, level: str, centre: str = "district", od: bool = False) -> dict:
    return _funnel(metric_id, filters, level, centre, od)


@cached(64)
def _intervals(filters: Filters, level: str) -> pd.DataFrame:
    from metrics.intervals import rank_intervals
    from metrics.score import scores

    from .data import item_parts

    # the observed ranks from the period's cached parts (the board's own); only the bootstrap replicates are new work
    observed = scores(cursor(), filters, level, parts=item_parts)
    return rank_intervals(cursor(), filters, level, observed=observed)


def intervals(filters: Filters, level: str = "street") -> pd.DataFrame:
    """unit, rank_low, rank_high (metrics/intervals.py)."""
    return _intervals(filters, level)


@cached(128)
def _flagged(filters: Filters) -> pd.DataFrame:
    from metrics.quality import flagged

    return flagged(cursor(), filters)


def flagged(filters: Filters) -> pd.DataFrame:
    return _flagged(filters)


@cached(128)
def _quality_counts(filters: Filters, level: str) -> pd.DataFrame:
    from metrics.quality import counts

    return counts(cursor(), filters, level, flags=flagged(filters))


def quality_counts(filters: Filters, level: str = "street") -> pd.DataFrame:
    return _quality_counts(filters, level)


def records_link(dataset_label: str, filters: Filters, street=None, community=None, grid=None, **extra) -> str:
    """A link to the explorer's record list for a place, in the current period (masked there by role)."""
    params = {"dataset": dataset_label}
    for k in ("period", "from", "to"):
        if st.query_params.get(k):
            params[k] = st.query_params.get(k)
    for k, v in (("street", street), ("community", community), ("grid", grid)):
        if v:
            params[k] = v
    params.update({k: v for k, v in extra.items() if v})
    return "explorer?" + urlencode(params)


@cached(128)
def _analysis(name: str, filters: Filters) -> pd.DataFrame:
    from metrics import analysis

    return getattr(analysis, name)(cursor(), filters)


def analysis(name: str, filters: Filters) -> pd.DataFrame:
    """A 研判 table of metrics/analysis.py, cached."""
    return _analysis(name, filters)


def map_link(h: pd.DataFrame, metric_label: str, street=None, community=None, grid=None) -> str:
    """A link to the map page coloured by an indicator, zoomed to a place (the sidebar's labels)."""
    params = {"map_ind": metric_label}
    for k in ("period", "from", "to"):
        if st.query_params.get(k):
            params[k] = st.query_params.get(k)
    if grid is not None:
        row = h[h["grid_id"] == grid]
        if len(row):
            street, community = row["street"].iloc[0], row["community"].iloc[0]
            params["grid"] = f"{row['grid_name'].iloc[0] or grid}（{grid}）"
    if community is not None and street is None:
        row = h[h["community"] == community]
        street = row["street"].iloc[0] if len(row) else None
    if street:
        params["street"] = street
    if community:
        params["community"] = community
    order = ["map_ind", "period", "from", "to", "street", "community", "grid"]
    return "map?" + urlencode({k: params[k] for k in order if k in params})
