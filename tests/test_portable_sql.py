"""Lint: the product's SQL is written once (DuckDB dialect) and must carry over to Spark and Trino by construction.

Fails on any construct known not to survive sqlglot's translation (metrics/dialect.py lists the few rewrites it
does on purpose). Scans sql/views, sql/queries, sql/signals, every expression of the registry and the filter builder's output.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402

from data.store import SQL_DIR  # noqa: E402
from metrics import dialect  # noqa: E402
from metrics.compute import Filters  # noqa: E402
from metrics.filters import FILTER_COLUMNS, build_where  # noqa: E402
from metrics.registry import METRICS, SOURCES  # noqa: E402

# construct → why it does not carry over / what to write instead
FORBIDDEN = {
    r"\bisodow\s*\(|\bdayofweek\s*\(|\bisoyear\s*\(|\bweekday\s*\(|\bdayofisoweek\b":
        "weekday functions differ per engine (sqlglot maps isodow so Monday becomes 3 on Spark): use the calendar view",
    r"\brange\s*\(|\bgenerate_series\s*\(": "no portable table generator: use the calendar view",
    r"\bto_(?:hours|days|minutes|seconds|weeks|months|years)\s*\(":
        "to_days becomes MySQL's TO_DAYS on Spark: write $n * interval 1 day",
    r"/\s*\d+\.\d+": "division by a decimal literal is DECIMAL arithmetic on Spark: cast to double, divide by an integer",
    r"\blist_contains\s*\(|\blist_has\w*\s*\(|\blen\s*\(\s*\$|\barray_length\s*\(\s*\$|\bunnest\s*\(\s*\$":
        "list parameters do not carry over (len($list) becomes string LENGTH): use an IN-list (filters.in_list)",
    r"\bregexp_full_match\s*\(": "regexp_full_match has no Spark equivalent: use regexp_matches(v, '^…$')",
    r"\b(?:quantile_cont|quantile_disc|percentile_cont|percentile_disc|approx_quantile)\s*\(":
        "write median(x): exact (interpolated) on DuckDB and Spark; quantile forms translate to what Spark lacks",
    r"\bepoch(?:_ms)?\s*\(|\bto_timestamp\s*\(|\bmake_timestamp\s*\(": "epoch conversions differ per engine",
    r"\bstruct_pack\s*\(|\blist_value\s*\(|\[\s*\]": "nested types are not portable",
    r"\bilike\b|\bsimilar\s+to\b": "not portable: lower(x) like …",
    r"//": "integer division differs per engine: cast and floor explicitly",
}


def _strip_comments(text: str) -> str:
    return "\n".join(ln.split("--")[0] for ln in text.splitlines())


def _sql_texts() -> dict[str, str]:
    texts = {}
    for folder in ("views", "queries", "signals"):
        for p in sorted((SQL_DIR / folder).glob("*.sql")):
            texts[f"sql/{folder}/{p.name}"] = _strip_comments(p.read_text(encoding="utf-8"))
    for m in METRICS.values():
        for side, meas in (("numerator", m.numerator), ("denominator", m.denominator)):
            if meas is not None:
                texts[f"registry {m.id} {side}"] = " ".join([meas.expr, meas.pre_expr or "", *meas.pre_group])
    for name, src in SOURCES.items():
        texts[f"registry source {name}"] = " ".join([src.relation, *src.keys.values()])
    full = Filters(date(2025, 9, 1), date(2025, 9, 30), scope=("甲街道",),
                   **{k: ("x", "y") for k in FILTER_COLUMNS})
    for name in SOURCES:
        texts[f"filters.build_where {name}"] = build_where(name, full, {})
    return texts


TEXTS = _sql_texts()


@pytest.mark.parametrize("where", sorted(TEXTS))
def test_no_construct_known_not_to_carry_over(where):
    text = TEXTS[where].lower()
    found = [why for pattern, why in FORBIDDEN.items() if re.search(pattern, text)]
    assert not found, f"{where}: {found}"


def _statements():
    for d in dialect.definitions():
        yield f"{d.kind} {d.name}", d.body
    for p in sorted((SQL_DIR / "queries").glob("*.sql")):
        body = _strip_comments(p.read_text(encoding="utf-8"))
        yield f"query {p.stem}", re.sub(r"\{([a-z_]+)\}", lambda m: SOURCES[m.group(1)].relation, body)


STATEMENTS = dict(_statements())


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_translates_and_uses_only_portable_forms(name):
    body = STATEMENTS[name]
    tree = sqlglot.parse_one(body, read="duckdb")
    for node in tree.find_all(exp.RegexpReplace):
        # DuckDB replaces only the first match without 'g'; Spark always replaces every match
        assert "g" in str(node.args.get("modifiers") or ""), f"{name}: regexp_replace without 'g'"
    for node in tree.find_all(exp.DateDiff):
        unit = str(node.args.get("unit") or "").upper()
        if unit not in ("SECOND", "MILLISECOND", "MICROSECOND"):
            # DuckDB counts calendar boundaries, Spark whole periods: compare dates, not timestamps
            for arg in (node.this, node.expression):
                assert isinstance(arg, exp.Cast) and arg.to.this == exp.DataType.Type.DATE, \
                    f"{name}: date_diff('{unit.lower()}') of timestamps; cast both to date"
    sql = f"select {body} as v from t" if name.startswith("macro ") else body
    for target in ("spark", "trino"):
        assert dialect.transpile(sql, target)


def test_sqlglot_is_the_pinned_release():
    assert sqlglot.__version__ == dialect.SQLGLOT_VERSION
    req = (SQL_DIR.parent / "requirements.txt").read_text(encoding="utf-8")
    assert f"sqlglot=={dialect.SQLGLOT_VERSION}" in req


def test_rewrites_do_what_the_list_says():
    """The rewrite list on known inputs (the silent traps the issue found)."""
    out = dialect.transpile("select regexp_replace(v, '(1[3-9][0-9])[0-9]{4}([0-9]{4})', '\\1****\\2', 'g') from t",
                            "spark")
    assert "'$1****$2'" in out
    assert "'\\\\$'" in dialect.transpile("select regexp_replace(v, 'a', '$', 'g') from t", "spark")
    bound = dialect.transpile("select * from t where d >= $d and t < $ts and x in ($a_0) and y < $f",
                              "spark", {"d": date(2025, 9, 1), "ts": __import__("datetime").datetime(2025, 9, 2),
                                        "a_0": "甲'街道", "f": 0.5})
    assert "CAST('2025-09-01' AS DATE)" in bound and "CAST('2025-09-02 00:00:00' AS TIMESTAMP_NTZ)" in bound
    assert "'甲\\'街道'" in bound and "CAST(0.5 AS DOUBLE)" in bound
    inlined = dialect.transpile("select * from grid_weeks($from, $to) where true", "spark",
                                {"from": date(2025, 9, 1), "to": date(2025, 9, 30)})
    assert "grid_weeks(" not in inlined.lower() and "FROM calendar" in inlined
    masked = dialect.transpile("select gg_mask_phone(p) from t", "spark")
    assert "gg_mask" not in masked.lower() and "RLIKE '^1[3-9][0-9]{9}$'" in masked
    assert "9999-12-31 23:59:59" in dialect.transpile("select timestamp 'infinity' as t", "spark")
