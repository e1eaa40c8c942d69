"""The server entry point: `streamlit run serve.py` serves app.py plus the one route a Streamlit script cannot
provide itself — /api/session/claim, which turns a fresh login into a signed, HttpOnly, SameSite=Strict cookie.

Why a route: st.context.cookies only reads cookies, and anything a page script could write (st.html with
JavaScript, a component) can only set a cookie that JavaScript can read, i.e. not HttpOnly. Streamlit 1.67's
st.App (Starlette) accepts extra routes that run in the same process as the app, so the route can redeem the
one-time code the login left in memory (access/sessions.py) and answer with a Set-Cookie. The WebSocket handshake
of every later page load (F5, a new tab from a 查看记录 link, a kiosk reconnecting) carries the cookie, and
ui/auth.py turns it back into the user while its server-side session is live. `streamlit run app.py` still works,
but a login then lasts only as long as its browser tab.
"""
import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from access import sessions
from data.store import default_db_path


async def claim(request: Request) -> Response:
    code = (await request.body()).decode("utf-8", "replace").strip()
    token = sessions.redeem_claim(code)
    if token is None:
        return Response("invalid or expired claim", status_code=403)
    response = Response(status_code=204)
    live = sessions.live(token, "login", touch=False, store_path=default_db_path())
    max_age = 0 if live is None else max(0, int((live.expires_at - live.created_at).total_seconds()))
    response.set_cookie(sessions.COOKIE, sessions.sign(token, store_path=default_db_path()), max_age=max_age,
                        path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


app = st.App("app.py", routes=[Route("/api/session/claim", claim, methods=["POST"])])
