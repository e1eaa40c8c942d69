"""Per-dialect differences, in one place: the product's SQL is written once, in DuckDB's dialect (sql/views,
sql/queries, the registry's expressions, metrics/filters.py), and carried to another engine here.

The carrier is sqlglot (pinned exactly in requirements.txt: its translations change between releases) reading
"duckdb" and writing the target dialect, plus this short rewrite list for what sqlglot cannot or must not do:

1. **Table macros** (`grid_weeks(d_from, d_to)`, any `… as table` macro in sql/views) are inlined as subqueries:
   Spark and Trino have no parameterised views. The call's arguments replace the macro's parameters.
2. **Scalar macros** (the masking functions `gg_mask_*`) are inlined as expressions, for the same reason.
3. **Bound parameters** (`$name`) become typed literals: a date → DATE, a timestamp → TIMESTAMP_NTZ (the store's
   timestamps are local wall-clock times; Spark reads DuckDB's naive timestamps as TIMESTAMP_NTZ), a float →
   CAST(… AS DOUBLE) (a bare 0.5 is DECIMAL on Spark), text quoted by sqlglot. Lists are not parameters: filters
   are IN-lists of scalars (metrics/filters.in_list).
4. **regexp_replace back-references**: DuckDB (RE2) writes `\\1`, Spark (java.util.regex) `$1`; sqlglot copies the
   text unchanged, which silently masks 13812345678 as `1****2`. The replacement literal is rewritten (a literal `$`
   escaped as `\\$`). DuckDB's 'g' flag is dropped by sqlglot: Spark always replaces every match.
5. **timestamp 'infinity'** (the "now" views read history as of infinity) becomes 9999-12-31 23:59:59, which
   Spark can represent.

Everything else the SQL does is written so that sqlglot's translation is right by construction — the lint test
(tests/test_portable_sql.py, `lint`) refuses the constructs known not to carry over: isodow/dayofweek/range()
(a calendar view instead), to_hours/to_days (interval arithmetic), division by a decimal literal (DECIMAL on Spark;
cast to DOUBLE), list parameters and list_contains (IN-lists), regexp_full_match (anchored regexp_matches),
date_diff in days of timestamps (Spark counts 24-hour periods; cast to dates first), regexp_replace without 'g'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import sqlglot
from sqlglot import exp

SQLGLOT_VERSION = "30.30.0"     # the translations below were verified with this release (requirements.txt)

_CREATE = re.compile(r"^\s*create\s+or\s+replace\s+(view|macro)\s+(\w+)\s*(?:\(([^)]*)\))?\s+as\s+(table\s+)?",
                     re.I | re.S)


@dataclass(frozen=True)
class Definition:
    kind: str            # view · table_macro · macro
    name: str
    params: tuple
    body: str            # DuckDB SQL: a query (view, table macro) or an expression (macro)


def split_statements(text: str) -> list[str]:
    """The statements of a views file: `;` at the end of a line ends one; comment lines are dropped."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    out, cur = [], []
    for ln in lines:
        cur.append(ln)
        if ln.rstrip().endswith(";"):
            out.append("\n".join(cur).strip().rstrip(";"))
            cur = []
    if "".join(cur).strip():
        out.append("\n".join(cur).strip())
    return [s for s in out if s.strip()]


def parse_definitions(texts) -> list[Definition]:
    """Every view and macro of the given views files (their text), in order."""
    defs = []
    for text in texts:
        for stmt in split_statements(text):
            m = _CREATE.match(stmt)
            if not m:
                raise ValueError(f"not a view or macro definition: {stmt[:60]!r}")
            kind, name, params, table = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
            params = tuple(p.strip() for p in (params or "").split(",") if p.strip())
            kind = "view" if kind == "view" else ("table_macro" if table else "macro")
            defs.append(Definition(kind, name, params, stmt[m.end():].strip()))
    return defs


@lru_cache(maxsize=4)
def _definitions(key: str) -> tuple:
    from data.store import view_statements

    return tuple(parse_definitions(view_statements()))


def definitions() -> tuple:
    from data.store import views_checksum

    return _definitions(views_checksum())


# ------------------------------------------------------------------------------------------- rewrites

def literal(value) -> exp.Expression:
    """A Python value as a typed SQL literal (rewrite 3)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("timestamp_ntz"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, (float, Decimal)):
        return exp.cast(exp.Literal.number(repr(float(value))), exp.DataType.build("double"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"cannot bind {type(value).__name__} as a literal (lists are IN-lists: metrics/filters.in_list)")


def _bind(tree: exp.Expression, params: dict) -> exp.Expression:
    def sub(node):
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            name = node.name
            if name not in params:
                raise KeyError(f"parameter ${name} is not bound")
            return literal(params[name])
        return node
    return tree.transform(sub)


def _substitute(body: exp.Expression, names: tuple, args: list) -> exp.Expression:
    mapping = dict(zip(names, args))

    def sub(node):
        if isinstance(node, exp.Column) and not node.table and node.name in mapping:
            return mapping[node.name].copy()
        return node
    return body.copy().transform(sub)


_counter = iter(range(1, 1 << 62))


def _rename_ctes(body: exp.Expression) -> exp.Expression:
    """A macro body's CTE names made unique per inlining: sqlglot hoists CTEs to the top for Spark, where two
    inlinings of the same macro (or a query's own CTE of the same name) would otherwise collide."""
    names = {cte.alias_or_name for cte in body.find_all(exp.CTE)}
    if not names:
        return body
    k = next(_counter)
    renamed = {n: f"{n}__m{k}" for n in names}
    for cte in body.find_all(exp.CTE):
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(renamed[cte.alias_or_name])))
    for table in body.find_all(exp.Table):
        if not table.db and table.name in renamed:
            alias = table.alias or table.name
            table.set("this", exp.to_identifier(renamed[table.name]))
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return body


