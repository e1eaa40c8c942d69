"""Server-side sessions and display links (access/sessions.py), the cookie route (serve.py) and the app's use of
both: a cookie brings a new Streamlit session back signed in; logout, revocation, idle and absolute expiry end it;
a display link opens the kiosk scoreboard and nothing else, and stops once revoked."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from access import audit, sessions


@pytest.fixture
def store(tmp_path):
    sessions.forget()
    return tmp_path / "s.duckdb"


def test_a_session_lives_until_revoked(store):
    token = sessions.create("login", "analyst", timedelta(hours=12), store_path=store)
    s = sessions.live(token, "login", 30, store_path=store)
    assert s.username == "analyst" and s.kind == "login" and s.streets is None
    # only the digest is kept: the token itself appears nowhere in the file's table
    rows = sessions._run("select token_sha256 from sessions", store_path=store)
    assert rows == [(sessions.digest(token),)] and token not in rows[0][0]
    assert sessions.live(token, "display", store_path=store) is None          # a login is not a display link
    assert sessions.live("x" + token, "login", 30, store_path=store) is None  # unknown token
    sessions.revoke_token(token, by="admin", store_path=store)
    assert sessions.live(token, "login", 30, store_path=store) is None
    assert sessions.listing("login", store_path=store) == []


def test_idle_and_absolute_expiry(store):
    token = sessions.create("login", "leader", timedelta(hours=12), store_path=store)
    key = sessions.digest(token)
    sessions._run("update sessions set last_seen_at = ? where token_sha256 = ?",
                  [datetime.now() - timedelta(minutes=31), key], store_path=store)
    sessions.forget()
    assert sessions.live(token, "login", 30, store_path=store) is None        # idle 31 min > 30
    assert sessions.live(token, "login", 40, store_path=store) is not None    # within a longer timeout
    sessions._run("update sessions set expires_at = ? where token_sha256 = ?",
                  [datetime.now() - timedelta(seconds=1), key], store_path=store)
    sessions.forget()
    assert sessions.live(token, "login", 40, store_path=store) is None        # past the absolute expiry


def test_activity_moves_last_seen(store):
    token = sessions.create("login", "leader", timedelta(hours=12), store_path=store)
    old = datetime.now().replace(microsecond=0) - timedelta(minutes=5)
    sessions._run("update sessions set last_seen_at = ?", [old], store_path=store)
    sessions.forget()
    s = sessions.live(token, "login", 30, store_path=store)
    assert s.last_seen_at > old
    assert sessions._run("select last_seen_at from sessions", store_path=store)[0][0] == s.last_seen_at


def test_cookie_signature(store):
    token = sessions.create("login", "admin", timedelta(hours=1), store_path=store)
    cookie = sessions.sign(token, store_path=store)
    assert sessions.unsign(cookie, store_path=store) == token
    forged = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
    assert sessions.unsign(forged, store_path=store) is None
    assert sessions.unsign(token, store_path=store) is None                    # unsigned token
    assert sessions.unsign(None, store_path=store) is None
    # the key is made once and kept: the same cookie verifies after a "restart" (a fresh read of the key)
    assert sessions.secret(store_path=store) == sessions.secret(store_path=store)


def test_claim_is_one_time_and_short_lived():
    code = sessions.new_claim("tok")
    assert sessions.redeem_claim(code) == "tok"
    assert sessions.redeem_claim(code) is None
    late = sessions.new_claim("tok2")
    sessions._claims[late] = ("tok2", time.time() - 1)
    assert sessions.redeem_claim(late) is None


def _post(app_route, body: bytes, scheme="http"):
    from starlette.requests import Request

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}
    scope = {"type": "http", "method": "POST", "path": "/api/session/claim", "headers": [], "query_string": b"",
             "scheme": scheme, "server": ("127.0.0.1", 8501)}
    return asyncio.run(app_route(Request(scope, receive)))


def test_claim_route_sets_an_httponly_strict_cookie(store, monkeypatch):
    monkeypatch.setenv("GRIDGOV_DB", str(store))
    import serve

    token = sessions.create("login", "admin", timedelta(hours=12), store_path=store)
    code = sessions.new_claim(token)
    resp = _post(serve.claim, code.encode())
    assert resp.status_code == 204
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}={sessions.sign(token, store_path=store)};")
    low = cookie.lower()
    assert "httponly" in low and "samesite=strict" in low and "max-age=43200" in low and "secure" not in low
    assert _post(serve.claim, code.encode()).status_code == 403               # the code is spent
    assert "secure" in _post(serve.claim, sessions.new_claim(token).encode(), "https").headers["set-cookie"].lower()


def test_login_logout_and_admin_revocation_in_the_app(app, demo_db):
    from streamlit.testing.v1 import AppTest

    from access import accounts
    from tests.conftest import APP

    sessions.forget()
    pw = accounts.load().demo_passwords["leader"]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_user").input("leader")
    at.text_input(key="login_password").input(pw)
    at.button[0].click().run()
    sid = at.session_state["_auth"]["sid"]
    assert sessions.live(sid, "login", 30, store_path=demo_db).username == "leader"
    assert at.session_state["_user"].username == "leader"
    # an admin revokes it: the next run of that session is back on the login form
    sessions.revoke_token(sid, by="admin", store_path=demo_db)
    at.run()
    assert "_auth" not in at.session_state and any(t.value == "登录" for t in at.subheader)
    log = audit.entries(50, store_path=demo_db)
    assert "login" in set(log[log["username"] == "leader"]["action"])


def test_display_link_shows_the_kiosk_only_until_revoked(app, demo_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    sessions.forget()
    token = sessions.create("display", "admin", timedelta(days=1), label="三楼会议室", store_path=demo_db)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["display"] = token
    at.run()
    assert not at.exception
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "gg-k-title" in html and "六项综治业务指标" in html                 # the kiosk scoreboard
    assert not at.sidebar.children or not at.get("selectbox")                 # no filters, no navigation
    assert at.session_state["_user"].role.records is False
    sessions.revoke_token(token, by="admin", store_path=demo_db)
    sessions.forget()
    at.run()
    assert any("已失效或已被撤销" in w.value for w in at.warning)
    assert "gg-k-title" not in " ".join(h.proto.body for h in at.get("html"))


def test_admin_page_creates_and_revokes_a_display_link(app, demo_db):
    sessions.forget()
    at = app("app_pages/sessions.py")
    at.text_input(key="dl_label").input("大会议室")
    submit = [b for b in at.button if b.proto.label == "生成显示链接"][0]
    submit.click().run()
    code = at.code[0].value
    assert "/?display=" in code and "period=" in code
    token = code.split("display=")[1].split("&")[0]
    assert sessions.live(token, "display", store_path=demo_db).label == "大会议室"
    revoke = [b for b in at.button if b.key and b.key.startswith("revoke_")][0]
    revoke.click().run()
    sessions.forget()
    assert sessions.live(token, "display", store_path=demo_db) is None
