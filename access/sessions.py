"""Server-side sessions behind the login cookie, and the big screen's display links.

A login creates a random token; the browser keeps it in a signed, HttpOnly, SameSite=Strict cookie (set by the
/api/session/claim route in serve.py, since a Streamlit script cannot set an HttpOnly cookie), and only the token's
SHA-256 is stored here, in the audit DuckDB beside the store. A token is worth something only while its row is live:
not revoked (logout, or an admin), not idle longer than the configured timeout (logins), not past its absolute
expiry. A display link is the same kind of row with kind='display': it opens the kiosk scoreboard and nothing else.
Streamlit-free, so the CLI and the tests use it as the app does.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import audit

COOKIE = "gg_session"
CLAIM_SECONDS = 60          # a login's one-time claim code must reach the cookie route within this
TOUCH_SECONDS = 60          # last_seen_at is written at most once a minute per session
CACHE_SECONDS = 5           # a revocation by another process (CLI) shows within this

_cache: dict[str, tuple[float, Session | None]] = {}
_claims: dict[str, tuple[str, float]] = {}     # one-time claim code → (token, deadline); in-process only
_lock = threading.Lock()


@dataclass(frozen=True)
class Session:
    token_sha256: str
    kind: str               # login · display
    username: str
    label: str | None
    streets: tuple | None   # display links: the streets shown (None = all)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _run(sql: str, params: list | None = None, store_path=None) -> list:
    with audit._LOCK:
        con = audit._connect(audit.audit_path(store_path))
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


_secrets: dict[tuple, bytes] = {}     # audit file (path, inode) → its key: made once, never changed


def secret(store_path=None) -> bytes:
    """The cookie-signing key: GRIDGOV_COOKIE_SECRET, else one made once and kept in the audit file. Remembered per
    audit file: every cookie check reads it, and opening the audit file (shared with the other app processes under a
    file lock) cost each new session ~30 ms."""
    env = os.environ.get("GRIDGOV_COOKIE_SECRET")
    if env:
        return env.encode()
    path = audit.audit_path(store_path)
    key = (str(path), path.stat().st_ino if path.exists() else None)
    if key[1] is not None and key in _secrets:
        return _secrets[key]
    rows = _run("select value from secrets where name = 'cookie'", store_path=store_path)
    if not rows:
        value = secrets.token_hex(32)
        _run("insert into secrets values ('cookie', ?) on conflict do nothing", [value], store_path=store_path)
        rows = _run("select value from secrets where name = 'cookie'", store_path=store_path)
    value = rows[0][0].encode()
    _secrets[(str(path), path.stat().st_ino)] = value
    return value


def sign(token: str, store_path=None) -> str:
    mac = hmac.new(secret(store_path), token.encode(), hashlib.sha256).hexdigest()
    return f"{token}.{mac}"


def unsign(cookie: str | None, store_path=None) -> str | None:
    """The token in a signed cookie value, or None when the value is missing or its signature is wrong."""
    if not cookie or "." not in cookie:
        return None
    token, mac = cookie.rsplit(".", 1)
    good = hmac.new(secret(store_path), token.encode(), hashlib.sha256).hexdigest()
    return token if hmac.compare_digest(mac, good) else None


def create(kind: str, username: str, lifetime: timedelta, label: str | None = None, streets=None,
           store_path=None) -> str:
    """A new session or display link; returns its token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    _run("insert into sessions values (?, ?, ?, ?, ?, ?, ?, ?, null, null)",
         [_digest(token), kind, username, label, None if streets is None else json.dumps(list(streets),
                                                                                        ensure_ascii=False),
          now, now, now + lifetime], store_path=store_path)
    return token


def _row(r) -> Session:
    return Session(r[0], r[1], r[2], r[3], None if r[4] is None else tuple(json.loads(r[4])), r[5], r[6], r[7], r[8])


_COLS = "token_sha256, kind, username, label, streets, created_at, last_seen_at, expires_at, revoked_at"


