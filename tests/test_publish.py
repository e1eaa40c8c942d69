"""发布, rank history and the Word 通报 on tests/metric_fixture.py (period P = 1–14 September 2025).

By hand (tests/test_metrics.py): 乙街道 67.92 first, 甲街道 59.92 second. A late dispute E11 in 甲's grid A1
(reported, registered within the hour, closed on time, resolved; no worker) then moves 甲 only:
- 事件采集上报 6 events / 500 households = 12 per 1000 → 0.5 × 12/20 + 0.5 × 5/6 → 71.67 (was 65.00)
- 矛盾纠纷排查调处 0.5 × 2/3 resolved + 0.5 × 3/4 on time → 70.83 (was 58.33)
- composite (20×50 + 15×50 + 15×65 + 20×71.667 + 20×70.833 + 10×80) / 100 = 63.75 (was 59.92)
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data import ingest, store
from metrics import bulletin, publish, rank_history, score
from metrics.compute import Filters
from metrics.config import DEFAULT_PATH, load_config
from tests import metric_fixture
from tests.fixtures import write

ROOT = Path(__file__).resolve().parent.parent
P = Filters(date(2025, 9, 1), date(2025, 9, 14))
LATE = metric_fixture._e("E11", "A1", "dispute", "2025-09-10 09:00", "2025-09-10 09:30", "2025-09-10 10:00",
                         "2025-09-10 12:00", "2025-09-11 09:00", "2025-09-12 09:00", "2025-09-15 09:00", "resolved",
                         "是", 5, None, "general")


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture
def pcon(tmp_path):
    con = metric_fixture.build(tmp_path / "p.duckdb", tmp_path)
    yield con
    con.close()


def late_import(con, tmp_path):
    res = ingest.ingest_files(con, "events", [write("events", tmp_path / "late.csv", rows=[LATE])])[0]
    assert res.stored, res.errors.to_string()


def test_a_fresh_store_has_the_publication_tables(pcon):
    assert publish.has_tables(pcon)
    assert 3 in store.applied_versions(pcon)


def test_publish_freezes_the_ranking_and_a_late_import_changes_only_live(pcon, tmp_path):
    h = publish.publish(pcon, P.date_from, P.date_to, "street", "assessor", "assessor", note="九月上半月")
    assert (h["version"], h["units"], h["published_by"], h["note"]) == (1, 2, "assessor", "九月上半月")
    assert h["scoring_sha256"] == hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    assert h["weights"]["item_event_reporting"] == 20.0 and h["parameters"]["target_events_per_1000"] == 20
    imports = [r[0] for r in pcon.execute("select import_id from import_log order by 1").fetchall()]
    assert h["import_ids"] == imports and h["last_import_id"] == max(imports) and len(imports) == 6

    header, board = publish.latest(pcon, "street", P.date_from, P.date_to)
    assert [(r["unit"], r["rank"], r["score"]) for _, r in board.iterrows()] == [("乙街道", 1, 67.92), ("甲街道", 2, 59.92)]
    items = board.set_index("unit").loc["甲街道", "_items"]
    assert [(x["metric"], x["numerator"], x["denominator"]) for x in items["item_dispute_mediation"]["inputs"]] == [
        ("dispute_resolution_rate", 1.0, 2.0), ("dispute_ontime_rate", 2.0, 3.0)]
    assert items["item_other_work"]["inputs"] == [{"metric": "manual_scores", "value": 80.0, "numerator": None,
                                                   "denominator": 1}]

    late_import(pcon, tmp_path)
    live = score.scoreboard(pcon, P).set_index("unit")
    assert live.loc["甲街道", "score"] == 63.75
    assert live.loc["甲街道", "item_event_reporting"] == pytest.approx(100 * (0.5 * 12 / 20 + 0.5 * 5 / 6))
    assert live.loc["甲街道", "item_dispute_mediation"] == pytest.approx(100 * (0.5 * 2 / 3 + 0.5 * 3 / 4))
    header, board = publish.latest(pcon, "street", P.date_from, P.date_to)
    assert list(board["score"]) == [67.92, 59.92]                          # the published version has not moved

    d = publish.diff(pcon, header, board, score.scoreboard(pcon, P))
    assert d["changed"] and not d["scoring_changed"]
    assert [(u["unit"], u["score_published"], u["score_live"], u["rank_published"], u["rank_live"]) for u in d["units"]] \
        == [("甲街道", 59.92, 63.75, 2, 2)]
    assert [i["item"] for i in d["units"][0]["items"]] == ["item_event_reporting", "item_dispute_mediation"]
    assert list(d["imports"]["file_name"]) == ["late.csv"] and list(d["imports"]["import_id"]) == [7]


def test_a_correction_is_a_new_version_with_a_reason(pcon, tmp_path):
    publish.publish(pcon, P.date_from, P.date_to, "street", "admin", "admin")
    late_import(pcon, tmp_path)
    with pytest.raises(publish.PublishError, match="更正原因"):
        publish.publish(pcon, P.date_from, P.date_to, "street", "admin", "admin")
    h2 = publish.publish(pcon, P.date_from, P.date_to, "street", "admin", "admin", reason="补录 9 月 10 日纠纷")
    assert (h2["version"], h2["reason"], h2["last_import_id"]) == (2, "补录 9 月 10 日纠纷", 7)
    header, board = publish.latest(pcon, "street", P.date_from, P.date_to)
    assert header["version"] == 2 and list(board["score"]) == [67.92, 63.75]
    v = publish.versions(pcon, "street", P.date_from, P.date_to)
    assert list(v["version"]) == [2, 1]
    old = publish.board(pcon, int(v.loc[v["version"] == 1, "publication_id"].iloc[0]))
    assert list(old["score"]) == [67.92, 59.92]                            # the older version stays readable
    # community level is a separate ranking with its own versions
    assert publish.publish(pcon, P.date_from, P.date_to, "community", "admin", "admin")["version"] == 1


def test_the_publication_code_has_no_update_or_delete_path():
    src = (ROOT / "metrics" / "publish.py").read_text(encoding="utf-8").lower()
    assert not re.search(r"\b(update|delete)\s+(from\s+)?publication", src)
    assert "insert into publications" in src and "insert into publication_units" in src


def test_cli_publish_published_and_live(tmp_path):
    db = tmp_path / "cli.duckdb"
    metric_fixture.build(db, tmp_path).close()
    args = ("--db", db, "--from", "2025-09-01", "--to", "2025-09-14")
    none = _cli("scoreboard", *args, "--published")
    assert none.returncode == 1 and "尚未发布" in none.stderr
    refused = _cli("publish", *args, "--user", "leader")
    assert refused.returncode == 1 and "无发布权限" in refused.stderr
    out = _cli("publish", *args, "--user", "assessor", "--note", "九月上半月")
    assert out.returncode == 0 and "已发布 v1" in out.stdout, out.stderr
    again = _cli("publish", *args)
    assert again.returncode == 1 and "更正原因" in again.stderr

    con = store.connect(db)
    late_import(con, tmp_path)
    con.close()
    pub = json.loads(_cli("scoreboard", *args, "--published").stdout)
    live = json.loads(_cli("scoreboard", *args).stdout)
    assert [(r["unit"], r["rank"], r["score"]) for r in pub] == [("乙街道", 1, 67.92), ("甲街道", 2, 59.92)]
    assert [(r["unit"], r["score"]) for r in live] == [("乙街道", 67.92), ("甲街道", 63.75)]
    keys = ["unit", "rank", "score", *score.ITEM_IDS, "prev_score", "prev_rank"]
    assert list(pub[0])[:len(keys)] == keys and pub[0]["published_version"] == 1
    assert pub[1]["item_dispute_mediation"] == 58.33

    from access import audit

    log = audit.entries(store_path=db)
    rows = log[log["action"] == "publish"]
    # the publication, the leader refused for the role, the second publication refused for lack of a reason
    got = sorted((u.split(":")[0], bool(ok)) for u, ok in zip(rows["username"], rows["ok"]))
    assert got == [("assessor", True), ("cli", False), ("leader", False)]
    assert json.loads(rows[rows["ok"]].iloc[0]["detail"])["version"] == 1


def test_rank_flags_by_hand():
    h = pd.DataFrame([(m, u, s, r) for m, rows in {
        "2025-07": [("甲", 90, 1), ("乙", 80, 2), ("丙", 70, 3)],
        "2025-08": [("甲", 91, 1), ("丙", 81, 2), ("乙", 71, 3)],
        "2025-09": [("甲", 92, 1), ("丙", 82, 2), ("乙", 72, 3)],
    }.items() for u, s, r in rows], columns=["month", "unit", "score", "rank"])
    # 甲 first three months running → 通报表扬; 乙 last in August and September → 约谈提醒; 丙 neither now
    assert rank_history.flags(h, load_config()) == {"乙": ["连续 2 个月末位 · 约谈提醒"], "甲": ["连续 3 个月第一 · 通报表扬"]}
    assert rank_history.flags(h[h["month"] != "2025-07"], load_config()) == {"乙": ["连续 2 个月末位 · 约谈提醒"]}


def test_rank_history_uses_the_published_version(pcon, tmp_path):
    sep = (date(2025, 9, 1), date(2025, 9, 30))
    live_sep = score.scores(pcon, Filters(*sep)).set_index("unit")["score"]
    publish.publish(pcon, *sep, "street", "admin", "admin")
    late_import(pcon, tmp_path)
    hist = rank_history.monthly(pcon, date(2025, 9, 30), 2)
    assert list(hist["month"].unique()) == ["2025-08", "2025-09"]
    sep_rows = hist[hist["month"] == "2025-09"].set_index("unit")
    assert set(sep_rows["source"]) == {"已发布 v1"}
    assert sep_rows["score"].to_dict() == live_sep.to_dict()             # as published, before the late event
    assert set(hist[hist["month"] == "2025-08"]["source"]) == {"实时"}
    assert rank_history.last_whole_month(date(2025, 9, 14)) == date(2025, 8, 31)
    assert rank_history.last_whole_month(date(2025, 9, 30)) == date(2025, 9, 30)


# ------------------------------------------------------------------------------------------- Word bulletin

def _docx_text(data: bytes):
    import io

    from docx import Document

    doc = Document(io.BytesIO(data))
    return doc, [p.text for p in doc.paragraphs], [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables]


def test_word_bulletin_carries_the_published_numbers(pcon, tmp_path):
    from ui.bulletin import bulletin_docx, docx_title, ranking_rows

    publish.publish(pcon, P.date_from, P.date_to, "street", "assessor", "assessor")
    late_import(pcon, tmp_path)                          # live now differs; the bulletin keeps the published scores
    snap = bulletin.snapshot(pcon, P)
    assert snap.published and list(snap.board["score"]) == [67.92, 59.92]
    doc, paras, tables = _docx_text(bulletin_docx(snap, "2025年09月16日"))
    assert paras[0] == docx_title(snap) == "网格化服务管理六项综治业务指标月通报"   # the fixture's grids have no district
    assert paras[1] == "〔2025〕第    号"
    assert "已发布 v1" in paras[2] and "assessor" in paras[2]
    # lead: E1–E8 plus the late E11 reported in P = 9 events; 环比 1–14 August lies before the first data (—)
    assert paras[3].startswith("2025年09月01日 – 2025年09月14日，全区共上报事件 9 件，环比—，同比—。")
    assert "第一名为乙街道（67.92 分），末位为甲街道（59.92 分）" in paras[3]
    ranking = tables[0]
    assert ranking[0][:6] == ["名次", "街道", "综合得分", "较上期", "同比", "名次变化"]
    assert ranking[1:] == ranking_rows(snap)
    assert [r[:3] for r in ranking[1:]] == [["1", "乙街道", "67.92"], ["2", "甲街道", "59.92"]]
    assert ranking[2][6:] == ["50.00", "50.00", "65.00", "65.00", "58.33", "80.00"]
    assert "红榜：乙街道（67.92 分）" in paras and "黑榜：甲街道（59.92 分）" in paras
    leaders = {r[0]: r[1:3] for r in tables[1][1:]}
    assert leaders["基础数据录入"] == ["乙街道", "100.00"] and leaders["矛盾纠纷排查调处"] == ["甲街道", "58.33"]
    # 督办: overdue events of P by street (E2 closed after its deadline, E5 open past it, E6 closed late …)
    od = snap.overdue.set_index("street")
    overdue_table = {r[0]: r[1:] for r in tables[2][1:]}
    for street, row in od.iterrows():
        assert overdue_table[street][:2] == [str(int(row["overdue"])), str(int(row["open"]))]
    assert len(doc.inline_shapes) == 1                                     # the chart


def test_word_bulletin_draft_and_pdf(tmp_path):
    db = tmp_path / "b.duckdb"
    metric_fixture.build(db, tmp_path).close()
    out = tmp_path / "通报.docx"
    r = _cli("bulletin", "--db", db, "--from", "2025-09-01", "--to", "2025-09-14", "--out", out)
    assert r.returncode == 0 and "草稿·未发布" in r.stdout, r.stderr
    _, paras, tables = _docx_text(out.read_bytes())
    assert "草稿·未发布" in paras[2]
    assert [row[2] for row in tables[0][1:]] == ["67.92", "59.92"]
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.fail("LibreOffice (soffice) and pdftotext are needed: scripts/setup.sh installs them")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "通报.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "网格化服务管理六项综治业务指标月通报" in text
    assert "67.92" in text and "草稿·未发布" in text


def test_scoreboard_page_publishes_for_an_assessor_only(demo_db, tmp_path, monkeypatch):
    import time

    from streamlit.testing.v1 import AppTest

    from access import audit

    db = tmp_path / "page.duckdb"
    shutil.copy(demo_db, db)                             # the shared demo store stays unpublished for other tests
    monkeypatch.setenv("GRIDGOV_DB", str(db))

    def page(user):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["_auth"] = {"username": user, "last": time.time()}
        at.run()
        at.switch_page("app_pages/scoreboard.py").run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    leader = page("leader")
    assert not [b for b in leader.button if b.key == "publish_go"]          # a leader cannot publish
    assert any("尚未发布" in c.value for c in leader.caption)
    at = page("assessor")
    at.text_input(key="publish_note").input("推进会通报")
    at.button(key="publish_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert "已发布 v1" in shown and "推进会通报" in shown
    con = store.connect(db, read_only=True)
    rows = con.execute("select level, version, published_by, note from publications order by level").fetchall()
    con.close()
    assert rows == [("community", 1, "assessor", "推进会通报"), ("street", 1, "assessor", "推进会通报")]
    log = audit.entries(store_path=db)
    assert sorted(json.loads(d)["level"] for d in log[log["action"] == "publish"]["detail"]) == ["community", "street"]


def test_printable_html_bulletin_states_the_weights_not_a_path(pcon):
    from ui.bulletin import bulletin_html

    board = score.scoreboard(pcon, P)
    page = bulletin_html(board, "排名通报", "p", "q", "已发布 v1 · 2025年09月15日", weights={
        "item_worker_duty": 30, "item_platform_use": 10, "item_data_entry": 10, "item_event_reporting": 20,
        "item_dispute_mediation": 20, "item_other_work": 10})
    assert "网格员履职 30，信息平台使用 10，基础数据录入 10" in page and "scoring.toml" not in page
    assert "已发布 v1 · 2025年09月15日" in page


def test_bulletin_counts_the_period_even_when_it_starts_before_the_first_data(pcon):
    # August 2025 starts before the first data (R7 applied 2025-08-20): its own events still count (E9 on the 31st);
    # only its comparisons (July, August 2024) have no value
    snap = bulletin.snapshot(pcon, Filters(date(2025, 8, 1), date(2025, 8, 31)))
    assert (snap.events["now"], snap.events["prev"], snap.events["yoy"]) == (1, None, None)
