"""Schema versions and migrations (data/store.py): a store made by release 1 upgrades in place with every row and
the same numbers; a backup comes first; all pending migrations are one transaction; newer stores are refused."""
from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

import cli
from data import store
from metrics import score
from metrics.compute import Filters, compute_many

V1 = Path(__file__).resolve().parent / "fixtures" / "release_v1"
EXPECTED = json.loads((V1 / "expected.json").read_text(encoding="utf-8"))
PERIOD = Filters(date(2025, 9, 1), date(2025, 9, 14))


def build_release_v1(path: Path) -> None:
    """A store exactly as release 1 left it: its schema and views, then its rows. No code of this release runs."""
    con = duckdb.connect(str(path))
    for f in sorted((V1 / "sql" / "schema").glob("*.sql")) + sorted((V1 / "sql" / "views").glob("*.sql")):
        con.execute(f.read_text(encoding="utf-8"))
    con.execute((V1 / "data.sql").read_text(encoding="utf-8"))
    con.close()


@pytest.fixture
def extra_migration(tmp_path, monkeypatch):
    """This release's migrations plus one more (a store is then always older than the code)."""
    mig = tmp_path / "migrations"
    shutil.copytree(store.MIGRATIONS_DIR, mig)
    (mig / "900_import_note.sql").write_text("alter table import_log add column note varchar;", encoding="utf-8")
    monkeypatch.setattr(store, "MIGRATIONS_DIR", mig)
    return mig


def _rows(con, table: str, columns: list[str]) -> list[tuple]:
    return con.execute(f"select {', '.join(columns)} from {table} order by all").fetchall()


def _same(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) < 1e-9


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def test_fresh_store_is_at_the_latest_version(tmp_path):
    con = store.connect(tmp_path / "new.duckdb")
    versions = [v for v, _, _ in store.migrations()]
    assert con.execute("select version from schema_version order by 1").fetchall() == [(v,) for v in versions]
    assert store.store_version(con) == store.code_version() == max(versions)
    assert not store.needs_upgrade(con)
    con.close()
    assert not list(tmp_path.glob("*.bak"))              # nothing to back up in a new store


def test_release_v1_store_upgrades_with_every_row_and_the_same_numbers(tmp_path, extra_migration):
    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)
    old = duckdb.connect(str(path), read_only=True)
    before = {t: (cols := [r[0] for r in old.execute(f"describe {t}").fetchall()], _rows(old, t, cols))
              for t in store.TABLES}
    old.close()
    assert before["events"][1] and len(before["grids"][1]) == 3 and len(before["patrols"][1]) == 15

    con = store.connect(path)
    assert store.store_version(con) == store.code_version() == 900
    assert "note" in [r[0] for r in con.execute("describe import_log").fetchall()]
    # every row of every table, with every column release 1 had
    for table, (cols, rows) in before.items():
        assert _rows(con, table, cols) == rows, table
    assert store.table_counts(con) == EXPECTED["counts"]

    # the same indicator values, numerators and denominators, in total and by street, and the same scores
    ids = list(EXPECTED["total"])
    total = compute_many(con, ids, PERIOD)
    by_street = compute_many(con, ids, PERIOD, ["street"])
    for metric_id in ids:
        row = total[metric_id].iloc[0]
        got = [_num(row["value"]), _num(row["numerator"]), _num(row["denominator"])]
        assert all(_same(a, b) for a, b in zip(got, EXPECTED["total"][metric_id])), (metric_id, got)
        for r in by_street[metric_id].to_dict("records"):
            got = [_num(r["value"]), _num(r["numerator"]), _num(r["denominator"])]
            want = EXPECTED["by_street"][metric_id][r["street"]]
            assert all(_same(a, b) for a, b in zip(got, want)), (metric_id, r["street"], got)
    assert EXPECTED["total"]["events_per_1000_households"] == [8.0, 8.0, 1000.0]      # a figure worked by hand
    assert {r["unit"]: r["score"] for r in score.scores(con, PERIOD).to_dict("records")} == EXPECTED["scores"]
    con.close()

    # the copy made first is the untouched release-1 store
    backup = tmp_path / "gridgov.duckdb.v1.bak"
    assert backup.is_file()
    b = duckdb.connect(str(backup), read_only=True)
    assert store.applied_versions(b) == {1} and not store._has_table(b, "schema_version")
    assert _rows(b, "events", before["events"][0]) == before["events"][1]
    b.close()

    # opening again changes nothing and makes no second copy
    store.connect(path).close()
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == ["gridgov.duckdb.v1.bak"]


