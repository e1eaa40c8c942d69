"""The one DuckDB file everything reads from; only imports and the demo generator write to it."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
DEFAULT_DB = ROOT / "data" / "gridgov.duckdb"

TABLES = ("grids", "workers", "events", "relief", "patrols", "manual_scores", "areas", "import_log", "import_refused")


def default_db_path() -> Path:
    """The store's path: $GRIDGOV_DB if set, else data/gridgov.duckdb."""
    return Path(os.environ.get("GRIDGOV_DB", DEFAULT_DB))


def schema_statements() -> list[str]:
    """DDL from sql/schema/*.sql then the views and table macros of sql/views/*.sql, in file order."""
    files = sorted((SQL_DIR / "schema").glob("*.sql")) + sorted((SQL_DIR / "views").glob("*.sql"))
    return [p.read_text(encoding="utf-8") for p in files]


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, creating the file and its tables on first use (read-write opens only)."""
    path = Path(path) if path is not None else default_db_path()
    if read_only:
        if not path.exists():
            init(path)
        # The readers (dashboard, SQL tab, CLI metrics) never need files or other databases: lock that off, and
        # lock the configuration so a query cannot turn it back on.
        return duckdb.connect(str(path), read_only=True,
                              config={"enable_external_access": False, "lock_configuration": True})
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for ddl in schema_statements():
        con.execute(ddl)
    return con


def init(path: str | os.PathLike) -> None:
    connect(path).close()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.sql(f"select count(*) from {t}").fetchall()[0][0] for t in TABLES}


def content_checksum(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """An order-independent checksum of a table's content (used to prove a refused import changed nothing)."""
    rows = con.sql(f"select coalesce(sum(hash(t)), 0)::varchar, count(*) from {table} t").fetchall()
    return f"{rows[0][1]}:{rows[0][0]}"


def import_history(con: duckdb.DuckDBPyConnection, limit: int = 50):
    """The latest imports, newest first, as a DataFrame."""
    return con.sql("select import_id, file_name, kind, rows_in_file, rows_stored, rows_inserted, rows_updated, "
                   "rows_refused, imported_at, imported_by from import_log order by import_id desc limit $n",
                   params={"n": limit}).df()
