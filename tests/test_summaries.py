"""The per grid × day event summary (metrics/summaries.py, issue 15): every indicator computed through it is exactly
the indicator computed from the event rows, it stays so through re-imports that move events between days and
grids, a changed parameter falls back to the rows, and a store of the previous release gets it on upgrade."""
from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from data import ingest, store
from metrics import compute as cm
from metrics import score, summaries
from metrics.compute import Filters
from metrics.config import load_config
from metrics.registry import METRICS, SOURCES
from tests import metric_fixture
from tests.fixtures import write

GROUPINGS = [(), ("street",), ("community",), ("grid_id",), ("month",), ("week",), ("street", "month"),
             ("grid_id", "week")]


def _summarised(cfg=None) -> list[str]:
    """The indicators with at least one measure the summary answers."""
    cfg = cfg or load_config()
    bound = set(summaries.columns(cfg).values())
    return [i for i, m in METRICS.items()
            if any(x is not None and x.source == "events" and summaries.bind(x.expr, cfg) in bound
                   for x in (m.numerator, m.denominator))]


def _both(con, ids, f, keys, monkeypatch):
    with_summary = cm.compute_many(con, ids, f, list(keys))
    monkeypatch.setattr(cm, "SUMMARIES", False)
    raw = cm.compute_many(con, ids, f, list(keys))
    monkeypatch.setattr(cm, "SUMMARIES", True)
    return with_summary, raw


def _assert_equal(a: dict, b: dict, what: str) -> int:
    rows = 0
    for i in b:
        pd.testing.assert_frame_equal(a[i], b[i], check_exact=True, obj=f"{i} {what}")
        rows += len(b[i])
    return rows


class _Count:
    def __init__(self, con):
        self.con, self.sql = con, []

    def execute(self, sql, *a):
        self.sql.append(sql)
        return self.con.execute(sql, *a)


def test_the_summary_holds_every_additive_events_measure_and_not_the_others():
    cols = summaries.columns()
    exprs = set(cols.values())
    assert "count(*)" in exprs
    assert "count(*) filter (where is_dispute and outcome = 'resolved')" in exprs
    assert "count(*) filter (where registered_at <= reported_at + 24 * interval 1 hour)" in exprs   # bound
    assert "count(hours_to_close)" in exprs
    assert not any("median" in e or "distinct" in e or "$" in e for e in exprs)       # no median, no period
    assert summaries.bind("count(*) filter (where closed_at is null or closed_at >= $to_excl)", load_config()) is None
    assert {"dispute_resolution_rate", "registered_within_24h_rate", "event_count", "satisfaction_rate"} <= set(
        _summarised())
    assert "open_backlog" not in _summarised() and "event_median_hours" in _summarised()   # its count is summed


@pytest.mark.parametrize("keys", GROUPINGS)
@pytest.mark.parametrize("period", ["month", "days", "months", "empty"])
def test_every_summarised_indicator_equals_the_event_rows(mcon, monkeypatch, keys, period):
    f = {"month": Filters(date(2025, 9, 1), date(2025, 9, 30)), "days": Filters(date(2025, 9, 3), date(2025, 9, 8)),
         "months": Filters(date(2025, 8, 1), date(2025, 10, 31)),
         "empty": Filters(date(2024, 1, 1), date(2024, 1, 31))}[period]
    ids = [i for i in _summarised() if all(k in SOURCES[METRICS[i].numerator.source].keys for k in keys)]
    counting = _Count(mcon)
    with_summary, raw = _both(counting, ids, f, keys, monkeypatch)
    assert any("v_event_days_at" in s for s in counting.sql)            # the summary answered …
    assert _assert_equal(with_summary, raw, f"by {keys}, {period}") >= (len(ids) if period != "empty" or not keys
                                                                        else 0)


