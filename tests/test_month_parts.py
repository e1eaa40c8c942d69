"""The board inputs kept per month after each import (metrics/month_parts.py, issue 15): every stored month is exactly
what the board computes, an import makes the store's rows unusable until they are refreshed (only the months it
touched are recomputed), a changed configuration is never answered from them, an import through the dashboard's
writer publishes them refreshed, and a store of the previous release gets them on upgrade."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from data import ingest, store, storefile
from metrics import month_parts, score
from metrics.compute import Filters
from metrics.config import load_config
from metrics.periods import _month_end
from metrics.periods import first_data as store_first
from tests import metric_fixture
from tests.fixtures import write


class _Count:
    def __init__(self, con):
        self.con, self.sql = con, []

    def execute(self, sql, *a):
        self.sql.append(sql)
        return self.con.execute(sql, *a)


def _month(m: str) -> Filters:
    y, n = int(m[:4]), int(m[5:])
    return Filters(date(y, n, 1), _month_end(y, n))


def _computed(monkeypatch, fn):
    """fn() with the kept rows out of the way (the board computes everything)."""
    with monkeypatch.context() as m:
        m.setattr(month_parts, "state", lambda *a, **k: None)
        return fn()


def _assert_month_equal(con, month: str, level: str, cfg=None) -> None:
    cfg = cfg or load_config()
    f = _month(month)
    hit = month_parts.lookup(con, [f], level, cfg)
    assert 0 in hit, f"{month} {level} not kept"
    units, parts, manual = hit[0]
    assert units == score._units(con, f, level)
    assert manual == score.other_work(con, f, level)
    fresh = score.item_parts(con, f, level, cfg, cache=False)
    assert list(parts) == list(fresh)
    for p in fresh:
        pd.testing.assert_frame_equal(parts[p], fresh[p], check_exact=True, obj=f"{p} {month} {level}")


@pytest.fixture()
def kept(tmp_path):
    con = metric_fixture.build(tmp_path / "k.duckdb", tmp_path)
    assert month_parts.state(con) is None                   # the imports left it to be refreshed
    assert month_parts.refresh(con) == ["2025-08", "2025-09"]
    yield con
    con.close()


def test_every_kept_month_is_the_computed_one_and_the_board_reads_two_statements(kept, monkeypatch):
    meta = month_parts.state(kept)
    assert meta["months"] == ["2025-08", "2025-09"] and meta["first_data"] == str(store_first(kept))
    for month in ("2025-08", "2025-09"):
        for level in month_parts.LEVELS:
            _assert_month_equal(kept, month, level)
    f = _month("2025-09")
    counting = _Count(kept)
    board = score.scoreboard(counting, f)
    assert len(counting.sql) == 2 and "month_parts" in counting.sql[1]     # meta, then the three periods' rows
    pd.testing.assert_frame_equal(board, _computed(monkeypatch, lambda: score.scoreboard(kept, f)), check_exact=True)
    # the hand-worked 其他工作 of tests/test_metrics.py come through (甲 80 in September); August began before the
    # first data (08-20), so it is no comparison, from the kept rows as when computed
    row = board.set_index("unit").loc["甲街道"]
    assert row["item_other_work"] == 80 and pd.isna(row["prev_score"]) and pd.isna(row["prev_rank"])
    community = score.scoreboard(kept, f, "community")
    pd.testing.assert_frame_equal(community, _computed(monkeypatch, lambda: score.scoreboard(kept, f, "community")))


def test_only_a_whole_month_without_filters_is_answered(kept):
    cfg = load_config()
    assert month_parts.lookup(kept, [Filters(date(2025, 9, 1), date(2025, 9, 14))], "street", cfg) == {}
    assert month_parts.lookup(kept, [_month("2025-09").with_(categories=("dispute",))], "street", cfg) == {}
    assert month_parts.lookup(kept, [_month("2025-09").with_(scope=("甲街道",))], "street", cfg) == {}
    assert month_parts.lookup(kept, [_month("2025-09")], "grid", cfg) == {}
    assert month_parts.lookup(kept, [_month("2025-10")], "street", cfg) == {}       # after the data: computed
    got = month_parts.lookup(kept, [_month("2025-07"), _month("2025-08"), _month("2025-09")], "street", cfg)
    assert sorted(got) == [1, 2]


def test_an_import_is_not_read_until_refreshed_and_refresh_recomputes_its_months(kept, tmp_path, monkeypatch):
    f = _month("2025-09")

    def events_in(con):
        return score.item_parts(con, f)["events_per_1000_households"]["numerator"].sum()

    before = events_in(kept)
    e = dict(next(r for r in metric_fixture.EVENTS if r["event_id"] == "E8"), event_id="E99",
             reported_at="2025-09-20 08:00")
    res = ingest.ingest_files(kept, "events", [write("events", tmp_path / "more.csv", rows=[e])])[0]
    assert res.stored, res.errors.to_string()
    assert month_parts.state(kept) is None and month_parts._meta(kept)[month_parts.DIRTY] == ["2025-09"]
    counting = _Count(kept)
    live = score.scoreboard(counting, f)                     # computed from the rows, with the new event
    assert any("v_event_days_at" in s for s in counting.sql)
    assert events_in(kept) == before + 1
    assert month_parts.refresh(kept) == ["2025-09"]          # August untouched
    pd.testing.assert_frame_equal(score.scoreboard(kept, f), live, check_exact=True)
    _assert_month_equal(kept, "2025-09", "street")
    # a grid's change reaches every month (its placement as of each month's end)
    g = dict(metric_fixture.GRIDS[2], households=800, updated_at="2025-08-10 09:00")
    assert ingest.ingest_files(kept, "grids", [write("grids", tmp_path / "g.csv", rows=[g])])[0].stored
    assert month_parts.refresh(kept) == ["2025-08", "2025-09"]
    for month in ("2025-08", "2025-09"):
        _assert_month_equal(kept, month, "street")
    # hand scores: their month only
    s = dict(metric_fixture.MANUAL_SCORES[2], score=75)
    assert ingest.ingest_files(kept, "manual_scores", [write("manual_scores", tmp_path / "s.csv", rows=[s])])[0].stored
    assert month_parts.refresh(kept) == ["2025-08"]
    assert month_parts.lookup(kept, [_month("2025-08")], "street", load_config())[0][2]["甲街道"] == (75.0, 1)
    assert month_parts.refresh(kept) is None                 # nothing left to do


def test_a_changed_configuration_is_computed_not_read(kept, monkeypatch):
    cfg = load_config()
    changed = type(cfg)(**{**cfg.__dict__, "parameters": {**cfg.parameters, "required_patrols_per_week": 1}})
    f = _month("2025-09")
    assert month_parts.state(kept, changed) is None and month_parts.state(kept, cfg) is not None
    counting = _Count(kept)
    board = score.scoreboard(counting, f, cfg=changed)
    assert any("grid_weeks" in s for s in counting.sql)
    pd.testing.assert_frame_equal(board, _computed(monkeypatch, lambda: score.scoreboard(kept, f, cfg=changed)))
    assert board.set_index("unit")["item_worker_duty"].tolist() != score.scoreboard(kept, f).set_index(
        "unit")["item_worker_duty"].tolist()


def test_the_writer_publishes_an_import_with_its_months_refreshed(tmp_path):
    path = tmp_path / "w.duckdb"
    metric_fixture.build(path, tmp_path).close()
    e = dict(next(r for r in metric_fixture.EVENTS if r["event_id"] == "E8"), event_id="E98",
             reported_at="2025-08-21 08:00")
    with storefile.writing(path) as w:
        assert ingest.ingest_files(w.con, "events", [write("events", tmp_path / "w.csv", rows=[e])])[0].stored
    ro = store.connect(path, read_only=True)
    try:
        assert month_parts.state(ro) is not None and not month_parts._meta(ro)[month_parts.DIRTY]
        _assert_month_equal(ro, "2025-08", "street")
    finally:
        ro.close()


def test_a_stale_store_does_not_make_a_reader_upgrade(tmp_path, monkeypatch):
    path = tmp_path / "stale.duckdb"
    metric_fixture.build(path, tmp_path).close()             # imported, never refreshed
    ro = store.connect(path, read_only=True)
    try:
        assert not store.needs_upgrade(ro) and month_parts.stale(ro)
        f = _month("2025-09")
        pd.testing.assert_frame_equal(score.scoreboard(ro, f), _computed(monkeypatch, lambda: score.scoreboard(ro, f)))
    finally:
        ro.close()
    rw = store.connect(path)                                  # a read-write opening brings it up to date
    assert not month_parts.stale(rw)
    rw.close()


def test_a_previous_release_store_gets_it_on_upgrade(tmp_path, monkeypatch):
    """A v4 store (before 005_month_parts) upgrades: the migration adds the table and the opening fills it, in the
    upgrade's transaction; the boards are the same before and after."""
    path = tmp_path / "v4.duckdb"
    con = metric_fixture.build(path, tmp_path)
    f = _month("2025-09")
    want = _computed(monkeypatch, lambda: score.scoreboard(con, f))
    con.execute("drop table month_parts")
    con.execute("delete from schema_version where version = 5")
    con.execute("delete from store_meta where key in (?, ?, ?)",
                [month_parts.META, month_parts.DIRTY, month_parts.GENERATION])
    con.close()
    assert store.store_version_of(path) == 4
    ro = store.connect(path, read_only=True)
    try:
        assert store.store_version(ro) == store.code_version() >= 5
        assert month_parts.state(ro)["months"] == ["2025-08", "2025-09"]
        pd.testing.assert_frame_equal(score.scoreboard(ro, f), want, check_exact=True)
    finally:
        ro.close()
    assert list(tmp_path.glob("v4.duckdb.v4*.bak"))


def test_the_demo_store_boards_equal_the_computed_ones(demo_db, monkeypatch):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        meta = month_parts.state(con)
        assert meta is not None                              # demo.generate refreshed it
        first, last = meta["months"]
        months = month_parts._month_list(first, last)
        for month in months[-3:]:
            for level in month_parts.LEVELS:
                _assert_month_equal(con, month, level)
        f = _month(months[-1])
        pd.testing.assert_frame_equal(score.scoreboard(con, f), _computed(monkeypatch, lambda: score.scoreboard(con, f)),
                                      check_exact=True)
    finally:
        con.close()
