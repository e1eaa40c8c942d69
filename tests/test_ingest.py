"""The importer against DATA.md: every family, every format, every rule, upserts and atomicity."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from data import ingest
from data.columns import KINDS
from tests import fixtures
from tests.conftest import snapshot

ROOT = Path(__file__).resolve().parent.parent


def load_all(con, tmp_path, fmt="csv", chinese=False, encoding="utf-8"):
    for kind in fixtures.ORDER:
        ext = "xlsx" if fmt == "xlsx" else "csv"
        path = fixtures.write(kind, tmp_path / f"{kind}.{ext}", fmt, chinese, encoding=encoding)
        res = ingest.ingest_files(con, kind, [path])[0]
        assert res.stored, res.errors.to_string()
        assert res.rows_stored == len(fixtures.ROWS[kind])


@pytest.mark.parametrize("fmt,chinese,encoding", [
    ("csv", False, "utf-8"),
    ("csv", True, "gbk"),
    ("csv", True, "utf-8-sig"),
    ("xlsx", True, None),
])
def test_every_family_imports(con, tmp_path, fmt, chinese, encoding):
    load_all(con, tmp_path, fmt, chinese, encoding)
    counts = {k: con.sql(f"select count(*) from {k}").fetchall()[0][0] for k in fixtures.ORDER}
    assert counts == {"grids": 4, "workers": 3, "events": 3, "relief": 2, "patrols": 2, "manual_scores": 2}
    # values arrive typed and canonical, whatever the spelling in the file
    g = con.sql("select households, population, key_persons, updated_at from grids where grid_id = 'G01'").fetchall()
    assert g == [(300, 900, 2, datetime(2025, 9, 1, 9, 0))]
    assert con.sql("select population, lon, key_persons from grids where grid_id = 'G04'").fetchall() == [(None, None, 1)]
    e = con.sql("select category, source, tier, outcome, resolved_on_site, satisfaction, reported_at "
                "from events order by event_id").fetchall()
    assert e == [
        ("dispute", "patrol", "general", "resolved", True, 5, datetime(2025, 9, 1, 9, 0)),
        ("hazard", "resident", None, "not_rectified", None, None, datetime(2025, 9, 5, 14, 0)),
        ("sanitation", "hotline", None, None, None, 2, datetime(2025, 9, 10, 8, 30)),
    ]
    assert con.sql("select registered_at from events where event_id = 'E03'").fetchall() == [
        (datetime(2025, 9, 10, 9, 0),)]
    w = con.sql("select worker_id, gender, active, hired_on from workers order by worker_id").fetchall()
    assert w == [("W01", "男", True, date(2019, 3, 1)), ("W02", "女", True, date(2020, 7, 1)),
                 ("W03", "男", False, date(2017, 5, 1))]
    r = con.sql("select programme, persons, amount_yuan, status, newly_enrolled, approved_at from relief "
                "order by case_id").fetchall()
    assert [(p, n, float(a), s, ne, ap) for p, n, a, s, ne, ap in r] == [
        ("dibao", 3, 1500.5, "paid", True, date(2025, 8, 20)),
        ("temporary_relief", 1, 2000.0, "applied", False, None)]
    p = con.sql("select track, key_person_visits from patrols where patrol_id = 'P01'").fetchall()
    assert p == [("LINESTRING (106.68 35.54, 106.681 35.541, 106.682 35.54)", 1)]
    m = con.sql("select month, level, unit, score from manual_scores order by score desc").fetchall()
    assert m == [("2025-09", "street", "中街街道", 90.0), ("2025-09", "street", "东关街道", 85.0)]
    log = con.sql("select kind, rows_stored, rows_refused from import_log order by import_id").fetchall()
    assert log == [("grids", 4, 0), ("workers", 3, 0), ("events", 3, 0), ("relief", 2, 0), ("patrols", 2, 0),
                   ("manual_scores", 2, 0)]


def test_gbk_is_detected_not_asked(tmp_path):
    path = fixtures.write("grids", tmp_path / "g.csv", chinese=True, encoding="gb18030")
    assert ingest.detect_encoding(path) == "gb18030"
    assert ingest.detect_encoding(fixtures.write("grids", tmp_path / "u.csv", chinese=True)) == "utf-8"


def test_excel_datetime_cells_and_serials(con, tmp_path):
    fixtures.write("grids", tmp_path / "g.csv")
    ingest.ingest_files(con, "grids", [tmp_path / "g.csv"])
    df = fixtures.frame("events", chinese=True)
    df["上报时间"] = [datetime(2025, 9, 1, 9, 0), datetime(2025, 9, 5, 14, 0), datetime(2025, 9, 10, 8, 30)]
    df["办理时限"] = [45916.375, None, None]          # Excel serial for 2025-09-16 09:00
    df.to_excel(tmp_path / "e.xlsx", index=False)
    res = ingest.ingest_files(con, "events", [tmp_path / "e.xlsx"])[0]
    assert res.stored, res.errors.to_string()
    assert con.sql("select reported_at, due_at from events where event_id = 'E01'").fetchall() == [
        (datetime(2025, 9, 1, 9, 0), datetime(2025, 9, 16, 9, 0))]


def test_iso_offsets_become_shanghai_time(con, tmp_path):
    load_all(con, tmp_path)
    rows = [dict(fixtures.EVENTS[2], event_id="E09", reported_at="2025-09-10T00:30:00Z",
                 registered_at="2025-09-10T09:00:00+08:00")]
    ingest.ingest_files(con, "events", [fixtures.write("events", tmp_path / "e9.csv", rows=rows)])
    assert con.sql("select reported_at, registered_at from events where event_id = 'E09'").fetchall() == [
        (datetime(2025, 9, 10, 8, 30), datetime(2025, 9, 10, 9, 0))]


# --------------------------------------------------------------------------------------------- every rule

def _bad(kind, row_index, **changes):
    rows = [dict(r) for r in fixtures.ROWS[kind]]
    rows[row_index].update(changes)
    return rows


# (kind, rows, Excel row, column label in the file, fragment of the message)
RULES = [
    ("grids", _bad("grids", 1, street=None), 3, "street", "必填项"),
    ("grids", _bad("grids", 0, households="三百"), 2, "households", "整数"),
    ("grids", _bad("grids", 2, households=-1), 4, "households", "不小于 0"),
    ("grids", _bad("grids", 0, lon=200.0), 2, "lon", "坐标超出范围"),
    ("grids", _bad("grids", 0, lat=None), 2, "lon", "同时填写"),
    ("grids", _bad("grids", 3, grid_id="G01"), 5, "grid_id", "与第 2 行重复"),
    ("grids", _bad("grids", 0, updated_at="2025-13-45"), 2, "updated_at", "日期时间"),
    ("grids", [dict(r, boundary="POLYGON((1 2, 3") for r in fixtures.GRIDS[:1]], 2, "boundary", "边界"),
    ("workers", _bad("workers", 0, gender="未知"), 2, "gender", "男"),
    ("workers", _bad("workers", 1, active="也许"), 3, "active", "是 或 否"),
    ("workers", _bad("workers", 2, grid_id="G99"), 4, "grid_id", "不存在"),
    ("workers", _bad("workers", 0, birth_year=3000), 2, "birth_year", "1900–2100"),
    ("events", _bad("events", 0, grid_id="G99"), 2, "grid_id", "网格编码在网格表中不存在"),
    ("events", _bad("events", 1, category="天灾"), 3, "category", "矛盾纠纷(dispute)"),
    ("events", _bad("events", 0, registered_at="2025-08-31 09:00"), 2, "registered_at", "早于「上报时间」"),
    ("events", _bad("events", 1, registered_at=None, dispatched_at="2025-09-05 13:00"), 3, "dispatched_at",
     "早于「上报时间」"),
    ("events", _bad("events", 0, outcome="已整改"), 2, "outcome", "矛盾纠纷的办理结果"),
    ("events", _bad("events", 0, satisfaction="7"), 2, "satisfaction", "满意"),
    ("events", _bad("events", 2, reported_at=None), 4, "reported_at", "必填项"),
    # words DuckDB's strptime would read as 1900-01-01
    ("events", _bad("events", 2, reported_at="epoch"), 4, "reported_at", "日期时间"),
    ("events", _bad("events", 1, due_at="Infinity"), 3, "due_at", "日期时间"),
    ("events", _bad("events", 0, event_id=None), 2, "event_id", "必填项"),
    ("events", _bad("events", 1, coord_system="火星"), 3, "coord_system", "gcj02"),
    ("relief", _bad("relief", 0, id_number="110105194912310021"), 2, "id_number", "校验码"),
    ("relief", _bad("relief", 0, id_number="12345"), 2, "id_number", "18 位"),
    ("relief", _bad("relief", 1, persons=0), 3, "persons", "不小于 1"),
    ("relief", _bad("relief", 1, programme="扶贫"), 3, "programme", "低保(dibao)"),
    ("relief", _bad("relief", 0, approved_at="2025-07-01"), 2, "approved_at", "早于「申请日期」"),
    ("relief", _bad("relief", 0, amount_yuan=-5), 2, "amount_yuan", "范围 0–999,999,999,999.99"),
    ("relief", _bad("relief", 0, amount_yuan="1e20"), 2, "amount_yuan", "范围 0–999,999,999,999.99"),
    ("relief", _bad("relief", 1, amount_yuan="12,34"), 3, "amount_yuan", "数字"),
    ("patrols", _bad("patrols", 0, track="106.68"), 2, "track", "轨迹"),
    ("patrols", _bad("patrols", 1, ended_at="2025-09-02 13:00"), 3, "ended_at", "早于「开始时间」"),
    ("patrols", _bad("patrols", 1, key_person_visits=-1), 3, "key_person_visits", "不小于 0"),
    ("manual_scores", _bad("manual_scores", 0, month="2025-13"), 2, "month", "YYYY-MM"),
    ("manual_scores", _bad("manual_scores", 0, month="infinity"), 2, "month", "YYYY-MM"),
    ("manual_scores", _bad("manual_scores", 1, score=120), 3, "score", "0–100"),
    ("manual_scores", _bad("manual_scores", 1, unit="西郊街道"), 3, "unit", "街道不存在"),
    ("manual_scores", _bad("manual_scores", 0, level="区"), 2, "level", "街道(street)"),
]


@pytest.fixture
def loaded(con, tmp_path):
    load_all(con, tmp_path / "..")
    return con


@pytest.mark.parametrize("chinese", [False, True], ids=["canonical", "chinese"])
@pytest.mark.parametrize("kind,rows,row,column,fragment", RULES,
                         ids=[f"{r[0]}-{r[3]}-{i}" for i, r in enumerate(RULES)])
def test_bad_input_is_refused_and_store_unchanged(loaded, tmp_path, kind, rows, row, column, fragment, chinese):
    con = loaded
    before = snapshot(con)
    path = fixtures.write(kind, tmp_path / f"bad_{kind}.csv", chinese=chinese, rows=rows)
    res = ingest.ingest_files(con, kind, [path])[0]
    assert not res.stored
    label = KINDS[kind].col(column).label if chinese else column
    hits = res.errors[(res.errors["row"] == row) & (res.errors["column"] == label)]
    assert len(hits) >= 1, res.errors.to_string()
    assert fragment in hits.iloc[0]["message"], hits.iloc[0]["message"]
    assert (hits["file"] == path.name).all()
    assert snapshot(con) == before


def test_missing_required_column_names_header_row(loaded, tmp_path):
    before = snapshot(loaded)
    df = fixtures.frame("grids", chinese=True).drop(columns=["户数"])
    df.to_csv(tmp_path / "g.csv", index=False)
    res = ingest.ingest_files(loaded, "grids", [tmp_path / "g.csv"])[0]
    assert not res.stored
    assert res.errors[["row", "column"]].values.tolist() == [[1, "户数"]]
    assert "缺少必填列「户数」" in res.errors.iloc[0]["message"]
    assert snapshot(loaded) == before


def test_one_bad_file_among_several_stores_nothing(loaded, tmp_path):
    before = snapshot(loaded)
    good = fixtures.write("events", tmp_path / "good.csv", rows=[dict(fixtures.EVENTS[0], event_id="E10")])
    bad = fixtures.write("events", tmp_path / "bad.csv", rows=_bad("events", 0, grid_id="G99"))
    results = ingest.ingest_files(loaded, "events", [good, bad])
    assert [r.stored for r in results] == [False, False]
    assert snapshot(loaded) == before


def test_skip_invalid_keeps_good_rows_and_reasons(loaded, tmp_path):
    rows = _bad("events", 1, category="天灾") + [dict(fixtures.EVENTS[0], event_id="E11", grid_id="G99")]
    res = ingest.ingest_files(loaded, "events", [fixtures.write("events", tmp_path / "e.csv", rows=rows)],
                              skip_invalid=True)[0]
    assert res.stored and res.rows_stored == 2 and res.rows_refused == 2 and res.rows_updated == 2
    refused = loaded.sql("select row_number, column_name, value, message from import_refused "
                         "order by row_number").fetchall()
    assert [(r[0], r[1], r[2]) for r in refused] == [(3, "category", "天灾"), (5, "grid_id", "G99")]
    assert loaded.sql("select raw::json->>'事件编号' from import_refused where row_number = 5").fetchall() == [("E11",)]
    # the refused row E02 kept its previous stored version; nothing half-written
    assert loaded.sql("select category from events where event_id = 'E02'").fetchall() == [("hazard",)]


# --------------------------------------------------------------------------------------------- upserts

def test_reimport_same_file_changes_nothing(loaded, tmp_path):
    path = fixtures.write("events", tmp_path / "events.csv")
    ingest.ingest_files(loaded, "events", [path])
    before = {t: loaded.sql(f"select count(*) from {t}").fetchall()[0][0] for t in fixtures.ORDER}
    res = ingest.ingest_files(loaded, "events", [path])[0]
    assert res.stored and res.already_imported and res.rows_inserted == 0 and res.rows_updated == 3
    after = {t: loaded.sql(f"select count(*) from {t}").fetchall()[0][0] for t in fixtures.ORDER}
    assert after == before
    assert loaded.sql("select count(distinct event_id), count(*) from events").fetchall() == [(3, 3)]


def test_overlapping_file_upserts(loaded, tmp_path):
    rows = [dict(fixtures.EVENTS[1], closed_at="2025-09-10 10:00", outcome="已整改",
                 registered_at="2025-09-06 15:00", dispatched_at="2025-09-07 09:00", handled_at="2025-09-08 09:00"),
            dict(fixtures.EVENTS[0], event_id="E20")]
    res = ingest.ingest_files(loaded, "events", [fixtures.write("events", tmp_path / "o.csv", rows=rows)])[0]
    assert (res.rows_inserted, res.rows_updated) == (1, 1)
    assert loaded.sql("select count(*) from events").fetchall() == [(4,)]
    assert loaded.sql("select outcome, closed_at from events where event_id = 'E02'").fetchall() == [
        ("rectified", datetime(2025, 9, 10, 10, 0))]


def test_gcj02_and_bd09_coordinates_are_stored_as_wgs84(con, tmp_path):
    from data import coords

    rows = [dict(fixtures.GRIDS[0])]
    ingest.ingest_files(con, "grids", [fixtures.write("grids", tmp_path / "g.csv", rows=rows)], coords_default="gcj02")
    lon, lat = con.sql("select lon, lat from grids").fetchall()[0]
    assert (lon, lat) == pytest.approx(tuple(float(x) for x in coords.gcj02_to_wgs84(106.680, 35.540)), abs=1e-9)
    ev = [dict(fixtures.EVENTS[0], coord_system="BD-09"), dict(fixtures.EVENTS[2], event_id="E05", grid_id="G01", lon=106.68,
                                                               lat=35.54)]
    ingest.ingest_files(con, "events", [fixtures.write("events", tmp_path / "e.csv", rows=ev)])
    got = dict(con.sql("select event_id, [lon, lat] from events").fetchall())
    assert got["E01"] == pytest.approx([float(x) for x in coords.bd09_to_wgs84(106.6801, 35.5401)], abs=1e-9)
    assert got["E05"] == pytest.approx([106.68, 35.54])


def test_mapping_file_for_another_platform(con, tmp_path):
    from data import coords

    ingest.ingest_files(con, "grids", [fixtures.write("grids", tmp_path / "g.csv")])
    pd.DataFrame({"事件ID": ["X1", "X2"], "发生网格": ["G01", "G03"], "事件分类": ["邻里矛盾", "市容环境"],
                  "来源渠道": ["网格员采集", "12345"], "登记时间": ["2025-09-01 08:00", "2025-09-02 08:00"],
                  "处理结果": ["调解成功", None], "回访评价": ["基本满意", None], "X坐标": [106.68, None],
                  "Y坐标": [35.54, None], "备注": ["a", "b"]}).to_excel(tmp_path / "x.xlsx", index=False)
    res = ingest.ingest_files(con, "events", [tmp_path / "x.xlsx"],
                              mapping_path=ROOT / "data/mappings/example_platform.toml")[0]
    assert res.stored, res.errors.to_string()
    assert res.ignored_columns == ["备注"]
    rows = con.sql("select event_id, category, source, outcome, satisfaction, lon, lat from events "
                   "order by event_id").fetchall()
    wlon, wlat = (float(x) for x in coords.gcj02_to_wgs84(106.68, 35.54))
    assert rows[0][:5] == ("X1", "dispute", "patrol", "resolved", 4)
    assert rows[0][5:] == pytest.approx((wlon, wlat))
    assert rows[1] == ("X2", "sanitation", "hotline", None, None, None, None)


def test_parquet_import(con, tmp_path):
    fixtures.frame("grids").to_parquet(tmp_path / "g.parquet")
    res = ingest.ingest_files(con, "grids", [tmp_path / "g.parquet"])[0]
    assert res.stored and res.rows_stored == 4
    assert con.sql("select sum(households) from grids").fetchall() == [(1000,)]


def test_boundaries_geojson(loaded, tmp_path):
    import json

    feats = [{"type": "Feature", "properties": {"网格编码": "G04"},
              "geometry": {"type": "Polygon", "coordinates": [[[106.6, 35.5], [106.7, 35.5], [106.7, 35.6],
                                                              [106.6, 35.5]]]}}]
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    res = ingest.ingest_boundaries(loaded, tmp_path / "b.geojson")
    assert res.stored and res.rows_stored == 1
    boundary, lon = loaded.sql("select boundary, lon from grids where grid_id = 'G04'").fetchall()[0]
    assert json.loads(boundary)["type"] == "Polygon" and 106.6 < lon < 106.7
    feats[0]["properties"] = {"网格编码": "G99"}
    (tmp_path / "c.geojson").write_text(json.dumps(feats))
    before = snapshot(loaded)
    res = ingest.ingest_boundaries(loaded, tmp_path / "c.geojson")
    assert not res.stored and "不存在" in res.errors.iloc[0]["message"] and res.errors.iloc[0]["row"] == 1
    assert snapshot(loaded) == before


# --------------------------------------------------------------------------------------------- CLI

def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_cli_ingest_exit_codes_and_report(tmp_path):
    db = tmp_path / "cli.duckdb"
    ok = _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv", chinese=True,
                                                                     encoding="gbk"))
    assert ok.returncode == 0, ok.stderr
    assert "入库 4 行" in ok.stdout
    bad = fixtures.write("events", tmp_path / "e.csv", rows=_bad("events", 0, grid_id="G99"))
    refused = _cli("ingest", "--db", db, "--kind", "events", bad, "--report", tmp_path / "r.csv")
    assert refused.returncode == 1
    report = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    assert list(report.columns) == ["文件", "行", "列", "值", "问题"]
    assert report[["行", "列", "值"]].values.tolist() == [[2, "grid_id", "G99"]]
    assert _cli("ingest", "--db", db, "--kind", "nonsense", bad).returncode == 2
    assert _cli("ingest", "--db", db, "--kind", "events", tmp_path / "missing.csv").returncode == 2


@pytest.mark.parametrize("kind", fixtures.ORDER)
def test_kind_is_detected_from_headers(tmp_path, kind):
    chinese = fixtures.write(kind, tmp_path / f"{kind}_zh.csv", chinese=True, encoding="gbk")
    canonical = fixtures.write(kind, tmp_path / f"{kind}.xlsx", fmt="xlsx")
    assert ingest.detect_kind(chinese) == kind
    assert ingest.detect_kind(canonical) == kind


def test_tab_separated_grids_file_is_detected_as_the_cli_reads_it(tmp_path, con):
    """The import page's kind detection reads headers with the importer's own dialect detection."""
    tsv = tmp_path / "网格.txt"
    tsv.write_text("网格编码\t所属街道\t所属社区\t户数\nT1\t甲街道\t甲一社区\t120\n", encoding="gbk")
    assert ingest.detect_kind(tsv) == "grids"
    assert ingest.ingest_files(con, "grids", [tsv])[0].stored              # the CLI's path stores the same file
    assert con.sql("select grid_id, street, households from grids").fetchall() == [("T1", "甲街道", 120)]


def test_unknown_headers_are_not_guessed(tmp_path):
    (tmp_path / "x.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    assert ingest.detect_kind(tmp_path / "x.csv") is None


def test_dry_run_reports_without_storing(loaded, tmp_path):
    before = snapshot(loaded)
    bad = fixtures.write("events", tmp_path / "e.csv", rows=_bad("events", 0, grid_id="G99"))
    res = ingest.ingest_files(loaded, "events", [bad], dry_run=True)[0]
    assert not res.stored and len(res.errors) == 1
    good = fixtures.write("events", tmp_path / "g.csv", rows=[dict(fixtures.EVENTS[0], event_id="E77")])
    res = ingest.ingest_files(loaded, "events", [good], dry_run=True)[0]
    assert not res.stored and res.errors.empty
    assert snapshot(loaded) == before


def test_short_rows_are_padded_not_fatal(con, tmp_path):
    (tmp_path / "g.csv").write_text("grid_id,street,community,households,population\n"
                                    "G1,东关街道,东大街社区,300,900\nG2,东关街道,东大街社区,200\n", encoding="utf-8")
    res = ingest.ingest_files(con, "grids", [tmp_path / "g.csv"])[0]
    assert res.stored, res.errors.to_string()
    assert con.sql("select grid_id, population from grids order by 1").fetchall() == [("G1", 900), ("G2", None)]


def test_partial_file_keeps_what_it_does_not_say(loaded, tmp_path):
    """A grid refresh without boundary or coordinates must not erase them (review finding)."""
    import json as _json

    feats = [{"type": "Feature", "properties": {"网格编码": "G01"},
              "geometry": {"type": "Polygon", "coordinates": [[[106.6, 35.5], [106.7, 35.5], [106.7, 35.6],
                                                              [106.6, 35.5]]]}}]
    (tmp_path / "b.geojson").write_text(_json.dumps(feats))
    assert ingest.ingest_boundaries(loaded, tmp_path / "b.geojson").stored
    (tmp_path / "g.csv").write_text("grid_id,street,community,households\nG01,东关街道,东大街社区,310\n"
                                    "G09,东关街道,东大街社区,120\n", encoding="utf-8")
    res = ingest.ingest_files(loaded, "grids", [tmp_path / "g.csv"])[0]
    assert (res.rows_inserted, res.rows_updated) == (1, 1)
    g1 = loaded.sql("select households, population, key_persons, lon, boundary is not null from grids "
                    "where grid_id = 'G01'").fetchall()[0]
    assert g1 == (310, 900, 2, 106.68, True)
    assert loaded.sql("select key_persons, lon from grids where grid_id = 'G09'").fetchall() == [(0, None)]
    (tmp_path / "e.csv").write_text("event_id,grid_id,reported_at\nE01,G01,2025-09-01 09:00\n", encoding="utf-8")
    assert ingest.ingest_files(loaded, "events", [tmp_path / "e.csv"])[0].stored
    assert loaded.sql("select outcome, satisfaction from events where event_id = 'E01'").fetchall() == [("resolved", 5)]


# --------------------------------------------------------------------------------------------- messy files (review)

def test_blank_lines_keep_excel_row_numbers(loaded, tmp_path):
    (tmp_path / "e.csv").write_text("event_id,grid_id,reported_at\n\nA1,G01,2025-03-05 10:00\n\n\n"
                                    "A2,G99,2025-03-05 10:00\n", encoding="utf-8")
    res = ingest.ingest_files(loaded, "events", [tmp_path / "e.csv"])[0]
    assert res.errors[["row", "column"]].values.tolist() == [[6, "grid_id"]]     # row 6 in Excel


def test_mixed_encoding_is_refused_not_garbled(loaded, tmp_path):
    before = snapshot(loaded)
    text = "event_id,grid_id,reported_at,category,description\n" + "".join(
        f"M{i},G01,2025-03-05 10:00,public_order,楼道堆放杂物{i}\n" for i in range(20))
    (tmp_path / "m.csv").write_bytes(text.encode("utf-8") + b"M99,G01,2025-03-05 10:00,other,Caf\xe9s\n")
    res = ingest.ingest_files(loaded, "events", [tmp_path / "m.csv"])[0]
    assert not res.stored and "UTF-8" in res.errors.iloc[0]["message"]
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 10)
    res = ingest.ingest_files(loaded, "events", [tmp_path / "junk.csv"])[0]
    assert not res.stored and res.errors.iloc[0]["message"]
    assert snapshot(loaded) == before


@pytest.mark.parametrize("content,suffix", [(b"", ".csv"), (b"not a zip", ".xlsx"), (b"PAR1junk", ".parquet")])
def test_unreadable_files_are_refused_with_a_reason(loaded, tmp_path, content, suffix):
    (tmp_path / f"x{suffix}").write_bytes(content)
    res = ingest.ingest_files(loaded, "grids", [tmp_path / f"x{suffix}"])[0]
    assert not res.stored and ("无法读取" in res.errors.iloc[0]["message"] or "为空" in res.errors.iloc[0]["message"])


def test_empty_workbook_is_refused(loaded, tmp_path):
    import openpyxl

    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    res = ingest.ingest_files(loaded, "grids", [tmp_path / "e.xlsx"])[0]
    assert not res.stored and "为空" in res.errors.iloc[0]["message"]


def test_thousands_separators_only_in_groups_of_three(con, tmp_path):
    (tmp_path / "g.csv").write_text('grid_id,street,community,households,population\n'
                                    'G1,东关街道,东大街社区,"1,234","12,345"\n', encoding="utf-8")
    assert ingest.ingest_files(con, "grids", [tmp_path / "g.csv"])[0].stored
    assert con.sql("select households, population from grids").fetchall() == [(1234, 12345)]


def test_cli_bad_mapping_is_a_usage_error(tmp_path):
    path = fixtures.write("grids", tmp_path / "g.csv")
    out = _cli("ingest", "--db", tmp_path / "x.duckdb", "--kind", "grids", path, "--mapping", tmp_path / "none.toml")
    assert out.returncode == 2 and "映射文件" in out.stderr


def test_events_are_stored_in_time_order_whatever_the_file_order(loaded, tmp_path):
    """A shuffled export (200 events, 20 days, newest first then shuffled) is stored by 上报时间, so a period's scan
    reads row groups of that period only (issue 15: storage order); a second import appends in its own order."""
    import random

    base = fixtures.EVENTS[2]
    rows = [dict(base, event_id=f"S{i:03d}", reported_at=f"2025-10-{1 + i % 20:02d} {8 + i % 10:02d}:00",
                 registered_at=None, dispatched_at=None, handled_at=None, closed_at=None, evaluated_at=None,
                 due_at=None, satisfaction=None) for i in range(200)]
    random.Random(15).shuffle(rows)
    res = ingest.ingest_files(loaded, "events", [fixtures.write("events", tmp_path / "s.csv", rows=rows)])[0]
    assert res.stored, res.errors.to_string()
    order = "select count(*) from (select reported_at, lag(reported_at) over (order by rowid) as before from events " \
            "where event_id like 'S%') where reported_at < before"
    assert loaded.sql(order).fetchall() == [(0,)]
    first = loaded.sql("select min(rowid) from events where event_id like 'S%'").fetchall()[0][0]
    assert loaded.sql(f"select event_id from events where rowid = {first}").fetchall()[0][0] in {
        r["event_id"] for r in rows if r["reported_at"].startswith("2025-10-01 ")}
