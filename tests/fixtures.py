"""Small hand-written fixture rows for every data family, in canonical column names.

Writers turn them into the files real platforms export: canonical CSV, Chinese-header GBK CSV, XLSX.
The rows are small enough to check on paper; tests/test_ingest*.py and the metric tests build on them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.columns import KINDS

GRIDS = [
    # grid_id, grid_name, street, community, district, households, population, key_persons, lon, lat, updated_at
    dict(grid_id="G01", grid_name="东大街一网格", street="东关街道", community="东大街社区", district="崆峒区",
         households=300, population=900, key_persons=2, lon=106.680, lat=35.540, updated_at="2025-09-01 09:00"),
    dict(grid_id="G02", grid_name="东大街二网格", street="东关街道", community="东大街社区", district="崆峒区",
         households=200, population=600, key_persons=0, lon=106.685, lat=35.541, updated_at="2025-06-01 09:00"),
    dict(grid_id="G03", grid_name="广成路一网格", street="中街街道", community="广成路社区", district="崆峒区",
         households=400, population=1200, key_persons=3, lon=106.670, lat=35.545, updated_at="2025-09-15 09:00"),
    dict(grid_id="G04", grid_name=None, street="中街街道", community="万安门社区", district="崆峒区",
         households=100, population=None, key_persons=1, lon=None, lat=None, updated_at=None),
]

WORKERS = [
    dict(worker_id="W01", name="张三明", grid_id="G01", gender="男", birth_year=1985, education="本科",
         hired_on="2019-03-01", active="是", phone="13812345678"),
    dict(worker_id="W02", name="李四", grid_id="G03", gender="女", birth_year=1990, education="大专",
         hired_on="2020-07-01", active="是", phone="13987654321"),
    dict(worker_id="W03", name="王五", grid_id="G04", gender="男", birth_year=1978, education="高中",
         hired_on="2017-05-01", active="否", phone=None),
]

EVENTS = [
    dict(event_id="E01", grid_id="G01", category="矛盾纠纷", subcategory="邻里纠纷", source="网格员巡查", tier="一般",
         reported_at="2025-09-01 09:00", registered_at="2025-09-01 10:00", dispatched_at="2025-09-01 11:00",
         handled_at="2025-09-02 09:00", closed_at="2025-09-03 09:00", evaluated_at="2025-09-04 09:00",
         due_at="2025-09-16 09:00", outcome="调解成功", resolved_on_site="是", satisfaction="满意", worker_id="W01",
         department="社区居委会", lon=106.6801, lat=35.5401, description="楼上漏水引发纠纷",
         reporter_name=None, reporter_phone=None),
    dict(event_id="E02", grid_id="G01", category="安全隐患", subcategory="消防隐患", source="群众上报", tier=None,
         reported_at="2025-09-05 14:00", registered_at="2025-09-06 15:00", dispatched_at=None, handled_at=None,
         closed_at=None, evaluated_at=None, due_at="2025-09-12 14:00", outcome="未整改", resolved_on_site=None,
         satisfaction=None, worker_id=None, department="区应急管理局", lon=106.6805, lat=35.5402,
         description="楼道堆放杂物", reporter_name="赵六", reporter_phone="13700001111"),
    dict(event_id="E03", grid_id="G03", category="环境卫生", subcategory="垃圾清运", source="12345热线", tier=None,
         reported_at="2025年09月10日 08:30", registered_at="2025/09/10 09:00", dispatched_at="2025-09-10 10:00",
         handled_at="2025-09-11 10:00", closed_at="2025-09-12 10:00", evaluated_at="2025-09-13 10:00",
         due_at="2025-09-11 08:30", outcome=None, resolved_on_site=None, satisfaction="2", worker_id="W02",
         department="区城管局", lon=None, lat=None, description=None, reporter_name=None, reporter_phone=None),
]

RELIEF = [
    dict(case_id="R01", household_id="H01", grid_id="G01", programme="低保", persons=3, amount_yuan=1500.5,
         applied_at="2025-08-01", approved_at="2025-08-20", paid_at="2025-09-01", status="已发放", newly_enrolled="是",
         applicant_name="孙七", id_number="11010519491231002X"),
    dict(case_id="R02", household_id="H02", grid_id="G03", programme="临时救助", persons=1, amount_yuan=2000,
         applied_at="2025-09-01", approved_at=None, paid_at=None, status="已申请", newly_enrolled="否",
         applicant_name="周八", id_number=None),
]

PATROLS = [
    dict(patrol_id="P01", worker_id="W01", grid_id="G01", started_at="2025-09-01 09:00", ended_at="2025-09-01 10:30",
         distance_m=2300, households_visited=12, key_person_visits=1, hazards_found=0, events_reported=1,
         track="106.680,35.540;106.681,35.541;106.682,35.540"),
    dict(patrol_id="P02", worker_id="W02", grid_id="G03", started_at="2025-09-02 14:00", ended_at="2025-09-02 15:00",
         distance_m=1800, households_visited=8, key_person_visits=2, hazards_found=1, events_reported=0, track=None),
]

MANUAL_SCORES = [
    dict(month="2025-09", level="街道", unit="东关街道", item="item_other_work", score=85, note=None),
    dict(month="2025-09", level="街道", unit="中街街道", item="item_other_work", score=90, note="表彰加分"),
]

ROWS = {"grids": GRIDS, "workers": WORKERS, "events": EVENTS, "relief": RELIEF, "patrols": PATROLS,
        "manual_scores": MANUAL_SCORES}
ORDER = ["grids", "workers", "events", "relief", "patrols", "manual_scores"]


def frame(kind: str, chinese: bool = False, rows=None) -> pd.DataFrame:
    df = pd.DataFrame(rows if rows is not None else ROWS[kind])
    if chinese:
        df = df.rename(columns={c.name: c.label for c in KINDS[kind].columns})
    return df


def write(kind: str, path: Path, fmt: str = "csv", chinese: bool = False, rows=None, encoding: str = "utf-8") -> Path:
    """Write fixture rows as csv (any encoding) or xlsx."""
    df = frame(kind, chinese, rows)
    if fmt == "xlsx":
        df.to_excel(path, index=False, sheet_name="数据")
    else:
        df.to_csv(path, index=False, encoding=encoding)
    return path
