"""What a leader sees on the scoreboard after a late import, in real headless Chromium: last month's ranking was
published (cli.py publish), then 40 late, unresolved disputes of 中街街道 were imported. The page shows the published
version marked 已发布 v1 with its date, a notice that live numbers differ, the units and items that moved and the
import that caused it. Screenshot: artifacts/screenshots/scoreboard_published_after_late_import.png.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta

import pytest

from tests.fixtures import write
from tests.metric_fixture import _e
from tests.test_browser import CHROMIUM, DEMO_END, ROOT, SHOTS, Server, Visit, _free_port, browser  # noqa: F401

pytestmark = pytest.mark.browser


def _last_month() -> tuple[date, date]:
    end = date.today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@pytest.fixture(scope="module")
def late_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("published")
    db = tmp / "demo.duckdb"
    run = lambda *a: subprocess.run([sys.executable, "cli.py", *map(str, a)], cwd=ROOT, check=True,  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    run("demo", "--db", db, "--end", DEMO_END)
    d_from, d_to = _last_month()
    run("publish", "--db", db, "--from", d_from, "--to", d_to, "--user", "assessor", "--note", "推进会通报")
    from data import store

    con = store.connect(db, read_only=True)
    grid = con.execute("select min(grid_id) from grids where street = '中街街道'").fetchall()[0][0]
    con.close()
    day = d_from + timedelta(days=14)
    rows = [_e(f"LATE{i:03d}", grid, "dispute", f"{day} 09:00", f"{day + timedelta(days=3)} 09:00",
               due_at=f"{day + timedelta(days=5)} 09:00", outcome="unresolved", source="resident")
            for i in range(40)]
    run("ingest", "--db", db, "--kind", "events", write("events", tmp / "补录事件.csv", rows=rows))
    port = _free_port()
    log = tmp / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, "GRIDGOV_DB": str(db)}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    srv = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer within 60 s:\n{srv.log_tail()}", pytrace=False)
            time.sleep(0.2)
        yield srv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def test_scoreboard_shows_the_published_version_and_what_moved(browser, late_server):
    from access import accounts

    v = Visit(browser, late_server)
    try:
        v.login(accounts.load().demo_passwords["assessor"], user="assessor")
        v.wait_ready()
        link = [i for i, (href, _) in enumerate(v.nav_links()) if href == "/scoreboard"]
        assert link, v.nav_links()
        v.nav_link_locator().nth(link[0]).click()
        v.wait_ready("/scoreboard", timeout=120)
        main = v.page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert f"已发布 v1 · {date.today():%Y年%m月%d日}" in text
        assert "实时数据与已发布版本不一致" in text
        assert "发布后有 1 次导入" in text
        diff = v.page.locator('[data-testid="stExpander"]').filter(has_text="发布后的变动明细").inner_text()
        assert "中街街道" in diff and "矛盾纠纷排查调处" in diff          # the unit and the item that moved
        assert "补录事件.csv" in diff                                    # the import that caused it
        v.screenshot(SHOTS / "scoreboard_published_after_late_import.png", full_page=False)
        v.assert_clean()
        # the Word bulletin, built on click, carries the published version
        with v.page.expect_download(timeout=120_000) as dl:
            v.page.get_by_role("button", name="下载 Word 通报").click()
        import io

        from docx import Document

        doc = Document(io.BytesIO(open(dl.value.path(), "rb").read()))
        assert "已发布 v1" in doc.paragraphs[2].text
        assert dl.value.suggested_filename.endswith(".docx")
    finally:
        v.close()
