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
GROUP_KEYS = {"street": "街道", "community": "社区", "grid_id": "网格", "month": "月份", "week": "周",
              "category": "事件类别", "source": "事件来源", "tier": "纠纷等级", "department": "承办部门",
              "outcome": "办理结果", "age_band": "账龄", "programme": "救助类别"}
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
