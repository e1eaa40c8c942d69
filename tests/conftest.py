import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from data import demo, store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DEMO_END = date.today() - timedelta(days=1)


@pytest.fixture
def con(tmp_path):
    """A fresh store file in a temp dir, schema applied."""
    c = store.connect(tmp_path / "store.duckdb")
    yield c
    c.close()


def snapshot(con) -> dict:
    """Row count and content checksum of every table: equal snapshots mean an unchanged store."""
    return {t: store.content_checksum(con, t) for t in store.TABLES}


@pytest.fixture(scope="module")
def mcon(tmp_path_factory):
    """The small metric store of tests/metric_fixture.py (hand-worked values), one per test module."""
    from tests import metric_fixture

    tmp = tmp_path_factory.mktemp("mfix")
    con = metric_fixture.build(tmp / "m.duckdb", tmp)
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """One demo store (ending yesterday, so the 上月 preset has data) shared by the page and access tests."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    c = store.connect(db)
    demo.generate(c, seed=7, end=DEMO_END)
    c.close()
    return db


@pytest.fixture
def app(demo_db, monkeypatch):
    """Run the real app (AppTest) on the demo store as a logged-in user, optionally on a page, with a URL."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GRIDGOV_DB", str(demo_db))

    def make(page: str | None = None, user: str | None = "admin", **query):
        at = AppTest.from_file(APP, default_timeout=60)
        if user:
            at.session_state["_auth"] = {"username": user, "last": time.time()}
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]
        return at
    return make
