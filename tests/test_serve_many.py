"""`make serve` (scripts/serve_many.py): two app processes behind nginx. Requests stick to one process by the
route cookie nginx hands out, fresh browsers spread over both, a login made through the proxy works (its one-time
claim reaches the process that holds it), and a signed-in browser moved to the other process stays signed in (the
sessions live in the audit file, not in a process). Real nginx, real `streamlit run`, real Chromium.
"""
from __future__ import annotations

import os
import secrets
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import serve_many  # noqa: E402

pytestmark = pytest.mark.browser

if serve_many.nginx_binary() is None:
    if os.environ.get("CI") == "true":
        pytest.fail("nginx is missing and CI=true: scripts/setup.sh installs nginx-light", pytrace=False)
    pytest.skip("nginx not installed (apt-get install -y nginx-light)", allow_module_level=True)

from tests.test_browser import SHOTS, Visit, browser, demo_store, password  # noqa: E402, F401


class _Many:
    def __init__(self, url: str, log: Path, db: Path, ports: list[int]):
        self.url, self.log, self.db, self.ports = url, log, db, ports

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("many")
    db = demo_store(tmp)
    port = serve_many.free_port()
    log = tmp / "apps.log"
    with open(log, "wb") as out:
        children, run, ports = serve_many.start(2, port, str(db), "127.0.0.1", warm=False, log=out)
    try:
        yield _Many(f"http://127.0.0.1:{port}", log, db, ports)
    finally:
        serve_many.stop(children, run)


def _get(url: str, route: str | None = None) -> tuple[str, str | None]:
    """(backend that answered, the route cookie nginx set)."""
    req = urllib.request.Request(url, headers={"Cookie": f"gg_route={route}"} if route else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        routes = [c.split(";")[0].partition("=")[2] for c in r.headers.get_all("Set-Cookie") or []
                  if c.startswith("gg_route=")]
        return r.headers["X-Gridgov-Backend"], routes[0] if routes else None


def test_nginx_config_is_the_documented_one(tmp_path):
    conf = serve_many.nginx_conf(tmp_path, [1111, 2222], 8501, "0.0.0.0")
    assert "hash $gg_route consistent" in conf and "server 127.0.0.1:1111" in conf and "server 127.0.0.1:2222" in conf
    assert "proxy_set_header Upgrade $http_upgrade" in conf                   # Streamlit's websocket
    assert "proxy_set_header X-Real-IP $remote_addr" in conf                   # login throttling per browser


def test_a_browser_sticks_to_one_process_and_browsers_spread(many):
    backend, route = _get(many.url + "/_stcore/health")
    assert route and len(route) == 32, "nginx gave no route cookie"
    assert {_get(many.url + "/_stcore/health", route)[0] for _ in range(10)} == {backend}
    assert {_get(many.url + "/", route)[0] for _ in range(3)} == {backend}         # the page itself too
    seen = {_get(many.url + "/_stcore/health", secrets.token_hex(16))[0] for _ in range(30)}
    assert seen == {f"127.0.0.1:{p}" for p in many.ports}, seen


def test_login_through_the_proxy_and_moving_to_the_other_process(many, browser, password):  # noqa: F811
    v = Visit(browser, many)
    try:
        v.login(password)
        v.wait_ready("/")
        cookies = {c["name"]: c["value"] for c in v.context.cookies()}
        assert "gg_session" in cookies, "the login's cookie claim did not reach the process holding it"
        mine = _get(many.url + "/_stcore/health", cookies["gg_route"])[0]
        v.assert_clean()
        # the same browser routed to the other process: the session is in the audit file, not in a process
        other = next(r for r in (secrets.token_hex(16) for _ in range(200))
                     if _get(many.url + "/_stcore/health", r)[0] != mine)
        v.context.add_cookies([{"name": "gg_route", "value": other, "url": many.url}])
        v.page.goto(many.url + "/scoreboard")
        v.wait_ready("/scoreboard")
        assert not v.page.get_by_label("密码").count(), "the other process asked for the password again"
        assert v.nav_link_locator().count() > 3
        assert "街道" in v.page.evaluate("() => document.body.innerText")
        v.assert_clean()
        v.screenshot(SHOTS / "serve_many_scoreboard.png", full_page=False)
    finally:
        v.close()
