"""Type-2 history of grids and workers (issue 9): every period reads the grids and workers as they stood at its end.

The district (tests/district_fixture.py), October 2026, worked by hand (weights 20/15/15/20/20/10):
东关街道 (D1 300 + D2 350 = 650 households, 8 events)
  网格员履职   100 × (巡查达标 4/6 + 重点人员走访 (3+3)/(6+3)) / 2                       = 66.6667
  信息平台使用 100 × (WD1 8 + WD2 8 patrol days) / (2 workers × 22 working days)         = 36.3636
  基础数据录入 100 × (0.5 × 填报 9/10 + 0.5 × 更新及时 2/2)                              = 95
  事件采集上报 100 × (0.5 × min(1, (8/650×1000)/20) + 0.5 × 24h立案 7/8)                 = 74.5192
  矛盾纠纷     100 × (0.5 × 调处成功 3/4 + 0.5 × 按期 2/4)                               = 62.5
  其他工作     71.28
  → (20×66.6667 + 15×36.3636 + 15×95 + 20×74.5192 + 20×62.5 + 10×71.28) / 100          = 67.57
中街街道 (Z1 300 + Z2 300 = 600 households, 6 events)
  网格员履职 100 × (4/6 + 3/6) / 2 = 58.3333; 平台 100 × (11 + 6) / 44 = 38.6364;
  录入 100 × (0.5 × 9/10 + 0.5 × 1/2) = 70; 上报 100 × (0.5 × (6/600×1000)/20 + 0.5 × 5/6) = 66.6667;
  纠纷 100 × (0.5 × 2/3 + 0.5 × 3/3) = 83.3333; 其他 88.98                                → 66.86
The November re-survey of D1 (400 households, 更新时间 2026-11-10) must leave all of October as it was.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

import cli
from data import ingest
from metrics import score
from metrics.compute import Filters, compute, compute_many
from tests import district_fixture as district
from tests.fixtures import write

OCT = Filters(date(2026, 10, 1), date(2026, 10, 31))
NOV = Filters(date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def con(tmp_path):
    c = district.build(tmp_path / "district.duckdb", tmp_path)
    yield c
    c.close()


def _scores(con, filters, level="street"):
    return [(r["unit"], r["score"], int(r["rank"])) for r in score.scores(con, filters, level).to_dict("records")]


def _per_1000(con, filters):
    row = compute(con, "events_per_1000_households", filters).iloc[0]
    return row["numerator"], row["denominator"]


def _resurvey(con, tmp_path, rows=None, **kw):
    path = write("grids", tmp_path / "resurvey.csv", rows=rows or district.RESURVEY)
    return ingest.ingest_files(con, "grids", [path], **kw)[0]


def test_october_as_worked_by_hand(con):
    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]
    assert _per_1000(con, OCT) == (14, 1250)
    items = score.scores(con, OCT).set_index("unit")
    assert items.loc["东关街道", "item_data_entry"] == pytest.approx(95.0)
    assert items.loc["东关街道", "item_event_reporting"] == pytest.approx(100 * (0.5 * 8 / 650 * 1000 / 20 + 0.5 * 7 / 8))
    assert items.loc["中街街道", "item_platform_use"] == pytest.approx(100 * 17 / 44)


def test_november_resurvey_leaves_october_as_it_was(con, tmp_path):
    res = _resurvey(con, tmp_path)
    # honest counts: one grid changed (a new version), three rows identical to what the store has
    assert (res.rows_inserted, res.rows_updated, res.rows_unchanged, res.rows_stored) == (0, 1, 3, 1)
    assert "3 行与现有记录相同" in res.summary_zh()

    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]
    assert _per_1000(con, OCT) == (14, 1250)
    fresh = compute(con, "data_fresh_rate", OCT, ["street"]).set_index("street")
    assert (fresh.loc["东关街道", "numerator"], fresh.loc["东关街道", "denominator"]) == (2, 2)

    # November divides by the re-surveyed households; D1's survey of 11-10 is its last update on or before 11-30
    assert _per_1000(con, NOV) == (0, 1350)
    nov = compute_many(con, ["events_per_1000_households", "data_fresh_rate"], NOV, ["street"])
    assert nov["events_per_1000_households"].set_index("street")["denominator"].to_dict() == {
        "东关街道": 750, "中街街道": 600}
    # 东关: D1 updated 11-10, D2 10-08 (after 09-02 = 12-01 − 90 days): both fresh; 中街: Z1 08-15 no longer
    assert nov["data_fresh_rate"].set_index("street")["numerator"].to_dict() == {"东关街道": 2, "中街街道": 0}

    # "now" stays one simple view; the history keeps both versions with their intervals
    assert con.sql("select households from grids where grid_id = 'D1'").fetchall() == [(400,)]
    assert con.sql("select households, valid_from, valid_to from grid_versions where grid_id = 'D1' "
                   "order by valid_from").fetchall() == [
        (300, datetime(2026, 9, 20, 10), datetime(2026, 11, 10, 10)),
        (400, datetime(2026, 11, 10, 10), None)]
    assert con.sql("select count(*) from grids").fetchall() == [(4,)]


def test_identical_reimport_adds_no_version(con, tmp_path):
    _resurvey(con, tmp_path)
    res = _resurvey(con, tmp_path)
    assert res.stored and (res.rows_inserted, res.rows_updated, res.rows_unchanged) == (0, 0, 4)
    assert con.sql("select count(*) from grid_versions").fetchall() == [(5,)]
    assert con.sql("select rows_stored, rows_inserted, rows_updated from import_log "
                   "order by import_id desc limit 1").fetchall() == [(0, 0, 0)]


def test_a_row_without_update_time_takes_effect_at_import(con, tmp_path):
    rows = [{k: v for k, v in dict(g, households=320 if g["grid_id"] == "Z1" else g["households"]).items()
             if k != "updated_at"} for g in district.GRIDS]
    before = datetime.now().replace(microsecond=0)
    res = _resurvey(con, tmp_path, rows=rows)
    assert (res.rows_updated, res.rows_unchanged) == (1, 3)
    valid_from, updated_at = con.sql("select valid_from, updated_at from grid_versions "
                                     "where grid_id = 'Z1' and valid_to is null").fetchall()[0]
    assert valid_from >= before and updated_at == datetime(2026, 8, 15, 10)   # the file did not say: kept
    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]
    assert con.sql("select sum(households) from grids").fetchall() == [(1270,)]


def test_an_older_survey_imported_late_goes_into_the_past(con, tmp_path):
    """A file dated before the current version adds a version in the middle; the present keeps the newest."""
    _resurvey(con, tmp_path)
    rows = [dict(g, households=310, updated_at="2026-10-20 10:00") for g in district.GRIDS if g["grid_id"] == "D1"]
    res = _resurvey(con, tmp_path, rows=rows)
    assert (res.rows_updated, res.rows_unchanged) == (1, 0)
    assert con.sql("select households, valid_to from grid_versions where grid_id = 'D1' order by valid_from").fetchall() \
        == [(300, datetime(2026, 10, 20, 10)), (310, datetime(2026, 11, 10, 10)), (400, None)]
    assert con.sql("select households from grids where grid_id = 'D1'").fetchall() == [(400,)]
    assert _per_1000(con, OCT) == (14, 1260)


def test_a_street_change_is_refused_unless_the_file_says_move(con, tmp_path):
    moved = [dict(g, street="中街街道", updated_at="2026-11-05 10:00") if g["grid_id"] == "D2" else g
             for g in district.GRIDS]
    res = _resurvey(con, tmp_path, rows=moved)
    assert not res.stored
    err = res.errors.iloc[0]
    assert (err["row"], err["column"], err["value"]) == (3, "street", "中街街道")
    assert "网格原属「东关街道」" in err["message"] and "调整类型" in err["message"]

    # the file says it is a move: a new version from its 更新时间; October keeps D2 (and its events) in 东关
    moved = [dict(g, change_type="调整") if g["grid_id"] == "D2" else dict(g, change_type=None) for g in moved]
    res = _resurvey(con, tmp_path, rows=moved)
    assert res.stored and (res.rows_updated, res.rows_unchanged) == (1, 3)
    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]
    oct_events = compute(con, "event_count", OCT, ["street"]).set_index("street")["value"].to_dict()
    assert oct_events == {"东关街道": 8, "中街街道": 6}
    nov_grids = compute(con, "grid_count", NOV, ["street"]).set_index("street")["value"].to_dict()
    assert nov_grids == {"东关街道": 1, "中街街道": 3}
    assert con.sql("select street from grids where grid_id = 'D2'").fetchall() == [("中街街道",)]
    # the October events of D2 are listed under 东关 as of October, under 中街 now
    assert con.sql("select street from v_events_at(timestamp '2026-11-01') where event_id = 'E06'").fetchall() == [
        ("东关街道",)]
    assert con.sql("select street from v_events where event_id = 'E06'").fetchall() == [("中街街道",)]


def test_cli_allow_move(con, tmp_path, capsys):
    db = con.sql("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    con.close()
    moved = [dict(g, street="中街街道", updated_at="2026-11-05 10:00") if g["grid_id"] == "D2" else g
             for g in district.GRIDS]
    path = write("grids", tmp_path / "moved.csv", rows=moved)
    assert cli.main(["ingest", "--db", db, "--kind", "grids", str(path)]) == 1
    assert "网格原属「东关街道」" in capsys.readouterr().err
    assert cli.main(["ingest", "--db", db, "--kind", "grids", str(path), "--allow-move"]) == 0
    assert "更新 1" in capsys.readouterr().out


def test_worker_reassignment_counts_from_its_date(con, tmp_path):
    """WD2 moves to Z2 on 11-05 (a workers file with 更新时间): October's staffing is as it was."""
    rows = [dict(w, grid_id="Z2", updated_at="2026-11-05 09:00") if w["worker_id"] == "WD2" else w
            for w in district.WORKERS]
    res = ingest.ingest_files(con, "workers", [write("workers", tmp_path / "w.csv", rows=rows)])[0]
    assert res.stored and (res.rows_updated, res.rows_unchanged) == (1, 3)
    oct_ = compute(con, "grid_staffing_rate", OCT, ["street"]).set_index("street")
    nov = compute(con, "grid_staffing_rate", NOV, ["street"]).set_index("street")
    assert (oct_.loc["东关街道", "numerator"], nov.loc["东关街道", "numerator"]) == (2, 1)
    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]
    hpw = compute(con, "households_per_worker", NOV, ["street"]).set_index("street")
    assert hpw["denominator"].to_dict() == {"东关街道": 1, "中街街道": 3}


