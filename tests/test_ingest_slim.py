"""A clean CSV is staged slim (issue 15, import ≥ 10× pandas): each cell is parsed as it stands and trimmed only when
that fails, and its raw text is kept only where it did not parse. What a person sees must not change: padded cells
store the same values, a blank cell is still "empty" not "malformed", and every message, import_refused record and
row number quotes the file as written — a file with any problem is staged again exactly."""
from __future__ import annotations

import json
import math

import pytest

from data import ingest
from tests import fixtures


@pytest.fixture
def with_grids(con, tmp_path):
    res = ingest.ingest_files(con, "grids", [fixtures.write("grids", tmp_path / "grids.csv")])[0]
    assert res.stored
    return con


def _options(con) -> dict:
    return json.loads(con.sql("select options from import_log order by import_id desc limit 1").fetchall()[0][0])


HEADER = "事件编号,网格编码,事件类别,事件来源,上报时间,立案时间,办理结果,现场化解,满意度,结案时间,经度,纬度\n"


def test_padded_cells_store_the_same_values_on_the_fast_path(with_grids, tmp_path):
    con = with_grids
    # spaces, a full-width space and a no-break space around dates, words, yes/no and numbers
    (tmp_path / "e.csv").write_text(
        HEADER
        + "P1, G01 ,\u3000矛盾纠纷 , 网格员巡查, 2025-09-01 09:00 ,2025/09/01 10:00\u00a0, 调解成功 , 是 , 5 ,"
          "2025-09-02 09:00, 106.6801 ,\u300035.5401\n"
        + "P2,G01,矛盾纠纷,网格员巡查,2025-09-01 09:00,2025-09-01 10:00,调解成功,是,5,2025-09-02 09:00,106.6801,35.5401\n",
        encoding="utf-8")
    res = ingest.ingest_files(con, "events", [tmp_path / "e.csv"])[0]
    assert res.stored and res.rows_refused == 0, res.errors.to_string()
    assert _options(con)["slim"] is True
    rows = con.sql("select grid_id, category, source, reported_at, registered_at, outcome, resolved_on_site, "
                   "satisfaction, lon, lat from events where event_id in ('P1', 'P2') order by event_id").fetchall()
    assert rows[0] == rows[1]
    assert rows[0][:3] == ("G01", "dispute", "patrol") and rows[0][5:] == ("resolved", True, 5, 106.6801, 35.5401)
    assert str(rows[0][3]) == "2025-09-01 09:00:00" and str(rows[0][4]) == "2025-09-01 10:00:00"


def test_a_blank_required_cell_is_empty_not_malformed(with_grids, tmp_path):
    (tmp_path / "e.csv").write_text(HEADER + "B1,G01,矛盾纠纷,网格员巡查,   ,,,,,,,\n", encoding="utf-8")
    res = ingest.ingest_files(with_grids, "events", [tmp_path / "e.csv"])[0]
    assert not res.stored
    assert res.errors[["row", "column"]].values.tolist() == [[2, "上报时间"]]
    assert "必填项「上报时间」为空" in res.errors.iloc[0]["message"]


def test_messages_and_refused_records_quote_cells_as_written(with_grids, tmp_path):
    con = with_grids
    (tmp_path / "e.csv").write_text(
        HEADER
        + "Q1,G01,矛盾纠纷,网格员巡查,2025/9/1 9:00,2025/8/31 09:00,调解成功,是,5,,106.6801,35.5401\n"
        + "Q2,G01,矛盾纠纷,网格员巡查,2025-09-01 09:00,,调解成功,是,,,200.50,35.5\n"
        + "Q3,G01,矛盾纠纷,网格员巡查, 2025年9月1日 09:00 ,,调解成功,是,,,106.6801,35.5401\n", encoding="utf-8")
    res = ingest.ingest_files(con, "events", [tmp_path / "e.csv"], skip_invalid=True)[0]
    assert res.stored and res.rows_stored == 1 and res.rows_refused == 2
    errors = res.errors.set_index(["row", "column"])["value"].to_dict()
    assert errors[(2, "立案时间")] == "2025/8/31 09:00"          # not 2025-08-31 09:00:00
    assert errors[(3, "经度")] == "200.50, 35.5"                 # not 200.5, 35.5
    raw = dict(con.sql("select row_number, raw from import_refused").fetchall())
    assert json.loads(raw[2])["上报时间"] == "2025/9/1 9:00" and json.loads(raw[2])["满意度"] == "5"
    assert json.loads(raw[3])["经度"] == "200.50"
    assert _options(con)["slim"] is False                        # the stored rows came from the exact staging
    assert con.sql("select reported_at from events where event_id = 'Q3'").fetchall()[0][0].isoformat() \
        == "2025-09-01T09:00:00"


def test_a_key_repeated_in_another_file_is_refused_as_written(with_grids, tmp_path):
    """The only problem of the second file is a key the first file has — found after both were staged slim."""
    con = with_grids
    (tmp_path / "a.csv").write_text(HEADER + "K1,G01,矛盾纠纷,网格员巡查,2025-09-01 09:00,,,,,,,\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(HEADER + "\nK2,G01,矛盾纠纷,网格员巡查,2025/9/2 9:00,,,,,,,\n\n"
                                    "K1,G01,矛盾纠纷,网格员巡查,2025/9/3 9:00,,,,,,106.68000,35.54\n", encoding="utf-8")
    first, second = ingest.ingest_files(con, "events", [tmp_path / "a.csv", tmp_path / "b.csv"], skip_invalid=True)
    assert first.stored and second.stored and second.rows_refused == 1 and second.rows_stored == 1
    assert second.errors[["row", "column", "value"]].values.tolist() == [[5, "事件编号", "K1"]]  # Excel row 5
    assert "a.csv 第 2 行重复" in second.errors.iloc[0]["message"]
    raw = json.loads(con.sql("select raw from import_refused").fetchall()[0][0])
    assert raw["上报时间"] == "2025/9/3 9:00" and raw["经度"] == "106.68000"
    assert con.sql("select event_id, reported_at::varchar from events where event_id like 'K%' "
                   "order by 1").fetchall() == [("K1", "2025-09-01 09:00:00"), ("K2", "2025-09-02 09:00:00")]


