"""The one DuckDB file everything reads from; only imports and the demo generator write to it.

Schema versions and migrations
------------------------------
A store records which schema migrations it has applied in `schema_version` (one row per migration). Version 1 is
the first release's schema, sql/schema/*.sql (frozen: never edit those files); every later change is a file
sql/migrations/NNN_name.sql (NNN = 002, 003, …), applied in number order. Opening a store read-write:
- a new or empty file gets every migration (version 1 and all files), so a fresh store is at the latest version;
- a store older than the code (a release-1 store has no `schema_version` table) is first copied beside itself
  (`<file>.v<old>.bak`), then every pending migration runs in ONE transaction (all or nothing);
- a store that has a migration the code does not know is refused (`StoreTooNew`): old code must not write to it.
The views and table macros of sql/views/*.sql are code, not schema: every read-write open recreates them (in the
same transaction) and stores their checksum in `store_meta`.

The read-only opening (dashboard, CLI readers) cannot migrate: when the store needs migrations or its views are
out of date, connect(read_only=True) upgrades it first through a short read-write connection and then opens it
read-only; if another process holds the file (an import), it raises `StoreNeedsUpgrade` with a Chinese message.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
DEFAULT_DB = ROOT / "data" / "gridgov.duckdb"

TABLES = ("grids", "workers", "events", "relief", "patrols", "manual_scores", "areas", "import_log", "import_refused")

_MIGRATION_FILE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class StoreTooNew(RuntimeError):
    """The store was written by a newer release (it has migrations this code does not know)."""


class StoreNeedsUpgrade(RuntimeError):
    """A read-only opening found a store that must be migrated first and could not do it."""


def default_db_path() -> Path:
    """The store's path: $GRIDGOV_DB if set, else data/gridgov.duckdb."""
    return Path(os.environ.get("GRIDGOV_DB", DEFAULT_DB))


# ------------------------------------------------------------------------------------------- migrations

