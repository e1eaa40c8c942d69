"""Rank-interval bootstrap time (budget: ≤ 2 s for streets, ≤ 5 s for the communities on the demo) and the
data-quality signals' recall and false positives on the demo's planted anomalies. Not a test.

    python bench/bench_fair.py [--db bench/out/fair_demo.duckdb] [--repeat 3]

Builds the default demo (seed 42, ending yesterday) when the store does not exist; times
metrics.intervals.rank_intervals over the last full month for streets and communities (the default 500
replicates), then prints per signal: planted, found, false positives (record signals over the whole window, the
two unit signals over the last full month, where they are planted).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import figures  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "bench" / "out" / "fair_demo.duckdb"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from data import demo, store
    from metrics import intervals, quality, score
    from metrics.compute import Filters

    end = date.today() - timedelta(days=1)
    db = Path(args.db)
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        c = store.connect(db)
        demo.generate(c, seed=42, end=end)
        c.close()
    con = store.connect(db, read_only=True)
    last = end.replace(day=1) - timedelta(days=1)
    month = Filters(last.replace(day=1), last)
    print(f"rank intervals, {month.date_from} … {month.date_to}, {intervals.settings(score.load_config())[0]} replicates")
    budget = {"street": 2.0, "community": 5.0}
    for level in ("street", "community"):
        runs, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            iv = intervals.rank_intervals(con, month, level)
            runs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        # CPU time counts every DuckDB thread: on a shared machine wall time inflates, CPU time much less
        print(f"  {level:9} {len(iv):3} units: median {statistics.median(runs):.2f} s wall, "
              f"{statistics.median(cpu):.2f} s CPU (wall runs: " + ", ".join(f"{r:.2f}" for r in runs) + ")")
        figures.record(f"fair.intervals.{level}", f"rank intervals (500 bootstrap replicates), last month, demo store, "
                       f"{len(iv)} {level} units (`metrics/intervals.py`)", f"{statistics.median(runs):.2f} s wall, "
                       f"{statistics.median(cpu):.2f} s CPU", f"≤ {budget[level]:g} s",
                       statistics.median(runs) <= budget[level])
    big = ROOT / "bench" / "out" / "pages_1000000_20261031.duckdb"      # bench_pages.py's store, when made
    if big.exists():
        b = store.connect(big, read_only=True)
        out = []
        for name, f in (("上月", Filters(date(2026, 10, 1), date(2026, 10, 31))),
                        ("本年", Filters(date(2026, 1, 1), date(2026, 10, 31)))):
            t0, c0 = time.perf_counter(), time.process_time()
            intervals.rank_intervals(b, f, "street")
            out.append(f"{name} {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
        b.close()
        print("  1,000,000 events, streets: " + "; ".join(out))
        figures.record("fair.intervals.1000000", "rank intervals of the streets, 1,000,000 events (each unit's events "
                       "drawn as counts of their kinds)", "; ".join(out), "")

    sys.path.insert(0, str(ROOT / "tests"))
    planted = demo.planted(con)
    first = con.sql("select min(reported_at)::date from events").fetchall()[0][0]
    whole = quality.flagged(con, Filters(first, end))
    monthly = quality.flagged(con, month)
    print("\nsignal                 planted  found  false+   recall")
    for s in quality.SIGNALS_LIST:
        flags = monthly if s.kind == "unit" else whole
        got = set(flags[flags["signal"] == s.id]["id"])
        p = planted[s.id]
        print(f"  {s.id:22} {len(p):5}  {len(got & p):5}  {len(got - p):6}   {len(got & p) / len(p):.0%}")
    con.close()


if __name__ == "__main__":
    main()
