"""Serve the dashboard from several processes behind nginx (`make serve`): one command for a meeting's worth of users.

One Streamlit process runs its page scripts under one GIL, so twenty people opening the ranking at once queue on
one core (bench/bench_users.py). This starts --procs app processes (default: one per core), each on its own local
port with its own page cache (warmed in the background after start and after every import, GRIDGOV_WARM=1), and
nginx (Debian's nginx-light, installed by scripts/setup.sh) in front on --port:

* sticky sessions: a browser's first request gets a random `gg_route` cookie and every later request (the page's
  WebSocket, uploads, the login's cookie claim) is routed by it — a Streamlit session and the one-time login claim
  live in one process's memory;
* the login cookie, its signing key and the sessions are in the audit file beside the store, so any process honours
  a login made on another; imports swap the store file atomically (data/storefile.py), so every process reads the
  same data and sees an import at its next query;
* the browser's address is passed as X-Real-IP, and the apps trust it (GRIDGOV_BEHIND_PROXY=1) for login throttling.

    python scripts/serve_many.py [--procs N] [--port 8501] [--db data/gridgov.duckdb] [--address 0.0.0.0]

Stops everything on Ctrl-C / SIGTERM, and when any app process or nginx exits.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NGINX_CONF = """\
worker_processes 1;
error_log {run}/error.log warn;
pid {run}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_max_body_size 1g;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # the route: the browser's cookie, or a new random one for its first request
    map $cookie_gg_route $gg_route {{ "" $request_id; default $cookie_gg_route; }}
    upstream gridgov {{
        hash $gg_route consistent;
{servers}
    }}
    server {{
        listen {address}:{port};
        location / {{
            # "gridgov" is the upstream block above (the local app processes), not a host name
            proxy_pass http://gridgov;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "gg_route=$gg_route; Path=/; HttpOnly; SameSite=Strict" always;
            add_header X-Gridgov-Backend $upstream_addr always;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.path.exists(p)), None)


def nginx_conf(run: Path, ports: list[int], port: int, address: str) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in ports)
    return NGINX_CONF.format(run=run, servers=servers, port=port, address=address)


def _wait_healthy(url: str, procs: list, deadline: float) -> None:
    while time.time() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("一个看板进程启动失败（见上方输出）。")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"看板进程在限定时间内没有就绪：{url}")


def start(procs: int, port: int, db: str, address: str = "0.0.0.0", warm: bool = True,
          python: str = sys.executable, log=None) -> tuple[list[subprocess.Popen], Path, list[int]]:
    """Start the app processes and nginx; returns (processes, nginx's run directory, the apps' ports). Nginx is the
    last process. `log`: a file for the apps' output (default: this terminal)."""
    nginx = nginx_binary()
    if nginx is None:
        raise SystemExit("未找到 nginx：请先运行 bash scripts/setup.sh（安装 Debian 的 nginx-light），或用 make run 单进程启动。")
    env = {**os.environ, "GRIDGOV_DB": db, "GRIDGOV_BEHIND_PROXY": "1"}
    if warm:
        env["GRIDGOV_WARM"] = "1"
    ports = [free_port() for _ in range(procs)]
    children = []
    for p in ports:
        children.append(subprocess.Popen(
            [python, "-m", "streamlit", "run", "serve.py", "--server.port", str(p), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT if log else None))
    deadline = time.time() + 120
    for p in ports:
        _wait_healthy(f"http://127.0.0.1:{p}/_stcore/health", children, deadline)
    run = Path(tempfile.mkdtemp(prefix="gridgov-nginx-"))
    (run / "nginx.conf").write_text(nginx_conf(run, ports, port, address), encoding="utf-8")
    children.append(subprocess.Popen([nginx, "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon off;"],
                                     start_new_session=True))
    _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", children, time.time() + 30)
    return children, run, ports


def stop(children: list[subprocess.Popen], run: Path | None = None) -> None:
    for p in children:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in children:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    if run is not None:
        shutil.rmtree(run, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--port", type=int, default=8501)
    ap.add_argument("--db", default=os.environ.get("GRIDGOV_DB", str(ROOT / "data" / "gridgov.duckdb")))
    ap.add_argument("--address", default="0.0.0.0")
    args = ap.parse_args()
    children, run, _ = start(args.procs, args.port, args.db, args.address)
    print(f"看板已启动：http://localhost:{args.port}/ （{args.procs} 个进程，nginx 按浏览器分配；Ctrl-C 停止）", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        while not stopping and all(p.poll() is None for p in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(children, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
