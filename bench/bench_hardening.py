"""Hardening figures (issue 14) for the closing note and the README:

1. the SQL tab's budget: time and memory of the issue's hostile queries run as 东关 street staff through the
   bounded worker (full size: 100 M / 200 M unnest, a 1 M-item IN list, 400 nested subqueries), measured as the
   server's (this process's) RSS growth and the worker's peak RSS;
2. an import while 20 readers query the store as the dashboard does (ui/conn.py: reopen when the file changes):
   what each reader sees before, during and after, their latencies, and errors.

    .venv/bin/python bench/bench_hardening.py [--events 400000] [--readers 20] [--out bench/out]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if Path(f"/proc/{p}/stat").read_text().rsplit(") ", 1)[1].split()[1] == str(pid):
                    out.append(int(p))
            except (OSError, IndexError):
                pass
    return out


def sql_budget(db: Path) -> list[dict]:
    from access import accounts, sqlworker

    staff = accounts.user_of(accounts.load(), "dongguan")
    queries = {
        "unnest(range(100000000))": "select count(*) from (select unnest(range(100000000)))",
        "unnest(range(200000000))": "select count(*) from (select unnest(range(200000000)))",
        "1 M-item IN list": "select count(*) from events where event_id in ("
                            + ",".join(f"'E{i}'" for i in range(1_000_000)) + ")",
        "400 nested subqueries": "select * from " + "(select * from " * 399 + "events" + ") t" * 399,
        "cross join (timeout)": "select count(*) from events a, events b, events c",
        "ordinary group-by": "select g.street, count(*) from events e join grids g using (grid_id) group by 1",
    }
    rows = []
    for name, sql in queries.items():
        me = os.getpid()
        rss0, peak, done = rss_mb(me), [0.0], [False]

        def watch(me=me, peak=peak, done=done):
            while not done[0]:
                for c in children(me):
                    peak[0] = max(peak[0], rss_mb(c))
                time.sleep(0.02)

        th = threading.Thread(target=watch)
        th.start()
        t0 = time.perf_counter()
        try:
            df, _ = sqlworker.run(db, sql, staff)
            outcome = f"answered ({len(df)} rows)"
        except sqlworker.Refused as e:
            outcome = str(e)
        seconds = time.perf_counter() - t0
        done[0] = True
        th.join()
        rows.append({"query": name, "seconds": round(seconds, 2), "server_rss_growth_mb": round(rss_mb(me) - rss0),
                     "worker_peak_rss_mb": round(peak[0]), "outcome": outcome})
        print(rows[-1], flush=True)
    return rows


def import_with_readers(db: Path, out: Path, readers: int, events: int) -> dict:
    import duckdb

    from data import storefile

    # the file to import: `events` new events (the demo's, with new ids)
    src = storefile.open_reader(db)
    n_before = src.execute("select count(*) from events").fetchall()[0][0]
    csv = out / "new_events.csv"
    src.close()
    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"copy (select 'N' || event_id as event_id, * exclude (event_id, import_id) from events "
                f"limit {events}) to '{csv}' (header)")
    con.close()

    log: list[tuple] = []          # (reader, t, latency, count, error)
    stop = threading.Event()
    t_start = time.perf_counter()

    def reader(i: int):
        version, con = None, None
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                st = os.stat(db)
                v = (st.st_ino, st.st_mtime_ns)
                if v != version:
                    con, version = storefile.open_reader(db), v
                cur = con.cursor()
                n = cur.execute("select count(*) from events e join grids g using (grid_id) "
                                "where g.street = '东关街道' or true").fetchall()[0][0]
                cur.close()
                log.append((i, t0 - t_start, time.perf_counter() - t0, n, None))
            except Exception as e:     # noqa: BLE001 — counted and reported
                log.append((i, t0 - t_start, time.perf_counter() - t0, None, str(e)[:120]))
            time.sleep(0.05)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    for t in threads:
        t.start()
    time.sleep(3)
    t_imp0 = time.perf_counter() - t_start
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ingest", "--db", str(db), "--kind", "events",
                           str(csv)], capture_output=True, text=True, cwd=ROOT)
    t_imp1 = time.perf_counter() - t_start
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join()

    def lat(rows):
        xs = sorted(r[2] for r in rows if r[4] is None)
        return {"queries": len(rows), "p50_ms": round(1000 * statistics.median(xs)) if xs else None,
                "p95_ms": round(1000 * xs[int(0.95 * (len(xs) - 1))]) if xs else None,
                "max_ms": round(1000 * xs[-1]) if xs else None}

    before = [r for r in log if r[1] < t_imp0]
    during = [r for r in log if t_imp0 <= r[1] < t_imp1]
    after = [r for r in log if r[1] >= t_imp1]
    first_new = {}
    for i, t, _, n, _ in log:
        if n is not None and n > n_before and i not in first_new:
            first_new[i] = t
    return {
        "events_before": n_before, "events_imported": events, "readers": readers,
        "import_exit": proc.returncode, "import_seconds": round(t_imp1 - t_imp0, 2),
        "counts_seen_before": sorted({r[3] for r in before}), "counts_seen_during": sorted({r[3] for r in during}),
        "counts_seen_after": sorted({r[3] for r in after}), "errors": sum(1 for r in log if r[4]),
        "error_samples": sorted({r[4] for r in log if r[4]})[:3],
        "latency_before": lat(before), "latency_during": lat(during), "latency_after": lat(after),
        "readers_seeing_new_data_s_after_import_end": sorted(round(t - t_imp1, 2) for t in first_new.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=400_000, help="events in the demo store")
    ap.add_argument("--import-events", type=int, default=200_000)
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--skip-sql", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "hardening.duckdb"
    for p in out.glob("hardening.duckdb*"):
        p.unlink()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "demo", "--db", str(db), "--events", str(args.events)],
                   check=True, cwd=ROOT, capture_output=True)
    if not args.skip_sql:
        print("== SQL tab budget (东关 street staff) ==")
        sql_budget(db)
    print(f"== an import of {args.import_events:,} events while {args.readers} readers query ==")
    for k, v in import_with_readers(db, out, args.readers, args.import_events).items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
