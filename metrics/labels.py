"""Chinese text the interface shows, in one place (identifiers stay English)."""

APP_TITLE = "网格化服务管理 · 综治指标看板"

TABLES = {
    "grids": "网格",
    "workers": "网格员",
    "events": "事件",
    "relief": "社会救助",
    "patrols": "巡查",
    "manual_scores": "人工评分",
    "areas": "行政区划边界",
    "import_log": "导入记录",
    "import_refused": "拒收行（待复核）",
}

KINDS = {"grids": "网格", "workers": "网格员", "events": "事件", "relief": "社会救助", "patrols": "巡查",
         "manual_scores": "人工评分", "boundaries": "网格边界", "demo": "演示数据"}

IMPORT_HISTORY_COLUMNS = {
    "import_id": "批次", "file_name": "文件", "kind": "类型", "rows_in_file": "文件行数", "rows_stored": "入库",
    "rows_inserted": "新增", "rows_updated": "更新", "rows_refused": "拒收", "imported_at": "导入时间",
    "imported_by": "操作人",
}

CATEGORY = {"dispute": "矛盾纠纷", "hazard": "安全隐患", "public_order": "治安", "sanitation": "环境卫生",
            "resident_service": "民生服务", "other": "其他"}
SOURCE = {"patrol": "网格员巡查", "resident": "群众上报", "hotline": "12345热线", "sensor": "物联感知", "other": "其他"}
TIER = {"general": "一般", "difficult": "疑难", "major": "重大"}
OUTCOME = {"resolved": "调解成功", "unresolved": "调解不成功", "transferred": "转办", "rectified": "已整改",
           "not_rectified": "未整改"}
PROGRAMME = {"dibao": "低保", "tekun": "特困供养", "temporary_relief": "临时救助", "winter_relief": "温暖过冬",
             "medical_relief": "医疗救助"}
RELIEF_STATUS = {"applied": "已申请", "approved": "已审批", "rejected": "未通过", "paid": "已发放"}
STATUS = {"blue": "蓝", "yellow": "黄", "red": "红"}
STATUS_TEXT = {"blue": "达标", "yellow": "关注", "red": "预警"}
LEVEL = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}
STEPS = [("reported_at", "采集上报"), ("registered_at", "核实立案"), ("dispatched_at", "指挥派遣"),
         ("handled_at", "处理反馈"), ("closed_at", "核查结案"), ("evaluated_at", "考核评价")]
VALUE_MAPS = {"category": CATEGORY, "source": SOURCE, "tier": TIER, "outcome": OUTCOME, "programme": PROGRAMME,
              "status": RELIEF_STATUS}

# the six items in two characters, for the big screen's columns (full names: metrics/score.py ITEMS)
ITEM_SHORT = {"item_worker_duty": "履职", "item_platform_use": "平台", "item_data_entry": "录入",
              "item_event_reporting": "上报", "item_dispute_mediation": "调处", "item_other_work": "其他"}

# what an indicator card's numerator and denominator count: (numerator, its unit, denominator, its unit);
# the foot reads "调处成功 43 件 / 办结 44 件"
FRACTION_PARTS = {
    "dispute_resolution_rate": ("调处成功", "件", "办结", "件"),
    "dispute_onsite_rate": ("现场化解", "件", "办结", "件"),
    "hazard_rectification_rate": ("已整改", "件", "发现隐患", "件"),
    "satisfaction_rate": ("满意", "件", "已评价", "件"),
    "event_closure_rate": ("已结案", "件", "上报", "件"),
    "event_ontime_rate": ("按期结案", "件", "有时限的已结案", "件"),
    "event_count": ("上报", "件", None, None),
    "open_backlog": ("在办", "件", None, None),
    "events_per_1000_households": ("事件", "件", "网格总户数", "户"),
    "grid_staffing_rate": ("有在岗网格员", "个", "网格", "个"),
    "patrol_compliance_rate": ("达标网格周", "个", "网格周", "个"),
    "key_person_visit_rate": ("走访到", "人次", "应走访", "人次"),
}

# column → label wherever a table shows records or groups (explorer, exports)
COLUMNS = {
    "event_id": "事件编号", "street": "街道", "community": "社区", "grid_id": "网格编码", "grid_name": "网格名称",
    "category": "事件类别", "subcategory": "事件小类", "source": "事件来源", "tier": "纠纷等级", "outcome": "办理结果",
    "department": "承办部门", "month": "月份", "week": "周", "reported_at": "上报时间", "registered_at": "立案时间",
    "dispatched_at": "派遣时间", "handled_at": "处置时间", "closed_at": "结案时间", "evaluated_at": "评价时间",
    "due_at": "办理时限", "resolved_on_site": "现场化解", "satisfaction": "满意度", "worker_id": "网格员编号",
    "hours_to_close": "处置时长(小时)", "hours_registered": "立案用时(小时)", "case_id": "案件编号",
    "household_id": "户编号", "programme": "救助类别", "persons": "救助人数", "amount_yuan": "救助金额(元)",
    "applied_at": "申请日期", "approved_at": "审批日期", "paid_at": "发放日期", "status": "状态",
    "newly_enrolled": "新纳入", "approval_days": "审批天数", "patrol_id": "巡查编号", "started_at": "开始时间",
    "ended_at": "结束时间", "distance_m": "巡查里程(米)", "households_visited": "走访户数",
    "key_person_visits": "走访重点人员数", "hazards_found": "发现隐患数", "events_reported": "上报事件数",
    "households": "户数", "population": "人口数", "key_persons": "重点人员数", "active_workers": "在岗网格员数",
    "has_active_worker": "配备网格员", "lon": "经度", "lat": "纬度", "updated_at": "更新时间",
    "count": "记录数", "value": "数值",
    "description": "事件描述", "reporter_name": "上报人", "reporter_phone": "联系电话", "applicant_name": "申请人",
    "id_number": "身份证号", "age_band": "账龄",
}
