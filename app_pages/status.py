"""数据状态: what the store holds and where it came from — real counts, nothing invented."""
import pandas as pd
import streamlit as st

from data import store
from metrics import labels
from ui.conn import cursor

st.title("数据状态")
st.caption(f"数据库：{store.default_db_path().name}（DuckDB，只读打开）")

counts = store.table_counts(cursor())
cols = st.columns(4)
for i, key in enumerate(["grids", "events", "relief", "patrols"]):
    cols[i].metric(labels.TABLES[key], f"{counts[key]:,}")

st.subheader("各表行数")
st.dataframe(pd.DataFrame({"数据表": [labels.TABLES[t] for t in counts], "表名": list(counts),
                           "行数": list(counts.values())}), hide_index=True, width="stretch")

st.subheader("最近导入")
history = store.import_history(cursor())
if history.empty:
    st.info("尚无导入记录。用 `python cli.py demo` 生成演示数据，或 `python cli.py ingest` 导入文件。")
else:
    history["kind"] = history["kind"].map(lambda k: labels.KINDS.get(k, k))
    st.dataframe(history.rename(columns=labels.IMPORT_HISTORY_COLUMNS), hide_index=True, width="stretch")
