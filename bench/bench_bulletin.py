"""Word 通报 build time on the demo store: the snapshot (ranking, comparisons, 12-month rank history, 督办 list) and
the .docx with its chart, as `cli.py bulletin` does it, live (草稿) and after publishing the month.

    python bench/bench_bulletin.py [--db bench/out/bulletin_demo.duckdb] [--from 2026-10-01 --to 2026-10-31]

Prints seconds for each step (fresh process, so DuckDB and Python caches are cold for the first build). Not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    last = date.today().replace(day=1) - timedelta(days=1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "bench" / "out" / "bulletin_demo.duckdb"))
    ap.add_argument("--from", dest="d_from", type=date.fromisoformat, default=last.replace(day=1))
    ap.add_argument("--to", dest="d_to", type=date.fromisoformat, default=last)
    args = ap.parse_args()
    from data import demo, store, storefile
    from metrics import bulletin, publish
    from metrics.compute import Filters
    from ui.bulletin import bulletin_docx

    db = Path(args.db)
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        con = store.connect(db)
        demo.generate(con, seed=42, end=date.today() - timedelta(days=1))
        con.close()
    f = Filters(args.d_from, args.d_to)
    for label in ("草稿（未发布）", "已发布"):
        if label == "已发布":
            con = store.connect(db, read_only=True)
            done = not publish.versions(con, "street", f.date_from, f.date_to).empty
            con.close()
            if not done:
                with storefile.writing(db) as w:
                    publish.publish(w.con, f.date_from, f.date_to, "street", "bench", "admin")
        con = store.connect(db, read_only=True)
        t0 = time.perf_counter()
        snap = bulletin.snapshot(con, f)
        t1 = time.perf_counter()
        data = bulletin_docx(snap, "bench")
        t2 = time.perf_counter()
        con.close()
        print(f"{label}: snapshot {t1 - t0:.2f} s + docx {t2 - t1:.2f} s = {t2 - t0:.2f} s ({len(data) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