def test_columns_the_file_lacks_take_their_default_on_every_row(with_grids, tmp_path):
    """Absent columns are one value for every row, given by the staged view rather than written per row: a default
    from the mapping is parsed once and stored on every row; a default that does not parse refuses every row and
    quotes the default as written."""
    con = with_grids
    (tmp_path / "e.csv").write_text("事件编号,网格编码,上报时间\nD1,G01,2025-09-01 09:00\nD2,G03,2025-09-02 09:00\n",
                                    encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text('[defaults]\ncategory = "安全隐患"\nsatisfaction = "基本满意"\nresolved_on_site = "否"\n'
                    'due_at = "2025/9/30 18:00"\n', encoding="utf-8")
    res = ingest.ingest_files(con, "events", [tmp_path / "e.csv"], mapping_path=good)[0]
    assert res.stored, res.errors.to_string()
    assert con.sql("select event_id, category, satisfaction, resolved_on_site, due_at::varchar, tier "
                   "from events where event_id like 'D%' order by 1").fetchall() == [
        ("D1", "hazard", 4, False, "2025-09-30 18:00:00", None),
        ("D2", "hazard", 4, False, "2025-09-30 18:00:00", None)]
    bad = tmp_path / "bad.toml"
    bad.write_text('[defaults]\ndue_at = "2025/9/31 18:00"\n', encoding="utf-8")
    res = ingest.ingest_files(con, "events", [tmp_path / "e.csv"], mapping_path=bad, skip_invalid=True)[0]
    assert res.rows_refused == 2 and res.rows_stored == 0
    assert res.errors[["row", "column", "value"]].values.tolist() == [[2, "办理时限", "2025/9/31 18:00"],
                                                                     [3, "办理时限", "2025/9/31 18:00"]]
    raw = [json.loads(r[0]) for r in con.sql("select raw from import_refused order by row_number").fetchall()]
    assert [r["办理时限"] for r in raw] == ["2025/9/31 18:00"] * 2 and raw[0]["事件类别"] is None


def test_files_staged_again_cite_each_other_by_excel_rows(with_grids, tmp_path):
    """b.csv (blank lines) repeats a key of a.csv and is staged again exactly; c.csv, refused for its own bad date,
    repeats a key of b.csv — its message must cite b.csv's Excel row, not the row of b's first, slim staging."""
    con = with_grids
    (tmp_path / "a.csv").write_text(HEADER + "K1,G01,矛盾纠纷,网格员巡查,2025-09-01 09:00,,,,,,,\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(HEADER + "\n\nK2,G01,矛盾纠纷,网格员巡查,2025-09-02 09:00,,,,,,,\n"
                                    "K1,G01,矛盾纠纷,网格员巡查,2025-09-03 09:00,,,,,,,\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text(HEADER + "K2,G01,矛盾纠纷,网格员巡查,2025-09-04 09:00,,,,,,,\n"
                                    "K3,G01,矛盾纠纷,网格员巡查,2025-13-04 09:00,,,,,,,\n", encoding="utf-8")
    a, b, c = ingest.ingest_files(con, "events", [tmp_path / n for n in ("a.csv", "b.csv", "c.csv")])
    assert not (a.stored or b.stored or c.stored)
    assert b.errors[["row", "column"]].values.tolist() == [[5, "事件编号"]]
    assert "a.csv 第 2 行重复" in b.errors.iloc[0]["message"]
    cited = c.errors[c.errors["column"] == "事件编号"]
    assert cited[["row", "value"]].values.tolist() == [[2, "K2"]] and "b.csv 第 4 行重复" in cited.iloc[0]["message"]
    assert c.errors[c.errors["column"] == "上报时间"]["row"].tolist() == [3]


def test_a_file_with_blank_lines_and_a_huge_cell_is_numbered(with_grids, tmp_path):
    """Numbering the records of a CSV with blank lines reads it with Python's csv module, whose default field limit
    (128 KiB) a grid boundary's WKT can exceed: the report must come back, not an exception."""
    ring = ", ".join(f"{106.6 + 0.05 * math.cos(t / 8000 * math.tau):.9f} {35.5 + 0.05 * math.sin(t / 8000 * math.tau):.9f}"
                     for t in range(8000))
    first = ring.split(", ")[0]
    polygon = f"POLYGON(({ring}, {first}))"
    assert len(polygon) > 131_072
    (tmp_path / "g.csv").write_text("grid_id,street,community,households,boundary\n\n"
                                    f'G01,东关街道,东大街社区,300,"{polygon}"\nG09,东关街道,东大街社区,-3,\n',
                                    encoding="utf-8")
    res = ingest.ingest_files(with_grids, "grids", [tmp_path / "g.csv"])[0]
    assert not res.stored
    assert res.errors[["row", "column"]].values.tolist() == [[4, "households"]]
