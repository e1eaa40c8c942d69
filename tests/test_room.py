"""Meeting room and office (issue 13): street staff read their district rank without other streets' names or
scores; 数据状态 counts their scope; kiosk HTML sizes; formatting of changes and short periods."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from metrics import score
from metrics.compute import Filters
from ui import format as fmt
from ui import kiosk

OTHERS = ("中街街道", "西郊街道")


def _oct(scope=None) -> Filters:
    return Filters(date(2026, 10, 1), date(2026, 10, 31), scope=scope)


def test_district_board_keeps_the_district_rank_and_hides_the_rest(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        full = score.scoreboard(con, _oct(), "street")
        mine = score.district_board(con, _oct(("东关街道",)))
        own_only = score.scoreboard(con, _oct(("东关街道",)), "street")
    finally:
        con.close()
    expected = int(full.set_index("unit").loc["东关街道", "rank"])
    assert list(mine["unit"]) == ["东关街道"]
    assert int(mine["rank"].iloc[0]) == expected and int(mine["district_units"].iloc[0]) == 3
    assert float(mine["score"].iloc[0]) == float(full.set_index("unit").loc["东关街道", "score"])
    assert int(own_only["rank"].iloc[0]) == 1          # what staff used to see: ranked among their own streets
    assert not set(OTHERS) & set(mine.astype(str).to_numpy().ravel())


def test_staff_scoreboard_page_shows_the_district_rank_only(app):
    at = app("app_pages/scoreboard.py", user="dongguan")
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                    + [df.value.to_csv() for df in at.dataframe])
    board = at.dataframe[0].value
    assert list(board["街道"]) == ["东关街道"] and board["排名"].iloc[0].startswith("全区第 ")
    assert "全区共 3 个街道参加排名" in text and "（共 3 个街道）" in text
    for other in OTHERS:
        assert other not in text


def test_staff_kiosk_shows_the_district_rank(app):
    at = app("app_pages/scoreboard.py", user="dongguan", kiosk="1")
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "全区第 " in html and "全区共 3 个街道参加排名" in html
    assert "--cell:6.50vh" in html                     # the wider rank words get a smaller cap, so the row fits
    for other in OTHERS:
        assert other not in html


def test_staff_status_counts_their_scope(app, demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        grids = con.sql("select count(*) from grids where street = '东关街道'").fetchall()[0][0]
        events = con.sql("select count(*) from events e join grids g using (grid_id) "
                         "where g.street = '东关街道'").fetchall()[0][0]
        all_events = con.sql("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()
    at = app("app_pages/status.py", user="dongguan")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["网格"] == f"{grids:,}" and metrics["事件"] == f"{events:,}"
    assert events < all_events
    history = at.dataframe[-1].value
    assert not any(c in history.columns for c in ("入库", "新增", "文件行数", "rows_stored"))


def test_signed_changes_and_short_periods():
    assert fmt.signed(-22) == "↓ 22" and fmt.signed(7.468, 2) == "↑ 7.47" and fmt.signed(0) == "0"
    assert fmt.signed(0.001, 2) == "0.00" and fmt.signed(None) == "—"
    assert fmt.period_short(date(2026, 10, 1), date(2026, 10, 31)) == "2026年10月"
    assert fmt.period_short(date(2026, 7, 1), date(2026, 9, 30)) == "2026年第3季度"
    assert fmt.period_short(date(2026, 1, 1), date(2026, 12, 31)) == "2026年"
    assert fmt.period_short(date(2026, 11, 1), date(2026, 11, 22)) == "2026年11月1日–11月22日"


def test_kiosk_ranking_html_two_columns_past_ten_units():
    board = pd.DataFrame({"unit": [f"U{i}" for i in range(12)], "rank": range(1, 13), "score": [80.0] * 12,
                          "score_change": [0.0] * 12, "rank_change": [0] * 12})
    html = kiosk.ranking(board, "t", "s")
    assert html.count("<table>") == 2 and "名次变化" not in html
    three = kiosk.ranking(board.head(3), "t", "s")
    assert three.count("<table>") == 1 and "名次变化" in three and "--cell:10.00vh" in three


def test_readable_tables_have_no_raw_values():
    df = pd.DataFrame({"ok": pd.array([True, False, None], dtype="boolean"), "n": [1.0, None, 2.5],
                       "t": pd.to_datetime(["2026-10-01 08:30", None, "2026-10-02 09:00"]),
                       "d": pd.to_datetime(["2026-10-01", "2026-10-02", None]), "s": ["a", None, ""]})
    out = fmt.readable(df)
    assert list(out["ok"]) == ["是", "否", "—"]
    assert list(out["n"]) == ["1", "—", "2.50"]
    assert list(out["t"]) == ["2026-10-01 08:30", "—", "2026-10-02 09:00"]
    assert list(out["d"]) == ["2026-10-01", "2026-10-02", "—"]
    assert list(out["s"]) == ["a", "—", "—"]
    assert "None" not in out.to_csv() and "True" not in out.to_csv() and "NaT" not in out.to_csv()


def test_sql_errors_read_in_chinese_in_full():
    from access.sqlworker import sql_error_zh

    msg = sql_error_zh('Binder Error: Referenced column "strete" not found in FROM clause!\n'
                       'Candidate bindings: "street"\n\nLINE 1: select strete from grids')
    assert msg.startswith("查询出错（字段或表名无法识别）：找不到字段 \"strete\"。")
    assert "可用字段：\"street\"" in msg and "LINE 1: select strete from grids" in msg and "Binder" not in msg
    assert sql_error_zh("Conversion Error: Could not convert string '张三' to INT32") == \
        "查询出错（类型转换失败）：无法把文本转换为 INT32"                      # the value itself is not quoted


def test_card_foot_names_its_numerator_and_denominator():
    assert fmt.labelled_fraction("dispute_resolution_rate", 43, 44) == "调处成功 43 件 / 办结 44 件"
    assert fmt.labelled_fraction("events_per_1000_households", 1875, 107980) == "事件 1,875 件 / 网格总户数 107,980 户"
    assert fmt.labelled_fraction("open_backlog", 134, None) == "在办 134 件"
    assert fmt.change("event_count", 10, 10) == "0" and fmt.change("event_count", 8, 30) == "-22"


def test_cockpit_cards_have_help_labels_and_record_links(app):
    at = app("app_pages/cockpit.py", user="leader")
    helps = [m for m in at.markdown if m.proto.help]
    assert len(helps) == 12 and all("口径：" in m.proto.help for m in helps)
    foots = " ".join(h.proto.body for h in at.get("html"))
    assert "调处成功 " in foots and " 件 / 办结 " in foots and "explorer?dataset=" in foots


def test_map_tracks_open_on_a_day_with_tracks_and_have_a_tooltip(app):
    import json

    at = app("app_pages/map.py", user="admin", period="本月")     # the demo tracks the last two weeks
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert "tracks" in layers, "the default day shows no tracks"
    track = layers["tracks"]["data"][0]
    for field in ("grid_name", "grid_id", "community", "street", "indicator", "value_text", "basis"):
        assert track.get(field), field
    assert "labels_street" in layers and "labels_community" in layers
