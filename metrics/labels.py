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
