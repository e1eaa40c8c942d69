"""数据状态: what the store holds and where it came from — real counts, nothing invented."""
import pandas as pd
import streamlit as st

from data import store
from metrics import labels
from ui import conn
from ui.conn import cursor

st.title("数据状态")
st.caption(f"数据来源：{conn.engine_label()}（只读）")

user = st.session_state.get("_user")
counts = store.table_counts(cursor())
if user is not None and user.scope is not None:
    # street staff: the rows of their streets, counted through the same scoped views the SQL tab reads
    from access.sqlguard import scoped_counts

    scoped = scoped_counts(cursor(), user)
    counts = {t: scoped[t] for t in counts if t in scoped}
    st.caption(f"以下为您权限范围（{'、'.join(user.scope)}）内的数据量。")
cols = st.columns(4)
for i, key in enumerate(["grids", "events", "relief", "patrols"]):
    cols[i].metric(labels.TABLES[key], f"{counts[key]:,}")

st.subheader("各表行数")
st.dataframe(pd.DataFrame({"数据表": [labels.TABLES[t] for t in counts], "表名": list(counts),
                           "行数": list(counts.values())}), hide_index=True, width="stretch")

st.subheader("最近导入")
history = store.import_history(cursor())
if user is not None and user.scope is not None:
    # an import's row counts are the district's: staff see when and what was imported, not how much
    history = history[[c for c in ("imported_at", "kind", "file_name") if c in history]]
if history.empty:
    st.info("尚无导入记录。用 `python cli.py demo` 生成演示数据，或 `python cli.py ingest` 导入文件。")
else:
    history["kind"] = history["kind"].map(lambda k: labels.KINDS.get(k, k))
    st.dataframe(history.rename(columns=labels.IMPORT_HISTORY_COLUMNS), hide_index=True, width="stretch")
