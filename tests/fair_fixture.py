"""A two-street district with 14 events in September 2025 (period 2025-09-01 … 2025-09-30): 东关街道 (grids D1, D2)
and 中街街道 (grid Z1, Z2), seven events each, close scores — the case where a ranking cannot tell the streets apart.

Also the records that each data-quality signal must find (and a clean twin for each), so tests/test_fair.py can
check every signal on rows small enough to read:
  E-D3  closed 5 minutes after being reported                         → instant_closure
  E-D4  evaluated 30 seconds after closure                            → eval_at_closure
  E-Z6, E-Z7  same grid, category and description 3 hours apart       → duplicate_event (both)
  P-D3  a 6-minute patrol                                             → short_patrol
  P-Z2, P-Z3  worker WZ1 on two patrols at once                       → overlapping_patrols (both)
  P-D4  2,000 m in 5 minutes (24 km/h)                                → implausible_speed (and short_patrol)
"""
from __future__ import annotations

from pathlib import Path

from data import ingest, store
from tests.fixtures import write

GRIDS = [
    dict(grid_id="D1", grid_name="东关一网格", street="东关街道", community="东关社区", households=200, population=600,
         key_persons=1, lon=106.68, lat=35.54, updated_at="2025-09-01 09:00"),
    dict(grid_id="D2", grid_name="东关二网格", street="东关街道", community="宝塔社区", households=150, population=450,
         key_persons=0, lon=106.69, lat=35.54, updated_at="2025-07-01 09:00"),
    dict(grid_id="Z1", grid_name="中街一网格", street="中街街道", community="广成路社区", households=200, population=600,
         key_persons=1, lon=106.67, lat=35.55, updated_at="2025-08-20 09:00"),
    dict(grid_id="Z2", grid_name="中街二网格", street="中街街道", community="万安门社区", households=150, population=450,
         key_persons=0, lon=106.66, lat=35.55, updated_at="2025-09-10 09:00"),
]

WORKERS = [
    dict(worker_id="WD1", grid_id="D1", active="是"), dict(worker_id="WD2", grid_id="D2", active="是"),
    dict(worker_id="WZ1", grid_id="Z1", active="是"), dict(worker_id="WZ2", grid_id="Z2", active="是"),
]


def _e(event_id, grid_id, category, reported_at, registered_at, closed_at=None, evaluated_at=None, due_at=None,
       outcome=None, satisfaction=None, worker_id=None, description=None):
    return dict(event_id=event_id, grid_id=grid_id, category=category, source="patrol", reported_at=reported_at,
                registered_at=registered_at, closed_at=closed_at, evaluated_at=evaluated_at, due_at=due_at,
                outcome=outcome, satisfaction=satisfaction, worker_id=worker_id, description=description,
                tier="general" if category == "dispute" else None)


