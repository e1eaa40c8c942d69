"""Rules that pages used to re-derive, now in metrics/ and shared (the 红黑榜 size), and the pages' one cache."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from metrics.score import honour_lists, rank

ROOT = Path(__file__).resolve().parent.parent


def _board(scores):
    return rank(pd.DataFrame({"unit": [f"U{i}" for i in range(len(scores))], "score": scores}))


def test_honour_lists_size_and_no_overlap():
    top, bottom = honour_lists(_board([90, 80, 70, None]))          # three scored: one each
    assert list(top["unit"]) == ["U0"] and list(bottom["unit"]) == ["U2"]
    top, bottom = honour_lists(_board([90, 80, 70, 60, 50]))        # five: two each (three would share U2)
    assert list(top["unit"]) == ["U0", "U1"] and list(bottom["unit"]) == ["U4", "U3"]
    top, bottom = honour_lists(_board([9, 8, 7, 6, 5, 4, 3]))       # seven: three each, worst first
    assert list(top["unit"]) == ["U0", "U1", "U2"] and list(bottom["unit"]) == ["U6", "U5", "U4"]
    top, bottom = honour_lists(_board([90, None]))                  # under two scored: no lists
    assert top.empty and bottom.empty


def test_cache_key_holds_the_scoring_configuration(tmp_path, monkeypatch):
    """Editing data/scoring.toml changes the values at once, not minutes later when the cache expires."""
    from datetime import date

    from metrics.compute import Filters
    from tests import metric_fixture
    from ui import data

    metric_fixture.build(tmp_path / "m.duckdb", tmp_path).close()
    scoring = tmp_path / "scoring.toml"
    text = (ROOT / "data" / "scoring.toml").read_text(encoding="utf-8")
    scoring.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GRIDGOV_DB", str(tmp_path / "m.duckdb"))
    monkeypatch.setenv("GRIDGOV_SCORING", str(scoring))
    p = Filters(date(2025, 9, 1), date(2025, 9, 14))
    # grid weeks meeting 3 patrols: A1 week 1, B1 both weeks of six → 0.5; meeting 4: only B1 week 1 → 1/6
    assert data.metric("patrol_compliance_rate", p)["value"][0] == 0.5
    scoring.write_text(text.replace("required_patrols_per_week = 3", "required_patrols_per_week = 4"),
                       encoding="utf-8")
    assert data.metric("patrol_compliance_rate", p)["value"][0] == pytest.approx(1 / 6)


def test_empty_store_offers_the_demo_to_the_admin_and_make_run_checks_for_data(tmp_path, monkeypatch):
    """`streamlit run app.py` on a missing store leaves an empty file: the app offers the demo (admin) or says
    what to import (others), and `make run` checks for data, not for a file."""
    import time

    from streamlit.testing.v1 import AppTest

    from data import store

    db = tmp_path / "new.duckdb"
    monkeypatch.setenv("GRIDGOV_DB", str(db))

    def run(user):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["_auth"] = {"username": user, "last": time.time()}
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    leader = run("leader")
    assert db.is_file() and not store.has_data(db)           # the file exists now, but it holds no data
    assert [t.value for t in leader.title] == ["数据库中还没有数据"]
    assert "请联系管理员" in leader.info[0].value and "网格" in leader.info[0].value
    assert [b.key for b in leader.button] == ["logout"]       # no demo button for a non-admin
    admin = run("admin")
    admin.button(key="make_demo").click().run()
    assert not admin.exception, [e.message for e in admin.exception]
    assert store.has_data(db)
    assert "数据库中还没有数据" not in [t.value for t in admin.title]
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "store.has_data('$(DB)')" in make and "[ -f $(DB) ]" not in make


def test_direction_is_declared_only_in_the_registry():
    """Whether higher or lower is better is read from the indicator's declaration, not from scoring.toml."""
    from metrics.config import parse_config
    from metrics.status import status

    text = (ROOT / "data" / "scoring.toml").read_text(encoding="utf-8")
    assert "direction" not in text.split("[targets]")[1]
    cfg = parse_config("[targets]\nevent_median_hours = { target = 72 }\nevent_closure_rate = { target = 0.9 }\n")
    # lower is better for hours (registry): 70 h meets 72 h, 74 h is within 5 % (3.6 h), 80 h is red
    assert [status("event_median_hours", v, cfg) for v in (70, 74, 80)] == ["blue", "yellow", "red"]
    # higher is better for a rate: 0.86 is within 5 points of 0.9, 0.8 is red
    assert [status("event_closure_rate", v, cfg) for v in (0.95, 0.86, 0.8)] == ["blue", "yellow", "red"]


def test_one_label_table():
    from metrics import explore, labels, registry, status

    assert explore.COLUMN_LABELS is labels.COLUMNS
    assert not hasattr(registry, "GROUP_KEYS_LABELS") and not hasattr(status, "LABELS")
    assert not hasattr(labels, "GROUP_KEYS")
    for page in (ROOT / "app_pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert 'LEVEL_NAME = {' not in text and '"community": "社区", "grid": "网格"}' not in text, page.name
