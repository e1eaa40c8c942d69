"""The import contract (../shared/DATA.md v1) as data: every kind, its columns, aliases, types and rules.

The importer, the import page and the tests read this one declaration; the tables themselves are in sql/schema.
"""
from __future__ import annotations

from dataclasses import dataclass

# Accepted spellings of enumerations: canonical value first, then the Chinese words platforms export.
CATEGORY = {
    "dispute": ["矛盾纠纷", "纠纷"],
    "hazard": ["安全隐患", "隐患", "消防隐患"],
    "public_order": ["治安", "社会治安"],
    "sanitation": ["环境卫生", "环卫"],
    "resident_service": ["民生服务", "便民服务"],
    "other": ["其他"],
}
SOURCE = {
    "patrol": ["网格员巡查", "巡查", "网格员上报"],
    "resident": ["群众上报", "随手拍", "微信群"],
    "hotline": ["12345热线", "12345", "热线"],
    "sensor": ["物联感知", "感知设备"],
    "other": ["其他"],
}
TIER = {"general": ["一般"], "difficult": ["疑难"], "major": ["重大"]}
OUTCOME = {
    "resolved": ["调解成功", "已化解"],
    "unresolved": ["调解不成功", "调解未成功", "未成功", "未化解"],
    "transferred": ["转办", "已转办"],
    "rectified": ["已整改", "整改完成"],
    "not_rectified": ["未整改", "整改中"],
}
COORD_SYSTEM = {"wgs84": ["WGS-84", "WGS84", "GPS"], "gcj02": ["GCJ-02", "GCJ02", "火星坐标", "高德", "腾讯"],
                "bd09": ["BD-09", "BD09", "百度"]}
SATISFACTION = {"5": ["满意", "非常满意"], "4": ["基本满意", "比较满意"], "3": ["一般"], "2": ["不满意"],
                "1": ["非常不满意"]}
PROGRAMME = {
    "dibao": ["低保", "最低生活保障", "城市低保"],
    "tekun": ["特困供养", "特困"],
    "temporary_relief": ["临时救助"],
    "winter_relief": ["温暖过冬"],
    "medical_relief": ["医疗救助"],
}
RELIEF_STATUS = {"applied": ["已申请", "申请中"], "approved": ["已审批", "审批通过"], "rejected": ["未通过", "不予批准"],
                 "paid": ["已发放"]}
GENDER = {"男": ["male", "m"], "女": ["female", "f"]}
LEVEL = {"street": ["街道"], "community": ["社区"], "grid": ["网格"]}
# grids: what a row of a re-import is. A grid's street changes only when its row says "move" (or the import is run
# with --allow-move); anything else that names another street is refused as a likely mistake.
CHANGE_TYPE = {"move": ["调整", "划转", "迁移", "区划调整"], "update": ["更新", "复核", "普查", "变更"],
               "new": ["新增", "新建"]}

# Human-readable expectation of each type, in Chinese, for refusal messages.
TYPE_EXPECTED = {
    "text": "文本",
    "int": "整数",
    "float": "数字",
    "datetime": "日期时间，如 2025-03-05 14:30、2025/3/5 14:30 或 2025年3月5日 14:30",
    "date": "日期，如 2025-03-05",
    "bool": "是 或 否",
    "month": "年月，格式 YYYY-MM，如 2025-03",
    "geometry": "GeoJSON 几何或 WKT 多边形",
    "track": "WKT LINESTRING 或 经度,纬度;经度,纬度;…",
}


@dataclass(frozen=True)
class Col:
    name: str
    label: str                       # the Chinese column name the UI shows
    aliases: tuple[str, ...] = ()
    type: str = "text"               # text · int · float · datetime · date · bool · enum · month · geometry · track
    required: bool = False
    min: float | None = None
    max: float | None = None
    values: dict | None = None       # enum: canonical → list of accepted words
    default: str | None = None       # used when the column is absent or the cell empty
    mask: str | None = None          # personal data, and how roles without full access see it: name · phone · id ·
    #                                  text (macros gg_mask_<kind> of sql/views/09_masking.sql; metrics/privacy.py)
    check: str | None = None         # extra rule: id_number

    @property
    def personal(self) -> bool:
        return self.mask is not None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.label, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    grid_ref: str | None = None              # column that, when filled, must name an existing grid
    order: tuple[str, ...] = ()              # datetime columns that must not go backwards
    has_coords: bool = False
    time_column: str | None = None           # stored in this column's order (period scans skip row groups by their
                                             # min/max whatever order the file came in); the export's month partition

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


LON = Col("lon", "经度", ("longitude", "x"), "float")
LAT = Col("lat", "纬度", ("latitude", "y"), "float")

GRIDS = Kind(
    "grids", "网格", "grids", ("grid_id",),
    (
        Col("grid_id", "网格编码", ("网格编号",), required=True),
        Col("grid_name", "网格名称"),
        Col("street", "所属街道", ("街道",), required=True),
        Col("community", "所属社区", ("社区",), required=True),
        Col("district", "所属区县", ("区县",)),
        Col("households", "户数", ("总户数",), "int", required=True, min=0),
        Col("population", "人口数", ("常住人口",), "int", min=0),
        Col("key_persons", "重点人员数", (), "int", min=0, default="0"),
        LON, LAT,
        Col("boundary", "边界", ("geometry", "wkt"), "geometry"),
        Col("updated_at", "更新时间", (), "datetime"),
        Col("change_type", "调整类型", ("变更类型", "变动类型"), "enum", values=CHANGE_TYPE),
    ),
    has_coords=True,
)

