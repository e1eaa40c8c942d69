"""An empty store (first start, or `streamlit run app.py` on a missing file): the admin is offered the demo data
or the import page; everyone else is told what an admin has to import. No page runs on an empty store."""
from __future__ import annotations

import streamlit as st

from data.columns import KINDS

from . import conn, data

IMPORT_ORDER = "、".join(KINDS[k].label for k in ("grids", "workers", "events", "relief", "patrols"))


def gate(user, page) -> None:
    """Stop the run with guidance when the store has no grids; the admin's import page still opens."""
    if not data.hierarchy().empty:
        return
    st.title("数据库中还没有数据")
    if conn.unavailable("demo"):                # a distributed engine: nothing to import or generate here
        st.stop()
    if not user.role.admin:
        st.info(f"请联系管理员在“数据导入”页依次导入{IMPORT_ORDER}（网格先导入），导入后本页即显示指标。")
        st.stop()
    if getattr(page, "url_path", "") == "data_import":
        return
    st.info(f"请在“数据导入”页依次导入{IMPORT_ORDER}（网格先导入）；或先生成一套演示数据看一看。")
    if st.button("生成演示数据", key="make_demo", type="primary"):
        from data import demo, storefile

        from .conn import db_path

        with st.spinner("正在生成演示数据…"), storefile.writing(db_path()) as w:
            demo.generate(w.con)
        st.rerun()
    st.page_link("app_pages/data_import.py", label="前往 数据导入", icon=":material/upload_file:")
    st.stop()