def test_scoped_and_place_filters_use_it_category_filters_do_not(mcon, monkeypatch):
    f = Filters(date(2025, 9, 1), date(2025, 9, 30), scope=("甲街道",), grids=("A1",))
    counting = _Count(mcon)
    a, b = _both(counting, _summarised(), f, ("grid_id",), monkeypatch)
    assert any("v_event_days_at" in s for s in counting.sql)
    _assert_equal(a, b, "scoped")
    counting = _Count(mcon)
    cm.compute_many(counting, ["dispute_resolution_rate"], f.with_(categories=("dispute",)), ["street"])
    assert not any("v_event_days_at" in s for s in counting.sql)       # the summary has no category: rows
    counting = _Count(mcon)
    cm.compute_many(counting, ["dispute_resolution_rate"], f, ["category"])
    assert not any("v_event_days_at" in s for s in counting.sql)


def test_the_demo_scoreboard_and_indicators_equal_the_rows(demo_db, monkeypatch):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        f = Filters(date(2000, 1, 1), date.today())
        for keys in (("street",), ("grid_id", "month")):
            a, b = _both(con, _summarised(), f, keys, monkeypatch)
            assert _assert_equal(a, b, f"demo by {keys}") >= 3 * len(a)     # three streets at least
        last = Filters(date.today().replace(day=1), date.today())
        board = score.scoreboard(con, last)
        monkeypatch.setattr(cm, "SUMMARIES", False)
        pd.testing.assert_frame_equal(board, score.scoreboard(con, last), check_exact=True)
    finally:
        con.close()


def _stored_matches_rows(con) -> None:
    """The summary table is exactly a rebuild from the events."""
    cols = ", ".join(summaries.columns())
    kept = con.execute(f"select grid_id, day, {cols} from event_days order by all").fetchall()
    fresh = con.execute(f"select * from ({summaries._select(summaries.columns())}) order by all").fetchall()
    assert kept == fresh and kept


def test_imports_keep_it_exact_when_events_move_between_days_and_grids(tmp_path, monkeypatch):
    con = metric_fixture.build(tmp_path / "s.duckdb", tmp_path)
    _stored_matches_rows(con)
    f = Filters(date(2025, 8, 1), date(2025, 9, 30))
    before = con.execute("select sum(" + summaries.column("count(*)") + ") from event_days").fetchall()[0][0]
    # a corrected export: E1 reported a day earlier (in August) and in another grid, E6 closed later (past its
    # deadline), one new event
    rows = [dict(r) for r in metric_fixture.EVENTS if r["event_id"] in ("E1", "E6")]
    rows[0].update(reported_at="2025-08-31 09:00", grid_id="A2")
    rows[1].update(closed_at="2025-09-09 10:00")
    new = dict(next(r for r in metric_fixture.EVENTS if r["event_id"] == "E8"), event_id="E99",
               reported_at="2025-09-20 08:00")
    res = ingest.ingest_files(con, "events", [write("events", tmp_path / "fix.csv", rows=[*rows, new])])[0]
    assert res.stored and res.rows_updated == 2, res.errors.to_string()
    _stored_matches_rows(con)
    after = con.execute("select sum(" + summaries.column("count(*)") + ") from event_days").fetchall()[0][0]
    assert after == before + 1                                   # re-importing never double counts
    for keys in (("grid_id",), ("street", "week")):
        a, b = _both(con, _summarised(), f, keys, monkeypatch)
        _assert_equal(a, b, f"after the correction, by {keys}")
    # the same file again changes nothing
    ingest.ingest_files(con, "events", [write("events", tmp_path / "fix2.csv", rows=[*rows, new])])
    _stored_matches_rows(con)
    con.close()


def test_a_changed_parameter_falls_back_to_the_rows_until_rebuilt(mcon):
    cfg = load_config()
    changed = type(cfg)(**{**cfg.__dict__, "parameters": {**cfg.parameters, "registration_hours": 2}})
    f = Filters(date(2025, 9, 1), date(2025, 9, 30))
    counting = _Count(mcon)
    got = cm.compute_many(counting, ["registered_within_24h_rate"], f, ["street"], changed)
    sql = " ".join(counting.sql)
    assert "v_events_at" in sql and "2 * interval" not in sql           # the rows, with the bound parameter
    want = {}
    for e in metric_fixture.EVENTS:
        if e["reported_at"][:7] == "2025-09":
            street = "甲街道" if e["grid_id"].startswith("A") else "乙街道"
            quick = e.get("registered_at") and (pd.Timestamp(e["registered_at"]) - pd.Timestamp(e["reported_at"])
                                                <= pd.Timedelta(hours=2))
            n, d = want.get(street, (0, 0))
            want[street] = (n + bool(quick), d + 1)
    df = got["registered_within_24h_rate"].set_index("street")
    for street, (n, d) in want.items():
        assert (df.loc[street, "numerator"], df.loc[street, "denominator"]) == (n, d)


