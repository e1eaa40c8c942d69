"""Command line: the contract in ../shared/DATA.md (scripts and checks rely on it).

    python cli.py demo   --db PATH [--seed 42] [--events N]
    python cli.py ingest --db PATH --kind KIND FILE... [--mapping M.toml] [--coords wgs84|gcj02|bd09]
                         [--skip-invalid] [--report OUT.csv]

Exit 0 on success; 1 when input is refused (nothing stored); 2 on usage errors.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from data import store
from data.columns import KINDS

INGEST_KINDS = (*KINDS, "boundaries")


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def cmd_demo(args) -> int:
    from data import demo

    t0 = time.perf_counter()
    con = store.connect(args.db)
    counts = demo.generate(con, seed=args.seed, events=args.events, end=args.end, progress=_progress)
    con.close()
    print("演示数据已生成：" + "，".join(f"{k} {v:,}" for k, v in counts.items())
          + f"（{time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_ingest(args) -> int:
    from data import ingest

    for f in args.files:
        if not Path(f).is_file():
            print(f"文件不存在：{f}", file=sys.stderr)
            return 2
    con = store.connect(args.db)
    t0 = time.perf_counter()
    if args.kind == "boundaries":
        results = [ingest.ingest_boundaries(con, f, coords_default=args.coords) for f in args.files]
    else:
        results = ingest.ingest_files(con, args.kind, args.files, mapping_path=args.mapping,
                                      coords_default=args.coords, skip_invalid=args.skip_invalid,
                                      progress=_progress)
    con.close()
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
        errors.to_csv(args.report, index=False, encoding="utf-8-sig")
    print(f"用时 {time.perf_counter() - t0:.2f} 秒", file=sys.stderr)
    return 0 if all(r.stored for r in results) else 1


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
    p.set_defaults(func=cmd_ingest)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
