"""AppTest runs of the real app on a real store file."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import ingest, store
from tests import fixtures

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    db = tmp_path / "app.duckdb"
    con = store.connect(db)
    for kind in fixtures.ORDER:
        ingest.ingest_files(con, kind, [fixtures.write(kind, tmp_path / f"{kind}.csv")])
    con.close()
    monkeypatch.setenv("GRIDGOV_DB", str(db))
    return db


def test_status_page_shows_store_counts(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"网格": "4", "事件": "3", "社会救助": "2", "巡查": "2"}
    history = at.dataframe[1].value
    assert list(history["文件"]) == ["manual_scores.csv", "patrols.csv", "relief.csv", "events.csv", "workers.csv",
                                   "grids.csv"]
    assert list(history["类型"])[-1] == "网格"
