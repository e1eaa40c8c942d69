"""Map page server time: the queries and deck building behind 地图, on a demo store of N events.

    python bench/bench_map.py [--events 1000000] [--db bench/out/map_1000000.duckdb]

Prints each step's time (first call in a fresh process, then the median of 5) and the whole page as an
AppTest run (login, navigation, map page; Streamlit's caches cold, then warm). Not a test.
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


def timed(fn, repeat=5):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return out, first, statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    db = Path(args.db or ROOT / "bench" / "out" / f"map_{args.events}.duckdb")
    from data import demo, store
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        con = store.connect(db)
        t0 = time.perf_counter()
        demo.generate(con, seed=42, events=args.events, end=date(2026, 11, 20))
        con.close()
        print(f"generated {args.events:,} events in {time.perf_counter() - t0:.1f} s")
    from metrics import geo
    from metrics.compute import Filters, compute
    from ui import maps

    con = store.connect(db, read_only=True)
    f = Filters(date(2026, 10, 1), date(2026, 10, 31))
    steps = {}
    shapes, *steps["grid shapes (357 grids)"] = timed(lambda: geo.grid_shapes(con, f))
    values, *steps["event_closure_rate by grid"] = timed(lambda: compute(con, "event_closure_rate", f, ["grid_id"]))
    bins, *steps["event bins (server-side, ≤5,000)"] = timed(lambda: geo.event_bins(con, f, 0.01))
    _, *steps["district outline"] = timed(lambda: geo.district_outline(con))
    _, *steps["patrol tracks of a day"] = timed(lambda: geo.patrol_tracks(con, f, date(2026, 11, 19)))
    _, *steps["choropleth records + legend"] = timed(lambda: maps.choropleth_records(shapes, values,
                                                                                   "event_closure_rate"))
    con.close()
    print(f"\nmap page at {args.events:,} events, period {f.date_from} – {f.date_to}")
    print(f"{'step':40} {'first (ms)':>11} {'warm (ms)':>10}")
    for name, (first, warm) in steps.items():
        print(f"{name:40} {first * 1000:>11.1f} {warm * 1000:>10.1f}")
    print(f"{'sum':40} {sum(v[0] for v in steps.values()) * 1000:>11.1f} "
          f"{sum(v[1] for v in steps.values()) * 1000:>10.1f}")
    print(f"event cells shipped: {len(bins):,} (for {int(bins['events'].sum()):,} events with coordinates)")

    from streamlit.testing.v1 import AppTest
    os.environ["GRIDGOV_DB"] = str(db)
    for label in ("cold caches", "warm caches"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["_auth"] = {"username": "admin", "last": time.time()}
        at.run()
        t0 = time.perf_counter()
        at.switch_page("app_pages/map.py").run()
        assert not at.exception, at.exception
        print(f"whole map page (AppTest, {label}): {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
