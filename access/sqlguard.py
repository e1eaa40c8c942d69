"""The SQL tab's guard: a query may read only the dashboard's tables, seen through views restricted to the
user's scope and with personal columns hidden or masked by role.

DuckDB parses the query (json_serialize_sql); every table it names must be one of the views below, unqualified,
or a CTE the query defines; table functions (read_csv, query_table, …) and qualified names (main.events,
information_schema.tables) are refused. The views are then prepended as CTEs of the same names, so the
query's `events` is the restricted view, never the table. The connection itself is read-only with external
access disabled and its configuration locked, so files stay out of reach even past this check.
"""
from __future__ import annotations

import json

from metrics import privacy

from .accounts import User

VIEWS = ("grids", "workers", "events", "relief", "patrols", "manual_scores")


class Refused(Exception):
    pass


def _table_sql(table: str, where: str, mode: str) -> str:
    """A table as a role sees it: every personal column (declared in data/columns.py) as the role may see it."""
    cols = privacy.PERSONAL.get(table, {})
    replace = ", ".join(f"{privacy.masked(c, kind, mode)} as {c}" for c, kind in cols.items())
    return f"select * {f'replace ({replace}) ' if replace else ''}from main.{table} where {where}"


def view_sql(user: User) -> dict[str, tuple[str, dict]]:
    """name → (SQL, params) of each view as this user may see it."""
    scoped = user.scope is not None
    streets = list(user.scope or ())
    in_scope = "list_contains($scope, street)" if scoped else "true"
    grids_in_scope = f"grid_id in (select grid_id from main.grids where {in_scope})"
    m = user.role.personal
    p = {"scope": streets} if scoped else {}
    return {
        "grids": (_table_sql("grids", in_scope, m), p),
        **{t: (_table_sql(t, grids_in_scope, m), p) for t in ("workers", "events", "relief", "patrols")},
        "manual_scores": ("select * from main.manual_scores where "
                          + ("true" if not scoped else
                             "(level = 'street' and list_contains($scope, unit)) or (level = 'community' and unit in "
                             "(select community from main.grids where list_contains($scope, street))) or "
                             "(level = 'grid' and unit in (select grid_id from main.grids "
                             "where list_contains($scope, street)))"), p),
    }


# Scalar functions that reveal the server rather than the data (settings, paths, variables, the catalog).
BLOCKED_FUNCTIONS = {"current_setting", "getvariable", "getenv", "current_database", "current_schema",
                     "current_schemas", "version", "platform",
                     # statistics of the stored table, not of the rows the query reads: stats(amount_yuan) gave
                     # street staff the district-wide min/max
                     "stats"}


def _walk(node, tables: list, functions: list, ctes: set):
    if isinstance(node, dict):
        t = node.get("type")
        if t == "BASE_TABLE":
            tables.append((node.get("catalog_name", ""), node.get("schema_name", ""), node.get("table_name", "")))
        elif t == "TABLE_FUNCTION":
            functions.append(node.get("function", {}).get("function_name", "?"))
        elif t == "SHOW_REF":
            functions.append("show/describe")
        elif node.get("class") == "FUNCTION" and (str(node.get("function_name", "")).lower() in BLOCKED_FUNCTIONS
                                                  or str(node.get("function_name", "")).lower().startswith("duckdb_")):
            functions.append(node["function_name"])
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                ctes.add(str(entry.get("key", "")).lower())
        for v in node.values():
            _walk(v, tables, functions, ctes)
    elif isinstance(node, list):
        for v in node:
            _walk(v, tables, functions, ctes)


def guard(cursor, sql: str, user: User) -> tuple[str, dict]:
    """The query to run (views prepended) and its parameters, or Refused with a Chinese reason."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise Refused("请输入查询语句。")
    parsed = json.loads(cursor.execute("select json_serialize_sql($q)", {"q": text}).fetchall()[0][0])
    if parsed.get("error"):
        raise Refused(f"无法解析查询：{parsed.get('error_message', '')}")
    statements = parsed.get("statements", [])
    if len(statements) != 1:
        raise Refused("一次只能执行一条查询语句。")
    tables, functions, ctes = [], [], set()
    _walk(statements[0], tables, functions, ctes)
    if functions:
        raise Refused(f"不允许使用 {', '.join(sorted(set(functions)))}：只能查询看板提供的数据表。")
    existing = {r[0].lower() for r in cursor.execute(
        "select table_name from duckdb_tables() union select view_name from duckdb_views()").fetchall()}
    clash = sorted(ctes & (existing | set(VIEWS)))
    if clash:
        # a CTE named like a real table could make the same name mean the table elsewhere in the query
        raise Refused(f"子查询名称“{clash[0]}”与数据表重名，请换一个名称。")
    allowed = set(VIEWS) | ctes
    for catalog, schema, table in tables:
        if catalog or schema or table.lower() not in allowed:
            name = ".".join(x for x in (catalog, schema, table) if x)
            raise Refused(f"不允许访问“{name}”：可查询的表为 {'、'.join(VIEWS)}。")
    views = view_sql(user)
    used = [v for v in VIEWS if any(t.lower() == v for _, _, t in tables)]
    params: dict = {}
    ctes_sql = []
    for v in used:
        body, p = views[v]
        # OFFSET 0 is an optimisation barrier: without it DuckDB may push the user's WHERE below the scope filter,
        # run it on other streets' rows and leak their values through an error message (a failing cast).
        ctes_sql.append(f"{v} as ({body} offset 0)")
        params.update(p)
    if not ctes_sql:
        return text, params
    head = text.lstrip()
    if head[:4].lower() == "with":
        rest = head[4:].lstrip()
        recursive = rest[:9].lower() == "recursive"
        if recursive:
            rest = rest[9:].lstrip()
        return f"with {'recursive ' if recursive else ''}{', '.join(ctes_sql)}, {rest}", params
    return f"with {', '.join(ctes_sql)} {text}", params


def scoped_counts(con, user) -> dict:
    """Rows per table as the user's scoped views see them (数据状态 for street staff)."""
    return {name: con.execute(f"select count(*) from ({sql})", params).fetchall()[0][0]
            for name, (sql, params) in view_sql(user).items()}
