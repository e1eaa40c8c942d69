"""Entry point: page config, navigation, the shared store connection. No SQL here."""
from __future__ import annotations

import streamlit as st

from metrics import labels

st.set_page_config(page_title=labels.APP_TITLE, page_icon=":material/grid_view:", layout="wide")

pages = [
    st.Page("pages/status.py", title="数据状态", icon=":material/database:", default=True),
]
st.navigation(pages).run()
