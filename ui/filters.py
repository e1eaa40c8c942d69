"""The global sidebar: period presets and the street → community → grid cascade, bound to the URL
(st.query_params via bind="query-params"), so a link reproduces the view."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from metrics.compute import Filters

from . import data

ALL = "全部"
PRESETS = ["本月", "上月", "本季度", "本年", "近12个月", "自定义"]


def today() -> date:
    return date.today()


def preset_range(preset: str, ref: date) -> tuple[date, date]:
    """The date range of a preset, relative to `ref` (today)."""
    first = ref.replace(day=1)
    if preset == "本月":
        return first, ref
    if preset == "上月":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "本季度":
        q = (ref.month - 1) // 3 * 3 + 1
        return ref.replace(month=q, day=1), ref
    if preset == "本年":
        return ref.replace(month=1, day=1), ref
    if preset == "近12个月":
        y, m = (ref.year - 1, ref.month + 1) if ref.month < 12 else (ref.year, 1)
        return date(y, m, 1), ref
    raise ValueError(preset)


def _cascade(h):
    streets = [ALL] + sorted(h["street"].unique())
    asked = st.query_params.get("street")
    if asked and asked not in streets and "street" not in st.session_state:
        # a link to a street outside this user's scope: refuse visibly and record it
        from . import auth

        auth.log("refused", {"reason": "street outside scope", "street": asked, "via": "url"}, ok=False)
        st.sidebar.warning(f"无权查看“{asked}”的数据，已显示您有权查看的范围。")
    street = st.sidebar.selectbox("街道", streets, key="street", bind="query-params", persist_state="session")
    sub = h if street == ALL else h[h["street"] == street]
    communities = [ALL] + sorted(sub["community"].unique())
    community = st.sidebar.selectbox("社区", communities, key="community", bind="query-params",
                                     persist_state="session", disabled=street == ALL)
    if community != ALL:
        sub = sub[sub["community"] == community]
    grids = [ALL] + list(sub["grid_id"])
    names = dict(zip(sub["grid_id"], sub["grid_name"]))
    grid = st.sidebar.selectbox("网格", grids, key="grid", bind="query-params", persist_state="session",
                                format_func=lambda g: g if g == ALL or not names.get(g) or names[g] == g else f"{names[g]}（{g}）",
                                disabled=community == ALL)
    return street, community, grid


def sidebar(scope: tuple | None = None) -> Filters:
    """Render the global filters and return them as a Filters value within the user's scope (None: all)."""
    st.sidebar.markdown("#### 筛选")
    preset = st.sidebar.selectbox("统计期", PRESETS, index=PRESETS.index("上月"), key="period",
                                  bind="query-params", persist_state="session")
    if preset == "自定义":
        d_from0, d_to0 = preset_range("上月", today())
        d_from = st.sidebar.date_input("开始日期", d_from0, key="from", bind="query-params", persist_state="session")
        d_to = st.sidebar.date_input("结束日期", d_to0, key="to", bind="query-params", persist_state="session")
        if d_to < d_from:
            st.sidebar.warning("结束日期早于开始日期，已对调。")
            d_from, d_to = d_to, d_from
    else:
        d_from, d_to = preset_range(preset, today())
    h = data.hierarchy()
    if scope is not None:
        h = h[h["street"].isin(scope)]
    street, community, grid = _cascade(h)
    return Filters(d_from, d_to, scope=scope,
                   streets=() if street == ALL else (street,),
                   communities=() if community == ALL else (community,),
                   grids=() if grid == ALL else (grid,))


def scope_label(f: Filters) -> str:
    """Where the figures are for: 崆峒区 / 东关街道 / 东关街道 · 东大街社区 …"""
    parts = [*f.streets, *f.communities, *f.grids]
    if not parts and f.scope is not None:
        parts = list(f.scope)
    return " · ".join(parts) if parts else "全区"


def level_of(f: Filters) -> str:
    """The next level down to compare units at: street, community or grid."""
    if f.grids or f.communities:
        return "grid"
    if f.streets:
        return "community"
    return "street"


def current() -> Filters:
    """The filters the entry point rendered for this run."""
    f = st.session_state.get("_filters")
    if f is None:
        raise RuntimeError("filters are rendered by app.py before the page runs")
    return f


def kiosk() -> bool:
    """The big-screen view: ?kiosk=1, or any page opened through a display link."""
    return st.query_params.get("kiosk") in ("1", "true", "yes") or bool(st.query_params.get("display"))


# big screen: no sidebar, header or toolbar; the page decides what to show
KIOSK_CHROME_CSS = ("<style>[data-testid='stHeader'],[data-testid='stSidebar'],[data-testid='stToolbar'],"
                    "[data-testid='stSidebarCollapsedControl'],[data-testid='stDecoration']"
                    "{display:none !important}</style>")