def test_boundaries_are_a_new_version(con, tmp_path):
    import json

    feats = [{"type": "Feature", "properties": {"网格编码": "D1"},
              "geometry": {"type": "Polygon", "coordinates": [[[106.6, 35.5], [106.7, 35.5], [106.7, 35.6],
                                                              [106.6, 35.5]]]}}]
    (tmp_path / "b.geojson").write_text(json.dumps(feats))
    assert ingest.ingest_boundaries(con, tmp_path / "b.geojson").stored
    assert con.sql("select count(*), count(boundary) from grid_versions where grid_id = 'D1'").fetchall() == [(2, 1)]
    assert con.sql("select boundary is not null, households from grids where grid_id = 'D1'").fetchall() == [
        (True, 300)]
    assert _scores(con, OCT) == [("东关街道", 67.57, 1), ("中街街道", 66.86, 2)]


def test_named_queries_read_the_period_end(con, tmp_path):
    """The patrol heat map (grid_weeks) places grids by their version at the period's end."""
    from metrics import queries

    moved = [dict(g, street="中街街道", updated_at="2026-11-05 10:00", change_type="调整")
             if g["grid_id"] == "D2" else dict(g, change_type=None) for g in district.GRIDS]
    assert _resurvey(con, tmp_path, rows=moved).stored
    heat = queries.patrol_heat(con, OCT)
    assert set(heat[heat["grid_id"] == "D2"]["street"]) == {"东关街道"}


