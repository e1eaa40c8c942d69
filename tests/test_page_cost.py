"""One job per page (issue 15): a visit of the ranking scores each period once — the board, its 较上期/同比 columns,
the rank history's months, the explanation and the fairness columns all read one cached computation of a period's
item parts — the tabs that are not open compute nothing, and the what-if view re-weights the board's own items."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest
import streamlit as st

from data import store
from metrics import score
from metrics.compute import Filters
from metrics.config import load_config
from ui import filters as flt

LAST_MONTH = flt.preset_range("上月", date.today())


@pytest.fixture
def calls(monkeypatch):
    """Every compute_many the dashboard makes: (indicators, period, filters' streets/scope, group keys)."""
    import metrics.score
    import ui.data
    from metrics.compute import compute_many as real

    seen: Counter = Counter()

    def counting(con, ids, filters, group_by=(), cfg=None):
        ids = tuple(i if isinstance(i, str) else i.id for i in ids)
        path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
        if path and path[0][0]:            # the store (not the rank intervals' in-memory bootstrap replicates)
            seen[(ids, filters, tuple(group_by or ()))] += 1
        return real(con, ids, filters, group_by, cfg)

    monkeypatch.setattr(ui.data, "compute_many", counting)
    monkeypatch.setattr(metrics.score, "compute_many", counting)
    st.cache_data.clear()
    yield seen
    st.cache_data.clear()


@pytest.fixture(params=[False, True], ids=["computed", "kept"])
def kept(request, monkeypatch):
    """Whether whole months are read from the inputs kept after the import (metrics/month_parts.py, the demo
    store has them) or computed (as a store between an import and its refresh, or another configuration)."""
    if not request.param:
        from metrics import month_parts

        monkeypatch.setattr(month_parts, "state", lambda *a, **k: None)
    return request.param


def _parts_jobs(seen: Counter) -> Counter:
    return Counter({k: n for k, n in seen.items() if k[0] == tuple(score.PARTS)})


def test_a_ranking_visit_scores_each_period_once(app, calls, kept):
    at = app("app_pages/scoreboard.py")
    assert not at.exception
    jobs = _parts_jobs(calls)
    if kept:        # 上月, 较上期 and 同比 are whole months of the district: read, never computed
        assert not jobs, jobs
        at.run()
        assert not _parts_jobs(calls)
    else:
        _computed_once(at, jobs, calls)
    # opening the community tab computes the community board of one street (a street's filter: not kept), once
    at.session_state["sb_tab"] = "社区排名"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    comm = {k: n for k, n in _parts_jobs(calls).items() if k[2] == ("community",)}
    assert comm and all(n == 1 for n in comm.values()), comm
    assert any("社区" in list(d.value.columns)[1] for d in at.dataframe), "no community ranking shown"


def _computed_once(at, jobs, calls):
    assert jobs, "the page computed no item parts"
    twice = {(k[1].date_from, k[1].date_to, k[2]): n for k, n in jobs.items() if n > 1}
    assert not twice, f"item parts computed more than once for a period: {twice}"
    # the board, 较上期 and 同比 are street periods; the closed tabs (community board) computed nothing
    periods = {(k[1].date_from, k[1].date_to) for k in jobs}
    f = Filters(*LAST_MONTH)
    for other in (f, f.previous(), f.year_ago()):
        assert (other.date_from, other.date_to) in periods or other.date_from < date(2000, 1, 1)
    assert all(k[2] == ("street",) for k in jobs), [k[2] for k in jobs]

    # a rerun (a widget touched, another user opening the page) computes nothing again
    before = sum(calls.values())
    at.run()
    assert sum(calls.values()) == before


def test_reweighting_the_board_equals_scoring_again(demo_db):
    """权重模拟 re-weights the board's own items; the result equals a full scoring with those weights."""
    con = store.connect(demo_db, read_only=True)
    try:
        f = Filters(*LAST_MONTH)
        cfg = load_config()
        board = score.scoreboard(con, f, "street", cfg)
        for w in ({"item_worker_duty": 100, "item_platform_use": 0, "item_data_entry": 0,
                   "item_event_reporting": 0, "item_dispute_mediation": 0, "item_other_work": 0},
                  {"item_worker_duty": 10, "item_platform_use": 30, "item_data_entry": 5,
                   "item_event_reporting": 25, "item_dispute_mediation": 20, "item_other_work": 10}):
            got = score.reweight(board, w)[["unit", "score", "rank"]]
            ref = score.scores(con, f, "street", cfg.with_weights(w))[["unit", "score", "rank"]]
            pd.testing.assert_frame_equal(got.reset_index(drop=True), ref.reset_index(drop=True))
        only_duty = score.reweight(board, {"item_worker_duty": 1})
        assert list(only_duty["score"]) == sorted((round(v, 2) for v in board["item_worker_duty"]), reverse=True)
    finally:
        con.close()


def test_reweight_by_hand():
    """Two streets, three items with values (the others have none): weights renormalise over the items present.
    A: (80×20 + 60×30) / 50 = 68.00; B: (90×20 + 40×30 + 70×50) / 100 = 65.00 → A first."""
    nan = float("nan")
    board = pd.DataFrame({"unit": ["B", "A"], "item_worker_duty": [90.0, 80.0], "item_platform_use": [40.0, 60.0],
                          "item_data_entry": [70.0, nan], "item_event_reporting": [nan, nan],
                          "item_dispute_mediation": [nan, nan], "item_other_work": [nan, nan]})
    got = score.reweight(board, {"item_worker_duty": 20, "item_platform_use": 30, "item_data_entry": 50})
    assert list(got["unit"]) == ["A", "B"] and list(got["score"]) == [68.0, 65.0] and list(got["rank"]) == [1, 2]


def test_explanation_read_off_the_board_equals_a_fresh_one(demo_db):
    con = store.connect(demo_db, read_only=True)
    try:
        f = Filters(*LAST_MONTH)
        parts = score.item_parts(con, f)
        board = score.scoreboard(con, f, parts=parts)
        for unit in board["unit"]:
            assert score.explain(con, f, unit, parts=parts, board=board) == score.explain(con, f, unit)
    finally:
        con.close()


def test_warming_leaves_nothing_for_the_first_visit(app, calls, demo_db, monkeypatch, kept):
    """ui/warm.warm_once (the background thread's work after an import) computes what the first unscoped visit of
    the ranking needs: that visit then computes no six-item parts at all, for any period. With the month inputs
    kept after the import there is nothing of the six items left to compute, warm or not."""
    from ui import warm

    monkeypatch.setenv("GRIDGOV_DB", str(demo_db))
    warm.warm_once()
    warmed = _parts_jobs(calls)
    f = Filters(*LAST_MONTH)
    if kept:
        assert not warmed, warmed
    else:       # month, 较上期, 同比, 12 months
        assert warmed[(tuple(score.PARTS), f, ("street",))] == 1 and len(warmed) == 13, warmed
    at = app("app_pages/scoreboard.py")
    assert not at.exception
    assert _parts_jobs(calls) == warmed                     # the visit computed no period's parts
