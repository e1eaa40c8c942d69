"""Hardening (issue 14): what a hostile or careless user sends must not take the service down, leak, or corrupt;
imports run while the dashboard serves. Every test here failed before its fix."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from data import storefile, store
from tests import fixtures

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, **kw)


def _count(db, table):
    con = storefile.open_reader(db)
    try:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- 2. imports while serving

READER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from data import storefile
    con = storefile.open_reader({db!r})
    cur = con.cursor()
    print('open', cur.execute('select count(*) from workers').fetchall()[0][0], flush=True)
    sys.stdin.readline()                      # hold the store open until told
    print('same', cur.execute('select count(*) from workers').fetchall()[0][0], flush=True)
    fresh = storefile.open_reader({db!r})
    print('fresh', fresh.execute('select count(*) from workers').fetchall()[0][0], flush=True)
""")


def test_import_succeeds_while_another_process_reads(tmp_path):
    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    reader = subprocess.Popen([sys.executable, "-c", READER.format(root=str(ROOT), db=str(db))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().split() == ["open", "0"]
        out = _cli("ingest", "--db", db, "--kind", "workers", fixtures.write("workers", tmp_path / "w.csv"))
        assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
        reader.stdin.write("\n")
        reader.stdin.flush()
        # the running reader finishes on the file it had; a new open sees the import
        assert reader.stdout.readline().split() == ["same", "0"]
        assert reader.stdout.readline().split() == ["fresh", "3"]
    finally:
        reader.kill()
        reader.wait()
    assert _count(db, "workers") == 3
    assert not list(tmp_path.glob("s.duckdb.import-*")) and not list(tmp_path.glob(".s.duckdb.reader-*"))


HOLDER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from data import storefile
    with storefile.writing({db!r}) as w:
        print('holding', flush=True)
        sys.stdin.readline()
        w.discard()
""")


def test_second_import_gets_a_chinese_message_and_its_own_exit_code(tmp_path):
    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    before = os.stat(db).st_mtime_ns
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(root=str(ROOT), db=str(db))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        out = _cli("ingest", "--db", db, "--kind", "workers", fixtures.write("workers", tmp_path / "w.csv"))
        assert out.returncode == storefile.BUSY_EXIT == 3
        assert "Traceback" not in out.stderr and "另一个导入" in out.stderr
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait()
    assert os.stat(db).st_mtime_ns == before
    assert _cli("ingest", "--db", db, "--kind", "workers", tmp_path / "w.csv").returncode == 0


def test_outside_writer_holding_the_file_is_busy_not_a_traceback(tmp_path):
    db = tmp_path / "s.duckdb"
    store.init(db)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); sys.stdin.readline()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "holding"
        out = _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv"))
        assert out.returncode == 3 and "Traceback" not in out.stderr and "数据库文件正被其他程序" in out.stderr
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait()


def test_refused_import_leaves_the_store_file_untouched(tmp_path):
    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    before = os.stat(db)
    bad = fixtures.write("workers", tmp_path / "w.csv", rows=[{**fixtures.WORKERS[0], "grid_id": "G99"}])
    time.sleep(0.01)
    assert _cli("ingest", "--db", db, "--kind", "workers", bad).returncode == 1
    after = os.stat(db)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)


def test_dashboard_sees_an_import_at_the_next_query(tmp_path, monkeypatch):
    from ui import conn

    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("GRIDGOV_DB", str(db))
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    held = conn.cursor()                     # a query in flight on the old file
    assert held.execute("select count(*) from workers").fetchall()[0][0] == 0
    out = _cli("ingest", "--db", db, "--kind", "workers", fixtures.write("workers", tmp_path / "w.csv"))
    assert out.returncode == 0, out.stderr
    assert conn.cursor().execute("select count(*) from workers").fetchall()[0][0] == 3
    assert held.execute("select count(*) from workers").fetchall()[0][0] == 0
