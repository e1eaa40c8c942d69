"""Real Chromium: the funnel plot and the rank intervals render (issue 11). Screenshots go to
artifacts/screenshots/fair_funnel.png, fair_scoreboard.png and fair_quality.png."""
from __future__ import annotations

import pytest

from tests.test_browser import SHOTS, browser, fresh_visit, password, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _open(v, path: str):
    links = v.nav_links()
    hits = [i for i, (href, _) in enumerate(links) if href == path]
    assert hits, links
    v.nav_link_locator().nth(hits[0]).click()
    v.wait_ready(path)


def test_funnel_plot_and_rank_intervals_render(fresh_visit):
    v = fresh_visit
    v.wait_ready("/")
    _open(v, "/funnel")
    chart = v.page.locator('[data-testid="stPlotlyChart"] .main-svg').first
    assert chart.is_visible()
    legend = v.page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .legendtext')]"
                             ".map(e => e.textContent)")
    assert "95% 控制线" in legend and "99.8% 控制线" in legend, legend
    assert v.page.locator('[data-testid="stPlotlyChart"] .scatterlayer .point').count() >= 20   # ~22 communities
    assert "喇叭口" in v.page.inner_text("body")
    v.screenshot(SHOTS / "fair_funnel.png")
    v.assert_clean()

    _open(v, "/scoreboard")
    body = v.page.inner_text("body")
    assert "第一名" in body or "名次区间相互重叠" in body
    # the ranking table is drawn on a canvas; its cells are also in the grid's accessible (invisible) table
    cells = v.page.evaluate("() => document.querySelector('[data-testid=\"stDataFrame\"]').textContent")
    assert "第 1 名（1–" in cells, cells[:400]
    v.screenshot(SHOTS / "fair_scoreboard.png")
    v.assert_clean()

    _open(v, "/quality")
    assert "数据质量" in v.page.inner_text("body")
    v.screenshot(SHOTS / "fair_quality.png")
    v.assert_clean()
