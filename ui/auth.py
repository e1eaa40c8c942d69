"""Login, the session's user, expiry and rate limiting, for app.py. Accounts and roles: access/accounts.py.

A login lives in a server-side session (access/sessions.py) and, once serve.py's route has set it, in a signed
HttpOnly cookie: a reload, a new tab or a reconnecting kiosk finds the cookie in the WebSocket handshake
(st.context.cookies) and is signed in again while the session is live (not logged out, not revoked by an admin,
not idle past the timeout, not older than LOGIN_LIFETIME). A display link (?display=<token>) is a separate,
read-only identity that opens only the kiosk scoreboard.
"""
from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pandas as pd
import streamlit as st

from access import accounts, audit, sessions
from access.accounts import Role, User

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


LOGIN_LIFETIME = timedelta(hours=12)     # a login ends after a working day even if it is never idle
DISPLAY_ROLE_ID = "display"


def display_token() -> str | None:
    """The display link's token when this page was opened through one (?display=…)."""
    return st.query_params.get("display") or None


def _display_user(token: str) -> User | None:
    s = sessions.live(token, "display", store_path=db_path())
    if s is None:
        return None
    role = Role(DISPLAY_ROLE_ID, "大屏显示", all_streets=s.streets is None, records=False, personal="none",
                admin=False)
    if not st.session_state.get("_display_logged"):
        st.session_state["_display_logged"] = True
        audit.record("display_opened", s.username, DISPLAY_ROLE_ID, {"label": s.label}, True, store_path=db_path())
    return User(f"display:{s.token_sha256[:8]}", s.label or "大屏", role, s.streets or ())


def _from_cookie(cfg) -> dict | None:
    """A new Streamlit session (reload, new tab, reconnect): the login cookie's live session, if any."""
    token = sessions.unsign(st.context.cookies.get(sessions.COOKIE), store_path=db_path())
    s = sessions.live(token, "login", cfg.timeout_minutes, store_path=db_path())
    if s is None:
        return None
    return {"sid": token, "username": s.username, "last": time.time()}


def current_user(touch: bool = True) -> User | None:
    """The signed-in user, or None (never signed in, logged out, revoked, or idle past the timeout).
    Through a display link: the display identity, or None once the link is revoked or expired."""
    token = display_token()
    if token:
        return _display_user(token)
    cfg = config()
    state = st.session_state.get("_auth")
    if not state:
        state = _from_cookie(cfg)
        if state is None:
            return None
        st.session_state["_auth"] = state
    elif "sid" in state:
        if sessions.live(state["sid"], "login", cfg.timeout_minutes, touch=touch, store_path=db_path()) is None:
            st.session_state.pop("_auth", None)
            st.session_state["_auth_msg"] = "会话已结束（超时、已退出或被管理员撤销），请重新登录。"
            return None
    elif time.time() - state["last"] > cfg.timeout_minutes * 60:
        # a session set up in process without a server-side row (AppTest, bench): idle timeout only
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


def _client() -> str:
    """Who is trying to log in, for throttling: the browser's IP address (a session id if Streamlit has none).
    Behind `make serve`'s nginx (GRIDGOV_BEHIND_PROXY=1) every connection comes from the proxy: the browser's address
    is the X-Real-IP header nginx sets (and overwrites, so a browser cannot choose it)."""
    if os.environ.get("GRIDGOV_BEHIND_PROXY") == "1":
        real = (getattr(st.context, "headers", None) or {}).get("X-Real-Ip")
        if real:
            return real
    ip = getattr(st.context, "ip_address", None)
    if isinstance(ip, str) and ip:          # (AppTest has no address)
        return ip
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx else '?'}"


def login(username: str, password: str) -> tuple[User | None, str | None]:
    """Check a login with rate limiting; record the attempt. Returns (user, error message in Chinese)."""
    cfg = config()
    username = username.strip()
    client = _client()
    if reason := accounts.throttled(cfg, username, client, store_path=db_path()):   # per client and per account
        audit.record("login_locked", username, None, {"reason": reason, "client": client}, False, store_path=db_path())
        return None, reason
    if accounts.demo_login(cfg, username, password):
        audit.record("login_refused", username, None, {"reason": "demo password", "client": client}, False,
                     store_path=db_path())
        return None, accounts.DEMO_DISABLED
    user = accounts.verify(cfg, username, password)
    if user is None:
        audit.record("login_failed", username, None, {"client": client}, False, store_path=db_path())
        return None, "用户名或密码错误。"
    _start_session(user.username)
    audit.record("login", user.username, user.role.id, {}, True, store_path=db_path())
    return user, None


def _start_session(username: str) -> None:
    token = sessions.create("login", username, LOGIN_LIFETIME, store_path=db_path())
    st.session_state["_auth"] = {"sid": token, "username": username, "last": time.time()}
    st.session_state["_claim"] = sessions.new_claim(token)


def hand_over_cookie() -> None:
    """Right after a login: the page posts the one-time claim code to serve.py's route, which sets the HttpOnly
    cookie. Without that route (`streamlit run app.py`) the post fails quietly and the login lasts as long as the tab."""
    code = st.session_state.pop("_claim", None)
    if code:
        st.html(f"<script>fetch('/api/session/claim', {{method: 'POST', body: {json.dumps(code)}, "
                "credentials: 'same-origin'}).catch(() => {});</script>", unsafe_allow_javascript=True)


def logout() -> None:
    u = current_user(touch=False)
    if u:
        log("logout", user=u)
    state = st.session_state.pop("_auth", None) or {}
    if state.get("sid"):
        sessions.revoke_token(state["sid"], by=state.get("username") or "", store_path=db_path())


def create_display_link(label: str, streets, days: int) -> str:
    """A display link's token (shown once); revocable on the 会话管理 page."""
    u = current_user(touch=False)
    token = sessions.create("display", u.username, timedelta(days=days), label=label,
                            streets=tuple(streets) if streets else None, store_path=db_path())
    log("display_link_created", {"label": label, "streets": list(streets or []), "days": days}, user=u)
    return token


def revoke(token_sha256: str, what: str) -> None:
    u = current_user(touch=False)
    sessions.revoke(token_sha256, by=u.username, store_path=db_path())
    log("session_revoked", {"what": what, "session": token_sha256[:8]}, user=u)


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
                _start_session(mapped)
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
