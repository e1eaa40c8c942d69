"""The audit log: a DuckDB file beside the store (<store>.audit.duckdb), written by the app and read by admins."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from data.store import SQL_DIR, default_db_path

_LOCK = threading.Lock()


def audit_path(store_path: str | Path | None = None) -> Path:
    p = Path(store_path) if store_path is not None else default_db_path()
    return p.with_name(p.name + ".audit.duckdb") if p.suffix != ".duckdb" else p.with_suffix(".audit.duckdb")


def _connect(path: Path, wait_seconds: float = 5.0):
    """The audit file, read-write. Another process (the CLI's unlock or publish, a second dashboard) may hold it for
    a moment: wait for it rather than fail a login with a lock traceback."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
    for script in sorted((SQL_DIR / "audit").glob("*.sql")):     # audit_log, sessions: create-if-missing
        con.execute(script.read_text(encoding="utf-8"))
    return con


def record(action: str, username: str | None, role: str | None, detail: dict | None = None, ok: bool = True,
           store_path=None) -> None:
    with _LOCK:
        con = _connect(audit_path(store_path))
        try:
            con.execute("insert into audit_log values (?, ?, ?, ?, ?, ?)",
                        [datetime.now().replace(microsecond=0), username, role, action,
                         json.dumps(detail or {}, ensure_ascii=False, default=str), ok])
        finally:
            con.close()


def recent_failures(username: str, minutes: int, store_path=None) -> int:
    """Failed logins for a username since its last success, within the last `minutes`."""
    with _LOCK:
        con = _connect(audit_path(store_path))
        try:
            since = datetime.now() - timedelta(minutes=minutes)
            return con.execute(
                "select count(*) from audit_log where username = ? and action = 'login_failed' and logged_at >= ? "
                "and logged_at > coalesce((select max(logged_at) from audit_log where username = ? and action = 'login'), "
                "timestamp '1970-01-01')", [username, since, username]).fetchall()[0][0]
        finally:
            con.close()


def login_failures(username: str, client: str, minutes: int, store_path=None) -> dict:
    """Failed logins within the last `minutes`: from `client` on any account ("client"), from `client` on this
    account since its last success or unlock ("pair"), on this account from anywhere since then ("account"), and
    whether a console unlock of this account lies within the window ("unlocked"). Times have whole seconds: a
    failure in the same second as the reset counts (the safe side)."""
    with _LOCK:
        con = _connect(audit_path(store_path))
        try:
            since = datetime.now() - timedelta(minutes=minutes)
            row = con.execute(
                "with w as (select * from audit_log where logged_at >= $since), "
                "reset as (select coalesce(max(logged_at), timestamp '1970-01-01') t from audit_log "
                "          where username = $u and action in ('login', 'unlock')) "
                "select count(*) filter (where action = 'login_failed' and json_extract_string(detail, '$.client') = $c), "
                "count(*) filter (where action = 'login_failed' and username = $u "
                "                 and json_extract_string(detail, '$.client') = $c and logged_at >= (select t from reset)), "
                "count(*) filter (where action = 'login_failed' and username = $u and logged_at >= (select t from reset)), "
                "count(*) filter (where action = 'unlock' and username = $u) "
                "from w", {"since": since, "u": username, "c": client}).fetchall()[0]
            return {"client": row[0], "pair": row[1], "account": row[2], "unlocked": row[3] > 0}
        finally:
            con.close()


def entries(limit: int = 500, store_path=None) -> pd.DataFrame:
    with _LOCK:
        con = _connect(audit_path(store_path))
        try:
            return con.execute("select * from audit_log order by logged_at desc limit ?", [limit]).df()
        finally:
            con.close()