def live(token: str | None, kind: str, idle_minutes: int | None = None, touch: bool = True,
         store_path=None) -> Session | None:
    """The live session of a token: right kind, not revoked, not expired, not idle past `idle_minutes`."""
    if not token:
        return None
    key = _digest(token)
    now = time.time()
    with _lock:
        hit = _cache.get(key)
    if hit and now - hit[0] < CACHE_SECONDS:
        s = hit[1]
    else:
        s = _live_sessions(store_path).get(key)
        if s is None:           # revoked, expired, or created in another process since the snapshot: ask
            rows = _run(f"select {_COLS} from sessions where token_sha256 = ?", [key], store_path=store_path)
            s = _row(rows[0]) if rows else None
        with _lock:
            _cache[key] = (now, s)
    if s is None or s.kind != kind or s.revoked_at is not None:
        return None
    at = _now()
    if at >= s.expires_at:
        return None
    if idle_minutes is not None and at - s.last_seen_at > timedelta(minutes=idle_minutes):
        return None
    if touch and (at - s.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        _run("update sessions set last_seen_at = ? where token_sha256 = ?", [at, key], store_path=store_path)
        s = Session(*[at if f == "last_seen_at" else getattr(s, f) for f in Session.__dataclass_fields__])
        with _lock:
            _cache[key] = (time.time(), s)
    return s


_snapshots: dict[str, tuple[float, dict]] = {}
_refreshing = threading.Lock()


def forget() -> None:
    """Drop what this process remembers of the sessions (as CACHE_SECONDS passing does): for tests."""
    with _lock:
        _cache.clear()
        _snapshots.clear()


def _live_sessions(store_path=None) -> dict:
    """Every unrevoked, unexpired session by digest, read at most every CACHE_SECONDS per audit file: twenty people
    opening the link at once cost one opening of the audit file (shared with the other app processes under a file
    lock, ~30 ms each), not twenty."""
    path = str(audit.audit_path(store_path))
    with _lock:
        hit = _snapshots.get(path)
    if hit and time.time() - hit[0] < CACHE_SECONDS:
        return hit[1]
    with _refreshing:           # twenty sessions arriving together: one reads, the others use what it read
        with _lock:
            hit = _snapshots.get(path)
        if hit and time.time() - hit[0] < CACHE_SECONDS:
            return hit[1]
        now = time.time()
        rows = _run(f"select {_COLS} from sessions where revoked_at is null and expires_at > ?", [_now()],
                    store_path=store_path)
        got = {r[0]: _row(r) for r in rows}
        with _lock:
            _snapshots[path] = (now, got)
        return got


def revoke(token_sha256: str, by: str, store_path=None) -> None:
    _run("update sessions set revoked_at = ?, revoked_by = ? where token_sha256 = ? and revoked_at is null",
         [_now(), by, token_sha256], store_path=store_path)
    with _lock:
        _cache.pop(token_sha256, None)
        for _, snap in _snapshots.values():
            snap.pop(token_sha256, None)


def revoke_token(token: str, by: str, store_path=None) -> None:
    revoke(_digest(token), by, store_path=store_path)


def listing(kind: str, store_path=None) -> list[Session]:
    """Sessions (or display links) not yet revoked or expired, newest first."""
    rows = _run(f"select {_COLS} from sessions where kind = ? and revoked_at is null and expires_at > ? "
                "order by created_at desc", [kind, _now()], store_path=store_path)
    return [_row(r) for r in rows]


def digest(token: str) -> str:
    return _digest(token)


# ----------------------------------------------------------------------------------- the cookie hand-over
# The login happens over Streamlit's WebSocket, which cannot set a cookie. The page then posts a one-time claim code
# to /api/session/claim (serve.py); the route answers with the Set-Cookie. The code lives in this process's memory
# for CLAIM_SECONDS, so it cannot be replayed later or from another server process.

def new_claim(token: str) -> str:
    code = secrets.token_urlsafe(24)
    with _lock:
        for c in [c for c, (_, deadline) in _claims.items() if deadline < time.time()]:
            _claims.pop(c, None)
        _claims[code] = (token, time.time() + CLAIM_SECONDS)
    return code


def redeem_claim(code: str) -> str | None:
    with _lock:
        hit = _claims.pop(code, None)
    if hit is None or hit[1] < time.time():
        return None
    return hit[0]