def test_a_previous_release_store_gets_the_summary_on_upgrade(tmp_path, monkeypatch):
    """A v3 store (before 004_event_days: no table, no columns record) upgrades: the migration adds the table and
    the opening fills it from the events, in the upgrade's transaction; the indicators are the same before/after."""
    path = tmp_path / "v3.duckdb"
    con = metric_fixture.build(path, tmp_path)
    f = Filters(date(2025, 9, 1), date(2025, 9, 30))
    monkeypatch.setattr(cm, "SUMMARIES", False)
    want = cm.compute_many(con, _summarised(), f, ["street"])
    monkeypatch.setattr(cm, "SUMMARIES", True)
    con.execute("drop table event_days")
    con.execute("drop table month_parts")                    # and what later releases added (005)
    con.execute("delete from schema_version where version >= 4")
    con.execute("delete from store_meta where key = ?", [summaries.META_KEY])
    con.close()
    assert store.store_version_of(path) == 3
    ro = store.connect(path, read_only=True)                # a reader upgrades it first (through a read-write opening)
    assert store.store_version(ro) == store.code_version() >= 4
    assert ro.execute("select count(*) from event_days").fetchall()[0][0] > 0
    counting = _Count(ro)
    got = cm.compute_many(counting, _summarised(), f, ["street"])
    assert any("v_event_days_at" in s for s in counting.sql)
    _assert_equal(got, want, "after the upgrade")
    assert list(tmp_path.glob("v3.duckdb.v3*.bak"))              # the copy made before the upgrade
    ro.close()


def test_a_summary_with_other_columns_is_rebuilt_by_the_read_write_opening(tmp_path):
    path = tmp_path / "old.duckdb"
    con = metric_fixture.build(path, tmp_path)
    con.execute("create or replace table event_days as select grid_id, cast(reported_at as date) as day, "
                "count(*) as c_old from events group by all")
    con.execute("insert or replace into store_meta values (?, '{\"c_old\": \"count(*)\"}')", [summaries.META_KEY])
    assert summaries.is_stale(con)
    con.close()
    shutil.copy(path, tmp_path / "copy.duckdb")
    con = store.connect(path)
    assert not summaries.is_stale(con)
    _stored_matches_rows(con)
    con.close()


def test_a_stale_summary_never_makes_a_reader_upgrade(tmp_path, monkeypatch):
    """A summary whose columns are not the registry's (scoring.toml edited) is not a reason to upgrade: a reader
    would need a write lock the other app processes prevent. The reader answers from the rows, exactly."""
    path = tmp_path / "stale.duckdb"
    con = metric_fixture.build(path, tmp_path)
    # the summary an older configuration left: only the columns it had (here one)
    con.execute("create or replace table event_days as select grid_id, cast(reported_at as date) as day, "
                "count(*) as c_old from events group by all")
    con.execute("insert or replace into store_meta values (?, '{\"c_old\": \"count(*)\"}')", [summaries.META_KEY])
    con.close()
    ro = store.connect(path, read_only=True)
    try:
        assert not store.needs_upgrade(ro) and summaries.is_stale(ro)
        f = Filters(date(2025, 9, 1), date(2025, 9, 30))
        counting = _Count(ro)
        got = cm.compute_many(counting, _summarised(), f, ["street"])
        sql = " ".join(counting.sql)
        assert "c_old" in sql and "v_events_at" in sql           # the column it has; the rows for the others
        monkeypatch.setattr(cm, "SUMMARIES", False)
        _assert_equal(got, cm.compute_many(ro, _summarised(), f, ["street"]), "stale summary")
    finally:
        ro.close()
