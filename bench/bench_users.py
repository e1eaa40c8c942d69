"""Twenty people open the ranking at once (issue 15, 5): one `streamlit run serve.py` on a demo store of --events
events, --users sessions already signed in (the session cookie made the way /api/session/claim makes it, so a login's
Argon2 hash is not part of what is measured). --client ws (default): each session speaks Streamlit's websocket
protocol itself, as a browser tab does, without a browser — what the server costs; --client chromium: headless
Chromium (one browser, a context each), whose rendering shares this machine's 2 cores with the server.

    python bench/bench_users.py [--users 20] [--events 1000000] [--out bench/out] [--warm] [--client ws|chromium]
                                 [--procs N]   (N > 1: N app processes behind nginx, as `make serve`)

Three rounds, every session at the same moment:
  1. cold   the first visit after the server started (nothing cached: the board, 较上期/同比, rank history, the
            rank intervals' bootstrap) — or, with --warm, after the server's warming thread (ui/warm.py) ran;
  2. warm   the same users open the ranking again (another period's link already computed once);
  3. period each user switches the period (the ranking of 本年, opened by URL like a shared link).
For each: time until the ranking table is on the screen (ws: the server sent it) and until the page has finished
running; p50 / p95 / max over the users; the server process's CPU seconds and RSS (from /proc). With chromium the
browsers run on the same 2 cores as the server, which the output says: a p95 there is an upper bound of what users
on their own machines would see.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TABLE = '[data-testid="stMain"] [data-testid="stDataFrame"]'
DONE_JS = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return !!a && a.getAttribute('data-test-script-state') === 'notRunning'
         && a.getAttribute('data-test-connection-state') === 'CONNECTED'
         && !!document.querySelector('[data-testid="stMain"] [data-testid="stDataFrame"]'); }"""


