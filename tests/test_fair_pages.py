"""The fairness and data-quality pages (AppTest on the demo store): 漏斗图, 数据质量, 研判, and the scoreboard's
rank intervals, 样本少 and 数据质量 column."""
from __future__ import annotations

import json
from datetime import date

from data import store
from metrics import funnel as fn
from metrics import intervals, quality
from metrics.compute import Filters
from ui import filters as flt

LAST_MONTH = flt.preset_range("上月", date.today())


def ro(db):
    return store.connect(db, read_only=True)


def test_scoreboard_shows_rank_intervals_and_the_sentence(app, demo_db):
    at = app("app_pages/scoreboard.py")
    table = at.dataframe[0].value
    con = ro(demo_db)
    iv = intervals.rank_intervals(con, Filters(*LAST_MONTH)).set_index("unit")
    flags = quality.flagged(con, Filters(*LAST_MONTH))
    con.close()
    units = [u.replace("（样本少）", "") for u in table["街道"]]
    for cell, u in zip(table["排名"], units):
        assert cell.startswith("第 ") and cell.endswith(f"（{iv.loc[u, 'rank_low']}–{iv.loc[u, 'rank_high']}）"), cell
    per = flags.groupby("street").size().to_dict()
    assert list(table["数据质量"]) == [f"{per[u]} 条待核实" if per.get(u) else "无" for u in units]
    text = " ".join(m.value for m in at.markdown)
    assert "第一名" in text or "名次区间相互重叠" in text
    assert any("95% 区间" in str(df.value.to_dict()) for df in at.dataframe)       # Wilson in the explanation


def test_funnel_page(app, demo_db):
    at = app("app_pages/funnel.py")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {t.get("name") for t in spec["data"]}
    assert {"95% 控制线", "99.8% 控制线", "全区比率"} <= names
    assert any("喇叭口" in m.value for m in at.markdown)
    con = ro(demo_db)
    res = fn.funnel(con, "satisfaction_rate", Filters(*LAST_MONTH), "community")
    con.close()
    out = res["units"][res["units"]["signal"].notna()]
    if len(out):
        assert list(at.dataframe[0].value["社区"]) == list(out["unit"])
    at.checkbox(key="fod").check().run()
    assert not at.exception and any("φ" in c.value for c in at.caption)


def test_quality_page(app, demo_db):
    at = app("app_pages/quality.py")
    overview = at.dataframe[0].value
    assert list(overview["信号"]) == [s.label for s in quality.SIGNALS_LIST]
    con = ro(demo_db)
    flags = quality.flagged(con, Filters(*LAST_MONTH))
    con.close()
    assert [int(v.replace(",", "")) for v in overview["标记"]] == [
        int((flags["signal"] == s.id).sum()) for s in quality.SIGNALS_LIST]
    at.selectbox(key="qsignal").set_value("short_patrol").run()
    rec = at.dataframe[-1].value
    assert set(rec["编号"]) == set(flags[flags["signal"] == "short_patrol"]["id"])


def test_quality_page_staff_sees_only_their_street(app):
    at = app("app_pages/quality.py", user="dongguan")
    at.radio(key="qlevel").set_value("worker").run()
    assert not at.exception
    shown = [df.value for df in at.dataframe if "街道" in df.value]
    assert shown and all(set(df["街道"]) <= {"东关街道"} for df in shown)


def test_analysis_page(app):
    at = app("app_pages/analysis.py")
    assert [s.value for s in at.subheader] == ["一、事件多而巡查不达标的网格", "二、连续三个月的事件热点网格",
                                              "三、救助户与矛盾纠纷密度（按社区）", "四、重点人员走访缺口"]
    links = [v for df in at.dataframe if "地图" in df.value for v in df.value["地图"]]
    assert links and all(v.startswith("map?map_ind=") for v in links)
