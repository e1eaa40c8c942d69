"""The dashboard pointed at a computing engine it cannot reach (no JVM needed): every page says so in Chinese — the
engine's URL, what to do — instead of a traceback, and the failure is not cached. What the DuckDB store serves
without the engine (login, the store's upgrade) still works. The equality of the numbers on a running Spark:
tests/test_spark_app.py."""
from __future__ import annotations

import socket

import pytest

from ui.nav import PAGES


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("page", "query"), [(None, {}), ("app_pages/scoreboard.py", {}),
                                             ("app_pages/explorer.py", {}),
                                             ("app_pages/scoreboard.py", {"kiosk": "1"})])   # the big screen
def test_unreachable_spark_connect_server_is_a_message(app, monkeypatch, page, query):
    url = f"sc://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("GRIDGOV_ENGINE", url)
    at = app(page, **query)                          # the fixture asserts: no exception, no traceback
    assert len(at.error) == 1
    msg = at.error[0].value
    assert msg.startswith(f"计算引擎 {url} 当前不可用，看板无法读取数据。")
    assert f"无法连接计算引擎 {url}：Connection refused" in msg
    assert "服务恢复后刷新本页即可" in msg and "GRIDGOV_ENGINE 设为 duckdb" in msg
    assert not at.metric and not at.dataframe

    # nothing cached: with the engine back (here: the DuckDB store) the same session shows the page
    monkeypatch.delenv("GRIDGOV_ENGINE")
    at.run()
    assert not at.error and not at.exception


def test_local_spark_without_an_export_is_a_message(app, monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDGOV_ENGINE", "spark")
    monkeypatch.setenv("GRIDGOV_DATA", str(tmp_path))            # not an export: no JVM is started
    at = app()
    assert len(at.error) == 1
    assert "不是 Parquet 导出目录（缺少 export.json；用 python cli.py export 生成）" in at.error[0].value
    assert "GRIDGOV_DATA 指向 python cli.py export 生成的目录" in at.error[0].value


def test_store_only_features_are_declared_once(monkeypatch):
    from ui import conn

    assert {p.store_only for p in PAGES if p.store_only} <= set(conn.STORE_ONLY)
    assert [p.url_path for p in PAGES if p.store_only] == ["import"]
    monkeypatch.delenv("GRIDGOV_ENGINE", raising=False)
    assert conn.on_store() and not any(conn.unavailable(k) for k in conn.STORE_ONLY)   # nothing withheld
    monkeypatch.setenv("GRIDGOV_ENGINE", "sc://example:15002")
    assert not conn.on_store() and conn.engine_label() == "Spark Connect sc://example:15002（库 gridgov）"
