"""Engine benchmark: the same indicators on embedded DuckDB and on a local Spark (Spark Connect, local[2]) over the
Parquet export of the same demo store — the scoreboard and every registered indicator by grid, side by side.

    python bench/bench_engines.py [--sizes 1000000] [--repeat 3] [--out bench/out] [--fresh]

The demo store of each size is bench_metrics.py's (seeded, reused when present); its Parquet export is written
beside it. Per engine: "first" is the first run after opening (Spark: JIT, plans, the in-memory cache filling),
"warm" the median of --repeat further runs; Spark's open (JVM, server, tables, views) is timed on its own. Every
by-grid row (value, numerator, denominator) of the month is checked equal between the engines (medians within
1e-9 relative, as tests/test_spark.py). Not a test: the figures go into the README by hand.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PERIODS = {"month": (date(2025, 9, 1), date(2025, 9, 30)), "ten_months": (date(2025, 1, 1), date(2025, 10, 31))}


def _timed(fn, repeat: int):
    t0 = time.perf_counter()
    first = fn()
    t_first = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return first, t_first, statistics.median(warm) if warm else float("nan")


def main() -> int:
    os.environ["GRIDGOV_SPARK_TESTS"] = "1"            # tests/test_spark.py's comparison is imported below
    import bench_metrics

    from data import export, store
    from metrics import engine
    from metrics.compute import Filters, compute_many
    from metrics.registry import METRICS
    from metrics.score import scoreboard

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--fresh", action="store_true", help="regenerate the store and its export")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ids = [m for m in METRICS]
    for size in [int(s) for s in args.sizes.split(",")]:
        db, _ = bench_metrics._store(out, size, args.fresh)
        exp_dir = out / f"export_{size}"
        t0 = time.perf_counter()
        if args.fresh or not (exp_dir / "export.json").is_file():
            export.export(db, exp_dir)
        t_export = time.perf_counter() - t0
        duck = store.connect(db, read_only=True)
        t0 = time.perf_counter()
        spark = engine.open_engine("spark", data=exp_dir)
        t_open = time.perf_counter() - t0
        print(f"\n{size:,} events · export {t_export:.1f} s · Spark open (JVM, server, tables cached, views) "
              f"{t_open:.1f} s")
        print(f"{'what':44} {'DuckDB first':>13} {'warm':>8} {'Spark first':>12} {'warm':>8}")
        for pname, (d_from, d_to) in PERIODS.items():
            f = Filters(d_from, d_to)
            work = {f"{len(ids)} indicators by grid, {pname}": lambda c, f=f: compute_many(c, ids, f, ["grid_id"]),
                    f"scoreboard (streets, +previous), {pname}": lambda c, f=f: scoreboard(c, f, "street")}
            for what, fn in work.items():
                ref, d1, dw = _timed(lambda fn=fn, duck=duck: fn(duck), args.repeat)
                got, s1, sw = _timed(lambda fn=fn, spark=spark: fn(spark), args.repeat)
                if isinstance(ref, dict):
                    from tests.test_spark import MEDIANS, assert_same
                    for i in ids:
                        assert_same(ref[i], got[i], i, ("value", "numerator") if i in MEDIANS else ())
                print(f"{what:44} {d1:12.2f}s {dw:7.2f}s {s1:11.2f}s {sw:7.2f}s")
        spark.close()
        duck.close()
    print("\nequal: every by-grid row of every indicator, both periods (medians within 1e-9 relative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