def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration in order: 1 is the release-1 schema, then sql/migrations/."""
    base = "\n".join(p.read_text(encoding="utf-8") for p in sorted((SQL_DIR / "schema").glob("*.sql")))
    out = [(1, "release_v1", base)]
    seen = {1}
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _MIGRATION_FILE.match(p.name)
        if not m:
            raise RuntimeError(f"migration file name {p.name!r} is not NNN_name.sql")
        version = int(m.group(1))
        if version in seen:
            raise RuntimeError(f"two migrations numbered {version:03d}")
        seen.add(version)
        out.append((version, m.group(2), p.read_text(encoding="utf-8")))
    return out


def code_version() -> int:
    """The schema version this code writes: the highest migration number."""
    return max(v for v, _, _ in migrations())


def view_statements() -> list[str]:
    """The views and table macros of sql/views/*.sql, in file order."""
    return [p.read_text(encoding="utf-8") for p in sorted((SQL_DIR / "views").glob("*.sql"))]


def schema_statements() -> list[str]:
    """Everything a fresh store runs: every migration, then the views (kept for tools that build a store in memory)."""
    return [sql for _, _, sql in migrations()] + view_statements()


def views_checksum() -> str:
    return hashlib.sha256("\n".join(view_statements()).encode("utf-8")).hexdigest()[:16]


def _has_table(con, name: str) -> bool:
    return con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                       "and schema_name = 'main' and table_name = ?", [name]).fetchall()[0][0] > 0


def applied_versions(con) -> set[int]:
    """The migrations a store has: its schema_version rows; a store without that table but with tables is a
    release-1 store ({1}); an empty store has none."""
    if _has_table(con, "schema_version"):
        return {r[0] for r in con.execute("select version from schema_version").fetchall()}
    return {1} if _has_table(con, "events") else set()


def store_version(con) -> int:
    return max(applied_versions(con), default=0)


def _stored_views_checksum(con) -> str | None:
    if not _has_table(con, "store_meta"):
        return None
    rows = con.execute("select value from store_meta where key = 'views_checksum'").fetchall()
    return rows[0][0] if rows else None


def _check_not_newer(path: Path, applied: set[int]) -> None:
    known = {v for v, _, _ in migrations()}
    unknown = sorted(applied - known)
    if unknown:
        raise StoreTooNew(
            f"数据库 {path.name} 的结构版本为 v{max(applied)}，比本程序（v{max(known)}）新，"
            f"含本程序不认识的升级 {', '.join(f'{v:03d}' for v in unknown)}。"
            "请使用新版程序打开；旧版程序不能读写它，以免损坏数据。")


def _pending(applied: set[int]) -> list[tuple[int, str, str]]:
    return [m for m in migrations() if m[0] not in applied]


def needs_upgrade(con) -> bool:
    """True when the store lacks a migration or its views are not this code's. An event summary whose columns are
    not the registry's (a changed parameter in scoring.toml) does not count: compute() reads the rows where the
    summary lacks a column, and the next import or read-write opening rebuilds it — a reader must not need a write
    lock (the other app processes hold the file open) because someone edited the scoring file."""
    return bool(_pending(applied_versions(con))) or _stored_views_checksum(con) != views_checksum()


def _summary_stale(con) -> bool:
    from metrics import summaries

    return _has_table(con, summaries.TABLE) and summaries.is_stale(con)


def _month_parts_stale(con) -> bool:
    """The board inputs kept per month are not the store's (an import since, or a changed definition): like the
    event summary, a read-write opening brings them up to date and a reader computes without them."""
    from metrics import month_parts

    return month_parts.stale(con)


def backup_path(path: Path, old_version: int) -> Path:
    """Where the copy made before migrating goes: beside the store, named with the old version."""
    candidate = path.with_name(f"{path.name}.v{old_version}.bak")
    if candidate.exists():
        candidate = path.with_name(f"{path.name}.v{old_version}.{datetime.now():%Y%m%d%H%M%S}.bak")
    return candidate


def _migrate(con, path: Path | None) -> Path | None:
    """Bring an open read-write store to this code's version; returns the backup's path when one was made."""
    applied = applied_versions(con)
    if path is not None:
        _check_not_newer(path, applied)
    pending = _pending(applied)
    backup = None
    if pending and applied and path is not None:
        # the store holds data: copy it (checkpointed, so the copy is the whole store) before changing anything
        con.execute("checkpoint")
        backup = backup_path(path, max(applied))
        shutil.copy2(path, backup)
    if not pending and _stored_views_checksum(con) == views_checksum() and not _summary_stale(con) \
            and not _month_parts_stale(con):
        return None
    con.execute("begin transaction")
    try:
        con.execute("create table if not exists schema_version (version integer not null primary key, "
                    "name varchar not null, applied_at timestamp not null)")
        con.execute("create table if not exists store_meta (key varchar not null primary key, value varchar)")
        if applied and not _has_table_rows(con):      # a release-1 store: record what it already has
            con.executemany("insert into schema_version values (?, ?, ?)",
                            [(v, name, datetime.now().replace(microsecond=0))
                             for v, name, _ in migrations() if v in applied])
        for version, name, sql in pending:
            con.execute(sql)
            con.execute("insert into schema_version values (?, ?, ?)",
                        [version, name, datetime.now().replace(microsecond=0)])
        for ddl in view_statements():
            con.execute(ddl)
        con.execute("insert or replace into store_meta values ('views_checksum', ?)", [views_checksum()])
        if _summary_stale(con):
            from metrics import summaries

            summaries.rebuild(con)
        if _month_parts_stale(con):
            from metrics import month_parts

            month_parts.refresh(con, transaction=False)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return backup


def _has_table_rows(con) -> bool:
    return con.execute("select count(*) from schema_version").fetchall()[0][0] > 0


def upgrade(path: str | os.PathLike) -> Path | None:
    """Open read-write, migrate, close. Returns the backup's path when the store held data and was migrated."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        return _migrate(con, path)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- opening

_READ_ONLY_CONFIG = {"enable_external_access": False, "lock_configuration": True}


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store: read-write opens create or migrate it; read-only opens upgrade it first when needed."""
    path = Path(path) if path is not None else default_db_path()
    if read_only:
        if not path.exists():
            init(path)
        # The readers (dashboard, SQL tab, CLI metrics) never need files or other databases: lock that off, and
        # lock the configuration so a query cannot turn it back on.
        con = duckdb.connect(str(path), read_only=True, config=_READ_ONLY_CONFIG)
        try:
            _check_not_newer(path, applied_versions(con))
            stale = needs_upgrade(con)
        except Exception:
            con.close()
            raise
        if not stale:
            return con
        con.close()         # one configuration per file in a process: close before the read-write opening
        old = store_version_of(path)
        try:
            upgrade(path)
        except duckdb.IOException as e:
            raise StoreNeedsUpgrade(
                f"数据库 {path.name} 是旧版本（v{old}），需要升级到 v{code_version()} 后才能打开，"
                f"但现在无法写入（可能有导入正在进行）：请稍后刷新页面，或运行 "
                f"python cli.py migrate --db {path}。（{str(e).splitlines()[0]}）") from None
        return duckdb.connect(str(path), read_only=True, config=_READ_ONLY_CONFIG)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        _migrate(con, path)
    except Exception:
        con.close()
        raise
    return con


def store_version_of(path: Path) -> int:
    try:
        con = duckdb.connect(str(path), read_only=True, config=_READ_ONLY_CONFIG)
    except duckdb.Error:
        return 0
    try:
        return store_version(con)
    finally:
        con.close()


def has_data(path: str | os.PathLike) -> bool:
    """Whether the store file exists and holds grids: what `make run` checks before trusting a store (opening the
    app on a missing file leaves an empty one behind, which is not data)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        return con.sql("select count(*) from grids").fetchall()[0][0] > 0      # a table, or a view since 002
    except duckdb.Error:
        return False
    finally:
        con.close()


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
