"""Every indicator of INDICATORS.md, declared once.

An indicator is a numerator and (for rates and ratios) a denominator, each a `Measure`: an SQL aggregate over one
of the `SOURCES` (table macros in sql/views/). Every source reads the state of slowly changing data (grids,
workers) as it stood at the period's end: `…_at($to_excl)` places each row by the grid version in effect then, so
a later re-survey never changes a past period's figures. compute() turns a declaration plus filters and group-by keys into one query
per measure with bound parameters. Pages, exports, the CLI and the six-item score all go through compute().
"""
from __future__ import annotations

from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    relation: str                    # a table macro from sql/views/, as of the period's end ($to_excl)
    time: str | None                 # column that selects rows into the period; None: not time-bound
    filters: frozenset               # filterable columns
    keys: dict = field(default_factory=dict)   # group-by key → SQL expression over the relation


_PLACE = {"street": "street", "community": "community", "grid_id": "grid_id"}
_TIME = {"month": "month", "week": "cast(week as varchar)"}

SOURCES: dict[str, Source] = {
    "events": Source("v_events_at($to_excl)", "reported_at",
                     frozenset({"street", "community", "grid_id", "category", "source", "tier", "worker_id",
                                "department"}),
                     {**_PLACE, **_TIME, "category": "category", "source": "source", "tier": "tier",
                      "department": "department", "outcome": "outcome",
                      "age_band": "case when $to_excl - reported_at <= interval 3 day then '≤3天' "
                                  "when $to_excl - reported_at <= interval 7 day then '3–7天' "
                                  "when $to_excl - reported_at <= interval 30 day then '7–30天' else '>30天' end"}),
    "relief": Source("v_relief_at($to_excl)", "applied_at", frozenset({"street", "community", "grid_id", "programme"}),
                     {**_PLACE, **_TIME, "programme": "programme"}),
    "patrols": Source("v_patrols_at($to_excl)", "started_at", frozenset({"street", "community", "grid_id", "worker_id"}),
                      {**_PLACE, **_TIME}),
    # the per grid × day counts of the events (metrics/summaries.py): compute() reads it in place of "events"
    "event_days": Source("v_event_days_at($to_excl)", "day", frozenset({"street", "community", "grid_id"}),
                         {**_PLACE, **_TIME}),
    "grids": Source("v_grids_at($to_excl)", None, frozenset({"street", "community", "grid_id"}), dict(_PLACE)),
    "workers": Source("v_workers_at($to_excl)", None, frozenset({"street", "community", "grid_id", "worker_id"}), dict(_PLACE)),
    "grid_weeks": Source("grid_weeks($from, $to)", None, frozenset({"street", "community", "grid_id"}),
                         {**_PLACE, **_TIME}),
    "worker_days": Source("worker_days_at($to_excl)", "day", frozenset({"street", "community", "grid_id", "worker_id"}),
                          {**_PLACE, **_TIME}),
}

# ------------------------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Measure:
    source: str
    expr: str                               # SQL aggregate; may use bound parameters ($days, $weeks, …)
    pre_group: tuple[str, ...] = ()         # aggregate per these columns first (pre_expr), then expr over v
    pre_expr: str | None = None


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    description: str
    unit: str                 # rate · count · per_1000 · hours · days · yuan · households · per_week
    direction: str            # higher · lower · none
    numerator: Measure
    denominator: Measure | None = None
    kind: str = "ratio"       # ratio: value = numerator / denominator × scale; value: value = numerator;
    #                           median: value = numerator (a median), denominator = how many values it is over
    scale: float = 1.0
    additive: bool = False    # group rows add up to the total

    @property
    def is_rate(self) -> bool:
        return self.unit == "rate"


def _ev(expr: str) -> Measure:
    return Measure("events", expr)


_STAGES = [("registered", "核实立案", "上报→立案"), ("dispatched", "指挥派遣", "立案→派遣"),
           ("handled", "处理反馈", "派遣→处置"), ("closed", "核查结案", "处置→结案"),
           ("evaluated", "考核评价", "结案→评价")]

