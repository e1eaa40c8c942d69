"""The SQL tab's bounded worker: every user query runs in a short-lived child process with its own read-only DuckDB
connection, so one user's query cannot exhaust the server that everyone shares.

The budget (BUDGET) is enforced by the engine and the operating system, not by trust:
- memory: DuckDB `memory_limit` and no spilling to disk, plus an address-space rlimit on the whole child (the parser
  and Python are outside DuckDB's accounting);
- threads: DuckDB `threads = 1`;
- wall time INCLUDING parsing: the parent kills the child (SIGKILL) when it is not done in time; a timer in the child
  interrupts DuckDB first so the usual case ends with a clean message;
- result size: at most `rows` rows and `result_mb` MiB come back;
- query text: at most `max_chars` characters and `max_depth` nested parentheses (checked before anything parses it);
- at most `concurrent` queries run at once in a server process; a user runs one at a time.

Run as `python -m access.sqlworker`: reads one JSON request on stdin, writes one pickled reply on stdout.
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUDGET = {
    "seconds": 10.0,          # the query itself (DuckDB interrupt); the child is killed at seconds + startup_grace
    "startup_grace": 1.5,     # interpreter start and imports, measured ≈ 0.6 s on the 2-core server
    "memory_mb": 400,         # DuckDB memory_limit
    "address_space_mb": 1280, # rlimit on the whole child (DuckDB reserves virtual memory beyond what it uses)
    "threads": 1,
    "rows": 10_000,
    "result_mb": 32,
    "max_chars": 20_000,
    "max_depth": 64,
    "concurrent": 2,
}

_SLOTS = threading.BoundedSemaphore(BUDGET["concurrent"])
_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


class Refused(Exception):
    pass


def nesting_depth(sql: str) -> int:
    """The deepest parenthesis nesting outside string literals and quoted names."""
    depth = deepest = 0
    quote = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def precheck(sql: str, budget: dict = BUDGET) -> None:
    """Refusals that need no parsing: too long, nested too deep."""
    if len(sql) > budget["max_chars"]:
        raise Refused(f"查询语句过长（{len(sql):,} 个字符，上限 {budget['max_chars']:,}）。"
                      "请改用筛选条件或分组，不要罗列大量取值。")
    if nesting_depth(sql) > budget["max_depth"]:
        raise Refused(f"查询嵌套层数过多（上限 {budget['max_depth']} 层括号），请简化查询。")


def _user_json(user) -> dict:
    return {"username": user.username, "name": user.name, "streets": list(user.streets), "role": asdict(user.role)}


def _user_of(d: dict):
    from access.accounts import Role, User

    return User(d["username"], d["name"], Role(**d["role"]), tuple(d["streets"]))


def run(db: str | os.PathLike, sql: str, user, seconds: float | None = None, budget: dict | None = None):
    """Run `sql` for `user` in a bounded child process. Returns (DataFrame, truncated); Refused with a Chinese reason."""
    b = {**BUDGET, **(budget or {})}
    if seconds is not None:
        b["seconds"] = seconds
    precheck(sql, b)
    with _RUNNING_LOCK:
        if user.username in _RUNNING:
            raise Refused("您的上一条查询仍在运行，请等它结束后再试。")
        _RUNNING.add(user.username)
    try:
        if not _SLOTS.acquire(timeout=1.0):
            raise Refused("其他用户的查询正在运行，请稍后再试。")
        try:
            return _spawn(str(db), sql, user, b)
        finally:
            _SLOTS.release()
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(user.username)


def _spawn(db: str, sql: str, user, b: dict):
    request = json.dumps({"db": db, "sql": sql, "user": _user_json(user), "budget": b}, ensure_ascii=False)
    child = subprocess.Popen([sys.executable, "-m", "access.sqlworker"], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = child.communicate(request.encode("utf-8"), timeout=b["seconds"] + b["startup_grace"])
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise Refused(f"查询超过 {b['seconds']:g} 秒，已中止。请缩小范围或加上筛选条件。") from None
    if child.returncode != 0 or not out:
        # killed by the address-space limit or the kernel: the query needed more memory than a query may use
        raise Refused(f"查询所需内存超过上限（{b['memory_mb']} MB），已中止。请缩小范围或加上筛选条件。")
    reply = pickle.loads(out)             # written by our own child (below), never by the user
    if "refused" in reply:
        raise Refused(reply["refused"])
    return reply["rows"], reply["truncated"]


# --------------------------------------------------------------------------------------------- the child

def _limit(b: dict) -> None:
    limit = b["address_space_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(b["seconds"] + b["startup_grace"]) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


SQL_ERROR_KINDS = {"Binder Error": "字段或表名无法识别", "Catalog Error": "表、视图或函数不存在",
                   "Parser Error": "SQL 语法错误", "Conversion Error": "类型转换失败", "Invalid Input Error": "输入无效",
                   "Out of Range Error": "数值超出范围", "Not implemented Error": "不支持的写法"}
SQL_ERROR_PHRASES = [
    (r'Referenced column "([^"]+)" not found in FROM clause!?', r'找不到字段 "\1"。'),
    (r'Candidate bindings: ', '可用字段：'),
    (r'Table with name (\S+) does not exist!?', r'表 \1 不存在。'),
    (r'Scalar Function with name (\S+) does not exist!?', r'函数 \1 不存在。'),
    (r'syntax error at or near "([^"]+)"', r'在 "\1" 附近有语法错误'),
    (r'syntax error at end of input', '语句不完整'),
    (r'Did you mean "([^"]+)"\?', r'是否应为 "\1"？'),
    (r'Could not convert string … to (\S+)', r'无法把文本转换为 \1'),
    (r'No function matches the given name and argument types', '没有与参数类型匹配的函数'),
]


def sql_error_zh(text: str) -> str:
    """A DuckDB error as the analyst reads it, in full: the kind in Chinese, common phrases translated, the position
    lines kept (they quote the user's own SQL). Single-quoted values are hidden (a failing cast could quote a row
    the user may not see); double-quoted identifiers stay."""
    import re

    text = re.sub(r"'[^'\n]*'", "…", text).strip()
    kind, _, rest = text.partition(": ")
    label = SQL_ERROR_KINDS.get(kind.strip())
    if label is None:
        label, rest = "查询出错", text
    for pattern, repl in SQL_ERROR_PHRASES:
        rest = re.sub(pattern, repl, rest)
    return f"查询出错（{label}）：{rest}"


def _translate(e: Exception, b: dict) -> str:

    text = str(e)
    low = text.lower()
    if "interrupt" in low:
        return f"查询超过 {b['seconds']:g} 秒，已中止。请缩小范围或加上筛选条件。"
    if "out of memory" in low or "memory_limit" in low or isinstance(e, MemoryError):
        return f"查询所需内存超过上限（{b['memory_mb']} MB），已中止。请缩小范围或加上筛选条件。"
    if "max_expression_depth" in low or "maximum recursion" in low or isinstance(e, RecursionError):
        return "查询嵌套层数过多，请简化查询。"
    return sql_error_zh(text or type(e).__name__)


def _child(request: dict) -> dict:
    import duckdb

    from access import sqlguard

    b = request["budget"]
    t0 = time.monotonic()
    db = Path(request["db"])
    from data.storefile import reader_link

    link = reader_link(db, "sql")
    try:
        os.link(db, link)                 # the current file, as ui/conn.py opens it (DuckDB caches by path)
        path = link
    except OSError:
        path = db
    try:
        con = duckdb.connect(str(path), read_only=True, config={
            "enable_external_access": False, "memory_limit": f"{b['memory_mb']}MB", "threads": b["threads"],
            "temp_directory": "", "lock_configuration": True})
    finally:
        if path == link:
            link.unlink()
    cur = con.cursor()
    timer = threading.Timer(max(0.05, b["seconds"] - (time.monotonic() - t0)), cur.interrupt)
    timer.start()
    try:
        text, params = sqlguard.guard(cur, request["sql"], _user_of(request["user"]))
        df = cur.execute(f"select * from ({text}) limit {int(b['rows']) + 1}", params).df()
    except sqlguard.Refused as e:
        return {"refused": str(e)}
    except (duckdb.Error, RecursionError, MemoryError) as e:
        return {"refused": _translate(e, b)}
    finally:
        timer.cancel()
    truncated = len(df) > b["rows"]
    df = df.head(b["rows"])
    if df.memory_usage(deep=True).sum() > b["result_mb"] * 1024 * 1024:
        return {"refused": f"查询结果过大（超过 {b['result_mb']} MB），请减少列或行。"}
    return {"rows": df, "truncated": truncated}


def main() -> None:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    _limit(request["budget"])
    sys.setrecursionlimit(4_000)          # max_depth nested subqueries serialise to ≈ 12 JSON levels each
    try:
        reply = _child(request)
    except (RecursionError, MemoryError) as e:
        reply = {"refused": _translate(e, request["budget"])}
    sys.stdout.buffer.write(pickle.dumps(reply))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