def test_read_only_opening_upgrades_first(tmp_path, extra_migration):
    """The dashboard opens read-only, which cannot migrate: the opening upgrades through a short read-write
    connection first, then hands out the read-only one."""
    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)
    con = store.connect(path, read_only=True)
    assert store.store_version(con) == store.code_version()
    with pytest.raises(duckdb.Error):                   # still the locked-down read-only connection
        con.execute("create table x (a int)")
    assert con.execute("select count(*) from events").fetchall() == [(10,)]
    con.close()
    assert (tmp_path / "gridgov.duckdb.v1.bak").is_file()


def test_read_only_opening_that_cannot_write_says_so(tmp_path, monkeypatch):
    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)

    def locked(_path):
        raise duckdb.IOException('IO Error: Could not set lock on file "gridgov.duckdb": Conflicting lock')

    monkeypatch.setattr(store, "upgrade", locked)
    with pytest.raises(store.StoreNeedsUpgrade, match="需要升级到 v.*python cli.py migrate"):
        store.connect(path, read_only=True)


def test_views_out_of_date_are_recreated_before_a_read_only_opening(tmp_path):
    path = tmp_path / "s.duckdb"
    con = store.connect(path)
    con.execute("create or replace view v_events as select 1 as stale")
    con.execute("update store_meta set value = 'old' where key = 'views_checksum'")
    con.close()
    ro = store.connect(path, read_only=True)
    assert "grid_id" in [r[0] for r in ro.execute("describe v_events").fetchall()]
    ro.close()


def test_a_newer_store_is_refused(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    con = store.connect(path)
    con.execute("insert into schema_version values (999, 'from_the_future', now()::timestamp)")
    con.close()
    for read_only in (False, True):
        with pytest.raises(store.StoreTooNew, match="比本程序（v\\d+）新.*999"):
            store.connect(path, read_only=read_only)
    assert cli.main(["migrate", "--db", str(path)]) == 1
    assert "请使用新版程序打开" in capsys.readouterr().err


def test_a_failing_migration_changes_nothing(tmp_path, extra_migration):
    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)
    mig = extra_migration
    (mig / "900_import_note.sql").write_text("alter table events add column extra integer;", encoding="utf-8")
    (mig / "901_broken.sql").write_text("select * from no_such_table;", encoding="utf-8")
    with pytest.raises(duckdb.CatalogException):
        store.connect(path)
    con = duckdb.connect(str(path), read_only=True)
    assert store.applied_versions(con) == {1}           # still release 1: no schema_version, no new column
    assert "extra" not in [r[0] for r in con.execute("describe events").fetchall()]
    assert con.execute("select count(*) from events").fetchall() == [(10,)]
    con.close()
    assert (tmp_path / "gridgov.duckdb.v1.bak").is_file()


def test_cli_migrate(tmp_path, capsys, extra_migration):
    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)
    assert cli.main(["migrate", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"已从 v1 升级到 v900；升级前的副本：{tmp_path / 'gridgov.duckdb.v1.bak'}" in out
    assert cli.main(["migrate", "--db", str(path)]) == 0
    assert f"已是最新版本 v{store.code_version()}" in capsys.readouterr().out


def test_app_upgrades_an_old_store_at_startup(tmp_path, monkeypatch, extra_migration):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    path = tmp_path / "gridgov.duckdb"
    build_release_v1(path)
    monkeypatch.setenv("GRIDGOV_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_auth"] = {"username": "admin", "last": __import__("time").time()}
    at.run()
    assert not at.exception and not at.error
    con = duckdb.connect(str(path), read_only=True, config=store._READ_ONLY_CONFIG)   # as the app holds it
    assert store.store_version(con) == 900
    con.close()


def test_app_refuses_a_newer_store_with_a_message(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    path = tmp_path / "newer.duckdb"
    con = store.connect(path)
    con.execute("insert into schema_version values (999, 'from_the_future', now()::timestamp)")
    con.close()
    monkeypatch.setenv("GRIDGOV_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "请使用新版程序打开" in at.error[0].value