WORKERS = Kind(
    "workers", "网格员", "workers", ("worker_id",),
    (
        Col("worker_id", "网格员编号", (), required=True),
        Col("name", "姓名", (), mask="name"),
        Col("grid_id", "负责网格", ("网格编码",)),
        Col("gender", "性别", (), "enum", values=GENDER),
        Col("birth_year", "出生年份", (), "int", min=1900, max=2100),
        Col("education", "学历"),
        Col("hired_on", "入职日期", (), "date"),
        Col("active", "在岗", ("是否在岗",), "bool", default="是"),
        Col("phone", "联系电话", ("手机号",), mask="phone"),
        Col("updated_at", "更新时间", ("变更时间", "调整时间"), "datetime"),
    ),
    grid_ref="grid_id",
)

EVENTS = Kind(
    "events", "事件", "events", ("event_id",),
    (
        Col("event_id", "事件编号", (), required=True),
        Col("grid_id", "网格编码", ("所属网格",), required=True),
        Col("category", "事件类别", ("事件大类",), "enum", values=CATEGORY),
        Col("subcategory", "事件小类"),
        Col("source", "事件来源", (), "enum", values=SOURCE),
        Col("tier", "纠纷等级", (), "enum", values=TIER),
        Col("reported_at", "上报时间", (), "datetime", required=True),
        Col("registered_at", "立案时间", (), "datetime"),
        Col("dispatched_at", "派遣时间", (), "datetime"),
        Col("handled_at", "处置时间", (), "datetime"),
        Col("closed_at", "结案时间", (), "datetime"),
        Col("evaluated_at", "评价时间", (), "datetime"),
        Col("due_at", "办理时限", (), "datetime"),
        Col("outcome", "办理结果", (), "enum", values=OUTCOME),
        Col("resolved_on_site", "现场化解", (), "bool"),
        Col("satisfaction", "满意度", (), "enum", values=SATISFACTION),
        Col("worker_id", "网格员编号"),
        Col("department", "承办部门"),
        LON, LAT,
        Col("coord_system", "坐标系", (), "enum", values=COORD_SYSTEM),
        Col("description", "事件描述", (), mask="text"),
        Col("reporter_name", "上报人", (), mask="name"),
        Col("reporter_phone", "联系电话", (), mask="phone"),
    ),
    grid_ref="grid_id",
    order=("reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "evaluated_at"),
    has_coords=True, time_column="reported_at"
)

RELIEF = Kind(
    "relief", "社会救助", "relief", ("case_id",),
    (
        Col("case_id", "案件编号", (), required=True),
        Col("household_id", "户编号", (), required=True),
        Col("grid_id", "网格编码", (), required=True),
        Col("programme", "救助类别", (), "enum", values=PROGRAMME, required=True),
        Col("persons", "救助人数", (), "int", min=1),
        Col("amount_yuan", "救助金额", ("救助金额(元)",), "float", min=0, max=999_999_999_999.99),  # DECIMAL(14,2)
        Col("applied_at", "申请日期", (), "date"),
        Col("approved_at", "审批日期", (), "date"),
        Col("paid_at", "发放日期", (), "date"),
        Col("status", "状态", (), "enum", values=RELIEF_STATUS),
        Col("newly_enrolled", "新纳入", (), "bool"),
        Col("applicant_name", "申请人", (), mask="name"),
        Col("id_number", "身份证号", (), mask="id", check="id_number"),
    ),
    grid_ref="grid_id",
    order=("applied_at", "approved_at", "paid_at"), time_column="applied_at"
)

PATROLS = Kind(
    "patrols", "巡查", "patrols", ("patrol_id",),
    (
        Col("patrol_id", "巡查编号", (), required=True),
        Col("worker_id", "网格员编号"),
        Col("grid_id", "网格编码", (), required=True),
        Col("started_at", "开始时间", (), "datetime", required=True),
        Col("ended_at", "结束时间", (), "datetime"),
        Col("distance_m", "巡查里程(米)", ("巡查里程",), "float", min=0),
        Col("households_visited", "走访户数", (), "int", min=0),
        Col("key_person_visits", "走访重点人员数", (), "int", min=0),
        Col("hazards_found", "发现隐患数", (), "int", min=0),
        Col("events_reported", "上报事件数", (), "int", min=0),
        Col("track", "轨迹", (), "track"),
    ),
    grid_ref="grid_id",
    order=("started_at", "ended_at"), time_column="started_at"
)

MANUAL_SCORES = Kind(
    "manual_scores", "人工评分", "manual_scores", ("month", "level", "unit", "item"),
    (
        Col("month", "考核月份", (), "month", required=True),
        Col("level", "层级", (), "enum", values=LEVEL, required=True),
        Col("unit", "单位", ("考核对象",), required=True),
        Col("item", "考核项目", (), default="item_other_work"),
        Col("score", "得分", ("分数",), "float", required=True, min=0, max=100),
        Col("note", "说明"),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in (GRIDS, WORKERS, EVENTS, RELIEF, PATROLS, MANUAL_SCORES)}

# Columns of a file that are not stored (coord_system is consumed during conversion, change_type by the check that
# a grid's street changes only in a move).
NOT_STORED = {"coord_system", "change_type"}


def normalise_header(h: str) -> str:
    """Header as compared against aliases: no BOM or spaces, full-width brackets as ASCII, lower case."""
    h = (h or "").replace("\ufeff", "").strip()
    h = h.replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "")
    return h.lower()