METRICS_LIST: list[Metric] = [
    # --- events
    Metric("event_count", "事件数", "期内上报的事件数（按上报时间选入期间）", "count", "none",
           _ev("count(*)"), kind="value", additive=True),
    Metric("events_per_1000_households", "千户事件数", "期内事件数 ÷ 范围内网格总户数 × 1000（反映采集上报强度）",
           "per_1000", "none", _ev("count(*)"), Measure("grids", "sum(households)"), scale=1000.0),
    Metric("event_closure_rate", "事件办结率", "已结案事件 ÷ 期内事件", "rate", "higher",
           _ev("count(*) filter (where is_closed)"), _ev("count(*)")),
    Metric("event_ontime_rate", "按期办结率", "结案时间不晚于办理时限的事件 ÷ 有办理时限的已结案事件", "rate", "higher",
           _ev("count(*) filter (where closed_on_time)"), _ev("count(*) filter (where has_deadline)")),
    Metric("event_median_hours", "平均处置时长(中位)", "已结案事件从上报到结案的小时数中位数", "hours", "lower",
           _ev("median(hours_to_close)"), _ev("count(hours_to_close)"), kind="median"),
    *[Metric(f"stage_hours_{step}", f"{zh}时长(中位)", f"各环节时长：{span} 的小时数中位数（两个环节都有时间的事件）",
             "hours", "lower", _ev(f"median(hours_{step})"), _ev(f"count(hours_{step})"), kind="median")
      for step, zh, span in _STAGES],
    Metric("open_backlog", "在办事件", "期内上报、到期末仍未结案的事件（可按账龄 ≤3天/3–7天/7–30天/>30天 分组）",
           "count", "lower", _ev("count(*) filter (where closed_at is null or closed_at >= $to_excl)"),
           kind="value", additive=True),
    Metric("satisfaction_rate", "群众满意度",
           "评价为满意或基本满意（≥4 分）的事件 ÷ 已评价事件（有评价时间或满意度评分的事件）", "rate", "higher",
           _ev("count(*) filter (where satisfaction >= 4)"),
           _ev("count(*) filter (where evaluated_at is not null or satisfaction is not null)")),
    Metric("dispute_resolution_rate", "矛盾纠纷调处成功率", "调解成功的纠纷 ÷ 调解成功或不成功的纠纷（转办不计）",
           "rate", "higher", _ev("count(*) filter (where is_dispute and outcome = 'resolved')"),
           _ev("count(*) filter (where is_dispute and is_concluded_dispute)")),
    Metric("dispute_onsite_rate", "矛盾纠纷现场化解率", "现场化解的纠纷 ÷ 调解成功或不成功的纠纷", "rate", "higher",
           _ev("count(*) filter (where is_dispute and is_concluded_dispute and resolved_on_site)"),
           _ev("count(*) filter (where is_dispute and is_concluded_dispute)")),
    Metric("hazard_rectification_rate", "隐患整改率", "已整改的安全隐患 ÷ 发现的安全隐患", "rate", "higher",
           _ev("count(*) filter (where is_hazard and outcome = 'rectified')"), _ev("count(*) filter (where is_hazard)")),
    # --- grids, patrols
    Metric("grid_count", "网格数", "范围内的网格数", "count", "none", Measure("grids", "count(*)"), kind="value",
           additive=True),
    Metric("grid_staffing_rate", "网格员配备率", "至少有一名在岗网格员的网格 ÷ 网格数（一格一员）", "rate", "higher",
           Measure("grids", "count(*) filter (where has_active_worker)"), Measure("grids", "count(*)")),
    Metric("households_per_worker", "人均服务户数", "范围内总户数 ÷ 在岗网格员数", "households", "lower",
           Measure("grids", "sum(households)"), Measure("workers", "count(*) filter (where active)")),
    Metric("patrols_per_grid_week", "网格周均巡查次数", "巡查次数 ÷（网格数 × 期内周数，不足一周按 天数/7 计）",
           "per_week", "higher", Measure("patrols", "count(*)"), Measure("grids", "count(*) * $days / 7")),
    Metric("patrol_compliance_rate", "巡查达标率",
           "巡查次数达到每周要求（默认 3 次）的网格周 ÷ 网格周（只计期内完整的周一至周日）", "rate", "higher",
           Measure("grid_weeks", "count(*) filter (where patrols >= $required_patrols)"),
           Measure("grid_weeks", "count(*)")),
    Metric("key_person_visit_rate", "重点人员走访率",
           "各网格周 min(走访重点人员次数, 重点人员数) 之和 ÷ 各网格周重点人员数之和（完整周；无重点人员的网格不计）",
           "rate", "higher", Measure("grid_weeks", "sum(key_person_visits_capped) filter (where key_persons > 0)"),
           Measure("grid_weeks", "sum(key_persons) filter (where key_persons > 0)")),
    # --- relief (selected by applied_at)
    Metric("relief_households", "救助户数", "有获批救助的不重复户数（可按救助类别分组）", "count", "none",
           Measure("relief", "count(distinct household_id) filter (where is_approved)"), kind="value"),
    Metric("relief_persons", "救助人数", "获批救助的人数之和（同一户同一类别只计一次）", "count", "none",
           Measure("relief", "sum(v)", pre_group=("household_id", "programme"),
                   pre_expr="max(persons) filter (where is_approved)"), kind="value"),
    Metric("relief_amount_yuan", "救助金额(元)", "已发放的救助金额之和", "yuan", "none",
           Measure("relief", "sum(amount_yuan) filter (where is_paid)"), kind="value", additive=True),
    Metric("relief_new_households", "新纳入户数", "标记为新纳入的获批救助案件数", "count", "none",
           Measure("relief", "count(*) filter (where is_approved and newly_enrolled)"), kind="value", additive=True),
    Metric("relief_approval_days", "审批时长(天,中位)", "从申请到审批的天数中位数", "days", "lower",
           Measure("relief", "median(approval_days)"), Measure("relief", "count(approval_days)"), kind="median"),
    # --- the six items as plain ratios (their parts); item formulas live in metrics/score.py
    Metric("registered_within_24h_rate", "24小时内立案率",
           "上报后 registration_hours（默认 24）小时内核实立案的事件 ÷ 期内事件", "rate", "higher",
           _ev("count(*) filter (where registered_at <= reported_at + $registration_hours * interval 1 hour)"),
           _ev("count(*)")),
    Metric("dispute_ontime_rate", "矛盾纠纷按期办结率", "按期结案的纠纷 ÷ 有办理时限的已结案纠纷", "rate", "higher",
           _ev("count(*) filter (where is_dispute and closed_on_time)"),
           _ev("count(*) filter (where is_dispute and has_deadline)")),
    Metric("platform_use_rate", "信息平台使用率",
           "在岗网格员的有效工作日（当天发起巡查或上报事件）÷（在岗网格员数 × 期内工作日数）", "rate", "higher",
           Measure("worker_days", "count(*)"), Measure("workers", "count(*) filter (where active) * $working_days")),
    Metric("data_entry_fill_rate", "基础数据填报率", "网格基础数据项（可配置）已填写的比例", "rate", "higher",
           Measure("grids", "$fields_filled"), Measure("grids", "count(*) * $n_fields")),
    Metric("data_fresh_rate", "基础数据更新及时率", "期末前 fresh_days 天内更新过的网格 ÷ 网格数", "rate", "higher",
           Measure("grids", "count(*) filter (where updated_at > $to_excl - $fresh_days * interval 1 day "
                            "and updated_at < $to_excl)"), Measure("grids", "count(*)")),
]

METRICS: dict[str, Metric] = {m.id: m for m in METRICS_LIST}
