"""Issue 9's "done means" on the small district of tests/district_fixture.py (2 streets, 4 grids, October 2026;
by hand in tests/test_history.py: 东关街道 67.57 first, 中街街道 66.86 second): October is published, then a late
October dispute arrives and D1 is re-surveyed in November. `scoreboard --published` still gives 67.57 / 66.86, the
live ranking does not, and the Word bulletin carries the published scores."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from docx import Document

from data import ingest, store
from tests import district_fixture as district
from tests.fixtures import write

ROOT = Path(__file__).resolve().parent.parent
OCT = ("--from", "2026-10-01", "--to", "2026-10-31")
LATE = district._e("E15", "Z2", "dispute", "2026-10-29 09:00", "2026-10-30 15:00", None, "2026-11-05 09:00",
                   "unresolved")


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_published_october_survives_a_late_event_and_a_resurvey(tmp_path):
    db = tmp_path / "district.duckdb"
    district.build(db, tmp_path).close()
    out = _cli("publish", "--db", db, *OCT, "--user", "assessor", "--note", "十月推进会")
    assert out.returncode == 0, out.stderr

    con = store.connect(db)
    for kind, rows in (("events", [LATE]), ("grids", district.RESURVEY)):
        res = ingest.ingest_files(con, kind, [write(kind, tmp_path / f"late_{kind}.csv", rows=rows)])[0]
        assert res.stored, res.errors.to_string()
    con.close()

    published = json.loads(_cli("scoreboard", "--db", db, *OCT, "--published").stdout)
    live = json.loads(_cli("scoreboard", "--db", db, *OCT).stdout)
    assert [(r["unit"], r["rank"], r["score"]) for r in published] == [("东关街道", 1, 67.57), ("中街街道", 2, 66.86)]
    assert {r["unit"]: r["score"] for r in live}["中街街道"] != 66.86          # the late dispute moved live only
    assert {r["unit"]: r["score"] for r in live}["东关街道"] == 67.57          # the re-survey did not touch October

    docx = tmp_path / "通报.docx"
    assert _cli("bulletin", "--db", db, *OCT, "--out", docx).returncode == 0
    doc = Document(io.BytesIO(docx.read_bytes()))
    assert "已发布 v1" in doc.paragraphs[2].text
    assert [[c.text for c in row.cells][:3] for row in doc.tables[0].rows[1:]] == [
        ["1", "东关街道", "67.57"], ["2", "中街街道", "66.86"]]
    # 15 October events now (14 + the late one): the lead counts what is in the store; the ranking is as published
    assert "共上报事件 15 件" in doc.paragraphs[3].text and "第一名为东关街道（67.57 分）" in doc.paragraphs[3].text
