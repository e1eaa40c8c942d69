"""The pages of the app, in menu order: app.py builds st.navigation from this list, and the AppTest and browser
tests walk the same list, so a page cannot exist without being registered and tested."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    file: str          # relative to the repository root
    title: str
    icon: str
    url_path: str
    group: str = "看板"
    admin_only: bool = False
    store_only: str = ""   # a feature of ui/conn.STORE_ONLY: the page needs the DuckDB store itself


PAGES = [
    PageSpec("app_pages/cockpit.py", "驾驶舱", ":material/dashboard:", "cockpit"),
    PageSpec("app_pages/scoreboard.py", "街道排名", ":material/leaderboard:", "scoreboard"),
    PageSpec("app_pages/map.py", "地图", ":material/map:", "map"),
    PageSpec("app_pages/events.py", "事件闭环", ":material/sync_alt:", "events"),
    PageSpec("app_pages/relief.py", "社会救助", ":material/volunteer_activism:", "relief"),
    PageSpec("app_pages/patrols.py", "网格巡查", ":material/directions_walk:", "patrols"),
    PageSpec("app_pages/explorer.py", "自助分析", ":material/query_stats:", "explorer", "分析"),
    PageSpec("app_pages/analysis.py", "研判", ":material/troubleshoot:", "analysis", "分析"),
    PageSpec("app_pages/funnel.py", "漏斗图", ":material/filter_alt:", "funnel", "分析"),
    PageSpec("app_pages/quality.py", "数据质量", ":material/fact_check:", "quality", "分析"),
    PageSpec("app_pages/data_import.py", "数据导入", ":material/upload_file:", "import", "数据", admin_only=True,
             store_only="import"),
    PageSpec("app_pages/audit.py", "审计日志", ":material/policy:", "audit", "数据", admin_only=True),
    PageSpec("app_pages/sessions.py", "会话与大屏", ":material/key:", "sessions", "数据", admin_only=True),
    PageSpec("app_pages/status.py", "数据状态", ":material/database:", "status", "数据"),
]


def pages_for(user) -> list[PageSpec]:
    """The pages a user may open (admin pages only for admins)."""
    return [p for p in PAGES if not p.admin_only or (user is not None and user.role.admin)]


def url_of(spec: PageSpec) -> str:
    """The URL path a page is served at: the first page is the app's default and lives at the root."""
    return "" if spec is PAGES[0] else spec.url_path
