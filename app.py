"""Entry point: page config, login, navigation for the user's role and the shared sidebar filters. No SQL here."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from data import store
from metrics import labels
from ui import auth, conn, empty_store, warm
from ui import filters as flt
from ui.nav import PAGES, pages_for

ICON = Path(__file__).resolve().parent / "static" / "favicon.png"   # local: no icon CDN


st.set_page_config(page_title=labels.APP_TITLE, page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if flt.kiosk() else "auto")

try:        # the first opening upgrades a store made by an older release (data/store.py); say so when it cannot
    conn.store_cursor().close()
except (store.StoreTooNew, store.StoreNeedsUpgrade) as e:
    st.error(str(e))
    st.stop()
warm.start()        # GRIDGOV_WARM=1 (make run): the shared ranking of 上月 is computed after each import, in the background

user = auth.current_user()
if auth.display_token():
    # a display link: the kiosk scoreboard and nothing else, read-only; a revoked or expired link shows only that
    if user is None:
        st.navigation([st.Page("app_pages/scoreboard.py", title="大屏", url_path="scoreboard", default=True)],
                      position="hidden")
        st.title(labels.APP_TITLE)
        st.warning("该大屏显示链接已失效或已被撤销，请联系管理员重新生成。")
        st.stop()
    st.session_state["_user"] = user
    st.session_state["_filters"] = None
    page = st.navigation([st.Page("app_pages/scoreboard.py", title="街道排名", url_path="scoreboard", default=True)],
                         position="hidden")
    st.html(flt.KIOSK_CHROME_CSS)
    with conn.guard():
        page.run()
    st.stop()
if user is None:
    # Register every page (hidden) so a deep link keeps its page and query through the login, but run only the
    # login form: after st.rerun() the requested page opens if the user's role may see it.
    st.navigation([st.Page(spec.file, title=spec.title, url_path=spec.url_path, default=(i == 0))
                   for i, spec in enumerate(PAGES)],
                  position="hidden")
    auth.login_page()
    st.stop()
st.session_state["_user"] = user
auth.hand_over_cookie()

groups: dict[str, list] = {}
for i, spec in enumerate(pages_for(user)):
    groups.setdefault(spec.group, []).append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=(i == 0)))

if flt.kiosk():
    # big screen: no sidebar, header or toolbar; the page decides what to show
    page = st.navigation(groups, position="hidden")
    st.html(flt.KIOSK_CHROME_CSS)
    st.session_state["_filters"] = None
else:
    page = st.navigation(groups, expanded=True)  # every page listed: admins have 14, the default folds after 10
    with st.sidebar:
        st.caption(f"{user.name} · {user.role.label}"
                   + ("" if user.scope is None else f" · 范围：{'、'.join(user.scope)}"))
        if st.button("退出登录", key="logout"):
            auth.logout()
            st.rerun()
    with conn.guard():
        st.session_state["_filters"] = flt.sidebar(user.scope)
spec = next((p for p in PAGES if p.url_path == page.url_path), None)
if spec is not None and spec.store_only and conn.unavailable(spec.store_only):
    st.stop()                       # a page of the DuckDB store itself, on a distributed engine: said, not run
with conn.guard():
    empty_store.gate(user, page)    # an empty store: the demo or the import page, never a dashboard of dashes
    page.run()
