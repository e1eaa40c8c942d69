"""The engine: where the metric layer's SQL runs.

The metric layer (compute, score, queries, explore, dims) talks to a connection through a small interface:
`execute(sql, params)` and `sql(sql)`, each giving a result with `.df()` and `.fetchall()`. The default engine is the
embedded DuckDB store itself (a duckdb connection has exactly that interface). A distributed engine is opened here
and offers the same interface, so the registry, views, named queries, score and explorer stay one definition:

- `duckdb` (default): the store file, read-only.
- `spark` with a data directory: a local Spark (`local[2]`) over a Parquet export (`cli.py export`), reached
  through Spark Connect — the same client-server protocol a cluster serves.
- `sc://HOST:PORT` with a database name: a Spark Connect server whose catalog (e.g. a Hive metastore) holds the
  store's tables (DDL: `cli.py schema --engine spark`).

The choice comes from `--engine` or $GRIDGOV_ENGINE ($GRIDGOV_DATA, $GRIDGOV_ENGINE_DATABASE). SQL reaches Spark
through metrics/dialect.py (sqlglot plus a short rewrite list); the views of sql/views are created as temporary
views of the session from the same files.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import tempfile
import threading
import uuid
import warnings
from decimal import Decimal
from pathlib import Path

import pandas as pd

from . import dialect

SPARK_MASTER = "local[2]"
DEFAULT_DATABASE = "gridgov"
# local Spark: few shuffle partitions (the data of one district fits in one), no UI, no downloads
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "Asia/Shanghai",        # the store's times are local (Asia/Shanghai) times
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",   # p_month stays text
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",                # naive timestamps stay naive
    "spark.sql.catalogImplementation": "in-memory",
    "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "true",
    # CREATE DATABASE of the in-memory catalog makes a directory: never in the working tree
    "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "gridgov-spark-warehouse"),
}


class EngineUnavailable(RuntimeError):
    """The engine could not be reached or opened (message in Chinese, for the page and the CLI)."""


def engine_spec(spec: str | None = None) -> str:
    return (spec or os.environ.get("GRIDGOV_ENGINE") or "duckdb").strip()


def is_duckdb(con) -> bool:
    return not isinstance(con, SparkEngine)


def open_engine(spec: str | None = None, db=None, data=None, database: str | None = None):
    """The engine `spec` names: a read-only DuckDB connection to `db`, or a SparkEngine."""
    spec = engine_spec(spec)
    if spec == "duckdb":
        from data import store

        return store.connect(db or store.default_db_path(), read_only=True)
    if spec == "spark":
        data = data or os.environ.get("GRIDGOV_DATA")
        if not data:
            raise EngineUnavailable("--engine spark 需要 --data 指定 Parquet 导出目录（python cli.py export 生成）。")
        return SparkEngine.local(data)
    if spec.startswith("sc://"):
        return SparkEngine.remote(spec, database or os.environ.get("GRIDGOV_ENGINE_DATABASE") or DEFAULT_DATABASE)
    raise EngineUnavailable(f"未知的计算引擎：{spec}（可用：duckdb、spark、sc://主机:端口）")


# ------------------------------------------------------------------------------------------- results

def _normalized(table):
    """Spark's Arrow as DuckDB's: DECIMAL as DOUBLE, TIMESTAMP (LTZ) as local wall-clock time without a zone."""
    import pyarrow as pa

    cols = {}
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_decimal(t):
            col = col.cast(pa.float64())
        elif pa.types.is_timestamp(t) and t.tz is not None:
            col = col.cast(pa.timestamp("us", tz="Asia/Shanghai")).cast(pa.timestamp("us"))
        cols[name] = col
    return cols


def _arrow_to_pandas(table) -> pd.DataFrame:
    import pyarrow as pa

    cols = _normalized(table)
    df = pa.table(cols).to_pandas(date_as_object=False) if cols else pd.DataFrame()  # dates as datetime64, as DuckDB gives them
    df.columns = list(table.column_names)                 # duplicate names survive as in DuckDB
    return df


class Result:
    """As a DuckDB result: df() with dates as datetime64, fetchall() with Python dates, datetimes and Decimals."""

    def __init__(self, table):
        self._table = table

    def df(self) -> pd.DataFrame:
        return _arrow_to_pandas(self._table)

    def to_arrow_table(self):
        """As DuckDB's: the normalised Arrow table (metrics/intervals.py copies it into a private DuckDB)."""
        import pyarrow as pa

        return pa.Table.from_arrays(list(_normalized(self._table).values()), names=self._table.column_names)

    def fetchall(self) -> list[tuple]:
        cols = [c.to_pylist() for c in self._table.columns]
        return list(zip(*cols)) if cols else []