def _proc(pid) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process (or a list of them) and their children still running."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu, rss = 0.0, 0.0
    pids = []
    for one in (pid if isinstance(pid, list) else [pid]):
        pids += [one] + [int(p) for p in Path(f"/proc/{one}/task/{one}/children").read_text().split()]
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(stat[11]) + int(stat[12])) / tick
            rss += int(stat[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (FileNotFoundError, IndexError):
            pass
    return cpu, rss


def _store(out: Path, events: int) -> Path:
    """A private copy of bench_pages.py's demo store (sessions and the audit log are written beside it)."""
    from bench_pages import _store as demo_store

    db = demo_store(out, events, date.today().replace(day=1) - timedelta(days=1))
    run = out / "users" / db.name                               # sessions and audit go beside a private copy
    shutil.rmtree(run.parent, ignore_errors=True)
    run.parent.mkdir(parents=True)
    shutil.copy(db, run)
    return run


def _serve(db: Path, warm: bool) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(db.parent / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "GRIDGOV_DB": str(db), "GRIDGOV_WARM": "1" if warm else "0"}, stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start: see " + str(db.parent / "streamlit.log"))


async def _ws_round(cookies: list[str], url: str, path: str) -> list[tuple[float, float]]:
    """Each user a new Streamlit session over the app's own websocket protocol (what a browser tab opens), no
    browser: the time the server takes to send the ranking table, then to finish the page."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page, _, query = path.lstrip("/").partition("?")

    async def one(cookie: str):
        async with websockets.connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"],
                                      additional_headers={"Origin": url, "Cookie": cookie}, max_size=None,
                                      open_timeout=300) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = query
            msg.rerun_script.page_name = page
            t = time.perf_counter()
            await ws.send(msg.SerializeToString())
            shown = None
            while True:
                f = ForwardMsg()
                f.ParseFromString(await ws.recv())
                kind = f.WhichOneof("type")
                if shown is None and kind == "delta" and f.delta.WhichOneof("type") == "new_element" \
                        and f.delta.new_element.WhichOneof("type") in ("arrow_data_frame", "dataframe"):
                    shown = time.perf_counter() - t
                if kind == "script_finished":
                    done = time.perf_counter() - t
                    return (shown if shown is not None else done), done
    return await asyncio.gather(*(one(c) for c in cookies))


async def _round(contexts, url: str, path: str) -> list[tuple[float, float]]:
    async def one(ctx):
        page = ctx.pages[0] if ctx.pages else await ctx.new_page()
        t = time.perf_counter()
        await page.goto(url + path, wait_until="commit", timeout=300_000)
        await page.locator(TABLE).first.wait_for(state="visible", timeout=300_000)
        shown = time.perf_counter() - t
        await page.wait_for_function(DONE_JS, timeout=300_000, polling=100)
        return shown, time.perf_counter() - t
    return await asyncio.gather(*(one(c) for c in contexts))


def _line(name: str, got: list[tuple[float, float]], cpu: float, rss: float, how: str = "", key: str = "") -> None:
    def q(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
    shown, done = [g[0] for g in got], [g[1] for g in got]
    print(f"{name:7s} table shown p50 {statistics.median(shown):5.1f} s  p95 {q(shown, .95):5.1f} s  max "
          f"{max(shown):5.1f} s | page done p50 {statistics.median(done):5.1f} s  p95 {q(done, .95):5.1f} s | "
          f"server CPU {cpu:5.1f} s, RSS {rss:5.0f} MB  (target p95 ≤ 2 s: "
          f"{'met' if q(shown, .95) <= 2 else 'NOT met'})")
    if how:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import figures

        figures.record(f"users.{key}.{name}", f"{len(got)} signed-in sessions at once, ranking table shown — {name} ({how})",
                       f"p50 {statistics.median(shown):.1f} s, p95 {q(shown, .95):.1f} s, max {max(shown):.1f} s; "
                       f"server CPU {cpu:.1f} s, RSS {rss:.0f} MB", "p95 ≤ 2 s", q(shown, .95) <= 2)


def _serve_many(db: Path, procs: int, warm: bool):
    """`make serve`'s setup (scripts/serve_many.py): the app processes behind nginx with sticky sessions."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import serve_many

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(db.parent / "streamlit.log", "wb")
    children, run, ports = serve_many.start(procs, port, str(db), "127.0.0.1", warm=warm, log=log)
    return children, run, ports, f"http://127.0.0.1:{port}"


async def main_async(args) -> None:
    from playwright.async_api import async_playwright

    from access import sessions

    db = _store(Path(args.out), args.events)
    if args.procs > 1:
        children, run, ports, url = _serve_many(db, args.procs, args.warm)
        proc = children[:-1]                    # the app processes (nginx's CPU is not the app's)
    else:
        proc, url = _serve(db, args.warm)
        children, run, ports = [proc], None, [int(url.rsplit(":", 1)[1])]
    try:
        cookies = []
        for _ in range(args.users):
            token = sessions.create("login", "admin", timedelta(hours=2), store_path=db)
            cookies.append({"name": sessions.COOKIE, "value": sessions.sign(token, store_path=db),
                            "url": url, "httpOnly": True, "sameSite": "Strict"})
        # each user's route cookie, as nginx gives a browser on its first request (ignored by a single server)
        routes = [f"gg_route={secrets.token_hex(16)}" for _ in cookies]
        if args.warm:               # as after an import hours before the meeting: the server warms, then people come
            t = time.perf_counter()
            for p in ports:                     # each process's first session runs app.py, which starts its warming
                await _ws_round([f"{cookies[0]['name']}={cookies[0]['value']}"], f"http://127.0.0.1:{p}", "/")
            log = db.parent / "streamlit.log"
            while log.read_text(encoding="utf-8", errors="replace").count("caches warmed") < len(ports):
                if time.perf_counter() - t > 900:
                    raise SystemExit("warming did not finish within 15 min: see " + str(log))
                await asyncio.sleep(1)
            print(f"server warmed its caches in {time.perf_counter() - t:.0f} s (GRIDGOV_WARM=1, as `make run`)")
        serving = ("one server process" if args.procs == 1 else
                   f"{args.procs} app processes behind nginx (scripts/serve_many.py, sticky by cookie)")
        pids = [p.pid for p in proc] if isinstance(proc, list) else proc.pid
        rounds = (("cold", "/scoreboard"), ("warm", "/scoreboard"), ("period", "/scoreboard?period=%E6%9C%AC%E5%B9%B4"))
        if args.client == "ws":
            print(f"== {args.users} users, {args.events:,} events; sessions over the websocket protocol, no browser "
                  f"on this machine ({os.cpu_count()} cores; other work on them is not excluded); {serving}")
            for name, path in rounds:
                cpu0, _ = _proc(pids)
                got = await _ws_round([f"{c['name']}={c['value']}; {r}" for c, r in zip(cookies, routes)], url, path)
                cpu1, rss = _proc(pids)
                _line(name, got, cpu1 - cpu0, rss, f"websocket protocol, no browser on the machine, {serving}"
                      f"{', caches warmed first' if args.warm else ''}", f"ws.procs{args.procs}.warm{int(args.warm)}")
            return
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            contexts = []
            for c in cookies:
                ctx = await browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
                await ctx.add_cookies([c])
                contexts.append(ctx)
            print(f"== {args.users} users, {args.events:,} events; server and the browsers share "
                  f"{os.cpu_count()} cores (browsers on the same machine)")
            for name, path in rounds:
                cpu0, _ = _proc(pids)
                got = await _round(contexts, url, path)
                cpu1, rss = _proc(pids)
                _line(name, got, cpu1 - cpu0, rss, f"{len(contexts)} Chromium contexts sharing the cores with the "
                      f"server, {serving}{', caches warmed first' if args.warm else ''}",
                      f"chromium.procs{args.procs}.warm{int(args.warm)}")
            await browser.close()
    finally:
        for p in children:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in children:
            p.wait(20)
        if run is not None:
            shutil.rmtree(run, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--client", choices=["ws", "chromium"], default="ws",
                    help="ws: Streamlit's websocket protocol, no browser (the server's time); chromium: real browsers "
                         "on this machine (adds their rendering on the same cores)")
    ap.add_argument("--warm", action="store_true", help="let the server warm its caches first (GRIDGOV_WARM=1)")
    ap.add_argument("--procs", type=int, default=1,
                    help="app processes behind nginx, as `make serve` (scripts/serve_many.py); 1: one streamlit run")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
