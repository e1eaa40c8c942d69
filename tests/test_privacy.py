"""Privacy rules declared once (data/columns.py mask kinds, metrics/privacy.py) and applied on every output path:
pages, the explorer, exports, the SQL tab and the CLI."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from access import accounts, sqlguard
from data import store
from data.columns import KINDS
from metrics import explore, privacy
from metrics.compute import Filters, compute_many
from tests.conftest import DEMO_END
from ui.export import to_csv, to_xlsx
from ui.nav import pages_for

ROOT = Path(__file__).resolve().parent.parent
CFG = accounts.load()
P = Filters(date(2025, 9, 1), date(2025, 9, 14))
# one account per kind of masked role: (personal-data mode, limited to its streets or not)
MASKED_ROLES = sorted({(CFG.roles[role].personal, bool(streets)): u for u, (_, role, streets, _) in
                       sorted(CFG.accounts.items()) if CFG.roles[role].personal != "full"}.values())
PERSONAL = [(k.table, c.name, c.mask) for k in KINDS.values() for c in k.columns if c.mask]


def test_every_personal_column_declares_its_mask_kind():
    assert PERSONAL == [("workers", "name", "name"), ("workers", "phone", "phone"), ("events", "description", "text"),
                        ("events", "reporter_name", "name"), ("events", "reporter_phone", "phone"),
                        ("relief", "applicant_name", "name"), ("relief", "id_number", "id")]
    assert privacy.PERSONAL_NAMES == {c for _, c, _ in PERSONAL}
    assert explore.PERSONAL is privacy.PERSONAL_NAMES
    for table, column, kind in PERSONAL:           # the SQL tab's view of the table applies that kind
        sql, _ = sqlguard.view_sql(accounts.user_of(CFG, "analyst"))[table]
        assert f"gg_mask_{kind}({column}) as {column}" in sql


# ------------------------------------------------------------------------------------------------ small counts

def test_suppress_small_below_street_level(mcon):
    ids = ["relief_households", "relief_persons", "relief_amount_yuan", "relief_approval_days"]
    by_grid = compute_many(mcon, ids, P, ["grid_id"])
    # A1: H1 (3 persons in two programmes: 6); A2: H2 (2 persons, two dibao cases); B1: none approved
    shown = privacy.suppress_small(mcon, by_grid, P, ["grid_id"], "masked")
    assert list(shown["relief_households"]["value"]) == ["<5", "<5", 0]
    assert list(shown["relief_persons"]["value"]) == ["<5", "<5", 0]
    assert list(shown["relief_amount_yuan"]["value"]) == ["<5", "<5", 0]
    assert list(shown["relief_approval_days"]["value"]) == list(by_grid["relief_approval_days"]["value"])  # a median
    exact = privacy.suppress_small(mcon, by_grid, P, ["grid_id"], "full")
    assert list(exact["relief_persons"]["value"]) == [6, 2, 0]         # H2: two dibao cases count once
    # a street total is not below street level, a total narrowed to a grid is
    total = compute_many(mcon, ids[:1], P)
    assert privacy.suppress_small(mcon, total, P, [], "none")["relief_households"]["value"][0] == 2
    one = compute_many(mcon, ids[1:2], P.with_(grids=("A1",)))       # sizes come from relief_households
    assert privacy.suppress_small(mcon, one, P.with_(grids=("A1",)), [], "none")["relief_persons"]["value"][0] == "<5"


def _cli(*args):
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_cli_suppresses_small_relief_counts_for_a_masked_role(demo_db):
    from ui.filters import preset_range

    # last month: a few households per grid — unless the demo ends early in a month, when last month's applications
    # are mostly still pending; then the latest month in which a 东关 grid has one to four approved households
    d_from, d_to = preset_range("上月", date.today())
    con = store.connect(demo_db, read_only=True)
    months = [r[0] for r in con.execute(
        "select date_trunc('month', applied_at)::date as m from v_relief where street = '东关街道' group by m, grid_id "
        "having count(distinct household_id) filter (where is_approved) between 1 and 4 "
        "order by m = ? desc, m desc", [d_from]).fetchall()]
    con.close()
    assert months, "the demo has grids with a few approved households in some month"
    if months[0] != d_from:
        d_from = months[0]
        d_to = date(d_from.year + d_from.month // 12, d_from.month % 12 + 1, 1) - timedelta(days=1)
    period = ["--db", str(demo_db), "--from", str(d_from), "--to", str(d_to)]
    args = [*period, "--by", "grid", "--metric", "relief_households", "--metric", "relief_persons"]
    masked = _cli("metrics", *args, "--user", "dongguan")
    values = [r["value"] for r in masked]
    assert "<5" in values
    assert not any(isinstance(v, (int, float)) and 0 < v < 5 for r in masked for v in
                   (r["value"], r["numerator"], r["denominator"]))
    full = _cli("metrics", *args, "--user", "admin")           # admin sees personal data: exact counts
    assert any(isinstance(r["value"], (int, float)) and 0 < r["value"] < 5 for r in full)
    assert "<5" not in [r["value"] for r in full]


# ------------------------------------------------------------------------------------------------ the meta-test

@pytest.fixture(scope="module")
def secrets(demo_db):
    """Every stored personal value its mask would change, per column: what a masked role must never see."""
    con = store.connect(demo_db, read_only=True)
    out = {}
    for table, column, kind in PERSONAL:
        rows = con.execute(f"select distinct {column} from {table} where {column} is not null and "
                           f"{column} <> gg_mask_{kind}({column})").fetchall()
        out[(table, column)] = {r[0] for r in rows if len(r[0]) >= 2}
    con.close()
    assert all(out.values()), "the demo holds personal data of every kind"
    return out


def _leaks(text: str, secrets: dict) -> list:
    """The stored personal values in a text: numbers and CJK names by token (fast), free text by substring."""
    whole = set().union(*(v for (t, c), v in secrets.items() if c != "description"))
    tokens = set(re.findall(r"[0-9Xx]{11,18}", text))
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        tokens |= {run[i:i + n] for n in (2, 3, 4) for i in range(len(run) - n + 1)}
    found = sorted(tokens & whole)
    return found + [v for v in secrets[("events", "description")] if v in text]


def _frame_leaks(frame: pd.DataFrame, secrets: dict) -> list:
    values = {str(v) for c in frame.columns for v in frame[c].dropna()}
    return sorted(values & set().union(*secrets.values()))


@pytest.mark.parametrize("username", MASKED_ROLES)
def test_every_personal_column_is_masked_on_every_output_path(demo_db, secrets, username):
    user = accounts.user_of(CFG, username)
    mode = user.role.personal
    con = store.connect(demo_db, read_only=True)
    f = Filters(date(2020, 1, 1), DEMO_END, scope=user.scope)
    for table, column, _ in PERSONAL:
        # SQL tab: the column is masked (or empty) for this role
        got, _ = explore.run_sql(con.cursor(), f"select {column} from {table}", user=user)
        assert not set(got[column].dropna()) & secrets[(table, column)], (username, table, column)
    for dataset in explore.DATASETS:
        # explorer records, and the CSV and Excel exports of them
        recs, _ = explore.records(con, dataset, f, limit=1000, personal=mode)
        assert not _frame_leaks(recs, secrets), (username, dataset)
        if mode == "none":
            assert not set(recs.columns) & privacy.PERSONAL_NAMES
        for blob in (to_csv(recs), to_xlsx(recs, "明细")):
            back = (pd.read_csv(io.BytesIO(blob), dtype=str) if blob[:2] != b"PK"
                    else pd.read_excel(io.BytesIO(blob), dtype=str))
            assert not _frame_leaks(back, secrets), (username, dataset)
    con.close()
    # CLI: every indicator, as this user
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "metrics", "--db", str(demo_db), "--from",
                          "2020-01-01", "--to", str(DEMO_END), "--by", "grid", "--user", username, "--format", "csv",
                          "--metric", "relief_households", "--metric", "event_count", "--metric", "grid_count"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and not _leaks(out.stdout, secrets)


@pytest.mark.parametrize("username", ["leader", "analyst"])   # one role of each masked mode: none, masked
def test_no_page_shows_personal_data_to_a_masked_role(app, secrets, username):
    from tests.test_access import page_text

    user = accounts.user_of(CFG, username)
    for spec in pages_for(user):
        at = app(spec.file, user=username)
        text = page_text(at)
        leaked = _leaks(text, secrets)
        assert not leaked, (spec.url_path, leaked[:3])
