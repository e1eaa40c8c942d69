"""AppTest runs of every registered page on a real demo store: no exception, the numbers on the page are the
indicator layer's for the same filters, a filter change changes them, a URL restores the view, kiosk hides chrome."""
from __future__ import annotations

from datetime import date

import pytest

from data import store
from metrics.compute import Filters, compute
from metrics.score import scoreboard
from ui import filters as flt
from ui import format as fmt
from ui.nav import PAGES


def ro(demo_db):
    return store.connect(demo_db, read_only=True)


LAST_MONTH = flt.preset_range("上月", date.today())


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_runs_without_error(app, spec):
    at = app(spec.file)
    assert not at.error, [e.value for e in at.error]
    assert at.title and at.title[0].value


def test_cockpit_cards_equal_the_indicator_layer(app, demo_db):
    at = app()
    f = Filters(*LAST_MONTH)
    values = [m.value for m in at.metric]
    con = ro(demo_db)
    for mid, position in (("dispute_resolution_rate", 0), ("hazard_rectification_rate", 2), ("event_count", 6),
                          ("grid_staffing_rate", 9)):
        v = compute(con, mid, f).iloc[0]["value"]
        assert values[position] == fmt.value(mid, v), mid
    con.close()


def test_changing_the_street_changes_the_numbers(app, demo_db):
    at = app()
    before = [m.value for m in at.metric]
    at.sidebar.selectbox(key="street").select("西郊街道").run()
    assert not at.exception
    after = [m.value for m in at.metric]
    assert after != before
    con = ro(demo_db)
    f = Filters(*LAST_MONTH, streets=("西郊街道",))
    assert after[6] == fmt.value("event_count", compute(con, "event_count", f).iloc[0]["value"])
    con.close()


def test_url_restores_the_view(app, demo_db):
    at = app(street="东关街道", period="本年")
    assert at.sidebar.selectbox(key="street").value == "东关街道"
    assert at.sidebar.selectbox(key="period").value == "本年"
    con = ro(demo_db)
    f = Filters(*flt.preset_range("本年", date.today()), streets=("东关街道",))
    assert at.metric[6].value == fmt.value("event_count", compute(con, "event_count", f).iloc[0]["value"])
    con.close()


def test_scoreboard_table_equals_the_score_module(app, demo_db):
    at = app("app_pages/scoreboard.py")
    table = at.dataframe[0].value
    from metrics.funnel import small_samples
    from metrics.score import item_parts

    con = ro(demo_db)
    board = scoreboard(con, Filters(*LAST_MONTH))
    small = small_samples(item_parts(con, Filters(*LAST_MONTH)), "street")     # a rate part on few records
    con.close()
    assert list(table["街道"]) == [f"{u}（样本少）" if small.get(u) else u for u in board["unit"]]
    assert list(table["综合得分"]) == [fmt.number(s, 2) for s in board["score"]]


def test_kiosk_hides_the_chrome(app):
    at = app("app_pages/scoreboard.py", kiosk="1")
    assert len(at.sidebar.selectbox) == 0            # no filters, no navigation
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "stSidebar" in html and "display:none" in html.replace(" ", "")
    assert "六项综治业务指标 · 街道排名" in html and "中街街道" in html


def test_events_page_dispute_section(app, demo_db):
    at = app("app_pages/events.py")
    con = ro(demo_db)
    f = Filters(*LAST_MONTH)
    v = compute(con, "event_count", f).iloc[0]["value"]
    con.close()
    assert at.metric[0].value == fmt.value("event_count", v)


def test_relief_page_shows_no_personal_data(app, demo_db):
    at = app("app_pages/relief.py")
    con = ro(demo_db)
    names = {r[0] for r in con.sql("select applicant_name from relief where applicant_name is not null "
                                   "limit 50").fetchall()}
    con.close()
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe) + " ".join(m.value for m in at.metric)
    assert not any(n in shown for n in names)


def test_explorer_sql_tab_refuses_files(app):
    at = app("app_pages/explorer.py")
    at.text_area(key="sql").set_value("select * from read_csv('/etc/passwd')").run()
    at.button(key="run_sql").click().run()
    assert any("不允许" in e.value for e in at.error)


def test_explorer_group_by_matches_counts(app, demo_db):
    at = app("app_pages/explorer.py")
    df = at.dataframe[0].value
    con = ro(demo_db)
    f = Filters(*LAST_MONTH)
    by = compute(con, "event_count", f, ["street"])
    con.close()
    assert dict(zip(df["街道"], df["记录数"])) == dict(zip(by["street"], by["value"].astype(int)))


# --------------------------------------------------------------------------------------------- map


def deck_json(at) -> dict:
    import json

    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def test_map_layers_style_and_values(app, demo_db):
    at = app("app_pages/map.py")
    spec = deck_json(at)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[0] == "grids" and "district" in ids
    assert spec["mapStyle"].startswith("data:application/json,")          # a local style: nothing fetched
    records = spec["layers"][0]["data"]
    con = ro(demo_db)
    expected = compute(con, "event_closure_rate", Filters(*LAST_MONTH), ["grid_id"])
    con.close()
    got = {r["grid_id"]: r["value"] for r in records}
    assert len(got) == 357
    for g, v in zip(expected["grid_id"], expected["value"]):
        assert got[g] == pytest.approx(v)
    sample = records[0]
    assert {"grid_name", "community", "street", "value_text", "basis"} <= set(sample)
    import json

    tooltip = json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)
    assert "{grid_name}" in tooltip["html"] and "{basis}" in tooltip["html"]


def test_map_colours_follow_the_indicator(app):
    at = app("app_pages/map.py")
    before = [r["fill"] for r in deck_json(at)["layers"][0]["data"]]
    at.selectbox(key="map_ind").select("hazard_rectification_rate").run()
    after = [r["fill"] for r in deck_json(at)["layers"][0]["data"]]
    assert before != after
    at.toggle(key="map_heat").set_value(True).run()
    layers = deck_json(at)["layers"]
    heat = next(layer for layer in layers if layer["id"] == "events")
    from metrics.geo import MAX_POINTS
    assert 0 < len(heat["data"]) <= MAX_POINTS


def test_map_street_filter_narrows_grids(app):
    at = app("app_pages/map.py", street="中街街道")
    streets = {r["street"] for r in deck_json(at)["layers"][0]["data"]}
    assert streets == {"中街街道"}


def test_printable_bulletin(app, demo_db):
    from ui.bulletin import bulletin_html

    at = app("app_pages/scoreboard.py")
    assert at.get("download_button")                               # offered on the scoreboard
    con = ro(demo_db)
    board = scoreboard(con, Filters(*LAST_MONTH))
    con.close()
    page = bulletin_html(board, "六项综治业务指标排名通报", "2026年10月01日 – 2026年10月31日", "—", "今日印发")
    assert page.startswith("<!DOCTYPE html>") and "http" not in page       # self-contained: prints offline
    first = board.iloc[0]
    assert f"<td>{first['unit']}</td><td><b>{first['score']:.2f}</b></td>" in page.replace("<td>1</td>", "")
    assert "红榜" in page and "分项领先" in page