def _py(v):
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "item"):
        return v.item()
    return v


# ------------------------------------------------------------------------------------------- Spark

_server_lock = threading.Lock()
_local_server: dict = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local_server(port: int | None = None, master: str = SPARK_MASTER) -> str:
    """Start (once per process) a Spark Connect server inside this process on a local Spark; returns its URL.
    Same as SparkSession.builder.remote("local[2]") but on a free port, so a test run and a CLI call (or the
    benchmark) can run side by side."""
    with _server_lock:
        if "url" in _local_server:
            return _local_server["url"]
        os.environ.setdefault("SPARK_CONNECT_AUTHENTICATE_TOKEN", str(uuid.uuid4()))
        from pyspark import SparkConf, SparkContext
        from pyspark.sql import SparkSession as ClassicSession

        port = port or _free_port()
        conf = SparkConf(loadDefaults=True)
        conf.setAll(list(SPARK_CONF.items()))
        conf.setAll([("spark.master", master), ("spark.app.name", "gridgov"),
                     ("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin"),
                     ("spark.connect.grpc.binding.address", "127.0.0.1"),
                     ("spark.connect.grpc.binding.port", str(port))])
        sc = SparkContext.getOrCreate(conf)
        sc.setLogLevel("ERROR")
        _local_server["classic"] = ClassicSession(sc)
        _local_server["url"] = f"sc://localhost:{port}"
        return _local_server["url"]


def _connect(url: str):
    from pyspark.sql.connect.session import SparkSession as RemoteSession

    # a local server's token is read from $SPARK_CONNECT_AUTHENTICATE_TOKEN (set before the JVM started) and sent
    # over gRPC's local (loopback) credentials: the host must be spelled "localhost"
    return RemoteSession.builder.remote(url).create()


def _bounded_retries(session) -> None:
    """A remote session gives up on a server gone away after a few seconds (the client's default policy retries
    for ten minutes: the page would hang instead of saying the engine is unreachable)."""
    from pyspark.sql.connect.client.retries import DefaultPolicy

    session.client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=1000)])


