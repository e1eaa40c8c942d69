"""Comparison periods (metrics/periods.py): 环比 by calendar unit, 同比 one year back, "—" before the first data.
Every expected date is worked out by hand from the calendar."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import periods, score
from metrics.compute import Filters
from tests import metric_fixture

D = date


@pytest.mark.parametrize("d_from, d_to, unit, prev, yoy", [
    # whole calendar units: the previous unit (October vs September; March vs a 28-day February)
    (D(2026, 10, 1), D(2026, 10, 31), "month", (D(2026, 9, 1), D(2026, 9, 30)), (D(2025, 10, 1), D(2025, 10, 31))),
    (D(2026, 3, 1), D(2026, 3, 31), "month", (D(2026, 2, 1), D(2026, 2, 28)), (D(2025, 3, 1), D(2025, 3, 31))),
    (D(2026, 1, 1), D(2026, 1, 31), "month", (D(2025, 12, 1), D(2025, 12, 31)), (D(2025, 1, 1), D(2025, 1, 31))),
    (D(2026, 10, 1), D(2026, 12, 31), "quarter", (D(2026, 7, 1), D(2026, 9, 30)), (D(2025, 10, 1), D(2025, 12, 31))),
    (D(2026, 1, 1), D(2026, 3, 31), "quarter", (D(2025, 10, 1), D(2025, 12, 31)), (D(2025, 1, 1), D(2025, 3, 31))),
    (D(2026, 1, 1), D(2026, 12, 31), "year", (D(2025, 1, 1), D(2025, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))),
    # a leap February: 同比 is the whole February before
    (D(2024, 2, 1), D(2024, 2, 29), "month", (D(2024, 1, 1), D(2024, 1, 31)), (D(2023, 2, 1), D(2023, 2, 28))),
    # a unit to date (the 本月 preset): the same days of the previous month, clamped to its end
    (D(2026, 11, 1), D(2026, 11, 23), "month", (D(2026, 10, 1), D(2026, 10, 23)), (D(2025, 11, 1), D(2025, 11, 23))),
    (D(2026, 3, 1), D(2026, 3, 30), "month", (D(2026, 2, 1), D(2026, 2, 28)), (D(2025, 3, 1), D(2025, 3, 30))),
    # custom ranges: the 16 (or 7) days just before
    (D(2026, 10, 5), D(2026, 10, 20), None, (D(2026, 9, 19), D(2026, 10, 4)), (D(2025, 10, 5), D(2025, 10, 20))),
    (D(2025, 9, 8), D(2025, 9, 14), None, (D(2025, 9, 1), D(2025, 9, 7)), (D(2024, 9, 8), D(2024, 9, 14))),
    (D(2024, 2, 29), D(2024, 2, 29), None, (D(2024, 2, 28), D(2024, 2, 28)), (D(2023, 2, 28), D(2023, 2, 28))),
])
def test_comparison_periods(d_from, d_to, unit, prev, yoy):
    assert periods.unit_of(d_from, d_to) == unit
    assert periods.previous(d_from, d_to) == prev
    assert periods.year_ago(d_from, d_to) == yoy
    f = Filters(d_from, d_to, streets=("x",))
    assert (f.previous().date_from, f.previous().date_to, f.previous().streets) == (*prev, ("x",))
    assert (f.year_ago().date_from, f.year_ago().date_to) == yoy


def test_comparable_only_from_the_first_data():
    assert periods.comparable((D(2025, 8, 20), D(2025, 8, 31)), D(2025, 8, 20))
    assert not periods.comparable((D(2025, 8, 19), D(2025, 8, 31)), D(2025, 8, 20))
    assert not periods.comparable((D(2025, 8, 19), D(2025, 8, 31)), None)      # an empty store


def test_months_back():
    assert periods.months_back(D(2026, 2, 10), 3) == [(D(2025, 12, 1), D(2025, 12, 31)),
                                                      (D(2026, 1, 1), D(2026, 1, 31)),
                                                      (D(2026, 2, 1), D(2026, 2, 28))]


@pytest.fixture(scope="module")
def mcon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("periods")
    con = metric_fixture.build(tmp / "m.duckdb", tmp)
    yield con
    con.close()


def test_first_data_is_the_earliest_activity(mcon):
    # R7 applied 2025-08-20 is earlier than event E9 (08-31) and patrol PB8 (08-31)
    assert periods.first_data(mcon) == D(2025, 8, 20)


def test_scoreboard_has_no_comparison_before_the_first_data(mcon):
    # P = 1–14 September 2025: 环比 1–14 August and 同比 1–14 September 2024 both start before 2025-08-20
    board = score.scoreboard(mcon, Filters(D(2025, 9, 1), D(2025, 9, 14))).set_index("unit")
    for col in ("prev_score", "prev_rank", "score_change", "rank_change",
                "yoy_score", "yoy_rank", "yoy_score_change", "yoy_rank_change"):
        assert board[col].isna().all(), col
    assert board.loc["乙街道", "score"] == 67.92


def test_scoreboard_previous_and_year_ago_columns(mcon):
    # the same board when the data is taken to start earlier: 环比 = 1–14 August 2025, 同比 = 1–14 September 2024
    f = Filters(D(2025, 9, 1), D(2025, 9, 14))
    board = score.scoreboard(mcon, f, first_data=D(2024, 1, 1)).set_index("unit")
    prev = score.scores(mcon, Filters(D(2025, 8, 1), D(2025, 8, 14))).set_index("unit")
    yoy = score.scores(mcon, Filters(D(2024, 9, 1), D(2024, 9, 14))).set_index("unit")
    for unit in ("甲街道", "乙街道"):
        assert board.loc[unit, "prev_score"] == prev.loc[unit, "score"]
        assert board.loc[unit, "yoy_score"] == yoy.loc[unit, "score"]
        assert board.loc[unit, "score_change"] == round(board.loc[unit, "score"] - prev.loc[unit, "score"], 2)
        assert board.loc[unit, "yoy_rank_change"] == int(yoy.loc[unit, "rank"]) - int(board.loc[unit, "rank"])
    # by hand — 1–14 August 2025: 甲 (0, 0, 40, 0, —, 70) → (600 + 700) / 80 = 16.25; 乙 (0, 0, 100, 0, —, —) →
    # 1500 / 70 = 21.43. 1–14 September 2024: only 基础数据填报 remains (A1's and B1's updates lie after it):
    # 甲 100 × 0.5 × 0.8 = 40 → 600 / 70 = 8.57; 乙 100 × 0.5 × 1.0 = 50 → 750 / 70 = 10.71
    assert [board.loc[u, "prev_score"] for u in ("甲街道", "乙街道")] == [16.25, 21.43]
    assert [board.loc[u, "yoy_score"] for u in ("甲街道", "乙街道")] == [8.57, 10.71]
    assert (board.loc["甲街道", "prev_rank"], board.loc["甲街道", "rank_change"]) == (2, 0)
    assert board.loc["乙街道", "yoy_score_change"] == round(67.92 - 10.71, 2)


def test_cockpit_cards_show_previous_and_year_ago(app, demo_db):
    from data import store
    from metrics.compute import compute
    from ui import filters as flt
    from ui import format as fmt

    at = app()                                               # the cockpit, 上月 (a whole calendar month)
    d_from, d_to = flt.preset_range("上月", date.today())
    f = Filters(d_from, d_to)
    con = store.connect(demo_db, read_only=True)
    now = compute(con, "event_count", f).iloc[0]["value"]
    prev = compute(con, "event_count", f.previous()).iloc[0]["value"]
    yoy = compute(con, "event_count", f.year_ago()).iloc[0]["value"]
    first = periods.first_data(con)
    con.close()
    assert f.previous().date_from == (d_from - pd.Timedelta(days=1)).replace(day=1)     # the previous month
    lines = [h.proto.body for h in at.get("html") if "较上期" in h.proto.body]
    assert len(lines) == 12                                  # one line on each of the 12 cards
    # the demo starts about a year before its end: a year-ago month before the first data shows "—"
    want_yoy = fmt.change("event_count", now, yoy) if periods.comparable(
        (f.year_ago().date_from, f.year_ago().date_to), first) else "—"
    assert f"较上期 {fmt.change('event_count', now, prev)} · 同比 {want_yoy}" in " ".join(lines)
