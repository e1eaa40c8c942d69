"""自助分析: pick a dataset, filter on any column, group by up to two dimensions, choose a measure or a registered
indicator, see a chart and a pivot table, export CSV / XLSX with Chinese headers; a read-only SQL tab."""
import pandas as pd
import plotly.express as px
import streamlit as st

from access import sqlguard
from metrics import explore, labels, privacy
from metrics.registry import METRICS, SOURCES
from ui import auth, conn, data
from ui import components as ui
from ui import filters as flt
from ui import format as fmt
from ui.conn import db_path
from ui.export import to_csv, to_xlsx

COLUMN_LABEL = labels.COLUMNS
f = flt.current()
user = st.session_state["_user"]
ui.inject_css()
st.title("自助分析")
PERSONAL_NOTE = {"none": "不显示个人信息", "masked": "个人信息已脱敏", "full": "含个人信息（管理员）"}
st.caption(f"{flt.scope_label(f)} · 统计期 {fmt.period_label(f.date_from, f.date_to)} · "
           f"{PERSONAL_NOTE[user.role.personal]}")


def audited(what: str, frame, fmt_: str):
    """on_click of a download: record who exported what (rows, columns, filters)."""
    def cb():
        auth.log("export", {"what": what, "format": fmt_, "rows": len(frame), "columns": list(map(str, frame.columns)),
                            "filters": {k: v for k, v in vars(f).items() if v}})
    return cb

tab_pivot, tab_records, tab_sql = st.tabs(["分组汇总", "明细记录", "SQL 查询（只读）"])

name = st.sidebar.selectbox("数据集", list(explore.DATASETS), format_func=lambda k: explore.DATASETS[k].label,
                            key="dataset", bind="query-params")
ds = explore.DATASETS[name]


def values_label(column: str, v) -> str:
    return labels.VALUE_MAPS.get(column, {}).get(v, v)


# per-dataset column filters (categorical multiselects and number ranges), bound to the URL where simple
col_filters: dict = {}
with st.expander("字段筛选", expanded=bool(st.query_params.get("category"))):
    dims = [d for d in ds.dims if d not in ("street", "community", "grid_id", "month", "week")]
    cols = st.columns(3)
    for i, d in enumerate(dims):
        options = data.explore_distinct(name, d, f)
        key = d if d in ("category", "programme", "source") else f"x_{d}"
        chosen = cols[i % 3].multiselect(COLUMN_LABEL.get(d, d), options, format_func=lambda v, d=d: values_label(d, v),
                                         key=key, select_all=False, bind="query-params" if key == d else None,
                                         placeholder="全部")
        if chosen:
            col_filters[d] = chosen
    for i, c in enumerate(ds.numeric):
        rng = cols[i % 3].text_input(f"{COLUMN_LABEL.get(c, c)} 范围（如 1-5）", key=f"r_{c}", placeholder="不限")
        if rng.strip():
            try:
                lo, hi = (float(x) if x.strip() else None for x in rng.replace("–", "-").split("-", 1))
                col_filters[c] = explore.Range(lo, hi)
            except ValueError:
                cols[i % 3].warning("范围格式应为 下限-上限，如 1-5")

