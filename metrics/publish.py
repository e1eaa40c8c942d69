"""发布: freeze a period's ranking so what was shown at the 推进会 can be shown again, unchanged, later.

A publication stores the street or community scoreboard of a period with every item's value and the value, numerator
and denominator of each indicator it is built from, the weights and parameters used with the SHA-256 of the scoring
file, the data version (the import_log rows it saw), who published it and when (tables of
sql/migrations/003_publications.sql). Rows are only ever inserted: a correction is a new version with a reason and
the older versions stay readable. The scoreboard page, the big screen, the bulletin and `cli.py scoreboard --published`
read the latest version; `diff` says what live numbers have moved since and which imports came after.
"""
from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime

import pandas as pd

from . import score
from .compute import Filters
from .config import Config, config_path, load_config

ITEM_TOLERANCE = 0.005          # item and score values are shown with two decimals: smaller moves are not moves


class PublishError(ValueError):
    """A publication was refused (message in Chinese, for the user)."""


def _num(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    v = v.item() if hasattr(v, "item") else v
    return None if isinstance(v, float) and math.isnan(v) else v


def has_tables(con) -> bool:
    """False on a store not yet upgraded to the publication tables (then nothing is published)."""
    from .engine import is_duckdb

    if not is_duckdb(con):
        return con.has_table("publications")
    return con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                       "and schema_name = 'main' and table_name = 'publications'").fetchall()[0][0] > 0


def scoring_sha256(path=None) -> str:
    return hashlib.sha256(config_path(path).read_bytes()).hexdigest()


def item_inputs(con, filters: Filters, level: str, cfg: Config) -> dict:
    """{unit: {item id: [{metric, value, numerator, denominator}, …]}} — each item's formula inputs, one scan."""
    key = score.LEVEL_KEY[level]
    parts = score.item_parts(con, filters, level, cfg)
    manual = score.other_work(con, filters, level)
    out: dict = {}
    for item in score.ITEMS:
        for p in item.parts:
            for rec in parts[p].to_dict("records"):
                out.setdefault(rec[key], {}).setdefault(item.id, []).append(
                    {"metric": p, "value": _num(rec["value"]), "numerator": _num(rec["numerator"]),
                     "denominator": _num(rec["denominator"])})
    for unit, (value, months) in manual.items():
        out.setdefault(unit, {})["item_other_work"] = [{"metric": "manual_scores", "value": _num(value),
                                                        "numerator": None, "denominator": _num(months)}]
    return out


def versions(con, level: str, date_from: date, date_to: date) -> pd.DataFrame:
    """Every published version of a period and level, newest first (empty when none or no tables)."""
    if not has_tables(con):
        return pd.DataFrame(columns=["publication_id", "version", "published_at", "published_by", "role", "note",
                                     "reason", "scoring_sha256", "last_import_id"])
    return con.execute("select publication_id, version, published_at, published_by, role, note, reason, "
                       "scoring_sha256, weights, parameters, last_import_id, import_ids, level, date_from, date_to "
                       "from publications where level = $level and date_from = $d_from and date_to = $d_to "
                       "order by version desc",             # named parameters: the Spark engine binds only these
                       {"level": level, "d_from": date_from, "d_to": date_to}).df()


def _header(row: dict) -> dict:
    h = {k: _num(v) for k, v in row.items()}
    for k in ("weights", "parameters", "import_ids"):
        if isinstance(h.get(k), str):
            h[k] = json.loads(h[k])
    if h.get("published_at") is not None and not isinstance(h["published_at"], datetime):
        h["published_at"] = pd.Timestamp(h["published_at"]).to_pydatetime()
    return h


def board(con, publication_id: int) -> pd.DataFrame:
    """A published version as a scoreboard frame (the live scoreboard's columns, best first)."""
    rows = con.execute("select unit, rank, score, prev_score, prev_rank, yoy_score, yoy_rank, items "
                       "from publication_units where publication_id = $id", {"id": publication_id}).fetchall()
    recs = []
    for unit, rank, sc, ps, pr, ys, yr, items in rows:
        items = json.loads(items)
        rec = {"unit": unit, **{i: items.get(i, {}).get("value") for i in score.ITEM_IDS}, "score": sc,
               "rank": rank, "prev_score": ps, "prev_rank": pr, "yoy_score": ys, "yoy_rank": yr, "_items": items}
        recs.append(rec)
    df = pd.DataFrame(recs, columns=["unit", *score.ITEM_IDS, "score", "rank", "prev_score", "prev_rank",
                                     "yoy_score", "yoy_rank", "_items"])
    for col in ("rank", "prev_rank", "yoy_rank"):
        df[col] = df[col].astype("Int64")
    for prefix, s, r in (("", "prev_score", "prev_rank"), ("yoy_", "yoy_score", "yoy_rank")):
        df[f"{prefix}score_change"] = [None if a is None or b is None or pd.isna(a) or pd.isna(b) else round(a - b, 2)
                                       for a, b in zip(df["score"], df[s])]
        df[f"{prefix}rank_change"] = [None if pd.isna(a) or pd.isna(b) else int(b) - int(a)
                                      for a, b in zip(df["rank"], df[r])]
    df["_s"] = pd.to_numeric(df["score"], errors="coerce")
    df = df.sort_values(["_s", "unit"], ascending=[False, True], na_position="last").drop(columns="_s")
    return df.reset_index(drop=True)


def latest(con, level: str, date_from: date, date_to: date):
    """(header dict, board frame) of the newest published version of the period and level; None when none."""
    v = versions(con, level, date_from, date_to)
    if v.empty:
        return None
    h = _header(v.iloc[0].to_dict())
    return h, board(con, int(h["publication_id"]))