def test_explorer_grids_as_of_the_period_end(con, tmp_path):
    """The explorer's 网格 dataset has no time column but reads the grids as of the period's end."""
    from metrics import explore

    _resurvey(con, tmp_path)
    oct_df, n = explore.records(con, "grids", OCT)
    nov_df, _ = explore.records(con, "grids", NOV)
    assert n == 4
    assert dict(zip(oct_df["grid_id"], oct_df["households"]))["D1"] == 300
    assert dict(zip(nov_df["grid_id"], nov_df["households"]))["D1"] == 400
    agg = explore.aggregate(con, "grids", OCT, ["street"], "sum", "households")
    assert dict(zip(agg["street"], agg["value"])) == {"东关街道": 650, "中街街道": 600}


def test_import_page_can_allow_a_grid_move(demo_db, tmp_path, monkeypatch):
    """数据导入: a grid file moving a grid to another street without 调整类型 is refused with a message that points to
    allowing the move; the page's 允许网格调整所属街道 (the CLI's --allow-move) then stores it as a new version from its
    更新时间, the earlier versions keeping the old street."""
    import shutil
    import time
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from data import store

    db = tmp_path / "page.duckdb"
    shutil.copy(demo_db, db)
    con = store.connect(db)
    g = con.sql("select grid_id, grid_name, street, community, district, households, population, key_persons, lon, lat "
                "from grids order by grid_id limit 1").df()
    old_street = g["street"][0]
    new_street, new_community = con.sql("select street, min(community) from grids where street <> $s group by 1 "
                                        "order by 1 limit 1", params={"s": old_street}).fetchall()[0]
    versions_before = con.sql("select count(*) from grid_versions where grid_id = $g",
                              params={"g": g["grid_id"][0]}).fetchall()[0][0]
    con.close()
    g["street"], g["community"], g["updated_at"] = new_street, new_community, "2099-01-01 10:00"
    content = g.to_csv(index=False).encode("utf-8")

    monkeypatch.setenv("GRIDGOV_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    at.run()
    at.switch_page("app_pages/data_import.py").run()
    at.file_uploader(key="upload").set_value(("move.csv", content, "text/csv")).run()
    at.selectbox(key="imp_kind").set_value("grids").run()
    at.button(key="imp_commit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = " ".join(str(x.value) for x in at.error) + " ".join(str(d.value.to_string()) for d in at.dataframe)
    assert "导入时允许调整" in shown, shown[:500]

    def current():
        c = store.connect(db, read_only=True)
        try:
            return c.sql("select street from grids where grid_id = $g", params={"g": g["grid_id"][0]}).fetchall()[0][0], \
                c.sql("select count(*) from grid_versions where grid_id = $g", params={"g": g["grid_id"][0]}).fetchall()[0][0]
        finally:
            c.close()
    assert current() == (old_street, versions_before)           # refused: nothing stored

    at.checkbox(key="imp_allow_move").check().run()
    at.button(key="imp_commit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert current() == (new_street, versions_before + 1)