with tab_pivot:
    c1, c2, c3, c4 = st.columns(4)
    dim_options = ["（不分组）", *ds.dims]
    g1 = c1.selectbox("分组一", dim_options, index=dim_options.index("street") if "street" in ds.dims else 0,
                      format_func=lambda d: COLUMN_LABEL.get(d, d), key="g1", bind="query-params")
    g2 = c2.selectbox("分组二", dim_options, format_func=lambda d: COLUMN_LABEL.get(d, d), key="g2", bind="query-params")
    group_by = [g for g in (g1, g2) if g != "（不分组）"]
    group_by = list(dict.fromkeys(group_by))
    indicator_ids = [m for m, spec in METRICS.items() if spec.numerator.source == name
                     and all(g in SOURCES[spec.numerator.source].keys for g in group_by)]
    measure_options = list(explore.MEASURES) + [f"ind:{m}" for m in indicator_ids]
    measure = c3.selectbox("度量", measure_options, key="measure", bind="query-params",
                           format_func=lambda m: "指标：" + METRICS[m[4:]].label if m.startswith("ind:")
                           else explore.MEASURES[m])
    column = None
    if measure in ("sum", "mean", "median"):
        column = c4.selectbox("字段", ds.numeric, format_func=lambda c: COLUMN_LABEL.get(c, c), key="mcol")

    try:
        if measure.startswith("ind:"):
            mid = measure[4:]
            if col_filters:
                st.caption("注意：登记指标按全局筛选和类别/来源/救助类别计算，其余字段筛选不作用于指标。")
            ff = f.with_(categories=tuple(col_filters.get("category", ())), sources=tuple(col_filters.get("source", ())),
                         programmes=tuple(col_filters.get("programme", ())))
            res = data.metric(mid, ff, group_by)
            out = res[group_by + ["value", "numerator", "denominator"]].copy()
            value_label = METRICS[mid].label
        else:
            out = data.explore_aggregate(name, f, group_by, measure, column, col_filters)
            value_label = explore.MEASURES[measure] + (f"·{COLUMN_LABEL.get(column, column)}" if column else "")
    except privacy.SmallGroups as e:          # relief below street level: counts only (metrics/privacy.py)
        st.info(str(e))
        st.stop()
    except ValueError as e:
        st.error(f"无法计算：{e}")
        st.stop()

    if out.empty or (not group_by and fmt.is_missing(out.iloc[0]["value"]) and measure != "count"):
        ui.empty("所选范围内没有数据。")
    else:
        shown = out.copy()
        for g in group_by:
            shown[g] = [values_label(g, v) for v in shown[g]]
        if group_by:
            chart = shown.assign(value=pd.to_numeric(shown["value"], errors="coerce"))   # "<5" is not drawn
            if len(group_by) == 1:
                fig = px.bar(chart, x=group_by[0], y="value", labels={group_by[0]: COLUMN_LABEL.get(group_by[0]), "value": value_label})
            else:
                fig = px.bar(chart, x=group_by[0], y="value", color=group_by[1], barmode="group",
                             labels={group_by[0]: COLUMN_LABEL.get(group_by[0]), group_by[1]: COLUMN_LABEL.get(group_by[1]),
                                     "value": value_label})
            if measure.startswith("ind:") and METRICS[measure[4:]].is_rate:
                fig.update_yaxes(tickformat=".0%")
            st.plotly_chart(ui.style(fig, value_label), key="explore_chart")
        if len(group_by) == 2:
            additive = measure in ("count", "sum")
            pivot = shown.pivot_table(index=group_by[0], columns=group_by[1], values="value", aggfunc="sum",
                                      fill_value=0 if additive else None)
            pivot.index.name, pivot.columns.name = COLUMN_LABEL.get(group_by[0]), COLUMN_LABEL.get(group_by[1])
            st.dataframe(pivot)
            export = pivot.reset_index()
        else:
            export = shown.rename(columns={**{g: COLUMN_LABEL.get(g, g) for g in group_by}, "value": value_label,
                                           "numerator": "分子", "denominator": "分母"})
            st.dataframe(export, hide_index=True)
        e1, e2 = st.columns(2)
        e1.download_button("导出 CSV", to_csv(export), "自助分析.csv", "text/csv",
                           key="dl_csv", on_click=audited("汇总", export, "csv"))
        e2.download_button("导出 Excel", to_xlsx(export, "汇总"), "自助分析.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_xlsx",
                           on_click=audited("汇总", export, "xlsx"))

with tab_records:
    recs, total = data.explore_records(name, f, col_filters, 1000, user.role.personal)
    st.markdown(f"共 **{total:,}** 条记录" + ("，显示最新 1,000 条" if total > 1000 else ""))
    if recs.empty:
        ui.empty("所选范围内没有记录。")
    else:
        view = recs.copy()
        for c in view.columns:
            if c in labels.VALUE_MAPS:
                view[c] = [values_label(c, v) for v in view[c]]
        view = fmt.readable(view.rename(columns=lambda c: COLUMN_LABEL.get(c, c)))
        st.dataframe(view, hide_index=True, height=420)
        r1, r2 = st.columns(2)
        r1.download_button("导出明细 CSV", to_csv(view), f"{ds.label}明细.csv",
                           "text/csv", key="dl_rec_csv", on_click=audited(f"{ds.label}明细", view, "csv"))
        r2.download_button("导出明细 Excel", to_xlsx(view, f"{ds.label}明细"), f"{ds.label}明细.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_rec_xlsx",
                           on_click=audited(f"{ds.label}明细", view, "xlsx"))

with tab_sql:
    if conn.unavailable("sql"):
        st.stop()                   # the last tab: nothing below it
    st.caption("只读：只能查询看板数据表 " + "、".join(sqlguard.VIEWS) + "（已按您的权限限定范围"
               + ("、个人信息已脱敏" if user.role.personal == "masked" else "、不含个人信息" if user.role.personal == "none"
                  else "") + "）；不能写入、挂载数据库或读取文件；最多返回 10,000 行，单次查询限时 10 秒。")
    sql_box, col_box = st.columns([3, 1])
    with col_box:
        st.markdown("**可查询的表和字段**")
        for table, cols_ in data.sql_columns(user).items():
            with st.expander(f"{table}（{labels.TABLES.get(table, table)}）"):
                st.markdown("  \n".join(f"`{c}` {COLUMN_LABEL.get(c, '')} · {t}" for c, t in cols_))
    sql = sql_box.text_area("SQL", "select g.street, count(*) as 事件数\nfrom events e join grids g using (grid_id)\n"
                       "group by g.street\norder by 2 desc", height=140, key="sql")
    if st.button("执行查询", key="run_sql", type="primary"):
        try:
            df, truncated = explore.run_sql(db_path(), sql, user=user)
            auth.log("sql", {"query": sql, "rows": len(df)})
            st.dataframe(fmt.readable(df), hide_index=True)
            st.caption(f"{len(df):,} 行" + ("（已截断到 10,000 行）" if truncated else ""))
        except explore.QueryRefused as e:
            auth.log("refused", {"via": "sql", "query": sql, "reason": str(e)}, ok=False)
            first, _, detail = str(e).partition("\n")
            st.error(first)
            if detail.strip():
                st.code(detail.strip("\n"), language=None)
