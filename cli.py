"""Command line: the contract in ../shared/DATA.md (scripts and checks rely on it).

    python cli.py demo   --db PATH [--seed 42] [--events N]
    python cli.py ingest --db PATH --kind KIND FILE... [--mapping M.toml] [--coords wgs84|gcj02|bd09]
                         [--skip-invalid] [--report OUT.csv] [--allow-move]
    python cli.py metrics    --db PATH --from DATE --to DATE [--metric ID]... [--by street|community|grid|month|week]
                             [--street NAME]... [--format json|csv]
    python cli.py unlock     --user NAME [--db PATH]   (let a locked account log in again; server console only)
    python cli.py migrate    --db PATH      (upgrade a store made by an older release; a backup copy is kept)
    python cli.py scoreboard --db PATH --from DATE --to DATE [--level street|community] [--format json|csv] [--published]
                             [--intervals]
    python cli.py quality    --db PATH --from DATE --to DATE [--format json|csv]   (数据质量 signals, one row each)
    python cli.py publish    --db PATH --from DATE --to DATE [--level street|community] [--note TEXT] [--reason TEXT]
                             [--user ACCOUNT]
    python cli.py bulletin   --db PATH --from DATE --to DATE --out FILE.docx [--kind month|week] [--level …]
    python cli.py export     --db PATH --out DIR        (Parquet, partitioned by month, for Spark/Hive)
    python cli.py schema     [--engine spark|trino] [--database NAME] [--location URI]   (CREATE TABLE DDL)
  metrics, scoreboard and bulletin take --engine spark --data DIR (local Spark over an export) or
  --engine sc://HOST:PORT --database NAME (a Spark Connect server); default $GRIDGOV_ENGINE, else DuckDB.

Exit 0 on success; 1 when input is refused (nothing stored); 2 on usage errors; 3 when another import is writing
the store (data/storefile.py; nothing stored).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from data import store, storefile
from data.columns import KINDS

INGEST_KINDS = (*KINDS, "boundaries")


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def cmd_demo(args) -> int:
    from data import demo

    t0 = time.perf_counter()
    with storefile.writing(args.db) as w:       # a copy swapped in at the end: the dashboard may keep reading
        counts = demo.generate(w.con, seed=args.seed, events=args.events, end=args.end, progress=_progress)
    print("演示数据已生成：" + "，".join(f"{k} {v:,}" for k, v in counts.items())
          + f"（{time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_ingest(args) -> int:
    from data import ingest

    for f in args.files:
        if not Path(f).is_file():
            print(f"文件不存在：{f}", file=sys.stderr)
            return 2
    if args.mapping:
        try:
            ingest.Mapping.load(args.mapping)
        except (OSError, ValueError) as e:          # missing file, or TOML that does not parse
            print(f"映射文件无法读取：{args.mapping}（{e}）", file=sys.stderr)
            return 2
    t0 = time.perf_counter()
    # the import writes a copy of the store and swaps it in when something was stored (data/storefile.py)
    with storefile.writing(args.db) as w:
        if args.kind == "boundaries":
            results = [ingest.ingest_boundaries(w.con, f, coords_default=args.coords) for f in args.files]
        else:
            results = ingest.ingest_files(w.con, args.kind, args.files, mapping_path=args.mapping,
                                          coords_default=args.coords, skip_invalid=args.skip_invalid,
                                          progress=_progress, allow_move=args.allow_move)
        if not any(r.stored for r in results):
            w.discard()
    for r in results:
        print(r.summary_zh())
        if r.ignored_columns:
            print(f"  已忽略的列：{'、'.join(r.ignored_columns)}")
    errors = ingest.errors_frame(results)
    if len(errors):
        print(errors.head(50).to_string(index=False), file=sys.stderr)
        if len(errors) > 50:
            print(f"……共 {len(errors)} 处问题，完整清单见 --report", file=sys.stderr)
    if args.report:
        from ui.export import neutralise

        neutralise(errors).to_csv(args.report, index=False, encoding="utf-8-sig")   # values may be formulas
    print(f"用时 {time.perf_counter() - t0:.2f} 秒", file=sys.stderr)
    return 0 if all(r.stored for r in results) else 1


BY_KEYS = {"street": "street", "community": "community", "grid": "grid_id", "month": "month", "week": "week"}


def _clean(v):
    """JSON-safe: NaN/NA → null, numpy scalars → Python numbers."""
    import math

    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _emit(records: list[dict], fmt: str) -> None:
    import json

    import pandas as pd

    records = [{k: _clean(v) for k, v in r.items()} for r in records]
    if fmt == "json":
        print(json.dumps(records, ensure_ascii=False, indent=1))
    else:
        pd.DataFrame(records).to_csv(sys.stdout, index=False)


def _reader(args):
    """The store opened read-only and the base Filters (period, --user's street scope); or an exit code."""
    from metrics import engine
    from metrics.compute import Filters

    spec = engine.engine_spec(getattr(args, "engine", None))
    if spec == "duckdb" and not (args.db and Path(args.db).is_file()):
        print(f"数据库不存在：{args.db}", file=sys.stderr)
        return None, None, 2
    scope = None
    args.personal = None                    # no --user: the operator on the server sees what the store holds
    if args.user:
        from access import accounts

        cfg = accounts.load()
        if args.user not in cfg.accounts:
            print(f"未知账户：{args.user}", file=sys.stderr)
            return None, None, 2
        user = accounts.user_of(cfg, args.user)
        scope, args.personal = user.scope, user.role.personal
    try:
        con = engine.open_engine(spec, db=args.db, data=getattr(args, "data", None),
                                 database=getattr(args, "database", None))
    except engine.EngineUnavailable as e:
        print(str(e), file=sys.stderr)
        return None, None, 2
    return con, Filters(args.date_from, args.date_to, scope=scope), 0


def cmd_metrics(args) -> int:
    from metrics import privacy
    from metrics.compute import compute_many
    from metrics.registry import METRICS

    unknown = [m for m in args.metric or [] if m not in METRICS]
    if unknown:
        print(f"未知指标：{', '.join(unknown)}；可用：{', '.join(METRICS)}", file=sys.stderr)
        return 2
    con, filters, err = _reader(args)
    if err:
        return err
    filters = filters.with_(streets=tuple(args.street or ()))
    ids = args.metric or list(METRICS)
    keys = [BY_KEYS[args.by]] if args.by else []
    try:
        frames = compute_many(con, ids, filters, keys)
        frames = privacy.suppress_small(con, frames, filters, keys, args.personal)   # as the pages show them
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2
    records = [r for i in ids for r in frames[i].to_dict("records")]
    _emit([{"metric": r.pop("metric"), "value": r.pop("value"), "numerator": r.pop("numerator"),
            "denominator": r.pop("denominator"), **r} for r in records], args.format)
    return 0


def cmd_scoreboard(args) -> int:
    from metrics.score import ITEM_IDS, scoreboard

    con, filters, err = _reader(args)
    if err:
        return err
    if args.published:
        from metrics import publish

        pub = publish.latest(con, args.level, args.date_from, args.date_to)
        if pub is None:
            print(f"{args.date_from} 至 {args.date_to} 的{'街道' if args.level == 'street' else '社区'}排名尚未发布"
                  f"（可用 python cli.py publish 发布）。", file=sys.stderr)
            return 1
        header, board = pub
        if filters.scope is not None:
            live = scoreboard(con, filters, args.level)
            board = board[board["unit"].isin(live["unit"])]
        _emit(publish.json_records(board, header), args.format)
        return 0
    board = scoreboard(con, filters, args.level)
    cols = ["unit", "rank", "score", *ITEM_IDS, "prev_score", "prev_rank", "yoy_score", "yoy_rank"]
    board[list(ITEM_IDS)] = board[list(ITEM_IDS)].astype(float).round(2)
    if args.intervals:                      # 名次区间: metrics/intervals.py (seeded bootstrap, README)
        from metrics.intervals import rank_intervals

        board = board.merge(rank_intervals(con, filters, args.level, observed=board), on="unit", how="left")
        cols += ["rank_low", "rank_high"]
    _emit(board[cols].to_dict("records"), args.format)
    return 0


def cmd_migrate(args) -> int:
    path = Path(args.db)
    if not path.is_file():
        print(f"数据库不存在：{path}", file=sys.stderr)
        return 2
    old = store.store_version_of(path)
    backup = store.upgrade(path)
    new = store.code_version()
    if old == new:
        print(f"数据库结构已是最新版本 v{new}。")
    else:
        print(f"数据库结构已从 v{old} 升级到 v{new}" + (f"；升级前的副本：{backup}" if backup else "") + "。")
    return 0


def cmd_publish(args) -> int:
    """Freeze the period's district-wide ranking (发布); an account given by --user must be allowed to publish."""
    import getpass

    from access import audit
    from metrics import publish

    if not Path(args.db).is_file():
        print(f"数据库不存在：{args.db}", file=sys.stderr)
        return 2
    by, role = f"cli:{getpass.getuser()}", "cli"
    if args.user:
        from access import accounts

        cfg = accounts.load()
        if args.user not in cfg.accounts:
            print(f"未知账户：{args.user}", file=sys.stderr)
            return 2
        user = accounts.user_of(cfg, args.user)
        if not user.role.can_publish:
            audit.record("publish", user.username, user.role.id, {"refused": "role may not publish"}, ok=False,
                         store_path=args.db)
            print(f"账户 {args.user}（{user.role.label}）无发布权限：只有管理员和考核员可以发布排名。", file=sys.stderr)
            return 1
        by, role = user.username, user.role.id
    try:
        with storefile.writing(args.db) as w:   # a copy swapped in at the end: the dashboard may keep reading
            header = publish.publish(w.con, args.date_from, args.date_to, args.level, by, role, args.note,
                                     args.reason)
    except publish.PublishError as e:           # nothing stored: the copy is dropped
        audit.record("publish", by, role, {"level": args.level, "from": args.date_from, "to": args.date_to,
                                           "refused": str(e)}, ok=False, store_path=args.db)
        print(str(e), file=sys.stderr)
        return 1
    except storefile.StoreBusy as e:
        print(str(e), file=sys.stderr)
        return storefile.BUSY_EXIT
    audit.record("publish", by, role, {"level": args.level, "from": args.date_from, "to": args.date_to,
                                       "version": header["version"], "units": header["units"],
                                       "reason": header["reason"], "last_import_id": header["last_import_id"]},
                 store_path=args.db)
    print(f"已发布 v{header['version']}：{args.date_from} 至 {args.date_to} "
          f"{'街道' if args.level == 'street' else '社区'}排名，{header['units']} 个单位，"
          f"数据版本截至导入 #{header['last_import_id'] or '—'}，赋分标准 SHA-256 {header['scoring_sha256'][:16]}…")
    return 0


def cmd_bulletin(args) -> int:
    """The Word 通报 from the published version of the period, or live marked 草稿·未发布."""
    from metrics import bulletin
    from ui.bulletin import bulletin_docx

    con, filters, err = _reader(args)
    if err:
        return err
    t0 = time.perf_counter()
    snap = bulletin.snapshot(con, filters, args.level, args.kind)
    data = bulletin_docx(snap, f"{date.today():%Y年%m月%d日}")
    Path(args.out).write_bytes(data)
    if args.user:
        from access import audit

        audit.record("export", args.user, None, {"what": "Word 通报", "file": Path(args.out).name}, store_path=args.db)
    state = f"已发布 v{snap.header['version']}" if snap.published else "草稿·未发布"
    print(f"通报已生成：{args.out}（{state}，{len(snap.board)} 个单位，{time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_unlock(args) -> int:
    """From the server console: let a locked account (admin included) log in again now."""
    from access import accounts

    cfg = accounts.load()
    if args.user not in cfg.accounts:
        print(f"未知账户：{args.user}", file=sys.stderr)
        return 2
    accounts.unlock(args.user, store_path=args.db or store.default_db_path())
    print(f"账户 {args.user} 已解除登录锁定（{accounts.load().lockout_minutes} 分钟内不受全账户锁定限制）。")
    return 0


def cmd_export(args) -> int:
    from data import export

    if not Path(args.db).is_file():
        print(f"数据库不存在：{args.db}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        manifest = export.export(args.db, args.out)
    except FileExistsError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"已导出到 {args.out}（Parquet，按月分区）：" + "，".join(
        f"{k} {v['rows']:,}" for k, v in manifest["tables"].items()) + f"（{time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_schema(args) -> int:
    from data import export

    print(export.schema_ddl(args.engine, args.database, args.location), end="")
    return 0


def cmd_quality(args) -> int:
    from metrics.quality import flagged

    con, filters, err = _reader(args)
    if err:
        return err
    flags = flagged(con, filters)
    _emit(flags[["signal", "kind", "id", "street", "detail"]].to_dict("records"), args.format)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="网格化服务管理 指标看板 命令行")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="生成演示数据（崆峒区）")
    p.add_argument("--db", required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--events", type=int, default=None)
    p.add_argument("--end", type=date.fromisoformat, default=None, help="last day of data (default: yesterday)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("ingest", help="导入数据文件")
    p.add_argument("--db", required=True)
    p.add_argument("--kind", required=True, choices=INGEST_KINDS)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--mapping")
    p.add_argument("--coords", choices=("wgs84", "gcj02", "bd09"), default="wgs84")
    p.add_argument("--skip-invalid", action="store_true")
    p.add_argument("--report")
    p.add_argument("--allow-move", action="store_true",
                   help="grids: allow a grid to change street (a move from its 更新时间 on) without 调整类型=调整")
    p.set_defaults(func=cmd_ingest)

    def period(p):
        p.add_argument("--db", help="the DuckDB store (the default engine)")
        p.add_argument("--engine", help="duckdb (default) · spark (local, over --data) · sc://HOST:PORT (Spark "
                                        "Connect, over --database); default $GRIDGOV_ENGINE")
        p.add_argument("--data", help="Parquet export directory for --engine spark (cli.py export)")
        p.add_argument("--database", help="database of the Spark catalog for --engine sc://… (default gridgov)")
        p.add_argument("--from", dest="date_from", required=True, type=date.fromisoformat)
        p.add_argument("--to", dest="date_to", required=True, type=date.fromisoformat)
        p.add_argument("--format", choices=("json", "csv"), default="json")
        p.add_argument("--user", help="show what this account may see (data/accounts.toml): its streets, and small "
                       "relief counts below street level as <5 unless its role sees personal data")

    p = sub.add_parser("metrics", help="计算指标")
    period(p)
    p.add_argument("--metric", action="append")
    p.add_argument("--by", choices=tuple(BY_KEYS))
    p.add_argument("--street", action="append")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("scoreboard", help="六项综治业务指标排名")
    period(p)
    p.add_argument("--level", choices=("street", "community"), default="street")
    p.add_argument("--published", action="store_true", help="the latest published version (exit 1 when none)")
    p.add_argument("--intervals", action="store_true", help="add rank_low/rank_high: 95%% bootstrap rank interval")
    p.set_defaults(func=cmd_scoreboard)

    p = sub.add_parser("unlock", help="解除账户的登录锁定（在服务器上运行）")
    p.add_argument("--user", required=True)
    p.add_argument("--db", help="the store whose audit log counts the failures (default: $GRIDGOV_DB or data/)")
    p.set_defaults(func=cmd_unlock)

    p = sub.add_parser("quality", help="数据质量：列出各信号标记的记录（metrics/quality.py）")
    period(p)
    p.set_defaults(func=cmd_quality)

    p = sub.add_parser("migrate", help="升级旧版本数据库的结构（先保存副本）")
    p.add_argument("--db", required=True)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("publish", help="发布本期排名（冻结，不可修改；更正为新版本）")
    p.add_argument("--db", required=True)
    p.add_argument("--from", dest="date_from", required=True, type=date.fromisoformat)
    p.add_argument("--to", dest="date_to", required=True, type=date.fromisoformat)
    p.add_argument("--level", choices=("street", "community"), default="street")
    p.add_argument("--note", help="a note stored with the version")
    p.add_argument("--reason", help="why this version corrects an earlier one (required from the second version)")
    p.add_argument("--user", help="the publishing account (admin or assessor, data/accounts.toml)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("bulletin", help="生成 Word 通报")
    period(p)
    p.add_argument("--out", required=True)
    p.add_argument("--kind", choices=("month", "week"), default="month")
    p.add_argument("--level", choices=("street", "community"), default="street")
    p.set_defaults(func=cmd_bulletin)

    p = sub.add_parser("export", help="导出为 Parquet（按月分区，供 Spark/Hive 使用）")
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("schema", help="打印建表语句（Hive 元数据库）")
    p.add_argument("--engine", choices=("spark", "trino"), default="spark")
    p.add_argument("--database", default="gridgov")
    p.add_argument("--location", default="/warehouse/gridgov", help="where the export's table directories are")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "date_from", None) and args.date_to < args.date_from:
        parser.error("--to is before --from")
    try:
        return args.func(args)
    except (store.StoreTooNew, store.StoreNeedsUpgrade) as e:
        print(str(e), file=sys.stderr)
        return 1
    except storefile.StoreBusy as e:            # another import holds the store: not refused input, not usage
        print(str(e), file=sys.stderr)
        return storefile.BUSY_EXIT


if __name__ == "__main__":
    sys.exit(main())
