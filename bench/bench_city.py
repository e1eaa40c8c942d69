"""City scale on one machine (issue 15, item 7): --copies × the 10 M-event demo store as one city store — each copy a
district of its own (grid, worker, event, patrol and case IDs suffixed, streets and communities prefixed 区k), so
100 M events over ~10× the grids and streets of the demo — and what one machine does with it.

    python bench/bench_city.py [--copies 10] [--base-events 10000000] [--out bench/out] [--keep]

Steps, each timed and printed:
  1. the base store (bench_metrics.py's demo of --base-events, seeded, reused when present);
  2. copies 0 … n-2 written by SQL, each in time order as an import leaves it (data/ingest sorts every import), then
     the per grid × day event summary built over them (metrics/summaries.rebuild);
  3. the last copy exported as a CSV in random order (unsorted, as a platform export may come) and imported through
     data/ingest (every rule, the upsert, the summary's days refreshed) in a child process: time and peak RSS;
  4. the store's size on disk;
  5. in a fresh child process: the street scoreboard (board + 较上期 + 同比) of the last whole month, cold (first
     query on a new connection) and warm (median of 3), and every indicator by grid; peak RSS;
  6. in a fresh child process: the cockpit (总览) first visit through Streamlit's AppTest, as admin: wall, CPU, RSS.
The figures are recorded (bench/figures.py) for the README. The city store is deleted afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import figures  # noqa: E402

TABLES = {   # table → ID columns suffixed per copy; place columns prefixed
    "events": ("event_id", "grid_id", "worker_id"),
    "patrols": ("patrol_id", "grid_id", "worker_id"),
    "relief": ("case_id", "household_id", "grid_id"),
    "grid_versions": ("grid_id",),
    "worker_versions": ("worker_id", "grid_id"),
}


def _copy_select(table: str, k: int, cols: list[str]) -> str:
    out = []
    for c in cols:
        if c in TABLES[table]:
            out.append(f"{c} || '-{k}' as {c}" if k else c)
        elif c in ("street", "community") and k:
            out.append(f"'区{k}' || {c} as {c}")
        else:
            out.append(c)
    return ", ".join(out)


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own, whatever its parent or children used)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _times(ratio: float) -> str:
    return "< 1×" if ratio < 1 else f"{ratio:.0f}×"


def build(base: Path, city: Path, copies: int) -> dict:
    import duckdb

    from data import store
    from metrics import summaries

    for f in (city, city.with_name(city.name + ".wal")):
        f.unlink(missing_ok=True)
    con = store.connect(city)
    con.execute(f"attach '{base}' as b (read_only)")
    t = time.perf_counter()
    for table in TABLES:
        cols = [r[0] for r in con.execute(f"describe b.{table}").fetchall()]
        order = {"events": " order by reported_at", "patrols": " order by started_at"}.get(table, "")
        n = copies - 1 if table == "events" else copies           # the last events copy comes by import
        for k in range(n):
            con.execute(f"insert into {table} by name select {_copy_select(table, k, cols)} from b.{table}{order}")
    cols = [r[0] for r in con.execute("describe b.manual_scores").fetchall()]
    for k in range(copies):
        unit = f"'区{k}' || unit" if k else "unit"
        con.execute(f"insert into manual_scores by name select * replace ({unit} as unit) from b.manual_scores "
                    "where level <> 'grid'")
    con.execute("insert into import_log by name select * from b.import_log")
    written = time.perf_counter() - t
    t = time.perf_counter()
    summaries.rebuild(con)
    summary = time.perf_counter() - t
    from metrics import month_parts

    month_parts.bump(con)           # written around data/ingest: every month's board inputs are to be refreshed
    n = con.execute("select count(*) from events").fetchall()[0][0]
    csv = city.with_name(city.stem + "_last_copy_shuffled.csv")
    ev_cols = [r[0] for r in con.execute("describe b.events").fetchall() if r[0] != "import_id"]
    t = time.perf_counter()
    con.execute(f"copy (select {_copy_select('events', copies - 1, ev_cols)} from b.events order by hash(event_id)) "
                f"to '{csv}' (header)")
    exported = time.perf_counter() - t
    con.execute("detach b")
    con.close()
    del duckdb
    return {"written_s": written, "events_written": n, "summary_s": summary, "csv": str(csv), "csv_s": exported}


def child_import(city: str, csv: str) -> dict:
    from data import ingest, store

    con = store.connect(city)
    t = time.perf_counter()
    res = ingest.ingest_files(con, "events", [csv])[0]
    took = time.perf_counter() - t
    assert res.stored, res.errors.head().to_string()
    n = con.execute("select count(*) from events").fetchall()[0][0]
    peak = _peak_mb()
    # what publishing it adds (storefile.writing): the board inputs of the touched months — here every month, as the
    # copies written by SQL marked them all
    from metrics import month_parts

    t = time.perf_counter()
    months = month_parts.refresh(con) or []
    refresh = time.perf_counter() - t
    con.close()
    return {"seconds": took, "rows": res.rows_stored, "events": n, "peak_mb": peak, "refresh_s": refresh,
            "refresh_months": len(months), "refresh_peak_mb": _peak_mb()}


def child_board(city: str) -> dict:
    from data import store
    from metrics import score
    from metrics.compute import compute_many
    from metrics.registry import METRICS

    end = date(2026, 10, 31)
    f = score.Filters(end.replace(day=1), end)
    con = store.connect(city, read_only=True)
    t = time.perf_counter()
    board = score.scoreboard(con, f)
    cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        score.scoreboard(con, f)
        warm.append(time.perf_counter() - t)
    from metrics import month_parts

    keep = month_parts.state
    month_parts.state = lambda *a, **k: None          # the same board computed, as without the kept inputs
    computed = []
    for _ in range(3):
        t = time.perf_counter()
        score.scoreboard(con, f)
        computed.append(time.perf_counter() - t)
    month_parts.state = keep
    t = time.perf_counter()
    compute_many(con, list(METRICS), f, ["grid_id"])
    by_grid = time.perf_counter() - t
    scan = []
    for _ in range(3):
        t = time.perf_counter()
        con.execute("select count(*), count(distinct grid_id) from events where reported_at >= $a and reported_at < $b",
                    {"a": f.date_from, "b": f.date_to + timedelta(days=1)}).fetchall()
        scan.append(time.perf_counter() - t)
    return {"cold": cold, "warm": statistics.median(warm), "by_grid": by_grid, "scan": statistics.median(scan),
            "computed_cold": computed[0], "computed_warm": statistics.median(computed[1:]),
            "streets": int(board["rank"].notna().sum()), "peak_mb": _peak_mb()}


def child_cockpit(city: str) -> dict:
    import logging

    from streamlit.testing.v1 import AppTest

    os.environ["GRIDGOV_DB"] = city
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    at.session_state["_auth"] = {"username": "admin", "last": time.time()}
    w, c = time.perf_counter(), time.process_time()
    at.run()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    assert not at.exception, [e.message for e in at.exception]
    return {"wall": wall, "cpu": cpu, "peak_mb": _peak_mb(), "metrics": len(at.metric)}


def _child(name: str, *args) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", name, *args], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--base-events", type=int, default=10_000_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        fn = {"import": child_import, "board": child_board, "cockpit": child_cockpit}[args.child[0]]
        print(json.dumps(fn(*args.child[1:])))
        return 0
    import bench_metrics

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    total = args.copies * args.base_events
    t = time.perf_counter()
    base, how = bench_metrics._store(out, args.base_events, False)
    print(f"base store {args.base_events:,} events: {how} ({time.perf_counter() - t:.0f} s)")
    city = out / f"city_{total}.duckdb"
    b = build(base, city, args.copies)
    print(f"copies 0…{args.copies - 2} written by SQL in time order: {b['events_written']:,} events in "
          f"{b['written_s']:.0f} s; event summary built in {b['summary_s']:.0f} s; last copy exported shuffled "
          f"({Path(b['csv']).stat().st_size / 1e9:.1f} GB CSV) in {b['csv_s']:.0f} s")
    imp = _child("import", str(city), b["csv"])
    Path(b["csv"]).unlink()
    print(f"import of the last copy through data/ingest: {imp['rows']:,} unsorted events into a "
          f"{b['events_written']:,}-event store in {imp['seconds']:.0f} s, peak RSS {imp['peak_mb']:,.0f} MB "
          f"(store now {imp['events']:,} events); then the board inputs of {imp['refresh_months']} months "
          f"(metrics/month_parts.py, as publishing an import does) in {imp['refresh_s']:.0f} s, peak RSS "
          f"{imp['refresh_peak_mb']:,.0f} MB")
    size_gb = city.stat().st_size / 1e9
    print(f"store on disk: {size_gb:.1f} GB")
    brd = _child("board", str(city))
    print(f"scoreboard of 2026-10, {brd['streets']} streets: cold {brd['cold']:.2f} s, warm {brd['warm']:.2f} s "
          f"(one scan of the month {brd['scan'] * 1000:.0f} ms: {_times(brd['warm'] / brd['scan'])}); every indicator "
          f"by grid {brd['by_grid']:.1f} s; peak RSS {brd['peak_mb']:,.0f} MB; the same board computed without the "
          f"kept inputs: cold {brd['computed_cold']:.2f} s, warm {brd['computed_warm']:.2f} s "
          f"({brd['computed_warm'] / brd['scan']:.0f}×)")
    ck = _child("cockpit", str(city))
    print(f"cockpit (总览) first visit, AppTest: {ck['wall']:.1f} s wall, {ck['cpu']:.1f} s CPU, peak RSS "
          f"{ck['peak_mb']:,.0f} MB")
    figures.record("city.import", f"city scale: {args.base_events:,} unsorted events imported into a "
                   f"{b['events_written']:,}-event store (data/ingest, all rules, summary refreshed)",
                   f"{imp['seconds']:.0f} s, peak RSS {imp['peak_mb']:,.0f} MB; store {size_gb:.1f} GB for "
                   f"{imp['events']:,} events; board inputs of {imp['refresh_months']} months refreshed in "
                   f"{imp['refresh_s']:.0f} s")
    figures.record("city.board", f"city scale, {imp['events']:,} events, {brd['streets']} streets: scoreboard of a "
                   "month (board + 较上期 + 同比)", f"cold {brd['cold']:.2f} s, warm {brd['warm']:.2f} s "
                   f"({_times(brd['warm'] / brd['scan'])} one scan; computed without the kept inputs "
                   f"{brd['computed_warm']:.2f} s); every indicator by grid {brd['by_grid']:.1f} s; "
                   f"peak RSS {brd['peak_mb']:,.0f} MB", "≤ 10× one scan", brd["warm"] <= 10 * brd["scan"])
    figures.record("city.cockpit", f"city scale, {imp['events']:,} events: cockpit first visit (AppTest, caches "
                   "empty)", f"{ck['wall']:.1f} s wall, {ck['cpu']:.1f} s CPU, peak RSS {ck['peak_mb']:,.0f} MB")
    if not args.keep:
        for f in (city, city.with_name(city.name + ".wal")):
            f.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
