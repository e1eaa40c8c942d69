"""One filter rule: every named query (sql/queries/*.sql), the explorer and the score's unit list narrow rows exactly
as the indicators do (metrics/filters.py), on tests/metric_fixture.py (period P = 2025-09-01 … 2025-09-14)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import explore, geo, queries, score
from metrics.compute import Filters, compute

ROOT = Path(__file__).resolve().parent.parent
P = Filters(date(2025, 9, 1), date(2025, 9, 14))

# one narrowing per filter field (and the scope), each matching some rows of the fixture
NARROWINGS = {
    "none": {},
    "streets": {"streets": ("甲街道",)},
    "communities": {"communities": ("甲一社区",)},
    "grids": {"grids": ("B1",)},
    "categories": {"categories": ("hazard",)},
    "sources": {"sources": ("hotline",)},
    "tiers": {"tiers": ("general",)},
    "workers": {"workers": ("WA1",)},
    "departments": {"departments": ("社区居委会",)},
    "programmes": {"programmes": ("temporary_relief",)},
    "scope": {"scope": ("乙街道",)},
}


def _by(df: pd.DataFrame, keys: list, col: str = "numerator") -> dict:
    return {tuple(r[k] for k in keys): r[col] for _, r in df.iterrows()}


def test_overdue_events_honour_sources(mcon):
    # overdue at the end of P: E2 (patrol; due 09-09, closed 09-12) and E5 (hotline; due 09-12 10:00, open)
    assert list(queries.overdue(mcon, P)["event_id"]) == ["E2", "E5"]     # 72 h, then 62 h overdue
    only = queries.overdue(mcon, P.with_(sources=("hotline",)))
    assert list(only["event_id"]) == ["E5"]
    assert only["hours_overdue"].tolist() == [62.0]        # 09-12 10:00 → 09-15 00:00


def test_overdue_events_honour_tiers_workers_departments(mcon):
    assert list(queries.overdue(mcon, P.with_(tiers=("difficult",)))["event_id"]) == ["E2"]
    assert list(queries.overdue(mcon, P.with_(workers=("WA1",)))["event_id"]) == ["E2"]
    assert list(queries.overdue(mcon, P.with_(departments=("区应急管理局",)))["event_id"]) == ["E5"]


@pytest.mark.parametrize("narrowing", list(NARROWINGS))
def test_every_named_query_gives_the_rows_the_metrics_give(mcon, narrowing):
    f = P.with_(**NARROWINGS[narrowing])

    # event_funnel: step 1 is event_count, step 5 the closed events of event_closure_rate
    funnel = queries.funnel(mcon, f).set_index("step_id")["events"]
    assert funnel["reported_at"] == compute(mcon, "event_count", f)["value"][0]
    closure = compute(mcon, "event_closure_rate", f)
    assert funnel["closed_at"] == (closure["numerator"][0] if closure["denominator"][0] else 0)

    # overdue_events: per (grid, category, source) never more rows than events the metrics count there
    overdue = queries.overdue(mcon, f)
    counts = _by(compute(mcon, "event_count", f, ["grid_id", "category", "source"]), ["grid_id", "category", "source"])
    for key, n in overdue.groupby(["grid_id", "category", "source"]).size().items():
        assert n <= counts.get(key, 0), (narrowing, key)

    # event_bins: the binned events are the period's events with coordinates (E1, E2, E5, E6), same filter
    bins = geo.event_bins(mcon, f)
    with_coords = explore.aggregate(mcon, "events", f, column_filters={"event_id": ["E1", "E2", "E5", "E6"]})
    assert int(bins["events"].sum()) == int(with_coords["value"][0])
    assert int(bins["events"].sum()) <= compute(mcon, "event_count", f)["value"][0]

    # grid_shapes: the grids of grid_count
    shapes = queries.run(mcon, "grid_shapes", f)
    assert set(shapes["grid_id"]) == set(compute(mcon, "grid_count", f, ["grid_id"])["grid_id"])

    # patrol_grid_weeks: the grid weeks of patrol_compliance_rate, and the weeks meeting the requirement
    heat = queries.patrol_heat(mcon, f)
    comp = compute(mcon, "patrol_compliance_rate", f)
    assert len(heat) == (comp["denominator"][0] or 0)
    assert int(heat["met"].sum()) == (comp["numerator"][0] if comp["denominator"][0] else 0)

    # worker_activity: the active workers of households_per_worker per grid; active days of platform_use_rate
    act = queries.worker_activity(mcon, f)
    per_grid = act.groupby("grid_id").size().to_dict()
    workers = _by(compute(mcon, "households_per_worker", f, ["grid_id"]), ["grid_id"], "denominator")
    assert per_grid == {g: n for (g,), n in workers.items() if pd.notna(n) and n}
    platform = compute(mcon, "platform_use_rate", f)
    assert int(act["active_days"].sum()) == int(platform["numerator"][0] if platform["denominator"][0] else 0)

    # patrol_tracks (the period is one day): never a patrol the patrol count leaves out
    tracks = geo.patrol_tracks(mcon, f, date(2025, 9, 1))
    one_day = compute(mcon, "patrols_per_grid_week", f.with_(date_from=date(2025, 9, 1), date_to=date(2025, 9, 1)))
    assert len(tracks) <= (one_day["numerator"][0] or 0)

    # the score's units: the places of grid_count
    assert score._units(mcon, f, "grid") == sorted(compute(mcon, "grid_count", f, ["grid_id"])["grid_id"])
    assert score._units(mcon, f, "street") == sorted(compute(mcon, "grid_count", f, ["street"])["street"])

    # the explorer: its event count is event_count, its relief households those of relief_households
    assert explore.aggregate(mcon, "events", f)["value"][0] == compute(mcon, "event_count", f)["value"][0]
    recs, total = explore.records(mcon, "relief", f)
    approved = recs[recs["status"].isin(["approved", "paid"])]["household_id"].nunique()
    assert approved == compute(mcon, "relief_households", f)["value"][0]


def test_named_queries_hold_no_filter_of_their_own():
    """A query file names its sources ({events} …); the filter rule is written only in metrics/filters.py."""
    for path in sorted((ROOT / "sql" / "queries").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for pasted in ("$f_", "$scope", "list_contains", "$from_ts"):
            assert pasted not in text, (path.name, pasted)
