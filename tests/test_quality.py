"""数据质量 signals (metrics/quality.py, sql/signals/*.sql): each finds exactly its records on the hand-made
fixture (tests/fair_fixture.py), thresholds come from the TOML, scope applies, and on the demo every planted anomaly
is found and no clean record is flagged (data/demo.py, planted())."""
from __future__ import annotations

import json
from datetime import date, datetime

from data import demo, store
from metrics import quality
from metrics.compute import Filters
from metrics.config import load_config, parse_config
from tests import fair_fixture
from tests.conftest import DEMO_END
from tests.test_fair import SEPT, _cli, fair_db, fcon  # noqa: F401  (module fixtures)


def _ids(flags, signal):
    return set(flags[flags["signal"] == signal]["id"])


def test_every_signal_finds_exactly_its_records(fcon):
    flags = quality.flagged(fcon, SEPT)
    for signal, expected in fair_fixture.EXPECTED_FLAGS.items():
        assert _ids(flags, signal) == expected, signal
    # the unit signals need more records than the fixture has
    assert _ids(flags, "month_end_bunching") == set() and _ids(flags, "bulk_grid_update") == set()
    assert _ids(flags, "uniform_satisfaction") == set()
    row = flags[(flags["signal"] == "instant_closure")].iloc[0]
    assert (row["kind"], row["street"], row["detail"]) == ("event", "东关街道", "上报 2025-09-10 14:00，5.0 分钟后结案")
    row = flags[(flags["signal"] == "implausible_speed")].iloc[0]
    assert row["detail"] == "2000 米 / 5.0 分钟 = 24.0 公里/小时"
    assert set(flags["signal"]) <= set(quality.SIGNALS)


def test_thresholds_come_from_the_toml(fcon):
    text = (load_config.__globals__["DEFAULT_PATH"]).read_text(encoding="utf-8")
    assert "min_minutes = 10" in text and "max_kmh = 20" in text
    cfg = parse_config(text.replace("min_minutes = 10", "min_minutes = 6").replace("max_kmh = 20", "max_kmh = 25"))
    flags = quality.flagged(fcon, SEPT, ["short_patrol", "implausible_speed"], cfg)
    assert _ids(flags, "short_patrol") == {"P-D4"}          # 5 minutes < 6; P-D3's 6 minutes is not
    assert _ids(flags, "implausible_speed") == set()        # 24 km/h ≤ 25


def test_scope_and_place_filters_apply(fcon):
    flags = quality.flagged(fcon, SEPT.with_(scope=("中街街道",)))
    assert set(flags["street"]) == {"中街街道"}
    assert set(flags["id"]) == {"E-Z6", "E-Z7", "P-Z2", "P-Z3"}
    assert set(quality.flagged(fcon, SEPT.with_(grids=("D2",)))["id"]) == {"E-D3", "P-D3", "P-D4"}


def test_rates_against_the_district(fcon):
    c = quality.counts(fcon, SEPT).set_index(["unit", "signal"])
    # instant closures: 东关 1 of its 7 events; district 1 of 14
    r = c.loc[("东关街道", "instant_closure")]
    assert (r["flagged"], r["base"], r["rate"], r["district_rate"]) == (1, 7, 1 / 7, 1 / 14)
    # short patrols: 东关 2 of 4 patrols, 中街 0 of 4, district 2 of 8
    assert c.loc[("东关街道", "short_patrol"), "rate"] == 0.5
    assert c.loc[("中街街道", "short_patrol"), "rate"] == 0.0
    assert c.loc[("中街街道", "short_patrol"), "district_rate"] == 0.25
    trend = quality.by_month(quality.flagged(fcon, SEPT))
    assert trend[trend["signal"] == "duplicate_event"][["month", "flagged"]].values.tolist() == [["2025-09", 2]]


def test_cli_quality(fair_db):
    out = _cli("quality", "--db", fair_db, "--from", "2025-09-01", "--to", "2025-09-30")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert all(list(r) == ["signal", "kind", "id", "street", "detail"] for r in rows)
    assert {(r["signal"], r["id"]) for r in rows} == {
        (s, i) for s, ids in fair_fixture.EXPECTED_FLAGS.items() for i in ids}
    csv = _cli("quality", "--db", fair_db, "--from", "2025-09-01", "--to", "2025-09-30", "--format", "csv")
    assert csv.stdout.splitlines()[0] == "signal,kind,id,street,detail"
    assert len(csv.stdout.splitlines()) == 1 + len(rows)


def recall_table(con) -> dict:
    """signal → (planted, found, false positives) on the demo: record signals over the whole window, the unit
    signals over the last full month (where they were planted)."""
    planted = demo.planted(con)
    months = [r[0] for r in con.execute("select distinct strftime(reported_at, '%Y-%m') from events order by 1")
              .fetchall()]
    m = datetime.strptime(months[-2] + "-01", "%Y-%m-%d").date()
    m_end = date(m.year + (m.month == 12), m.month % 12 + 1, 1).toordinal() - 1
    whole = quality.flagged(con, Filters(date(2000, 1, 1), DEMO_END))
    month = quality.flagged(con, Filters(m, date.fromordinal(m_end)))
    out = {}
    for s in quality.SIGNALS_LIST:
        got = _ids(month if s.kind == "unit" else whole, s.id)
        out[s.id] = (len(planted[s.id]), len(got & planted[s.id]), len(got - planted[s.id]))
        if s.kind == "unit":          # over the whole window the planted month is diluted: nothing else either
            assert _ids(whole, s.id) <= planted[s.id]
    return out


def test_demo_every_planted_anomaly_found_and_no_clean_record_flagged(demo_db):
    con = store.connect(demo_db, read_only=True)
    try:
        table = recall_table(con)
    finally:
        con.close()
    for signal, (planted, found, false_pos) in table.items():
        assert planted > 0, signal
        assert found == planted, (signal, table)
        assert false_pos == 0, (signal, table)
