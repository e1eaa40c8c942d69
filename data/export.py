"""The store as Parquet, for an engine beyond one machine (Spark, Hive, Trino): `python cli.py export`.

One directory per table; events, patrols and relief are partitioned by the month of their time column in the
layout a Hive table uses (`events/p_month=2025-03/….parquet`), so a cluster reads only the months a period
needs. `p_month` is an extra column on those tables (the views compute their own `month`). export.json records
what was exported (rows per table, the store's schema version, its last import) — the data version a dashboard on
Spark keys its caches on. `schema_ddl` prints the matching CREATE TABLE statements for a Hive metastore.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from data.columns import KINDS

# table → its time column: partitioned by that column's month
PARTITIONED = {k.table: k.time_column for k in KINDS.values() if k.time_column}      # data/columns.py
PARTITION_COLUMN = "p_month"


def base_tables(con) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' order by table_name").fetchall()]


def export(db: str | Path, out: str | Path) -> dict:
    """Write every table of the store file `db` under `out` as Parquet; returns the manifest. The store is opened
    read-only on its own (the dashboard's locked-down connection may not write files)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return _export(con, Path(out))
    finally:
        con.close()


def _export(con, out: Path) -> dict:
    from data import store

    if out.exists():
        if not (out / "export.json").is_file() and any(out.iterdir()):
            raise FileExistsError(f"{out} 已存在且不是导出目录：为免覆盖其他文件，请换一个目录。")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tables = {}
    for name in base_tables(con):
        rows = con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
        target = out / name
        time_col = PARTITIONED.get(name)
        if time_col and rows:
            con.execute(f"copy (select *, strftime({time_col}, '%Y-%m') as {PARTITION_COLUMN} from \"{name}\") "
                        f"to '{target}' (format parquet, partition_by ({PARTITION_COLUMN}))")
        else:
            target.mkdir()
            con.execute(f"copy \"{name}\" to '{target / 'part-0.parquet'}' (format parquet)")
        tables[name] = {"rows": rows, "partitioned_by": PARTITION_COLUMN if time_col and rows else None}
    last = con.execute("select max(import_id) from import_log").fetchall()[0][0] if "import_log" in tables else None
    manifest = {"exported_at": datetime.now().isoformat(timespec="seconds"),
                "schema_version": store.store_version(con), "views_checksum": store.views_checksum(),
                "last_import_id": last, "tables": tables}
    (out / "export.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def schema_ddl(dialect: str = "spark", database: str = "gridgov", location: str = "/warehouse/gridgov") -> str:
    """CREATE TABLE statements for a metastore over an export at `location` (one directory per table)."""
    from sqlglot import exp

    from data import store

    con = duckdb.connect()
    for _, _, sql in store.migrations():
        con.execute(sql)
    lines = [f"-- 网格化服务管理：{database} 的表（Parquet，目录结构见 python cli.py export）。",
             "-- 视图不建在元数据库中：每个会话从 sql/views 建临时视图（metrics/engine.py）。",
             f"CREATE DATABASE IF NOT EXISTS {database};"]
    for name in base_tables(con):
        cols = []
        for col, typ in con.execute(f"select column_name, data_type from duckdb_columns() "
                                    f"where table_name = '{name}' and schema_name = 'main' "
                                    f"order by column_index").fetchall():
            t = exp.DataType.build(typ, dialect="duckdb")
            if t.this == exp.DataType.Type.TIMESTAMP:
                t = exp.DataType.build("timestamp_ntz")          # local wall-clock times, no zone
            cols.append(f"  {col} {t.sql(dialect=dialect)}")
        part = ""
        if name in PARTITIONED:
            cols.append(f"  {PARTITION_COLUMN} STRING")
            part = f"\nPARTITIONED BY ({PARTITION_COLUMN})"
        lines.append(f"CREATE TABLE IF NOT EXISTS {database}.{name} (\n" + ",\n".join(cols)
                     + f"\n)\nUSING PARQUET{part}\nLOCATION '{location.rstrip('/')}/{name}';")
        if part:
            lines.append(f"MSCK REPAIR TABLE {database}.{name};")
    return "\n".join(lines) + "\n"