class SparkEngine:
    """A Spark Connect session with the store's tables and the product's views (temporary, from sql/views)."""

    dialect = "spark"

    def __init__(self, session, database: str, data_dir: str | None = None, url: str = ""):
        self.session = session
        self.database = database
        self.data_dir = data_dir
        self.url = url
        self.session.sql(f"USE {database}")
        self._views()

    # -- opening
    @classmethod
    def local(cls, data_dir, database: str = DEFAULT_DATABASE, cache: bool = True) -> SparkEngine:
        """A local Spark over a Parquet export: the export's tables registered in `database` of the server's
        in-memory catalog (partitions recovered), then a client session on it. `cache`: hold the tables (and the
        calendar) in memory — one machine, a district's data: every query then skips the Parquet scan."""
        data_dir = Path(data_dir)
        manifest = data_dir / "export.json"
        if not manifest.is_file():
            raise EngineUnavailable(f"{data_dir} 不是 Parquet 导出目录（缺少 export.json；用 python cli.py export 生成）。")
        url = start_local_server()
        session = _connect(url)
        register_export(session, data_dir, database, cache=cache)
        eng = cls(session, database, str(data_dir), url)
        if cache:
            eng.session.sql("CACHE TABLE calendar")
        return eng

    @classmethod
    def remote(cls, url: str, database: str = DEFAULT_DATABASE) -> SparkEngine:
        from urllib.parse import urlparse

        u = urlparse(url.split(";")[0].replace("sc://", "http://", 1))
        try:                        # fail fast: the gRPC client would retry an unreachable server for minutes
            socket.create_connection((u.hostname, u.port or 15002), timeout=5).close()
        except OSError as e:
            raise EngineUnavailable(f"无法连接计算引擎 {url}：{e.strerror or e}") from None
        try:
            session = _connect(url)
            _bounded_retries(session)
            session.sql("select 1").collect()
        except Exception as e:                                  # grpc errors: unreachable, refused, auth
            raise EngineUnavailable(f"无法连接计算引擎 {url}：{str(e).splitlines()[0][:200]}") from None
        return cls(session, database, None, url)

    def ping(self) -> None:
        """EngineUnavailable when a remote server no longer answers (a socket check: milliseconds). A local
        server runs inside this process."""
        if self.data_dir or not self.url:
            return
        from urllib.parse import urlparse

        u = urlparse(self.url.split(";")[0].replace("sc://", "http://", 1))
        try:
            socket.create_connection((u.hostname, u.port or 15002), timeout=3).close()
        except OSError as e:
            raise EngineUnavailable(f"无法连接计算引擎 {self.url}：{e.strerror or e}") from None

    def _views(self) -> None:
        for _, ddl in dialect.view_ddl("spark", temporary=True):
            self.session.sql(ddl)

    # -- the connection interface the metric layer uses
    def execute(self, sql: str, params=None) -> Result:
        if isinstance(params, (list, tuple)):
            raise TypeError("the Spark engine binds named parameters only ($name)")
        text = dialect.transpile(sql, "spark", dict(params or {}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = self.session.sql(text).toArrow()
            except Exception:
                self.ping()             # a server gone away: EngineUnavailable, not the gRPC error
                raise
        return Result(table)

    def sql(self, sql: str, params=None) -> Result:
        return self.execute(sql, params or {})

    def cursor(self) -> SparkEngine:
        """The same session (thread-safe); closing it does not stop the session (the owner's close() does)."""
        c = copy.copy(self)
        c._owner = False
        return c

    def has_table(self, name: str) -> bool:
        """Whether the engine's database holds table `name` (an export of an older store may lack one)."""
        return bool(self.session.catalog.tableExists(f"{self.database}.{name}"))

    def data_version(self) -> str:
        """What the dashboard's caches key on: the export's manifest, or the catalog's last import."""
        if self.data_dir:
            return (Path(self.data_dir) / "export.json").read_text(encoding="utf-8")
        rows = self.execute("select max(import_id), count(*) from import_log").fetchall()
        return f"{self.url}/{self.database}:{rows[0]}"

    def close(self) -> None:
        if not getattr(self, "_owner", True):
            return
        try:
            self.session.stop()
        except Exception:
            pass


def register_export(session, data_dir: Path, database: str, cache: bool = False) -> None:
    """The tables of a Parquet export as tables of `database` (external, in the server's catalog)."""
    manifest = json.loads((Path(data_dir) / "export.json").read_text(encoding="utf-8"))
    session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    for name, meta in manifest["tables"].items():
        path = (Path(data_dir) / name).resolve()
        session.sql(f"DROP TABLE IF EXISTS {database}.{name}")
        session.sql(f"CREATE TABLE {database}.{name} USING parquet LOCATION '{path.as_uri()}'")
        if meta.get("partitioned_by"):
            session.sql(f"MSCK REPAIR TABLE {database}.{name}")
        if cache:
            session.sql(f"CACHE TABLE {database}.{name}")
