"""A small district for the history tests (issue 9): 2 streets, 4 grids, October 2026.

东关街道: D1 (300 households), D2 (350); 中街街道: Z1 (300), Z2 (300) — 1,250 households, 14 events in October.
Every figure the tests assert is worked out by hand in tests/test_history.py from these rows.
October 2026: Thu 1 … Sat 31; whole Monday–Sunday weeks 5–11, 12–18, 19–25; 22 working days.
"""
from __future__ import annotations

from pathlib import Path

from data import ingest, store
from tests.fixtures import write

GRIDS = [
    dict(grid_id="D1", grid_name="东关一网格", street="东关街道", community="东关一社区", households=300,
         population=900, key_persons=2, lon=106.68, lat=35.54, updated_at="2026-09-20 10:00"),
    dict(grid_id="D2", grid_name="东关二网格", street="东关街道", community="东关二社区", households=350,
         population=None, key_persons=1, lon=106.69, lat=35.54, updated_at="2026-10-08 10:00"),
    dict(grid_id="Z1", grid_name="中街一网格", street="中街街道", community="中街一社区", households=300,
         population=850, key_persons=2, lon=106.66, lat=35.55, updated_at="2026-08-15 10:00"),
    dict(grid_id="Z2", grid_name="中街二网格", street="中街街道", community="中街二社区", households=300,
         population=None, key_persons=0, lon=106.67, lat=35.55, updated_at="2026-06-01 10:00"),
]

# the November re-survey of D1: 400 households, 更新时间 2026-11-10 (the other rows as they were)
RESURVEY = [dict(g, households=400, population=1200, updated_at="2026-11-10 10:00") if g["grid_id"] == "D1" else g
            for g in GRIDS]

WORKERS = [dict(worker_id=f"W{g}", grid_id=g, active="是") for g in ("D1", "D2", "Z1", "Z2")]

# patrols on Mon/Wed/Fri of the three whole weeks; (grid, weeks' patrol days, key-person visits per patrol)
_WEEKS = ("2026-10-05", "2026-10-12", "2026-10-19")
_PLAN = {
    "D1": ([3, 3, 2], [1, 0, 0]),        # week 3 short (2 patrols); 1 key-person visit a week of 2 key persons
    "D2": ([3, 3, 2], [1, 0, 0]),        # week 3 short (2 patrols); 1 visit a week of its 1 key person
    "Z1": ([3, 3, 3], [1, 0, 0]),        # every week met; 1 visit a week of 2 key persons
    "Z2": ([3, 1, 1], [0, 0, 0]),        # only week 1 met; no key persons
}


def _patrols():
    out = []
    for grid, (per_week, visits) in _PLAN.items():
        for week, n in zip(_WEEKS, per_week):
            day = int(week[-2:])
            for i in range(n):
                out.append(dict(patrol_id=f"P{grid}-{day + 2 * i}", worker_id=f"W{grid}", grid_id=grid,
                                started_at=f"2026-10-{day + 2 * i:02d} 09:00",
                                key_person_visits=visits[i] if i < len(visits) else 0))
    return out


PATROLS = _patrols()


def _e(event_id, grid_id, category, reported_at, registered_at, closed_at=None, due_at=None, outcome=None,
       worker_id=None):
    return dict(event_id=event_id, grid_id=grid_id, category=category, source="patrol", reported_at=reported_at,
                registered_at=registered_at, closed_at=closed_at, due_at=due_at, outcome=outcome, worker_id=worker_id)


EVENTS = [
    # 东关: 8 events, 7 registered within 24 h; 4 disputes: 3 resolved, 1 not; 2 of 4 closed by their deadline
    _e("E01", "D1", "dispute", "2026-10-02 09:00", "2026-10-02 10:00", "2026-10-05 09:00", "2026-10-09 09:00",
       "resolved"),
    _e("E02", "D1", "dispute", "2026-10-06 09:00", "2026-10-06 12:00", "2026-10-12 09:00", "2026-10-10 09:00",
       "resolved"),
    _e("E03", "D1", "dispute", "2026-10-13 09:00", "2026-10-13 11:00", "2026-10-15 09:00", "2026-10-20 09:00",
       "unresolved"),
    _e("E04", "D1", "sanitation", "2026-10-14 09:00", "2026-10-16 09:00"),
    _e("E05", "D1", "hazard", "2026-10-20 09:00", "2026-10-20 15:00"),
    _e("E06", "D2", "dispute", "2026-10-07 09:00", "2026-10-07 10:00", "2026-10-15 09:00", "2026-10-14 09:00",
       "resolved"),
    _e("E07", "D2", "public_order", "2026-10-21 09:00", "2026-10-21 10:00"),
    _e("E08", "D2", "sanitation", "2026-10-28 09:00", "2026-10-28 09:30"),
    # 中街: 6 events, 5 registered within 24 h; 3 disputes: 2 resolved, 1 not; all 3 closed by their deadline
    _e("E09", "Z1", "dispute", "2026-10-03 09:00", "2026-10-03 10:00", "2026-10-06 09:00", "2026-10-10 09:00",
       "resolved"),
    _e("E10", "Z1", "dispute", "2026-10-09 09:00", "2026-10-09 10:00", "2026-10-12 09:00", "2026-10-16 09:00",
       "resolved"),
    _e("E11", "Z1", "sanitation", "2026-10-15 09:00", "2026-10-15 09:30", worker_id="WZ1"),
    _e("E12", "Z1", "hazard", "2026-10-22 09:00", "2026-10-24 09:00", worker_id="WZ1"),
    _e("E13", "Z2", "dispute", "2026-10-16 09:00", "2026-10-16 10:00", "2026-10-19 09:00", "2026-10-23 09:00",
       "unresolved"),
    _e("E14", "Z2", "public_order", "2026-10-27 09:00", "2026-10-27 10:00", worker_id="WZ2"),
]

# 其他工作 (hand-entered): chosen so that October's composites are 东关 67.57 and 中街 66.86 (see tests/test_history.py)
MANUAL_SCORES = [dict(month="2026-10", level="street", unit="东关街道", score=71.28),
                 dict(month="2026-10", level="street", unit="中街街道", score=88.98)]


def build(path: Path, tmp: Path):
    """The district imported through the importer, as a user would (files without 更新时间 take effect now)."""
    con = store.connect(path)
    rows = {"grids": GRIDS, "workers": WORKERS, "events": EVENTS, "patrols": PATROLS, "manual_scores": MANUAL_SCORES}
    for kind, kind_rows in rows.items():
        res = ingest.ingest_files(con, kind, [write(kind, tmp / f"d_{kind}.csv", rows=kind_rows)])[0]
        assert res.stored, res.errors.to_string()
    return con
