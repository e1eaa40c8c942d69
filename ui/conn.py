"""The store connection for the app: opened read-only per store file (a cursor per query: a DuckDB connection is
not thread-safe and Streamlit runs each session on its own thread).

Imports never write the file the app has open: they write a copy and swap it in atomically (data/storefile.py).
`cursor()` notices the swap (the file's inode changes) and opens the new file, so the next query after an import
sees its data while queries already running finish on the old file.

The dashboard's reads can run on a distributed engine instead ($GRIDGOV_ENGINE: `spark` over the Parquet export
$GRIDGOV_DATA, or `sc://HOST:PORT` with $GRIDGOV_ENGINE_DATABASE; metrics/engine.py): `cursor()` and `version()`
then answer from the engine, and the cache keys hold the engine's data version. What writes or guards the DuckDB
store itself (the importer, publishing, the SQL tab) is decided here, once: `STORE_ONLY` says which features need
the store and why, `unavailable()` tells the page. Accounts, sessions and the audit log stay in their DuckDB files
beside the store on every engine."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from data import store, storefile
from metrics import engine as engines

EngineUnavailable = engines.EngineUnavailable
VERSION_TTL = 30.0          # seconds a remote engine's data version is reused (a query on the server)

# feature → why it needs the DuckDB store (shown on a distributed engine instead of the feature)
STORE_ONLY = {
    "import": "数据导入写入本机 DuckDB 库，而看板当前读取计算引擎 {engine} 的数据，导入后看板不会变化。"
              "请在数据中台更新表；或在 DuckDB 库导入后运行 python cli.py export 重新导出。",
    "sql": "SQL 查询由本机 DuckDB 库的只读沙箱执行，计算引擎 {engine} 上不提供。"
           "请使用“分组汇总”和“明细记录”页签（二者在计算引擎上运行）。",
    "publish": "发布排名写入本机 DuckDB 库，计算引擎 {engine} 上不提供；请在 DuckDB 库上运行的看板发布。",
    "demo": "计算引擎 {engine} 上没有网格数据。请先导出或同步数据（python cli.py export），"
            "或将 GRIDGOV_ENGINE 设为 duckdb 使用本机数据库。",
}


def db_path() -> Path:
    return store.default_db_path()


def engine_spec() -> str:
    """$GRIDGOV_ENGINE: "duckdb" (the store file, the default), "spark" or "sc://HOST:PORT"."""
    return engines.engine_spec()


def on_store() -> bool:
    """True when the dashboard reads the DuckDB store itself (the default)."""
    return engine_spec() == "duckdb"


def engine_label() -> str:
    """What the reads run on, for captions: the engine's URL and database, or the store file."""
    if on_store():
        return f"DuckDB {db_path().name}"
    if engine_spec() == "spark":
        return f"Spark（本机，Parquet 导出 {os.environ.get('GRIDGOV_DATA', '')}）"
    return f"Spark Connect {engine_spec()}（库 {os.environ.get('GRIDGOV_ENGINE_DATABASE') or engines.DEFAULT_DATABASE}）"


def unavailable(feature: str) -> bool:
    """On a distributed engine: show why `feature` (a key of STORE_ONLY) is not offered and return True."""
    if on_store():
        return False
    st.info(STORE_ONLY[feature].format(engine=engine_spec()), icon=":material/info:")
    return True


def unreachable_message(e: Exception) -> str:
    """The page's message when the engine cannot be reached: what failed, where, and what to do."""
    spec = engine_spec()
    if spec == "spark":
        todo = ("请确认 GRIDGOV_DATA 指向 python cli.py export 生成的目录、本机已安装 Java（scripts/setup.sh），"
                "然后刷新本页。")
    else:
        todo = (f"请确认 Spark Connect 服务已启动（如 $SPARK_HOME/sbin/start-connect-server.sh）、本机能访问 {spec}，"
                "服务恢复后刷新本页即可；或将 GRIDGOV_ENGINE 设为 duckdb 改用本机数据库。")
    return f"计算引擎 {spec} 当前不可用，看板无法读取数据。\n\n{e}\n\n{todo}"


@contextmanager
def guard():
    """Around a page run (app.py) or a fragment (which reruns without app.py): an engine that cannot be reached is
    the message above, not a traceback; the next run (a reload, the kiosk's next rotation) connects again."""
    try:
        yield
    except EngineUnavailable as e:
        st.error(unreachable_message(e), icon=":material/cloud_off:")
        st.stop()


@st.cache_resource(max_entries=1, show_spinner="正在连接计算引擎…")
def _engine(spec: str, data: str, database: str):
    # a failure is not cached (Streamlit caches only a return): the next run tries again
    return engines.open_engine(spec, data=data or None, database=database or None)


def _current_engine():
    try:
        return _engine(engine_spec(), os.environ.get("GRIDGOV_DATA", ""),
                       os.environ.get("GRIDGOV_ENGINE_DATABASE", ""))
    except EngineUnavailable:
        raise
    except Exception as e:          # e.g. no Java for a local Spark: still a message, not a traceback
        raise EngineUnavailable(f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}") from None


_versions: dict = {}


def _engine_version() -> tuple:
    eng = _current_engine()
    try:
        eng.ping()
        key = (eng.url, eng.database, eng.data_dir)
        hit = _versions.get(key)
        if hit is None or time.monotonic() - hit[0] > VERSION_TTL:
            hit = _versions[key] = (time.monotonic(), eng.data_version())
        return ("engine", *key, hit[1])
    except EngineUnavailable:
        _engine.clear()             # a server gone away: reconnect on the next run, once it is back
        _versions.clear()
        raise


def store_cursor():
    """A cursor on the DuckDB store file whatever the engine (accounts, the store's own upgrade, the SQL tab)."""
    v = _store_version()
    if v[1] == 0:                           # no store yet: create an empty one
        _connection(str(db_path()), v)
        v = _store_version()
    return _connection(str(db_path()), v).cursor()


@st.cache_resource(max_entries=2)
def _connection(path: str, version: tuple):
    # an evicted connection is not closed here: cursors of running queries may still use it; it closes with them
    return storefile.open_reader(path)


def cursor():
    """Where the dashboard's reads run: the DuckDB store, or the engine ($GRIDGOV_ENGINE); EngineUnavailable when
    the engine cannot be reached."""
    if on_store():
        return store_cursor()
    _engine_version()                       # the server still answers (else EngineUnavailable, no hang)
    return _current_engine().cursor()


def version() -> tuple:
    """Changes whenever the data changes (a new store file after an import; the engine's data version): part of
    every cache key."""
    return _store_version() if on_store() else _engine_version()


def _store_version() -> tuple:
    p = db_path()
    try:
        st_ = os.stat(p)
        return (str(p), st_.st_ino, st_.st_mtime_ns, st_.st_size)
    except FileNotFoundError:
        return (str(p), 0, 0, 0)


@contextmanager
def writer(wait_seconds: float = 0.0):
    """An import's connection (`.con`) on a copy of the store, swapped in when the block ends (unless `.discard()`ed);
    storefile.StoreBusy when another import holds the store."""
    try:
        with storefile.writing(db_path(), wait_seconds=wait_seconds) as w:
            yield w
    finally:
        st.cache_data.clear()
