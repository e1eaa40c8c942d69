"""审计日志 (admins): logins, failed logins and lockouts, imports, exports, SQL queries and refused attempts."""
import json

import pandas as pd
import streamlit as st

from access import accounts, audit
from ui import components as ui
from ui.conn import db_path

ACTIONS = {"login": "登录", "login_failed": "登录失败", "login_locked": "登录锁定", "logout": "退出", "import": "导入",
           "export": "导出", "sql": "SQL 查询", "refused": "越权尝试（已拒绝）",
           "display_opened": "打开大屏链接", "display_link_created": "生成大屏链接", "session_revoked": "撤销会话"}

def _plain(v) -> str:
    if isinstance(v, dict):
        return "，".join(f"{k}={_plain(x)}" for k, x in v.items()) or "—"
    if isinstance(v, (list, tuple)):
        return "、".join(_plain(x) for x in v) or "—"
    return "—" if v is None else str(v)


def _detail(d) -> str:
    """An entry's detail as 键：值；… (not raw JSON)."""
    if not d:
        return "—"
    items = json.loads(d)
    return "；".join(f"{k}：{_plain(v)}" for k, v in items.items()) if isinstance(items, dict) and items else "—"


user = st.session_state.get("_user")
if user is None or not user.role.admin:
    st.error("仅管理员可查看审计日志。")
    st.stop()
st.title("审计日志")
roles = accounts.load().roles
log = audit.entries(2000, store_path=db_path())
if log.empty:
    ui.empty("尚无审计记录。")
    st.stop()
kinds = st.multiselect("操作类型", list(ACTIONS), format_func=ACTIONS.get, key="audit_kinds", select_all=False, placeholder="全部")
if kinds:
    log = log[log["action"].isin(kinds)]
st.dataframe(pd.DataFrame({
    "时间": log["logged_at"], "用户": log["username"],
    "角色": log["role"].map(lambda r: roles[r].label if r in roles else (r or "—")),
    "操作": log["action"].map(lambda a: ACTIONS.get(a, a)),
    "结果": log["ok"].map({True: "成功", False: "拒绝/失败"}),
    "详情": [_detail(d) for d in log["detail"]],
}), hide_index=True, height=min(600, 38 + 35 * len(log)))
