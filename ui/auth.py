"""Login, the session's user, expiry and rate limiting, for app.py. Accounts and roles: access/accounts.py."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from access import accounts, audit
from access.accounts import User

from .conn import db_path


def config() -> accounts.AccountsConfig:
    return accounts.load()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:                        # no secrets file: OIDC is simply not configured
        return False


def log(action: str, detail: dict | None = None, ok: bool = True, user: User | None = None,
        username: str | None = None) -> None:
    u = user or current_user(touch=False)
    audit.record(action, username or (u.username if u else None), u.role.id if u else None, detail, ok,
                 store_path=db_path())


def current_user(touch: bool = True) -> User | None:
    """The logged-in user, or None (never logged in, or idle past the timeout)."""
    state = st.session_state.get("_auth")
    if not state:
        return None
    cfg = config()
    if time.time() - state["last"] > cfg.timeout_minutes * 60:
        st.session_state.pop("_auth", None)
        st.session_state["_auth_msg"] = "会话已超时，请重新登录。"
        return None
    if touch:
        state["last"] = time.time()
    try:
        return accounts.user_of(cfg, state["username"])
    except KeyError:                         # the account was removed meanwhile
        st.session_state.pop("_auth", None)
        return None


def login(username: str, password: str) -> tuple[User | None, str | None]:
    """Check a login with rate limiting; record the attempt. Returns (user, error message in Chinese)."""
    cfg = config()
    username = username.strip()
    if audit.recent_failures(username, cfg.lockout_minutes, store_path=db_path()) >= cfg.max_failures:
        audit.record("login_locked", username, None, {"reason": "too many failures"}, False, store_path=db_path())
        return None, f"该账户连续登录失败次数过多，已临时锁定，请 {cfg.lockout_minutes} 分钟后再试。"
    user = accounts.verify(cfg, username, password)
    if user is None:
        audit.record("login_failed", username, None, {}, False, store_path=db_path())
        return None, "用户名或密码错误。"
    st.session_state["_auth"] = {"username": user.username, "last": time.time()}
    audit.record("login", user.username, user.role.id, {}, True, store_path=db_path())
    return user, None


def logout() -> None:
    u = current_user(touch=False)
    if u:
        log("logout", user=u)
    st.session_state.pop("_auth", None)


def login_page() -> None:
    cfg = config()
    st.title("网格化服务管理 · 综治指标看板")
    st.subheader("登录")
    if msg := st.session_state.pop("_auth_msg", None):
        st.warning(msg)
    with st.form("login"):
        username = st.text_input("用户名", key="login_user")
        password = st.text_input("密码", type="password", key="login_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        user, error = login(username, password)
        if user is None:
            st.warning(error)
        else:
            st.rerun()
    if _oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            email = getattr(st.user, "email", None)
            mapped = cfg.oidc_users.get(email)
            if mapped in cfg.accounts:
                st.session_state["_auth"] = {"username": mapped, "last": time.time()}
                audit.record("login", mapped, cfg.accounts[mapped][1], {"via": "oidc", "email": email}, True,
                             store_path=db_path())
                st.rerun()
            st.warning(f"统一身份认证账号 {email} 未在看板中授权，请联系管理员。")
        st.button("使用统一身份认证登录", on_click=st.login)
    if cfg.demo_mode:
        st.info("演示模式：可使用以下演示账户登录（正式部署前须更换账户并关闭演示模式）。")
        st.dataframe(pd.DataFrame([
            {"用户名": u, "密码": cfg.demo_passwords.get(u, "—"), "角色": cfg.roles[role].label,
             "可见街道": "、".join(streets) if streets else "全部", "姓名": name}
            for u, (name, role, streets, _) in cfg.accounts.items()]), hide_index=True)
