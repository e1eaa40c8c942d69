"""会话与大屏 (admins): who is signed in (revoke a session), and the big screen's display links (create, revoke)."""
from urllib.parse import urlencode, urlparse

import pandas as pd
import streamlit as st

from access import sessions
from ui import auth, data
from ui import filters as flt
from ui.conn import db_path

user = st.session_state.get("_user")
if user is None or not user.role.admin:
    st.error("仅管理员可管理会话与大屏链接。")
    st.stop()


def _when(t) -> str:
    return "—" if t is None else f"{t:%Y-%m-%d %H:%M}"


st.title("会话与大屏链接")
st.caption("登录后，刷新页面、从“查看记录”打开新标签页或大屏断线重连都保持登录，直到退出、空闲超时或在此撤销。")

st.subheader("大屏显示链接")
st.caption("显示链接只打开大屏排名（只读，不能切换到其他页面），到期或撤销后立即失效。链接只在生成时显示一次。")
with st.form("display_link"):
    c1, c2, c3 = st.columns([2, 2, 1])
    label = c1.text_input("放置位置", placeholder="例如：三楼会议室", key="dl_label")
    streets = c2.multiselect("显示的街道", sorted(data.hierarchy()["street"].unique()), key="dl_streets", select_all=False,
                             placeholder="全部街道")
    days = c3.number_input("有效天数", 1, 365, 30, key="dl_days")
    c4, c5 = st.columns(2)
    period = c4.selectbox("统计期", flt.PRESETS[:-1], index=1, key="dl_period")
    every = c5.number_input("每屏停留秒数", 5, 300, 15, key="dl_every")
    made = st.form_submit_button("生成显示链接", type="primary")
if made:
    token = auth.create_display_link(label.strip() or "大屏", streets, int(days))
    origin = urlparse(st.context.url or "")
    base = f"{origin.scheme}://{origin.netloc}" if origin.netloc else ""
    st.success("已生成。请复制下面的链接到大屏浏览器（只显示这一次）：")
    st.code(f"{base}/?{urlencode({'display': token, 'period': period, 'every': int(every)})}",
            language=None)

links = sessions.listing("display", store_path=db_path())
if not links:
    st.info("当前没有有效的显示链接。", icon=":material/info:")
for s in links:
    c1, c2 = st.columns([5, 1])
    c1.markdown(f"**{s.label or '大屏'}** · 街道：{'、'.join(s.streets) if s.streets else '全部'} · "
                f"创建人 {s.username} · 创建于 {_when(s.created_at)} · 最近访问 {_when(s.last_seen_at)} · "
                f"有效至 {_when(s.expires_at)}")
    if c2.button("撤销", key=f"revoke_{s.token_sha256}"):
        auth.revoke(s.token_sha256, "display")
        st.rerun()

st.subheader("登录会话")
mine = (st.session_state.get("_auth") or {}).get("sid")
rows = sessions.listing("login", store_path=db_path())
st.dataframe(pd.DataFrame({
    "用户": [s.username for s in rows], "登录时间": [_when(s.created_at) for s in rows],
    "最近活动": [_when(s.last_seen_at) for s in rows], "最迟有效至": [_when(s.expires_at) for s in rows],
    "当前会话": ["是" if mine and sessions.digest(mine) == s.token_sha256 else "否" for s in rows],
}), hide_index=True)
choice = st.selectbox("撤销会话", [s.token_sha256 for s in rows], index=None, key="revoke_login",
                      placeholder="选择要撤销的会话",
                      format_func=lambda k: next(f"{s.username} · 登录于 {_when(s.created_at)}"
                                                 for s in rows if s.token_sha256 == k))
if choice and st.button("撤销所选会话", key="revoke_login_go"):
    auth.revoke(choice, "login")
    st.rerun()