def inline_macros(tree: exp.Expression, defs=None) -> exp.Expression:
    """Rewrites 1 and 2: every call of a table macro or scalar macro replaced by its body (repeatedly: a macro's
    body may call other macros)."""
    defs = {d.name.lower(): d for d in (defs or definitions()) if d.kind != "view"}
    parsed = {n: sqlglot.parse_one(d.body, read="duckdb") for n, d in defs.items()}

    def sub(node):
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) \
                and node.this.name.lower() in defs:
            d = defs[node.this.name.lower()]
            body = _rename_ctes(_substitute(parsed[d.name.lower()], d.params, list(node.this.expressions)))
            alias = node.alias or d.name
            return exp.Subquery(this=inline_macros(body, defs.values()),
                                alias=exp.TableAlias(this=exp.to_identifier(alias)))
        if isinstance(node, exp.Anonymous) and node.name.lower() in defs \
                and defs[node.name.lower()].kind == "macro":
            d = defs[node.name.lower()]
            body = _substitute(parsed[d.name.lower()], d.params, list(node.expressions))
            return exp.Paren(this=inline_macros(body, defs.values()))
        return node
    return tree.transform(sub)


_BACKREF = re.compile(r"\\(\d)")


def _java_replacement(text: str) -> str:
    """Rewrite 4: an RE2 replacement (\\1) as a java.util.regex one ($1); a literal $ escaped."""
    return _BACKREF.sub(r"$\1", text.replace("$", "\\$"))


def _spark_fixes(tree: exp.Expression) -> exp.Expression:
    def sub(node):
        if isinstance(node, exp.RegexpReplace):
            repl = node.args.get("replacement")
            if isinstance(repl, exp.Literal) and repl.is_string:
                node.set("replacement", exp.Literal.string(_java_replacement(repl.this)))
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string \
                and node.this.this.strip().lower() == "infinity":
            node.set("this", exp.Literal.string("9999-12-31 23:59:59"))      # rewrite 5
        return node
    return tree.transform(sub)


def transpile(sql: str, dialect: str = "spark", params: dict | None = None, defs=None) -> str:
    """DuckDB SQL (one statement) as `dialect` SQL: macros inlined, parameters bound as literals (when given),
    the rewrite list applied, then sqlglot's translation."""
    if sqlglot.__version__ != SQLGLOT_VERSION:
        raise RuntimeError(f"sqlglot {sqlglot.__version__} is installed; the translations were verified with "
                           f"{SQLGLOT_VERSION} (requirements.txt)")
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = inline_macros(tree, defs)
    if params is not None:
        tree = _bind(tree, params)
    if dialect == "spark":
        tree = _spark_fixes(tree)
    return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)


def view_ddl(dialect: str = "spark", temporary: bool = True, defs=None) -> list[tuple[str, str]]:
    """(name, CREATE VIEW statement) for every view of sql/views in `dialect`, macros inlined."""
    defs = list(defs or definitions())
    out = []
    for d in defs:
        if d.kind != "view":
            continue
        body = transpile(d.body, dialect, None, defs)
        kw = "TEMPORARY VIEW" if temporary else "VIEW"
        out.append((d.name, f"CREATE OR REPLACE {kw} {d.name} AS {body}"))
    return out


# ------------------------------------------------------------------------------------------- golden files

def golden(dialect_name: str = "trino") -> dict[str, str]:
    """The views and named queries as `dialect_name` SQL (macros inlined, parameters left as placeholders): what
    an engine we cannot run here (Trino, and through it Doris/StarRocks' Trino-compatible front ends) would be
    given. Kept under sql/golden/<dialect>/ as documentation of the translation; NOT executed by any test."""
    from data.store import SQL_DIR

    from .registry import SOURCES

    out = {f"view_{name}.sql": ddl + ";\n" for name, ddl in view_ddl(dialect_name, temporary=False)}
    for p in sorted((SQL_DIR / "queries").glob("*.sql")):
        body = "\n".join(ln for ln in p.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--"))
        body = re.sub(r"\{([a-z_]+)\}", lambda m: f"(select * from {SOURCES[m.group(1)].relation})", body)
        out[f"query_{p.stem}.sql"] = transpile(body, dialect_name) + ";\n"
    return out


if __name__ == "__main__":          # python -m metrics.dialect [trino]: rewrite sql/golden/<dialect>/
    import sys

    from data.store import SQL_DIR

    name = sys.argv[1] if len(sys.argv) > 1 else "trino"
    folder = SQL_DIR / "golden" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.sql"):
        old.unlink()
    for fname, text in golden(name).items():
        (folder / fname).write_text(f"-- generated by python -m metrics.dialect {name} (sqlglot {SQLGLOT_VERSION}); "
                                    f"untested: no {name} here\n" + text, encoding="utf-8")
    print(f"{len(list(folder.glob('*.sql')))} files in {folder}")