def publish(con, date_from: date, date_to: date, level: str = "street", by: str = "", role: str | None = None,
            note: str | None = None, reason: str | None = None, cfg: Config | None = None, scoring_path=None) -> dict:
    """Freeze the district's ranking of the period at this level as the next version; returns its header.
    A second or later version needs a reason (it corrects the one before)."""
    if level not in ("street", "community"):
        raise PublishError(f"未知的排名层级：{level}")
    if not has_tables(con):
        raise PublishError("数据库尚未升级到含发布记录的结构版本，请用读写方式重新打开后再发布。")
    cfg = cfg or load_config(scoring_path)
    filters = Filters(date_from, date_to)
    live = score.scoreboard(con, filters, level, cfg)
    if live.empty or live["score"].isna().all():
        raise PublishError("本期没有可评分的单位，不能发布。")
    existing = versions(con, level, date_from, date_to)
    version = 1 if existing.empty else int(existing["version"].max()) + 1
    if version > 1 and not (reason or "").strip():
        raise PublishError(f"{date_from} 至 {date_to} 的{'街道' if level == 'street' else '社区'}排名已发布 "
                           f"v{version - 1}；发布更正版本须说明更正原因。")
    inputs = item_inputs(con, filters, level, cfg)
    imports = [r[0] for r in con.execute("select import_id from import_log order by import_id").fetchall()]
    header = {
        "level": level, "date_from": date_from, "date_to": date_to, "version": version,
        "published_at": datetime.now().replace(microsecond=0), "published_by": by or "unknown", "role": role,
        "note": (note or "").strip() or None, "reason": (reason or "").strip() or None,
        "scoring_sha256": scoring_sha256(scoring_path),
        "weights": {i: cfg.weights.get(i, 0.0) for i in score.ITEM_IDS}, "parameters": cfg.parameters,
        "last_import_id": max(imports) if imports else None, "import_ids": imports,
    }
    con.execute("begin transaction")
    try:
        pid = con.execute("select coalesce(max(publication_id), 0) + 1 from publications").fetchall()[0][0]
        con.execute("insert into publications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [pid, level, date_from, date_to, version, header["published_at"], header["published_by"], role,
                     header["note"], header["reason"], header["scoring_sha256"],
                     json.dumps(header["weights"], ensure_ascii=False),
                     json.dumps(header["parameters"], ensure_ascii=False, default=str),
                     header["last_import_id"], json.dumps(imports)])
        rows = []
        for r in live.to_dict("records"):
            items = {i: {"value": _num(r[i]), "inputs": inputs.get(r["unit"], {}).get(i, [])} for i in score.ITEM_IDS}
            rows.append([pid, r["unit"], _num(r["rank"]), _num(r["score"]), _num(r["prev_score"]),
                         _num(r["prev_rank"]), _num(r["yoy_score"]), _num(r["yoy_rank"]),
                         json.dumps(items, ensure_ascii=False)])
        con.executemany("insert into publication_units values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    header["publication_id"] = pid
    header["units"] = len(live)
    return header


def _differs(a, b) -> bool:
    a, b = _num(a), _num(b)
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(float(a) - float(b)) >= ITEM_TOLERANCE


def diff(con, header: dict, published: pd.DataFrame, live: pd.DataFrame) -> dict:
    """What moved between a published version and the live numbers: per unit the rank, score and items that
    changed, and the imports stored after the publication (import_log rows past the data version it saw)."""
    pub = published.set_index("unit")
    now = live.set_index("unit")
    units = []
    for unit in list(pub.index) + [u for u in now.index if u not in pub.index]:
        if unit not in now.index or unit not in pub.index:
            units.append({"unit": unit, "status": "removed" if unit not in now.index else "added", "items": []})
            continue
        p, n = pub.loc[unit], now.loc[unit]
        items = [{"item": i, "published": _num(p[i]), "live": _num(n[i])} for i in score.ITEM_IDS
                 if _differs(p[i], n[i])]
        rank_moved = _num(p["rank"]) != _num(n["rank"])
        if items or rank_moved or _differs(p["score"], n["score"]):
            units.append({"unit": unit, "status": "moved", "rank_published": _num(p["rank"]),
                          "rank_live": _num(n["rank"]), "score_published": _num(p["score"]),
                          "score_live": _num(n["score"]), "items": items})
    last = header.get("last_import_id")
    imports = con.execute(
        "select import_id, file_name, kind, rows_stored, rows_inserted, rows_updated, imported_at, imported_by "
        "from import_log where import_id > ? order by import_id", [last if last is not None else 0]).df()
    return {"changed": bool(units), "units": units, "imports": imports,
            "scoring_changed": header.get("scoring_sha256") != scoring_sha256()}


def json_records(published: pd.DataFrame, header: dict) -> list[dict]:
    """The published board in DATA.md's scoreboard JSON shape, with the version and publication time added."""
    cols = ["unit", "rank", "score", *score.ITEM_IDS, "prev_score", "prev_rank"]
    out = []
    for r in published.to_dict("records"):
        rec = {c: _num(r[c]) for c in cols}
        for i in score.ITEM_IDS:
            rec[i] = None if rec[i] is None else round(float(rec[i]), 2)
        rec.update({"yoy_score": _num(r["yoy_score"]), "yoy_rank": _num(r["yoy_rank"]),
                    "published_version": header["version"],
                    "published_at": f"{header['published_at']:%Y-%m-%d %H:%M:%S}"})
        out.append(rec)
    return out
