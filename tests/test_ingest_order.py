"""A CSV is parsed straight from DuckDB's reader into the staged table (issue 15: no copy of every cell first), which
is only right while the staged rows keep the file's order — the row numbers every message names come from it. On a
file large enough for the parallel reader the messages name the exact rows; a plan that would reorder (a join) is
detected and staged through a table instead, with the same messages."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from data import ingest
from tests import fixtures

BAD = (2, 3, 150_001, 287_654, 300_001)       # Excel rows (header = row 1) given an unknown 事件类别


def _big_csv(path: Path, n: int = 300_000) -> Path:
    """n events over the fixture's grids (~50 MB: several buffers of the parallel CSV reader)."""
    grids = [g["grid_id"] for g in fixtures.GRIDS]
    bad = ", ".join(str(r - 2) for r in BAD)
    duckdb.connect().execute(f"""
        copy (select 'E' || i as 事件编号, {grids!r}[1 + i % {len(grids)}] as 网格编码,
                     case when i in ({bad}) then 'bogus' else '安全隐患' end as 事件类别,
                     strftime(timestamp '2025-09-01' + to_minutes(i % 40000), '%Y-%m-%d %H:%M:%S') as 上报时间,
                     case when i % 3 = 0 then '是' else '否' end as 现场化解,
                     '居民反映楼道堆放杂物，影响消防通道通行，请尽快处理（第 ' || i || ' 号）' as 事件描述
              from range({n}) r(i)) to '{path}' (header)""")
    return path


@pytest.fixture
def with_grids(con, tmp_path):
    res = ingest.ingest_files(con, "grids", [fixtures.write("grids", tmp_path / "grids.csv")])[0]
    assert res.stored
    return con


def _staged(con, path):
    prep = ingest.prepare(con, "events", path)
    try:
        return prep.options["one_pass"], prep.result.rows_in_file, sorted(prep.invalid_rows), \
            set(prep.result.errors["value"]), prep.result.errors
    finally:
        ingest.drop_staged(con, prep.table)


def test_messages_name_the_exact_rows_of_a_file_read_in_parallel(with_grids, tmp_path):
    one_pass, rows, invalid, values, errors = _staged(with_grids, _big_csv(tmp_path / "big.csv"))
    assert one_pass                           # straight from the reader
    assert rows == 300_000 and invalid == list(BAD) and values == {"bogus"}
    assert set(errors["column"]) == {"事件类别"}
    # nothing staged is left behind
    assert not with_grids.execute("select count(*) from duckdb_tables() where temporary").fetchall()[0][0]


def test_a_plan_that_would_reorder_is_staged_through_a_table(with_grids, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "keeps_order", lambda *a, **k: False)
    one_pass, rows, invalid, values, _ = _staged(with_grids, _big_csv(tmp_path / "big.csv"))
    assert not one_pass and rows == 300_000 and invalid == list(BAD) and values == {"bogus"}
    assert not with_grids.execute("select count(*) from duckdb_tables() where temporary").fetchall()[0][0]


def test_keeps_order_reads_the_plan(tmp_path):
    con = duckdb.connect()
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    rel = f"read_csv('{path}', all_varchar = true)"
    assert ingest.keeps_order(con, f"select nullif(trim(a), '') as a from {rel} where b is not null", {})
    # an IN list over constants is planned as a join: the order is not kept
    assert not ingest.keeps_order(con, f"select lower(a) in ('1', '2', '3', '4', '5', '6', '7', '8') as x from {rel}", {})
    ingest._macros(con)
    assert ingest.keeps_order(con, f"select gg_parse_bool(a), gg_parse_ts(b) from {rel}", {})
