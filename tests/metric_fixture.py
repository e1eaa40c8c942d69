"""A small store for indicator tests: every expected value in tests/test_metrics.py is worked out by hand from
these rows (period P = 2025-09-01 Mon … 2025-09-14 Sun: 14 days, 2 whole weeks, 10 working days).

Streets: 甲街道 (grids A1, A2; 500 households) and 乙街道 (grid B1; 500 households).
"""
from __future__ import annotations

from pathlib import Path

from data import ingest, store
from tests.fixtures import write

GRIDS = [
    dict(grid_id="A1", grid_name="甲一网格", street="甲街道", community="甲一社区", households=200, population=600,
         key_persons=2, lon=106.68, lat=35.54, updated_at="2025-09-01 09:00"),
    dict(grid_id="A2", grid_name=None, street="甲街道", community="甲二社区", households=300, population=None,
         key_persons=0, lon=106.69, lat=35.54, updated_at="2025-01-01 09:00"),
    dict(grid_id="B1", grid_name="乙一网格", street="乙街道", community="乙一社区", households=500, population=1500,
         key_persons=1, lon=106.70, lat=35.55, updated_at="2025-08-01 09:00"),
]

WORKERS = [
    dict(worker_id="WA1", grid_id="A1", active="是"),
    dict(worker_id="WA2", grid_id="A2", active="否"),
    dict(worker_id="WB1", grid_id="B1", active="是"),
]


def _e(event_id, grid_id, category, reported_at, registered_at=None, dispatched_at=None, handled_at=None,
       closed_at=None, evaluated_at=None, due_at=None, outcome=None, resolved_on_site=None, satisfaction=None,
       worker_id=None, tier=None, source="patrol", department=None, lon=None, lat=None):
    return dict(event_id=event_id, grid_id=grid_id, category=category, source=source, tier=tier,
                department=department, lon=lon, lat=lat,
                reported_at=reported_at, registered_at=registered_at, dispatched_at=dispatched_at,
                handled_at=handled_at, closed_at=closed_at, evaluated_at=evaluated_at, due_at=due_at,
                outcome=outcome, resolved_on_site=resolved_on_site, satisfaction=satisfaction, worker_id=worker_id)


EVENTS = [
    _e("E1", "A1", "dispute", "2025-09-01 09:00", "2025-09-01 10:00", "2025-09-01 12:00", "2025-09-02 12:00",
       "2025-09-03 12:00", "2025-09-04 12:00", "2025-09-10 09:00", "resolved", "是", 5, "WA1", "general",
       department="社区居委会", lon=106.681, lat=35.541),
    _e("E2", "A1", "dispute", "2025-09-02 09:00", "2025-09-03 10:00", "2025-09-03 12:00", "2025-09-05 12:00",
       "2025-09-12 09:00", None, "2025-09-09 09:00", "unresolved", "否", None, "WA1", "difficult",
       department="社区居委会", lon=106.682, lat=35.541),
    _e("E3", "A2", "dispute", "2025-09-03 09:00", "2025-09-03 09:30", None, None, "2025-09-04 09:00",
       "2025-09-05 09:00", "2025-09-10 09:00", "transferred", None, 4, None, "general", "resident"),
    _e("E4", "A1", "hazard", "2025-09-04 10:00", "2025-09-04 11:00", None, None, "2025-09-06 10:00", None,
       "2025-09-11 10:00", "rectified"),
    _e("E5", "A2", "hazard", "2025-09-05 10:00", "2025-09-05 12:00", due_at="2025-09-12 10:00",
       outcome="not_rectified", source="hotline", department="区应急管理局", lon=106.691, lat=35.541),
    _e("E6", "B1", "sanitation", "2025-09-08 08:00", "2025-09-08 09:00", "2025-09-08 10:00", "2025-09-08 12:00",
       "2025-09-08 14:00", "2025-09-09 14:00", "2025-09-09 08:00", satisfaction=3, worker_id="WB1",
       department="区城管局", lon=106.701, lat=35.551),
    _e("E7", "B1", "hazard", "2025-09-10 10:00", "2025-09-12 10:00", source="resident"),
    _e("E8", "B1", "public_order", "2025-09-13 10:00", source="hotline"),
    # outside P: one before (in the previous period), one after
    _e("E9", "A1", "resident_service", "2025-08-31 20:00", "2025-08-31 21:00", closed_at="2025-09-01 10:00",
       source="hotline"),
    _e("E10", "B1", "dispute", "2025-09-15 09:00", "2025-09-15 10:00", closed_at="2025-09-15 12:00",
       outcome="resolved", tier="general"),
]