EVENTS = [
    # 东关: 3 disputes (2 resolved, on time), 4 others; 6 of 7 registered within 24 h
    _e("E-D1", "D1", "dispute", "2025-09-02 09:00", "2025-09-02 10:00", "2025-09-05 09:00", "2025-09-06 09:00",
       "2025-09-15 09:00", "resolved", 5, "WD1", "邻里漏水纠纷"),
    _e("E-D2", "D1", "dispute", "2025-09-08 09:00", "2025-09-08 11:00", "2025-09-12 09:00", None,
       "2025-09-20 09:00", "resolved", None, "WD1", "停车位纠纷"),
    _e("E-D3", "D2", "dispute", "2025-09-10 14:00", "2025-09-10 14:02", "2025-09-10 14:05", "2025-09-11 10:00",
       "2025-09-25 14:00", "unresolved", 4, "WD2", "物业费纠纷"),
    _e("E-D4", "D1", "hazard", "2025-09-03 10:00", "2025-09-03 12:00", "2025-09-06 10:00", "2025-09-06 10:00:30",
       "2025-09-10 10:00", "rectified", 5, "WD1", "楼道堆物"),
    _e("E-D5", "D2", "sanitation", "2025-09-15 08:00", "2025-09-16 12:00", "2025-09-17 08:00", None,
       "2025-09-18 08:00", None, None, "WD2", "垃圾未清运"),
    _e("E-D6", "D1", "public_order", "2025-09-20 21:00", "2025-09-20 22:00", "2025-09-21 09:00", None,
       "2025-09-23 21:00", None, None, "WD1", "夜间噪音"),
    _e("E-D7", "D2", "resident_service", "2025-09-24 10:00", "2025-09-24 11:00", None, None, None, None, None,
       "WD2", "咨询低保政策"),
    # 中街: 3 disputes (2 resolved, 1 late), 4 others; 7 of 7 registered within 24 h
    _e("E-Z1", "Z1", "dispute", "2025-09-02 10:00", "2025-09-02 11:00", "2025-09-06 10:00", "2025-09-07 10:00",
       "2025-09-16 10:00", "resolved", 5, "WZ1", "宅基地纠纷"),
    _e("E-Z2", "Z1", "dispute", "2025-09-09 10:00", "2025-09-09 12:00", "2025-09-26 10:00", None,
       "2025-09-24 10:00", "resolved", None, "WZ1", "婚姻家庭纠纷"),
    _e("E-Z3", "Z2", "dispute", "2025-09-12 15:00", "2025-09-12 16:00", "2025-09-20 15:00", "2025-09-21 15:00",
       "2025-09-27 15:00", "unresolved", 3, "WZ2", "劳资纠纷"),
    _e("E-Z4", "Z1", "hazard", "2025-09-04 09:00", "2025-09-04 10:00", "2025-09-08 09:00", "2025-09-09 09:00",
       "2025-09-11 09:00", "rectified", 4, "WZ1", "电动车楼道充电"),
    _e("E-Z5", "Z2", "sanitation", "2025-09-16 08:00", "2025-09-16 09:00", "2025-09-17 08:00", None,
       "2025-09-19 08:00", None, None, "WZ2", "污水外溢"),
    _e("E-Z6", "Z1", "public_order", "2025-09-22 09:00", "2025-09-22 10:00", "2025-09-23 09:00", None,
       "2025-09-25 09:00", None, None, "WZ1", "广场舞噪音扰民"),
    _e("E-Z7", "Z1", "public_order", "2025-09-22 12:00", "2025-09-22 13:00", "2025-09-23 12:00", None,
       "2025-09-25 12:00", None, None, "WZ1", "广场舞噪音扰民"),
]


def _p(patrol_id, grid_id, worker_id, started_at, ended_at, distance_m=1500, key_person_visits=0):
    return dict(patrol_id=patrol_id, grid_id=grid_id, worker_id=worker_id, started_at=started_at, ended_at=ended_at,
                distance_m=distance_m, key_person_visits=key_person_visits)


PATROLS = [
    _p("P-D1", "D1", "WD1", "2025-09-01 09:00", "2025-09-01 10:00", key_person_visits=1),
    _p("P-D2", "D1", "WD1", "2025-09-09 09:00", "2025-09-09 10:30"),
    _p("P-D3", "D2", "WD2", "2025-09-16 09:00", "2025-09-16 09:06", 300),
    _p("P-D4", "D2", "WD2", "2025-09-23 09:00", "2025-09-23 09:05", 2000),
    _p("P-Z1", "Z1", "WZ1", "2025-09-01 14:00", "2025-09-01 15:00", key_person_visits=1),
    _p("P-Z2", "Z1", "WZ1", "2025-09-10 09:00", "2025-09-10 10:00"),
    _p("P-Z3", "Z2", "WZ1", "2025-09-10 09:30", "2025-09-10 10:30"),
    _p("P-Z4", "Z2", "WZ2", "2025-09-17 14:00", "2025-09-17 15:00"),
]

MANUAL_SCORES = [
    dict(month="2025-09", level="street", unit="东关街道", score=80),
    dict(month="2025-09", level="street", unit="中街街道", score=80),
]

ROWS = {"grids": GRIDS, "workers": WORKERS, "events": EVENTS, "patrols": PATROLS, "manual_scores": MANUAL_SCORES}

# the records each signal must flag on this fixture (and no others)
EXPECTED_FLAGS = {
    "instant_closure": {"E-D3"},
    "eval_at_closure": {"E-D4"},
    "duplicate_event": {"E-Z6", "E-Z7"},
    "short_patrol": {"P-D3", "P-D4"},
    "overlapping_patrols": {"P-Z2", "P-Z3"},
    "implausible_speed": {"P-D4"},
}


def build(path: Path, tmp: Path):
    con = store.connect(path)
    for kind in ("grids", "workers", "events", "patrols", "manual_scores"):
        res = ingest.ingest_files(con, kind, [write(kind, tmp / f"f_{kind}.csv", rows=ROWS[kind])])[0]
        assert res.stored, res.errors.to_string()
    return con
