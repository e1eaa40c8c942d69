"""Every registered page in a real headless Chromium against a real `streamlit run` on a demo store: the page
finishes rendering (script done, no skeletons, every visible chart drawn), shows no exception or error alert, is
listed under its own title in the sidebar, and no request leaves 127.0.0.1 (offline/intranet). A full-page
screenshot of each page goes to artifacts/screenshots/<url_path>.png.

The server is `streamlit run serve.py` (app.py plus the route that sets the login cookie). The tests log in as the
demo admin (who sees every page) at the root URL and open each page the way a user does, with its sidebar link,
in one shared logged-in tab (a login costs ~4 s; after a failed test the next one starts in a fresh context;
GRIDGOV_BROWSER_FRESH=1 gives every page its own context). The kiosk test has its own context and opens
/scoreboard?kiosk=1 inside the logged-in session the way the browser's back/forward buttons do
(history.pushState + popstate), which Streamlit handles like a page load.

Needs /usr/bin/chromium and fonts-noto-cjk (Debian packages; never `playwright install`). Without chromium the
module is skipped, except under CI=true, where it fails.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ui.nav import PAGES, url_of

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
# Ends yesterday like the AppTest store (tests/conftest.py): the pages default to 上月 relative to today, so a
# fixed calendar date would leave them empty a few weeks later. The generator is seeded: same day, same data.
DEMO_END = (date.today() - timedelta(days=1)).isoformat()
USER = "admin"                      # the demo admin sees every page, admin_only ones included

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1920, "height": 1080}
PAGE_TIMEOUT = 60.0                 # seconds for one page to finish rendering (cold map page: ~5 s)
SETTLE_MS = 400                     # after the page is ready: let fonts and chart transitions finish

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing and CI=true: the browser tests must run in CI "
                    "(apt-get install -y chromium chromium-driver fonts-noto-cjk)", pytrace=False)
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium chromium-driver fonts-noto-cjk)",
                allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402  (only once chromium is known to exist)

# One snapshot of the page's state; the page is ready when `pending` is empty. Charts count only when visible
# (a chart inside a closed tab or expander is not drawn until it is opened).
READY_JS = r"""() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return {pending: ['no stApp yet'], state: null};
  const state = app.getAttribute('data-test-script-state');
  const conn = app.getAttribute('data-test-connection-state');
  const pending = [];
  if (state !== 'notRunning') pending.push('script ' + state);
  if (conn !== 'CONNECTED') pending.push('connection ' + conn);
  if (!document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]'))
    pending.push('main area empty');
  const skeletons = document.querySelectorAll('[data-testid="stSkeleton"]').length;
  if (skeletons) pending.push(skeletons + ' skeleton(s)');
  const visible = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility());
  const plots = visible('[data-testid="stPlotlyChart"]');
  const decks = visible('[data-testid="stDeckGlJsonChart"]');
  const undrawnPlots = plots.filter(e => !e.querySelector('.main-svg')).length;
  const undrawnDecks = decks.filter(e => !e.querySelector('canvas')).length;
  if (undrawnPlots) pending.push(undrawnPlots + ' plotly chart(s) not drawn');
  if (undrawnDecks) pending.push(undrawnDecks + ' deck.gl map(s) not drawn');
  return {pending, state, plots: plots.length, decks: decks.length};
}"""

# Everything Streamlit shows when something went wrong. st.exception and uncaught exceptions render
# [data-testid=stException]; st.error renders [data-testid=stAlertContentError] (Streamlit 1.67: stAlert >
# stAlertContainer[role=alert] > stAlertContent<Kind>; role=alert is shared with warnings, so the kind-specific test
# id is the one to look for). Modals from the frontend ("Page not found", connection errors) are stDialog.
ERRORS_JS = r"""() => {
  const text = sel => [...document.querySelectorAll(sel)].map(e => e.innerText.trim().slice(0, 500));
  return {exceptions: text('[data-testid="stException"]'),
          errors: text('[data-testid="stAlertContentError"]'),
          dialogs: text('[data-testid="stDialog"]')};
}"""

# The full height of the page: Streamlit scrolls inside stMain, so a "full page" screenshot needs a taller viewport.
HEIGHT_JS = r"""() => Math.max(document.documentElement.scrollHeight,
  ...['stMain', 'stAppViewContainer', 'stSidebarContent'].map(id => {
    const e = document.querySelector(`[data-testid="${id}"]`); return e ? e.scrollHeight : 0; }))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path):
        self.proc, self.url, self.log = proc, url, log

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def demo_store(tmp: Path) -> Path:
    """A demo store ending yesterday, made by the CLI as a user would."""
    db = tmp / "demo.duckdb"
    subprocess.run([sys.executable, "cli.py", "demo", "--db", str(db), "--end", DEMO_END], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    return db


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A demo store and one `streamlit run app.py` on it, on a free port; the process group is killed at the end."""
    tmp = tmp_path_factory.mktemp("browser")
    db = demo_store(tmp)
    port = _free_port()
    log = tmp / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, "GRIDGOV_DB": str(db)}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    srv = Server(proc, f"http://127.0.0.1:{port}", log)
    srv.db = db
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within 60 s:\n{srv.log_tail()}",
                            pytrace=False)
            time.sleep(0.2)
        yield srv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def password():
    from access import accounts
    cfg = accounts.load()
    if USER not in cfg.demo_passwords:
        pytest.fail(f"no demo password for {USER!r} in the accounts file: the browser test logs in with it",
                    pytrace=False)
    return cfg.demo_passwords[USER]


class Visit:
    """One fresh browser context and page, with every request and websocket it opens recorded."""

    def __init__(self, browser, server: Server):
        self.server = server
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.passed = False
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))

    def close(self):
        self.context.close()

    def fail(self, msg: str):
        pytest.fail(f"{msg}\nURL: {self.page.url}\n--- streamlit log (tail) ---\n{self.server.log_tail()}",
                    pytrace=False)

    def wait_ready(self, path: str | None = None, timeout: float = PAGE_TIMEOUT) -> dict:
        """Wait until the page has finished (see READY_JS) and stayed so for a few polls, at the URL path `path`."""
        deadline = time.monotonic() + timeout
        streak, snap = 0, {}
        while time.monotonic() < deadline:
            snap = self.page.evaluate(READY_JS)
            if snap.get("state") == "compilationError":
                self.fail(f"script compilation error: {self.page.evaluate(ERRORS_JS)}")
            at_path = path is None or urlparse(self.page.url).path == path
            streak = streak + 1 if not snap["pending"] and at_path else 0
            if streak >= 3:
                self.page.wait_for_timeout(SETTLE_MS)
                snap = self.page.evaluate(READY_JS)
                if not snap["pending"]:
                    return snap
                streak = 0
            self.page.wait_for_timeout(100)
        self.screenshot(SHOTS / f"timeout{(path or '').replace('/', '_')}.png")
        self.fail(f"page not ready after {timeout:.0f} s (expected path {path!r}): {snap.get('pending')}")

    def login(self, password: str, user: str = USER):
        """Log in at the root URL; returns once the navigation is there (the default page may still be running)."""
        self.page.goto(self.server.url + "/")
        self.page.get_by_label("用户名").fill(user)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.locator('[data-testid="stSidebarNavLink"]').first.wait_for(timeout=PAGE_TIMEOUT * 1000)

    def nav_link_locator(self):
        return self.page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')

    def nav_links(self) -> list[tuple[str, str]]:
        """(URL path, text) of every sidebar navigation link, in order."""
        return [(urlparse(a.get_attribute("href") or "").path, a.inner_text()) for a in self.nav_link_locator().all()]

    def outside_requests(self) -> list[str]:
        favicon = self.page.evaluate(
            "() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        return sorted({u for u in self.requests + favicon if not _local(u)})

    def assert_clean(self):
        found = self.page.evaluate(ERRORS_JS)
        assert not found["exceptions"], f"exception on the page: {found['exceptions']}"
        assert not found["errors"], f"error alert on the page: {found['errors']}"
        assert not found["dialogs"], f"dialog on the page: {found['dialogs']}"
        outside = self.outside_requests()
        assert not outside, f"requests that leave 127.0.0.1: {outside}"

    def screenshot(self, path: Path, full_page: bool = True):
        path.parent.mkdir(parents=True, exist_ok=True)
        if full_page:
            height = min(int(self.page.evaluate(HEIGHT_JS)), 12000)
            if height > VIEWPORT["height"]:
                self.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
                self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path), full_page=True)
        if self.page.viewport_size != VIEWPORT:
            self.page.set_viewport_size(VIEWPORT)


def _local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in ("data", "blob", "about") or (u.scheme in ("http", "https", "ws", "wss")
                                                       and u.hostname == "127.0.0.1")


def _new_visit(browser, server, password) -> Visit:
    v = Visit(browser, server)
    v.login(password)
    return v


@pytest.fixture(scope="module")
def logged_in(browser, server, password):
    """The module's logged-in tab (see `visit`); holds None until first used and after a failed test."""
    holder: dict[str, Visit | None] = {"visit": None}
    yield holder
    if holder["visit"]:
        holder["visit"].close()


@pytest.fixture
def visit(logged_in, browser, server, password):
    """A logged-in tab for one page test. Logging in costs ~4 s a context (the login page, then the first page
    runs), so the page tests share one logged-in tab and move between pages through the sidebar like a user;
    after a failed test the next one starts over in a fresh context, so one broken page cannot fail the rest.
    GRIDGOV_BROWSER_FRESH=1: a fresh context and login for every page (full isolation, ~2x slower)."""
    v = logged_in["visit"]
    if v is None or os.environ.get("GRIDGOV_BROWSER_FRESH") == "1":
        if v is not None:
            v.close()
        v = logged_in["visit"] = _new_visit(browser, server, password)
    v.requests.clear()
    v.passed = False
    yield v
    if not v.passed or os.environ.get("GRIDGOV_BROWSER_FRESH") == "1":
        v.close()
        logged_in["visit"] = None


@pytest.fixture
def fresh_visit(browser, server, password):
    v = _new_visit(browser, server, password)
    yield v
    v.close()


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_offline_without_errors(visit, spec):
    path = "/" + url_of(spec)
    links = visit.nav_links()
    hits = [i for i, (href, _) in enumerate(links) if href == path]
    assert hits, f"no sidebar link to {path}; links: {links}"
    assert spec.title in links[hits[0]][1], f"sidebar link to {path} reads {links[hits[0]][1]!r}, not {spec.title!r}"
    if urlparse(visit.page.url).path != path:     # right after the login the default page is already open
        visit.nav_link_locator().nth(hits[0]).click()
    visit.wait_ready(path)
    visit.screenshot(SHOTS / f"{spec.url_path}.png")
    visit.assert_clean()
    _assert_no_raw_text(visit, spec.title)
    visit.passed = True


def test_scoreboard_kiosk_hides_the_chrome(fresh_visit):
    if not any(p.url_path == "scoreboard" for p in PAGES):
        pytest.skip("no page with url_path 'scoreboard' registered in ui/nav.py")
    v = fresh_visit
    v.wait_ready("/")
    # open /scoreboard?kiosk=1 inside the logged-in session (a reload would start a new, logged-out session)
    v.page.evaluate("""() => { history.pushState(null, '', '/scoreboard?kiosk=1');
                               dispatchEvent(new PopStateEvent('popstate')); }""")
    v.wait_ready("/scoreboard")
    assert "kiosk=1" in v.page.url
    for testid in ("stSidebar", "stHeader"):
        assert not v.page.locator(f'[data-testid="{testid}"]').is_visible(), f"{testid} visible in kiosk view"
    v.screenshot(SHOTS / "scoreboard_kiosk.png", full_page=False)
    v.assert_clean()


def test_street_staff_sees_no_other_street_anywhere(browser, server):
    """Logged in as 东关街道 staff: no page, chart, table or option shows another street's name."""
    from access import accounts

    cfg = accounts.load()
    v = Visit(browser, server)
    try:
        v.login(cfg.demo_passwords["dongguan"], user="dongguan")
        v.wait_ready("/")
        links = v.nav_links()
        assert all(href.strip("/") not in ("import", "audit") for href, _ in links), links
        for i, (href, title) in enumerate(links):
            if urlparse(v.page.url).path != href:
                v.nav_link_locator().nth(i).click()
            v.wait_ready(href)
            text = v.page.evaluate("() => document.body.textContent")
            assert "东关街道" in text, f"{title}: own street not shown"
            for other in ("中街街道", "西郊街道"):
                assert other not in text, f"{other} shown to 东关 staff on {title} ({href})"
            v.screenshot(SHOTS / f"staff{href.replace('/', '_') or '_cockpit'}.png", full_page=False)
            v.assert_clean()
            _assert_no_raw_text(v, title)
    finally:
        v.close()


def _cookie(v: Visit) -> dict | None:
    from access import sessions
    return next((c for c in v.context.cookies() if c["name"] == sessions.COOKIE), None)


def _wait_for(fn, timeout: float = 15.0, step_ms: int = 200, page=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        (page.wait_for_timeout(step_ms) if page is not None else time.sleep(step_ms / 1000))
    return fn()


def test_signed_in_survives_reload_and_new_tabs_until_logout(fresh_visit):
    """F5, a new tab from a 查看记录 link and a reconnect all find the HttpOnly cookie and stay signed in."""
    v = fresh_visit
    v.wait_ready("/")
    cookie = _wait_for(lambda: _cookie(v), page=v.page)
    assert cookie, "no session cookie after the login"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert v.page.evaluate("() => document.cookie").find(cookie["name"]) < 0, "cookie readable from JavaScript"
    v.page.reload()
    v.wait_ready("/")
    assert v.nav_link_locator().count() > 3, "reload shows the login instead of the app"
    assert not v.page.get_by_label("密码").count()
    # a 查看记录 link opened in a new tab
    tab = v.context.new_page()
    tab.goto(v.server.url + "/explorer?dataset=%E4%BA%8B%E4%BB%B6")
    other = Visit.__new__(Visit)
    other.__dict__.update(v.__dict__, page=tab)
    other.wait_ready("/explorer")
    assert not tab.get_by_label("密码").count(), "a new tab shows the login"
    assert tab.locator('[data-testid="stSidebarNavLink"]').count() > 3
    tab.close()
    # logout ends the server-side session: the same cookie no longer signs in
    v.page.get_by_role("button", name="退出登录").click()
    v.page.get_by_label("密码").wait_for(timeout=PAGE_TIMEOUT * 1000)
    v.page.reload()
    v.page.get_by_label("密码").wait_for(timeout=PAGE_TIMEOUT * 1000)
    assert _cookie(v), "the test needs the stale cookie still in the browser"


def test_display_link_shows_only_the_kiosk_and_stops_once_revoked(browser, server):
    from datetime import timedelta as td

    from access import sessions

    token = sessions.create("display", "admin", td(days=1), label="会议室", store_path=server.db)
    v = Visit(browser, server)
    try:
        v.page.goto(f"{server.url}/?display={token}&every=6")
        v.wait_ready()
        text = v.page.evaluate("() => document.body.innerText")
        # a kiosk view (which of the rotation depends on how long the page took to load), with the demo's streets
        assert v.page.locator(".gg-k-title, .gtitle").count() and "统计期" in text and "中街街道" in text, text[:300]
        assert not v.page.get_by_label("密码").count(), "a display link asks for a password"
        for testid in ("stSidebar", "stHeader", "stSidebarNav"):
            assert not v.page.locator(f'[data-testid="{testid}"]').is_visible(), testid
        # another page's URL with the same token: still the kiosk, nothing else
        v.page.goto(f"{server.url}/explorer?display={token}&every=6")
        v.wait_ready()
        assert "gg-k-title" in v.page.content() and "自助分析" not in v.page.evaluate("() => document.body.innerText")
        found = v.page.evaluate(ERRORS_JS)       # Streamlit's own "Page not found" notice is expected here
        assert not found["exceptions"] and not found["errors"], found
        sessions.revoke_token(token, by="admin", store_path=server.db)
        # the next rotation (every 6 s; the server caches a session for up to 5 s) drops to the notice
        gone = _wait_for(lambda: "已失效或已被撤销" in v.page.evaluate("() => document.body.innerText"),
                         timeout=30, page=v.page)
        assert gone, "the kiosk kept rotating after its display link was revoked"
        assert not v.page.locator(".gg-k-title").count()
        v.page.reload()
        v.wait_ready()
        assert "已失效或已被撤销" in v.page.evaluate("() => document.body.innerText")
        assert not v.page.get_by_label("密码").count()
    finally:
        v.close()


# Every visible text in the main area (HTML and the plotly SVG) with its computed font size and its contrast
# against the first opaque background behind it (WCAG relative luminance).
TEXT_METRICS_JS = r"""() => {
  const rgb = c => (c.match(/[\d.]+/g) || [255, 255, 255]).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const opaque = c => { const m = rgb(c); return c.startsWith('rgb') && (m.length < 4 || m[3] > 0.5); };
  const bgOf = el => { for (let e = el; e; e = e.parentElement) { const b = getComputedStyle(e).backgroundColor;
      if (opaque(b)) return b; } return 'rgb(255, 255, 255)'; };
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode, el = t.parentElement;
    if (!t.textContent.trim() || el.closest('svg') || el.closest('style') || !el.checkVisibility()) continue;
    const cs = getComputedStyle(el);
    out.push({text: t.textContent.trim().slice(0, 24), size: parseFloat(cs.fontSize), fg: cs.color, bg: bgOf(el)});
  }
  let right = 0;
  for (const el of main.querySelectorAll('svg text')) {
    const box = el.getBoundingClientRect();
    if (!el.textContent.trim() || box.width === 0) continue;
    right = Math.max(right, box.right);
    const cs = getComputedStyle(el);
    out.push({text: el.textContent.trim().slice(0, 24), size: parseFloat(cs.fontSize), fg: cs.fill,
              bg: bgOf(el.closest('[data-testid="stPlotlyChart"]'))});
  }
  const ratio = o => { const a = lum(o.fg), b = lum(o.bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const m = main, d = document.documentElement;
  const bottom = Math.max(0, ...[...main.querySelectorAll('.gg-k table, .gg-k-note, [data-testid="stPlotlyChart"]')]
      .map(e => e.getBoundingClientRect().bottom));
  return {texts: out.map(o => ({...o, contrast: Math.round(ratio(o) * 10) / 10})),
          scroll: [m.scrollHeight - m.clientHeight, d.scrollHeight - d.clientHeight, m.scrollWidth - m.clientWidth],
          bottom, right, title: (document.querySelector('.gg-k-title') || document.querySelector('.gtitle') || {}).textContent};
}"""


def _assert_legible(v: Visit, where: str, fill: bool = True):
    got = v.page.evaluate(TEXT_METRICS_JS)
    assert got["texts"], f"{where}: no text measured"
    small = [(t["text"], t["size"]) for t in got["texts"] if t["size"] < 48]
    assert not small, f"{where}: text under 48 px: {small}"
    dim = [(t["text"], t["contrast"], t["fg"], t["bg"]) for t in got["texts"] if t["contrast"] < 7]
    assert not dim, f"{where}: contrast under 7:1: {dim}"
    assert max(got["scroll"]) <= 1, f"{where}: scrollable by {got['scroll']} px"
    if fill:
        assert got["bottom"] >= 0.85 * VIEWPORT["height"], f"{where}: the view ends at {got['bottom']} px"
    assert got["bottom"] <= VIEWPORT["height"] + 1, f"{where}: the view runs off the screen ({got['bottom']} px)"
    assert got["right"] <= VIEWPORT["width"] + 1, f"{where}: chart text runs off the right edge ({got['right']} px)"
    return got


def test_kiosk_reads_from_the_back_of_the_room(fresh_visit):
    """The rotation: while it turns, no snapshot ever shows one view's title over another view's content. Then every
    view, each pinned with ?view=N so a measurement cannot straddle a turn: text ≥ 48 px, contrast ≥ 7:1, no
    scrollbar, the ranking fills the screen."""
    v = fresh_visit
    v.wait_ready("/")

    def go(query: str) -> None:
        v.page.evaluate("q => { history.pushState(null, '', '/scoreboard?' + q); dispatchEvent(new PopStateEvent('popstate')); }",
                        query)
        v.wait_ready("/scoreboard")

    go("kiosk=1&every=6")
    pairs: set = set()
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        snap = v.page.evaluate("""() => { const t = document.querySelector('.gg-k-title, .gtitle');
            const h = document.querySelector('.gg-k th, .legendtext');
            return [t && t.textContent, h && h.textContent]; }""")
        pairs.add((snap[0], snap[1]))
        v.page.wait_for_timeout(60)
    # one header per title: the first column head (or legend entry) always belongs to the title shown with it
    heads: dict = {}
    for title, head in pairs:
        if title and head:
            heads.setdefault(title, set()).add(head)
    assert len(heads) >= 3, heads                           # it did turn
    assert heads.get("六项综治业务指标 · 街道排名", {"名次"}) == {"名次"}, heads
    assert heads.get("分项领先", {"分项"}) == {"分项"}, heads
    assert all("名次" not in h for t, h in heads.items() if t.startswith("综合得分趋势")), heads

    seen: dict[str, dict] = {}
    for n in range(1, 5):                       # the demo: ranking, item scores (one page), item leaders, trend
        go(f"kiosk=1&view={n}")
        v.page.wait_for_timeout(400)
        v.wait_ready("/scoreboard")
        title = v.page.evaluate("() => { const t = document.querySelector('.gg-k-title, .gtitle'); return t && t.textContent; }")
        assert title, f"view {n}: no title"
        v.screenshot(SHOTS / f"kiosk_{n}.png", full_page=False)             # before the checks: to look at a failure
        seen[title] = _assert_legible(v, title, fill=not title.startswith("综合得分趋势"))
    assert list(seen)[:3] == ["六项综治业务指标 · 街道排名", "分项得分", "分项领先"], list(seen)
    assert list(seen)[3].startswith("综合得分趋势"), list(seen)


@pytest.mark.parametrize("units", [3, 20])
def test_kiosk_ranking_fills_the_screen_for_3_or_20_units(browser, units):
    """The ranking's HTML on its own at 1920×1080: 3 units or 20 (two columns) fill the screen, fit, ≥ 48 px."""
    import pandas as pd

    from ui import kiosk

    board = pd.DataFrame({"unit": [f"第{i + 1}街道社区" for i in range(units)],
                          "rank": range(1, units + 1), "score": [90 - i * 0.7 for i in range(units)],
                          "score_change": [(-1) ** i * 1.25 for i in range(units)],
                          "rank_change": [(-1) ** i for i in range(units)]})
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_content("<html><body style='margin:0'><div class='stApp'><div data-testid='stMain'>"
                         + kiosk.CSS + kiosk.ranking(board, "六项综治业务指标 · 街道排名", "统计期 2026年10月")
                         + "</div></div></body></html>")
        v = Visit.__new__(Visit)
        v.page = page
        got = _assert_legible(v, f"{units} units")
        units_shown = [t["text"] for t in got["texts"] if t["text"].endswith("街道社区")]
        assert len(units_shown) == units
    finally:
        context.close()


# Text a person reads (every text node outside <style>/<script>, table cells included: the data grid keeps an
# accessible copy of its cells in the DOM) must never show a raw value or template.
RAW_TEXT_JS = r"""() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode;
    if (t.parentElement.closest('style, script, noscript')) continue;
    const m = t.textContent.match(/\bNone\b|\bNaN\b|\bNaT\b|<NA>|\{|\bTrue\b|\bFalse\b|Select all|Binder Error/);
    if (m) out.push(t.textContent.trim().slice(0, 80));
  }
  return out;
}"""


def _assert_no_raw_text(v: Visit, where: str):
    raw = v.page.evaluate(RAW_TEXT_JS)
    assert not raw, f"{where}: raw text on the page: {raw[:8]}"


@pytest.mark.parametrize("user", ["leader", "analyst"])
def test_no_raw_text_on_any_page(browser, server, user):
    """Every page a leader or an analyst opens: no None / NaN / True / False / {template} anywhere (admin and
    street staff are walked by the tests above)."""
    from access import accounts

    v = Visit(browser, server)
    try:
        v.login(accounts.load().demo_passwords[user], user=user)
        v.wait_ready("/")
        for i, (href, title) in enumerate(v.nav_links()):
            if urlparse(v.page.url).path != href:
                v.nav_link_locator().nth(i).click()
            v.wait_ready(href)
            _assert_no_raw_text(v, f"{user} · {title}")
            v.assert_clean()
    finally:
        v.close()