def _p(patrol_id, grid_id, worker_id, started_at, key_person_visits):
    return dict(patrol_id=patrol_id, grid_id=grid_id, worker_id=worker_id, started_at=started_at,
                key_person_visits=key_person_visits)


PATROLS = [
    # A1: week 1 three patrols (Mon, Wed, Sat), week 2 two (Tue, Thu)
    _p("PA1", "A1", "WA1", "2025-09-01 09:00", 1), _p("PA2", "A1", "WA1", "2025-09-03 09:00", 1),
    _p("PA3", "A1", "WA1", "2025-09-06 09:00", 1), _p("PA4", "A1", "WA1", "2025-09-09 09:00", 1),
    _p("PA5", "A1", "WA1", "2025-09-11 09:00", 0),
    # A2: one patrol by the inactive worker
    _p("PA6", "A2", "WA2", "2025-09-02 09:00", 0),
    # B1: week 1 four (Mon–Thu), week 2 three (Mon, Wed, Sun)
    _p("PB1", "B1", "WB1", "2025-09-01 09:00", 0), _p("PB2", "B1", "WB1", "2025-09-02 09:00", 0),
    _p("PB3", "B1", "WB1", "2025-09-03 09:00", 0), _p("PB4", "B1", "WB1", "2025-09-04 09:00", 0),
    _p("PB5", "B1", "WB1", "2025-09-08 09:00", 1), _p("PB6", "B1", "WB1", "2025-09-10 09:00", 0),
    _p("PB7", "B1", "WB1", "2025-09-14 09:00", 0),
    # outside P
    _p("PB8", "B1", "WB1", "2025-08-31 10:00", 0), _p("PB9", "B1", "WB1", "2025-09-15 10:00", 0),
]

RELIEF = [
    dict(case_id="R1", household_id="H1", grid_id="A1", programme="dibao", persons=3, amount_yuan=1000,
         applied_at="2025-09-01", approved_at="2025-09-11", paid_at="2025-09-12", status="paid", newly_enrolled="是"),
    dict(case_id="R2", household_id="H1", grid_id="A1", programme="temporary_relief", persons=3, amount_yuan=500,
         applied_at="2025-09-02", approved_at="2025-09-05", status="approved", newly_enrolled="否"),
    dict(case_id="R3", household_id="H2", grid_id="A2", programme="dibao", persons=2, amount_yuan=800,
         applied_at="2025-09-03", approved_at="2025-09-09", paid_at="2025-09-10", status="paid", newly_enrolled="否"),
    dict(case_id="R4", household_id="H3", grid_id="B1", programme="dibao", persons=4, amount_yuan=1200,
         applied_at="2025-09-04", status="rejected", newly_enrolled="否"),
    dict(case_id="R5", household_id="H4", grid_id="B1", programme="dibao", persons=1,
         applied_at="2025-09-05", status="applied"),
    dict(case_id="R6", household_id="H2", grid_id="A2", programme="dibao", persons=2, amount_yuan=800,
         applied_at="2025-09-08", approved_at="2025-09-12", status="approved", newly_enrolled="否"),
    dict(case_id="R7", household_id="H5", grid_id="A1", programme="dibao", persons=1, amount_yuan=700,
         applied_at="2025-08-20", approved_at="2025-08-25", paid_at="2025-08-28", status="paid", newly_enrolled="是"),
]

MANUAL_SCORES = [
    dict(month="2025-09", level="street", unit="甲街道", score=80),
    dict(month="2025-09", level="street", unit="乙街道", score=90),
    dict(month="2025-08", level="street", unit="甲街道", score=70),
]

ROWS = {"grids": GRIDS, "workers": WORKERS, "events": EVENTS, "relief": RELIEF, "patrols": PATROLS,
        "manual_scores": MANUAL_SCORES}


def build(path: Path, tmp: Path):
    con = store.connect(path)
    for kind in ("grids", "workers", "events", "relief", "patrols", "manual_scores"):
        res = ingest.ingest_files(con, kind, [write(kind, tmp / f"m_{kind}.csv", rows=ROWS[kind])])[0]
        assert res.stored, res.errors.to_string()
    return con
