"""The dashboard on Spark: the cockpit (驾驶舱) and the scoreboard (街道排名) show on a Spark engine exactly what they
show on the DuckDB store, the same app run (AppTest) on a demo store and on its Parquet export:

- `GRIDGOV_ENGINE=spark` + `GRIDGOV_DATA=<export>`: a local Spark over the export (the single-server set-up);
- `GRIDGOV_ENGINE=sc://localhost:PORT`: a Spark Connect server whose catalog holds the tables (the cluster set-up),
  reached through a TCP relay this test can cut: the page then says the engine is unreachable and, once the relay
  is back on the same port, shows the numbers again (no failure is cached).

One Spark for the module (starting one takes about a minute). The message for an unreachable server needs no JVM:
tests/test_engine_app.py.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if not os.environ.get("GRIDGOV_SPARK_TESTS"):
    pytest.skip("Spark tests run with GRIDGOV_SPARK_TESTS=1 (make test)", allow_module_level=True)
if not shutil.which("java"):
    pytest.fail("java is missing: run scripts/setup.sh (default-jre-headless)", pytrace=False)

from data import demo, export, store  # noqa: E402
from metrics import engine  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
END = date.today() - timedelta(days=1)        # the default period (上月) has data


@pytest.fixture(scope="module")
def spark_store(tmp_path_factory):
    """(store file, export directory, the local engine) — a small demo store and its export."""
    tmp = tmp_path_factory.mktemp("spark_app")
    db = tmp / "demo.duckdb"
    c = store.connect(db)
    demo.generate(c, seed=7, events=3000, end=END)
    c.close()
    export.export(db, tmp / "export")
    eng = engine.open_engine("spark", data=tmp / "export")     # the module's Spark; the app's engine reuses it
    yield db, tmp / "export", eng
    eng.close()


def _run(monkeypatch, db, env: dict, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GRIDGOV_DB", str(db))
    for k in ("GRIDGOV_ENGINE", "GRIDGOV_DATA", "GRIDGOV_ENGINE_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _table(df) -> dict:
    """A shown table as plain values (missing as None: NaN never equals NaN)."""
    return df.astype(object).where(df.notna(), None).to_dict("split")


def _cockpit(at) -> tuple:
    """Every headline card (label, value, delta) and every table of the cockpit."""
    return [(m.label, m.value, m.delta) for m in at.metric], [_table(d.value) for d in at.dataframe]


def _scoreboard(at) -> list:
    return [_table(d.value) for d in at.dataframe]


def _shown(cards) -> int:
    return sum(v not in ("—", "", None) for _, v, _ in cards)


def test_cockpit_and_scoreboard_are_the_same_on_local_spark(spark_store, monkeypatch):
    db, out, _ = spark_store
    duck = _run(monkeypatch, db, {})
    ref_cockpit = _cockpit(duck)
    ref_board = _scoreboard(_run(monkeypatch, db, {}, "app_pages/scoreboard.py"))
    assert _shown(ref_cockpit[0]) >= 4 and ref_board          # numbers, not a page of dashes
    assert any(len(t["data"]) >= 5 for t in ref_board)        # the streets' ranking

    env = {"GRIDGOV_ENGINE": "spark", "GRIDGOV_DATA": str(out)}
    sp = _run(monkeypatch, db, env)
    assert not sp.error, [e.value for e in sp.error]
    assert _cockpit(sp) == ref_cockpit
    assert _scoreboard(_run(monkeypatch, db, env, "app_pages/scoreboard.py")) == ref_board

    # what needs the DuckDB store says so instead of writing a store the dashboard does not read
    imp = _run(monkeypatch, db, env, "app_pages/data_import.py")
    assert any("数据导入写入本机 DuckDB 库" in i.value for i in imp.info)
    assert not imp.get("file_uploader")
    status = _run(monkeypatch, db, env, "app_pages/status.py")
    assert any("Spark（本机" in c.value for c in status.caption)
    assert not status.error
    audit = _run(monkeypatch, db, env, "app_pages/audit.py")  # accounts and the audit log stay in DuckDB files
    assert [t.value for t in audit.title] == ["审计日志"] and not audit.error


class Relay:
    """A TCP relay 127.0.0.1:port → the Spark Connect server: `cut()` closes it and every connection through it,
    `start()` listens on the same port again."""

    def __init__(self, target: int):
        self.target, self.port, self.conns, self.srv = target, None, [], None

    def start(self) -> None:
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port or 0))
        self.port = self.srv.getsockname()[1]
        self.srv.listen()
        threading.Thread(target=self._accept, args=(self.srv,), daemon=True).start()

    def _accept(self, srv) -> None:
        while True:
            try:
                a, _ = srv.accept()
            except OSError:
                return
            b = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(x, y) -> None:
        try:
            while data := x.recv(65536):
                y.sendall(data)
        except OSError:
            pass
        finally:
            for s in (x, y):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.srv.close()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.conns = []


def test_spark_connect_server_unreachable_then_back(spark_store, monkeypatch):
    db, _, eng = spark_store
    ref = _cockpit(_run(monkeypatch, db, {}))
    relay = Relay(int(eng.url.rsplit(":", 1)[1]))
    relay.start()
    url = f"sc://localhost:{relay.port}"
    env = {"GRIDGOV_ENGINE": url, "GRIDGOV_ENGINE_DATABASE": engine.DEFAULT_DATABASE}
    try:
        assert _cockpit(_run(monkeypatch, db, env)) == ref      # the tables of the server's catalog

        relay.cut()
        down = _run(monkeypatch, db, env)
        assert [e.value.splitlines()[0] for e in down.error] == [f"计算引擎 {url} 当前不可用，看板无法读取数据。"]
        assert "服务恢复后刷新本页即可" in down.error[0].value
        assert not down.metric

        relay.start()                                           # the same URL answers again
        assert _cockpit(_run(monkeypatch, db, env)) == ref
    finally:
        relay.cut()
