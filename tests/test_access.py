"""Who may see what: roles, street scope, masking, the SQL guard, exports, login rate limiting, the audit log.
Every attack of the access issue is a test here and must be refused (and recorded)."""
from __future__ import annotations

import io
import json
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from access import accounts, audit
from data import store
from metrics import explore
from metrics.compute import Filters, compute
from tests.conftest import DEMO_END
from ui.nav import PAGES, pages_for

ROOT = Path(__file__).resolve().parent.parent
OTHERS = ("中街街道", "西郊街道")
CFG = accounts.load()
END = DEMO_END


@pytest.fixture
def db(demo_db):
    return demo_db


def page_text(at) -> str:
    """Everything a person could read on the page: text, tables, cards, charts' data, map data, options."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [h.proto.body for h in at.get("html")]
    parts += [p.proto.spec for p in at.get("plotly_chart")]
    parts += [d.proto.json for d in at.get("deck_gl_json_chart")]
    parts += [" ".join(map(str, s.options)) for s in at.selectbox]
    parts += [" ".join(map(str, s.options)) for s in at.multiselect]
    return "\n".join(parts)


def audit_rows(db) -> pd.DataFrame:
    return audit.entries(5000, store_path=db)


# --------------------------------------------------------------------------------------------- roles and scope

@pytest.mark.parametrize("spec", [p for p in PAGES if not p.admin_only], ids=lambda p: p.url_path)
def test_street_staff_sees_only_their_street_on_every_page(app, spec):
    at = app(spec.file, user="dongguan")
    text = page_text(at)
    assert "东关街道" in text
    for other in OTHERS:
        assert other not in text, f"{other} leaked on {spec.url_path}"


def test_admin_pages_only_for_admins():
    for username in ("leader", "analyst", "dongguan"):
        names = {p.url_path for p in pages_for(accounts.user_of(CFG, username))}
        assert "import" not in names and "audit" not in names
    assert {"import", "audit"} <= {p.url_path for p in pages_for(accounts.user_of(CFG, "admin"))}


def test_not_logged_in_shows_only_the_login(app):
    at = app(user=None)
    assert at.text_input(key="login_user") is not None
    assert not at.metric and not at.dataframe or all("演示" in c.value for c in at.info)


def test_url_to_another_street_is_refused_and_audited(app, db):
    at = app(user="dongguan", street="中街街道")
    assert any("无权查看“中街街道”" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="street").value != "中街街道"
    text = page_text(at)
    assert "中街街道" not in text.replace("无权查看“中街街道”", "")
    log = audit_rows(db)
    assert ((log["action"] == "refused") & (log["username"] == "dongguan")
            & log["detail"].str.contains("中街街道")).any()


def test_indicator_layer_intersects_scope_with_filters(db):
    con = store.connect(db, read_only=True)
    f = Filters(date(2026, 1, 1), END, scope=("东关街道",))
    crafted = f.with_(streets=("中街街道",))                     # a crafted filter for another street
    assert compute(con, "event_count", crafted).iloc[0]["value"] == 0
    by = compute(con, "event_count", f.with_(streets=()), ["street"])
    assert list(by["street"]) == ["东关街道"]
    con.close()


def test_explorer_filter_cannot_reach_another_street(db):
    con = store.connect(db, read_only=True)
    f = Filters(date(2026, 1, 1), END, scope=("东关街道",))
    out = explore.aggregate(con, "events", f, ["street"], column_filters={"street": ["中街街道"]})
    assert out.empty
    recs, total = explore.records(con, "events", f, {"street": ["中街街道", "东关街道"]})
    assert total > 0 and set(recs["street"]) == {"东关街道"}
    con.close()


# --------------------------------------------------------------------------------------------- SQL tab

ATTACKS = [
    ("select * from main.events", "不允许访问"),
    ("select * from information_schema.tables", "不允许访问"),
    ("select * from read_csv('/etc/passwd')", "不允许使用"),
    ("select * from read_text('/etc/passwd')", "不允许使用"),
    ("attach '/tmp/other.duckdb' as o", "只允许只读查询"),
    ("copy events to '/tmp/leak.csv'", "只允许只读查询"),
    ("copy (select * from events) to '/tmp/leak.csv'", "只允许只读查询"),
    ("select * from duckdb_tables()", "不允许使用"),
    ("select * from import_refused", "不允许访问"),
    ("select 1; select * from main.relief", "一次只能执行一条"),
    ("with import_log as (select 1) select * from import_log", "重名"),
    ("select * from events, (with x as (select 1) select * from x) y, gridgov.main.relief", "不允许访问"),
    ("set enable_external_access = true", "只允许只读查询"),
    ("select * from (show all tables)", "不允许使用"),
    ("select * from (describe events)", "不允许使用"),
    ("select current_setting('temp_directory')", "不允许使用"),
    ("select duckdb_version()", "不允许使用"),
]


# A failing cast in a WHERE that the optimiser might run below the scope filter: it must only ever see in-scope
# rows, and an error must not quote values (found in review: it leaked other streets' patrols).
LEAK_PROBES = {
    "patrols": "select * from patrols where cast(case when grid_id like '620802001-%' then '1' "
               "else grid_id || '|' || patrol_id end as int) = 7",
    "events": "select * from events where cast(case when grid_id like '620802001-%' then '1' "
              "else grid_id || '|' || event_id end as int) = 7",
    "relief": "select * from relief where cast(case when grid_id like '620802001-%' then '1' "
              "else grid_id || '|' || case_id end as int) = 7",
    "grids": "select * from grids where cast(case when street = '东关街道' then '1' else street end as int) = 7",
    "workers": "select * from workers where cast(case when grid_id like '620802001-%' then '1' "
               "else grid_id end as int) = 7",
}


@pytest.mark.parametrize("view", list(LEAK_PROBES))
def test_sql_tab_predicates_never_see_other_streets(db, view):
    con = store.connect(db, read_only=True)
    try:
        df, _ = explore.run_sql(con.cursor(), LEAK_PROBES[view], user=accounts.user_of(CFG, "dongguan"))
        assert df.empty
    except explore.QueryRefused as e:
        assert "620802002" not in str(e) and "620802003" not in str(e) and "街道" not in str(e), str(e)
    finally:
        con.close()


@pytest.mark.parametrize("sql,reason", ATTACKS)
def test_sql_tab_attacks_are_refused(db, sql, reason):
    con = store.connect(db, read_only=True)
    with pytest.raises(explore.QueryRefused) as e:
        explore.run_sql(con.cursor(), sql, user=accounts.user_of(CFG, "dongguan"))
    assert reason in str(e.value)
    con.close()


def test_sql_tab_sees_scoped_masked_views(db):
    con = store.connect(db, read_only=True)
    staff = accounts.user_of(CFG, "dongguan")
    df, _ = explore.run_sql(con.cursor(), "select distinct g.street from events e join grids g using (grid_id)",
                            user=staff)
    assert list(df["street"]) == ["东关街道"]
    df, _ = explore.run_sql(con.cursor(), "select applicant_name, id_number from relief limit 20", user=staff)
    assert df["applicant_name"].str.contains(r"\*").all() and df["id_number"].str.match(r"^\d{4}\*{10}[\dX]{4}$").all()
    df, _ = explore.run_sql(con.cursor(), "select applicant_name from relief limit 5",
                            user=accounts.user_of(CFG, "leader"))
    assert df["applicant_name"].isna().all()                    # leaders see no personal data at all
    df, _ = explore.run_sql(con.cursor(), "select applicant_name from relief limit 5",
                            user=accounts.user_of(CFG, "admin"))
    assert not df["applicant_name"].str.contains(r"\*").any()   # admins see it as stored
    con.close()


def test_sql_tab_in_the_app_refuses_and_audits(app, db):
    at = app("app_pages/explorer.py", user="dongguan")
    at.text_area(key="sql").set_value("select * from read_csv('/etc/passwd')").run()
    at.button(key="run_sql").click().run()
    assert any("不允许使用" in e.value for e in at.error)
    at.text_area(key="sql").set_value("select * from events").run()
    at.button(key="run_sql").click().run()
    shown = at.dataframe[-1].value
    assert len(shown) > 0 and not shown["reporter_phone"].dropna().str.match(r"^\d{11}$").any()
    log = audit_rows(db)
    mine = log[log["username"] == "dongguan"]
    assert ((mine["action"] == "refused") & mine["detail"].str.contains("read_csv")).any()
    assert ((mine["action"] == "sql") & mine["detail"].str.contains("select \\* from events")).any()


def test_sql_time_limit(db):
    con = store.connect(db, read_only=True)
    with pytest.raises(explore.QueryRefused) as e:
        explore.run_sql(con.cursor(), "select count(*) from events a, events b, events c", seconds=0.5,
                        user=accounts.user_of(CFG, "admin"))
    assert "已中止" in str(e.value)
    con.close()


# --------------------------------------------------------------------------------------------- masking and exports

def test_masking_macros(db):
    con = store.connect(db, read_only=True)
    got = con.sql("select gg_mask_name('张三明'), gg_mask_name('李四'), gg_mask_phone('13812345678'), "
                  "gg_mask_id('620802199001011234'), "
                  "gg_mask_text('联系电话13812345678，身份证62080219900101123X')").fetchall()[0]
    assert got == ("张*明", "李*", "138****5678", "6208**********1234", "联系电话138****5678，身份证6208**********123X")
    con.close()


@pytest.mark.parametrize("username,mode", [("leader", "none"), ("analyst", "masked"), ("admin", "full")])
def test_xlsx_export_personal_columns_by_role(db, username, mode):
    from ui.export import to_xlsx

    con = store.connect(db, read_only=True)
    user = accounts.user_of(CFG, username)
    f = Filters(date(2025, 1, 1), END, scope=user.scope)
    recs, _ = explore.records(con, "relief", f, personal=user.role.personal, limit=50)
    con.close()
    back = pd.read_excel(io.BytesIO(to_xlsx(recs, "明细")), dtype=str)
    if mode == "none":
        assert "applicant_name" not in back and "id_number" not in back
    elif mode == "masked":
        assert back["applicant_name"].str.contains(r"\*").all()
        assert back["id_number"].dropna().str.match(r"^\d{4}\*{10}[\dX]{4}$").all()
    else:
        assert not back["applicant_name"].str.contains(r"\*").any()
        assert back["id_number"].dropna().str.match(r"^\d{17}[\dX]$").all()


def test_relief_small_counts_hidden_below_street_level(app, db):
    """A grid with 1–4 approved households in the period shows "<5" to an analyst, the count to an admin. The period
    is 上月 when the demo (which ends yesterday) has such a grid in it, else the latest month that has one (in
    December 上月 is November, when winter relief gives every grid of 东关 five or more)."""
    from ui.filters import preset_range

    d_from, d_to = preset_range("上月", date.today())
    con = store.connect(db, read_only=True)
    grids = con.execute("select date_trunc('month', applied_at)::date as m, grid_id, community, "
                        "any_value(coalesce(grid_name, grid_id)) from v_relief "
                        "join grids using (grid_id, street, community) where street = '东关街道' group by 1, 2, 3 "
                        "having count(distinct household_id) filter (where is_approved) between 1 and 4 "
                        "order by m = ? desc, m desc, grid_id", [d_from]).fetchall()
    con.close()
    assert grids, "the demo has grids with a few approved households in some month"
    month, g, community, name = grids[0]
    period = {} if month == d_from else {
        "period": "自定义", "from": month.isoformat(),
        "to": (date(month.year + month.month // 12, month.month % 12 + 1, 1) - timedelta(days=1)).isoformat()}
    label = f"{name}（{g}）"                          # bound widgets take their display label from the URL
    at = app("app_pages/relief.py", user="analyst", street="东关街道", community=community, grid=label, **period)
    assert at.sidebar.selectbox(key="grid").value == g
    assert any(m.value == "<5" for m in at.metric)
    at = app("app_pages/relief.py", user="admin", street="东关街道", community=community, grid=label, **period)
    assert not any(m.value == "<5" for m in at.metric)


# --------------------------------------------------------------------------------------------- login

def test_login_and_rate_limit(app, db):
    at = app(user=None)
    for _ in range(CFG.max_failures):
        at.text_input(key="login_user").set_value("zhongjie")
        at.text_input(key="login_password").set_value("wrong")
        at.button[0].click().run()
        assert any("用户名或密码错误" in w.value for w in at.warning)
    at.text_input(key="login_user").set_value("zhongjie")
    at.text_input(key="login_password").set_value(CFG.demo_passwords["zhongjie"])
    at.button[0].click().run()
    assert any("已临时锁定" in w.value for w in at.warning)          # even the right password is refused now
    log = audit_rows(db)
    mine = log[log["username"] == "zhongjie"]
    assert (mine["action"] == "login_failed").sum() == CFG.max_failures
    assert (mine["action"] == "login_locked").any()


def test_login_success_and_session_expiry(app, db):
    at = app(user=None)
    at.text_input(key="login_user").set_value("analyst")
    at.text_input(key="login_password").set_value(CFG.demo_passwords["analyst"])
    at.button[0].click().run()
    assert not at.exception and at.metric                           # the cockpit
    at.session_state["_auth"] = {"username": "analyst", "last": time.time() - 3600 * 5}
    at.run()
    assert any("会话已超时" in w.value for w in at.warning)
    assert ((audit_rows(db)["action"] == "login") & (audit_rows(db)["username"] == "analyst")).any()


def test_passwords_are_only_stored_hashed():
    text = (ROOT / "data" / "accounts.toml").read_text(encoding="utf-8")
    for username, (_, _, _, hashed) in CFG.accounts.items():
        assert hashed.startswith("$argon2id$")
        assert accounts.verify(CFG, username, CFG.demo_passwords[username]) is not None
    assert text.count("$argon2id$") == len(CFG.accounts)


def test_audit_records_exports(db):
    audit.record("export", "analyst", "analyst", {"what": "事件明细", "rows": 3, "columns": ["a"]}, store_path=db)
    row = audit_rows(db).iloc[0]
    assert row["action"] == "export" and json.loads(row["detail"])["rows"] == 3


@pytest.mark.parametrize("username", ["leader", "analyst", "admin"])
def test_every_allowed_page_runs_for_each_role(app, username):
    user = accounts.user_of(CFG, username)
    for spec in pages_for(user):
        at = app(spec.file, user=username)           # runs without an exception (asserted by the runner)
        if spec.url_path in ("scoreboard", "map"):   # all-street roles see every street
            text = page_text(at)
            assert all(s in text for s in ("东关街道", "中街街道", "西郊街道")), spec.url_path


@pytest.mark.parametrize("username,personal_shown", [("leader", None), ("analyst", "masked"), ("admin", "full")])
def test_explorer_records_columns_by_role(app, username, personal_shown):
    at = app("app_pages/explorer.py", user=username, dataset="社会救助")
    records = next(df.value for df in at.dataframe if "案件编号" in df.value.columns)
    if personal_shown is None:
        assert "申请人" not in records and "身份证号" not in records
    elif personal_shown == "masked":
        assert records["申请人"].str.contains(r"\*").all()
    else:
        assert not records["申请人"].str.contains(r"\*").any()


def test_cli_output_limited_to_an_accounts_streets(db):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "scoreboard", "--db", str(db), "--from", "2026-01-01",
                          "--to", str(END), "--user", "dongguan"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert [r["unit"] for r in json.loads(out.stdout)] == ["东关街道"]
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "metrics", "--db", str(db), "--from", "2026-01-01",
                          "--to", str(END), "--metric", "event_count", "--by", "street", "--street", "中街街道",
                          "--user", "dongguan"], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(out.stdout) == []


def test_explorer_relief_small_counts_below_street_level(app):
    at = app("app_pages/explorer.py", user="analyst", dataset="社会救助", g1="网格编码")
    values = list(at.dataframe[0].value["记录数"])
    assert "<5" in values and not any(isinstance(v, (int, float)) and 0 < v < 5 for v in values)
    at = app("app_pages/explorer.py", user="admin", dataset="社会救助", g1="网格编码")
    assert "<5" not in list(at.dataframe[0].value["记录数"])


def test_explorer_two_values_are_a_set_not_a_range(db):
    """Two selected categories must not be read as a number range (found while reviewing the cache keys)."""
    con = store.connect(db, read_only=True)
    f = Filters(date(2026, 1, 1), END)
    both = explore.aggregate(con, "events", f, ["category"], column_filters={"category": ("dispute", "hazard")})
    assert set(both["category"]) == {"dispute", "hazard"}
    ranged = explore.aggregate(con, "events", f, [], column_filters={"satisfaction": explore.Range(4, None)})
    exact = con.execute("select count(*) from v_events where reported_at >= '2026-01-01' and "
                        "reported_at < ?::date + 1 and satisfaction >= 4", [END]).fetchall()[0][0]
    assert ranged.iloc[0]["value"] == exact
    con.close()
