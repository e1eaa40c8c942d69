"""Entry point: page config, navigation, the shared store connection. No SQL here."""
from __future__ import annotations

import streamlit as st

from metrics import labels
from ui.nav import PAGES

st.set_page_config(page_title=labels.APP_TITLE, page_icon=":material/grid_view:", layout="wide")

groups: dict[str, list] = {}
for i, spec in enumerate(PAGES):
    groups.setdefault(spec.group, []).append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=(i == 0)))
st.navigation(groups).run()
