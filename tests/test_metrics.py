"""Every indicator of INDICATORS.md on tests/metric_fixture.py, with the expected values worked out by hand.

Period P = 2025-09-01 … 2025-09-14. In P: events E1–E8 (甲: E1–E5, 乙: E6–E8); E9 is in August, E10 on 09-15.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import score
from metrics.compute import Filters, compute
from metrics.config import load_config
from metrics.registry import METRICS
from metrics.status import status
from tests import metric_fixture

ROOT = Path(__file__).resolve().parent.parent
P = Filters(date(2025, 9, 1), date(2025, 9, 14))


def row(df, **keys):
    for k, v in keys.items():
        df = df[df[k] == v]
    assert len(df) == 1, df
    r = df.iloc[0]
    return (r["value"], r["numerator"], r["denominator"])


def approx(v, n=None, d=None):
    return (pytest.approx(v) if v is not None else None,
            pytest.approx(n, nan_ok=True) if n is not None else pytest.approx(float("nan"), nan_ok=True),
            pytest.approx(d, nan_ok=True) if d is not None else pytest.approx(float("nan"), nan_ok=True))


# id → (total (value, numerator, denominator), by street {street: (value, numerator, denominator)})
# numerator/denominator None means "not applicable" (NaN in the frame).
EXPECTED = {
    # E1–E8 in P
    "event_count": ((8, 8, None), {"甲街道": (5, 5, None), "乙街道": (3, 3, None)}),
    # 8 events / 1000 households × 1000; 甲 5/500, 乙 3/500
    "events_per_1000_households": ((8.0, 8, 1000), {"甲街道": (10.0, 5, 500), "乙街道": (6.0, 3, 500)}),
    # closed: E1 E2 E3 E4 (甲) and E6 (乙)
    "event_closure_rate": ((0.625, 5, 8), {"甲街道": (0.8, 4, 5), "乙街道": (1 / 3, 1, 3)}),
    # closed with a deadline: E1 ✓, E2 ✗ (closed 09-12 after due 09-09), E3 ✓, E4 ✓, E6 ✓
    "event_ontime_rate": ((0.8, 4, 5), {"甲街道": (0.75, 3, 4), "乙街道": (1.0, 1, 1)}),
    # hours reported→closed: E6 6, E3 24, E4 48, E1 51, E2 240 → median 48 over 5
    "event_median_hours": ((48.0, None, 5), {"甲街道": (49.5, None, 4), "乙街道": (6.0, None, 1)}),
    # reported→registered: 0.5 (E3), 1 (E1, E4, E6), 2 (E5), 25 (E2), 48 (E7) → median 1 over 7
    "stage_hours_registered": ((1.0, None, 7), {"甲街道": (1.0, None, 5), "乙街道": (24.5, None, 2)}),
    # registered→dispatched: E1 2, E2 2, E6 1
    "stage_hours_dispatched": ((2.0, None, 3), {"甲街道": (2.0, None, 2), "乙街道": (1.0, None, 1)}),
    # dispatched→handled: E1 24, E2 48, E6 2
    "stage_hours_handled": ((24.0, None, 3), {"甲街道": (36.0, None, 2), "乙街道": (2.0, None, 1)}),
    # handled→closed: E1 24, E2 165 (09-05 12:00 → 09-12 09:00), E6 2
    "stage_hours_closed": ((24.0, None, 3), {"甲街道": (94.5, None, 2), "乙街道": (2.0, None, 1)}),
    # closed→evaluated: E1 24, E3 24, E6 24
    "stage_hours_evaluated": ((24.0, None, 3), {"甲街道": (24.0, None, 2), "乙街道": (24.0, None, 1)}),
    # not closed by the end of P: E5 (甲), E7, E8 (乙)
    "open_backlog": ((3, 3, None), {"甲街道": (1, 1, None), "乙街道": (2, 2, None)}),
    # evaluated: E1 5, E3 4 (甲), E6 3 (乙)
    "satisfaction_rate": ((2 / 3, 2, 3), {"甲街道": (1.0, 2, 2), "乙街道": (0.0, 0, 1)}),
    # disputes E1 resolved, E2 unresolved, E3 transferred (neither); 乙 has none in P → no value
    "dispute_resolution_rate": ((0.5, 1, 2), {"甲街道": (0.5, 1, 2), "乙街道": (None, 0, 0)}),
    # concluded disputes E1 (on site), E2 (not)
    "dispute_onsite_rate": ((0.5, 1, 2), {"甲街道": (0.5, 1, 2), "乙街道": (None, 0, 0)}),
    # hazards E4 rectified, E5 not (甲); E7 no outcome (乙)
    "hazard_rectification_rate": ((1 / 3, 1, 3), {"甲街道": (0.5, 1, 2), "乙街道": (0.0, 0, 1)}),
    "grid_count": ((3, 3, None), {"甲街道": (2, 2, None), "乙街道": (1, 1, None)}),
    # A1 (WA1 active), A2 (WA2 inactive), B1 (WB1 active)
    "grid_staffing_rate": ((2 / 3, 2, 3), {"甲街道": (0.5, 1, 2), "乙街道": (1.0, 1, 1)}),
    "households_per_worker": ((500.0, 1000, 2), {"甲街道": (500.0, 500, 1), "乙街道": (500.0, 500, 1)}),
    # 13 patrols in P / (3 grids × 14/7 weeks); 甲 6 / (2 × 2), 乙 7 / 2
    "patrols_per_grid_week": ((13 / 6, 13, 6), {"甲街道": (1.5, 6, 4), "乙街道": (3.5, 7, 2)}),
    # grid-weeks with ≥ 3 patrols: A1w1 (3), B1w1 (4), B1w2 (3) of 6
    "patrol_compliance_rate": ((0.5, 3, 6), {"甲街道": (0.25, 1, 4), "乙街道": (1.0, 2, 2)}),
    # A1 (2 key persons): min(3,2) + min(1,2); B1 (1): min(0,1) + min(1,1); A2 has none and drops out
    "key_person_visit_rate": ((4 / 6, 4, 6), {"甲街道": (0.75, 3, 4), "乙街道": (0.5, 1, 2)}),
    # approved: R1 (H1 dibao), R2 (H1 temporary), R3 and R6 (H2 dibao) → households H1, H2
    "relief_households": ((2, 2, None), {"甲街道": (2, 2, None), "乙街道": (0, 0, None)}),
    # (H1, dibao) 3 + (H1, temporary) 3 + (H2, dibao) 2 — R3 and R6 count once
    "relief_persons": ((8, 8, None), {"甲街道": (8, 8, None), "乙街道": (0, 0, None)}),
    # paid: R1 1000 + R3 800
    "relief_amount_yuan": ((1800, 1800, None), {"甲街道": (1800, 1800, None), "乙街道": (0, 0, None)}),
    "relief_new_households": ((1, 1, None), {"甲街道": (1, 1, None), "乙街道": (0, 0, None)}),
    # applied→approved days: R2 3, R6 4, R3 6, R1 10 → median 5; 乙 none approved
    "relief_approval_days": ((5.0, None, 4), {"甲街道": (5.0, None, 4), "乙街道": (None, None, 0)}),
    # registered within 24 h: E1 E3 E4 E5 (甲 4 of 5), E6 (乙 1 of 3)
    "registered_within_24h_rate": ((5 / 8, 5, 8), {"甲街道": (0.8, 4, 5), "乙街道": (1 / 3, 1, 3)}),
    # closed disputes with a deadline: E1 ✓, E2 ✗, E3 ✓
    "dispute_ontime_rate": ((2 / 3, 2, 3), {"甲街道": (2 / 3, 2, 3), "乙街道": (None, 0, 0)}),
    # worker-days on Mon–Fri: WA1 {09-01, 09-02 (E2), 09-03, 09-09, 09-11}, WB1 {09-01..04, 09-08, 09-10};
    # 2 active workers × 10 working days
    "platform_use_rate": ((0.55, 11, 20), {"甲街道": (0.5, 5, 10), "乙街道": (0.6, 6, 10)}),
    # five fields: A1 5, A2 3 (no name, no population), B1 5
    "data_entry_fill_rate": ((13 / 15, 13, 15), {"甲街道": (0.8, 8, 10), "乙街道": (1.0, 5, 5)}),
    # updated within 90 days before the end of P: A1, B1 (A2 in January)
    "data_fresh_rate": ((2 / 3, 2, 3), {"甲街道": (0.5, 1, 2), "乙街道": (1.0, 1, 1)}),
}


@pytest.mark.parametrize("metric_id", list(EXPECTED))
def test_indicator_total_and_by_street(mcon, metric_id):
    total, by_street = EXPECTED[metric_id]
    assert row(compute(mcon, metric_id, P)) == approx(*total)
    df = compute(mcon, metric_id, P, ["street"])
    for street, expected in by_street.items():
        if street not in set(df["street"]):
            assert expected[0] in (None, 0) and expected[1] in (None, 0), (street, df)
            continue
        assert row(df, street=street) == approx(*expected), street


def test_every_registered_metric_has_expected_values():
    assert set(EXPECTED) == set(METRICS)


def test_grouped_by_grid_and_community(mcon):
    df = compute(mcon, "event_count", P, ["grid_id"])
    assert dict(zip(df["grid_id"], df["value"])) == {"A1": 3, "A2": 2, "B1": 3}
    df = compute(mcon, "grid_staffing_rate", P, ["community"])
    assert dict(zip(df["community"], df["value"])) == {"乙一社区": 1.0, "甲一社区": 1.0, "甲二社区": 0.0}


def test_backlog_by_age_band(mcon):
    # E8 (09-13) ≤3 d, E7 (09-10) 3–7 d, E5 (09-05) 7–30 d, measured at the end of P
    df = compute(mcon, "open_backlog", P, ["age_band"])
    assert dict(zip(df["age_band"], df["value"])) == {"3–7天": 1, "7–30天": 1, "≤3天": 1}


def test_relief_by_programme(mcon):
    df = compute(mcon, "relief_households", P, ["programme"])
    assert dict(zip(df["programme"], df["value"])) == {"dibao": 2, "temporary_relief": 1}
    df = compute(mcon, "relief_persons", P, ["programme"])
    assert dict(zip(df["programme"], df["value"])) == {"dibao": 5, "temporary_relief": 3}


def test_period_crossing_month_end_groups_add_up(mcon):
    f = Filters(date(2025, 8, 25), date(2025, 9, 14))
    df = compute(mcon, "event_count", f, ["month"])
    assert dict(zip(df["month"], df["value"])) == {"2025-08": 1, "2025-09": 8}       # E9 | E1–E8
    assert compute(mcon, "event_count", f).iloc[0]["value"] == 9
    df = compute(mcon, "events_per_1000_households", f, ["month"])
    assert dict(zip(df["month"], df["value"])) == {"2025-08": 1.0, "2025-09": 8.0}   # households 1000 each month
    weeks = compute(mcon, "event_count", f, ["week"])
    assert dict(zip(weeks["week"], weeks["value"])) == {"2025-08-25": 1, "2025-09-01": 5, "2025-09-08": 3}


def test_filters_narrow_numerator_and_denominator(mcon):
    f = P.with_(categories=("dispute",))
    assert row(compute(mcon, "event_closure_rate", f)) == approx(1.0, 3, 3)
    f = P.with_(streets=("乙街道",))
    assert row(compute(mcon, "events_per_1000_households", f)) == approx(6.0, 3, 500)
    f = P.with_(grids=("A1",), sources=("patrol",))
    assert row(compute(mcon, "event_count", f)) == approx(3, 3, None)              # E1 E2 E4
    f = P.with_(workers=("WB1",))
    assert row(compute(mcon, "platform_use_rate", f)) == approx(0.6, 6, 10)
    f = P.with_(programmes=("temporary_relief",))
    assert row(compute(mcon, "relief_amount_yuan", f)) == approx(0, 0, None)


def test_empty_period_has_no_rates(mcon):
    f = Filters(date(2024, 1, 1), date(2024, 1, 31))
    assert row(compute(mcon, "event_count", f)) == approx(0, 0, None)
    for rate in ("event_closure_rate", "satisfaction_rate", "dispute_resolution_rate", "hazard_rectification_rate"):
        assert row(compute(mcon, rate, f)) == approx(None, 0, 0), rate
    assert compute(mcon, "event_median_hours", f).iloc[0]["value"] is None
    assert compute(mcon, "event_count", f, ["street"]).empty


def test_group_by_whitelist(mcon):
    with pytest.raises(ValueError):
        compute(mcon, "event_count", P, ["description"])
    with pytest.raises(ValueError):
        compute(mcon, "grid_count", P, ["month"])


# --------------------------------------------------------------------------------------------- six items


def test_six_items_and_composite(mcon):
    board = score.scores(mcon, P).set_index("unit")
    jia, yi = board.loc["甲街道"], board.loc["乙街道"]
    # 甲: worker duty 100×mean(0.25, 0.75); platform 100×0.5; data entry 100×(0.5×0.8 + 0.5×0.5);
    # reporting 100×(0.5×min(1, 10/20) + 0.5×0.8); disputes 100×(0.5×0.5 + 0.5×2/3); other work 80
    assert [jia[i] for i in score.ITEM_IDS] == pytest.approx([50.0, 50.0, 65.0, 65.0, 175 / 3, 80.0])
    # (20×50 + 15×50 + 15×65 + 20×65 + 20×58.333 + 10×80) / 100 = 59.9167
    assert jia["score"] == 59.92
    # 乙: 100×mean(1, 0.5); 100×0.6; 100×(0.5 + 0.5); 100×(0.5×6/20 + 0.5×1/3); no disputes → None; 90
    assert [yi[i] for i in score.ITEM_IDS[:4]] == pytest.approx([75.0, 60.0, 100.0, 95 / 3])
    assert pd.isna(yi["item_dispute_mediation"])
    assert yi["item_other_work"] == 90.0
    # renormalised over 80 weight points: (1500 + 900 + 1500 + 633.33 + 900) / 80 = 67.9167
    assert yi["score"] == 67.92
    assert (yi["rank"], jia["rank"]) == (1, 2)


def test_scoreboard_previous_period(mcon):
    # a custom range (2–15 September) is compared with the 14 days before it (19 August – 1 September) when the data
    # reaches back to it (here taken to start on 1 August; the fixture's first data is 2025-08-20)
    board = score.scoreboard(mcon, P.with_(date_from=date(2025, 9, 2), date_to=date(2025, 9, 15)),
                             first_data=date(2025, 8, 1)).set_index("unit")
    prev = score.scores(mcon, Filters(date(2025, 8, 19), date(2025, 9, 1))).set_index("unit")
    assert board.loc["甲街道", "prev_score"] == prev.loc["甲街道", "score"]
    assert board.loc["乙街道", "prev_rank"] == prev.loc["乙街道", "rank"]
    # 18–31 August by hand: 甲 (0, 0, 40, 55, —, 70) → 2400/80 = 30.0; 乙 (0, 0, 100, 0, —, —) → 1500/70 = 21.43
    aug = score.scores(mcon, Filters(date(2025, 8, 18), date(2025, 8, 31))).set_index("unit")
    assert (aug.loc["甲街道", "score"], aug.loc["乙街道", "score"]) == (30.0, 21.43)
    assert (aug.loc["乙街道", "rank"], aug.loc["甲街道", "rank"]) == (2, 1)


def test_scoreboard_previous_period_without_data(mcon):
    # 2025-01: the previous period (December 2024) lies before the first data (2025-08-20): "—", not a score built
    # from grid data alone (which would make the change look like a leap)
    board = score.scoreboard(mcon, Filters(date(2025, 1, 1), date(2025, 1, 31))).set_index("unit")
    prev = score.scores(mcon, Filters(date(2024, 12, 1), date(2024, 12, 31))).set_index("unit")
    assert not pd.isna(prev.loc["甲街道", "score"])
    assert pd.isna(board.loc["甲街道", "prev_score"]) and pd.isna(board.loc["甲街道", "score_change"])


def test_ties_share_a_rank():
    ranked = score.rank(pd.DataFrame({"unit": ["a", "b", "c", "d"], "score": [80.0, 90.0, 80.0, None]}))
    assert list(ranked["unit"]) == ["b", "a", "c", "d"]
    assert list(ranked["rank"].astype(object).where(ranked["rank"].notna(), None)) == [1, 2, 2, None]


def test_composite_renormalises():
    w = load_config().weights
    assert score.composite({"item_worker_duty": 50.0, "item_other_work": 80.0}, w) == round((20 * 50 + 10 * 80) / 30, 2)
    assert score.composite({}, w) is None


def test_explanation_decomposes_the_score(mcon):
    ex = score.explain(mcon, P, "甲街道")
    assert ex["score"] == 59.92 and ex["rank"] == 2
    items = {i["item"]: i for i in ex["items"]}
    dm = items["item_dispute_mediation"]
    assert [(x["metric"], x["numerator"], x["denominator"]) for x in dm["inputs"]] == [
        ("dispute_resolution_rate", 1.0, 2.0), ("dispute_ontime_rate", 2.0, 3.0)]
    assert sum(i["contribution"] for i in ex["items"] if i["contribution"] is not None) == pytest.approx(59.9167,
                                                                                                      abs=1e-3)
    assert items["item_other_work"]["inputs"][-1] == {"metric": "manual_scores", "value": 80.0, "numerator": None,
                                                     "denominator": 1}
    yi = {i["item"]: i for i in score.explain(mcon, P, "乙街道")["items"]}
    assert yi["item_dispute_mediation"]["value"] is None and yi["item_dispute_mediation"]["weight_share"] is None
    assert yi["item_worker_duty"]["weight_share"] == pytest.approx(20 / 80)


def test_community_level(mcon):
    board = score.scores(mcon, P.with_(streets=("甲街道",)), level="community")
    assert list(board["unit"]) == ["甲一社区", "甲二社区"] or set(board["unit"]) == {"甲一社区", "甲二社区"}


# --------------------------------------------------------------------------------------------- status


@pytest.mark.parametrize("metric_id,value,expected", [
    ("dispute_resolution_rate", 0.95, "blue"),      # target 0.90
    ("dispute_resolution_rate", 0.90, "blue"),
    ("dispute_resolution_rate", 0.86, "yellow"),    # within 5 points
    ("dispute_resolution_rate", 0.84, "red"),
    ("event_median_hours", 70, "blue"),             # lower is better, target 72
    ("event_median_hours", 75, "yellow"),           # within 5 % of 72 = 3.6
    ("event_median_hours", 76, "red"),
    ("dispute_resolution_rate", None, None),
    ("event_count", 10, None),                      # no target configured
])
def test_status(metric_id, value, expected):
    assert status(metric_id, value) == expected


# --------------------------------------------------------------------------------------------- published figures


def test_published_kongtong_figures(con, tmp_path):
    """崆峒区: 229 hazards of which 181 rectified → 79.04 %; 355 workers for 357 grids → 99.44 %."""
    from data import ingest
    from tests.fixtures import write

    grids = [dict(grid_id=f"G{i:03d}", street=["东关街道", "中街街道", "西郊街道"][i % 3], community="c", households=300)
             for i in range(357)]
    workers = [dict(worker_id=f"W{i:03d}", grid_id=f"G{i:03d}", active="是") for i in range(355)]
    events = [dict(event_id=f"H{i:03d}", grid_id=f"G{i % 357:03d}", category="安全隐患",
                   reported_at="2025-06-01 09:00", outcome="已整改" if i < 181 else "未整改") for i in range(229)]
    for kind, rows in (("grids", grids), ("workers", workers), ("events", events)):
        assert ingest.ingest_files(con, kind, [write(kind, tmp_path / f"{kind}.csv", rows=rows)])[0].stored
    year = Filters(date(2025, 1, 1), date(2025, 12, 31))
    hz = compute(con, "hazard_rectification_rate", year).iloc[0]
    assert (hz["numerator"], hz["denominator"], round(hz["value"] * 100, 2)) == (181, 229, 79.04)
    st = compute(con, "grid_staffing_rate", year).iloc[0]
    assert (st["numerator"], st["denominator"], round(st["value"] * 100, 2)) == (355, 357, 99.44)


# --------------------------------------------------------------------------------------------- meta and CLI


def indicator_ids_in_contract() -> set[str]:
    text = (ROOT.parent / "shared" / "INDICATORS.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"^\| ([a-z][a-z0-9_]+) \|", text, flags=re.M))
    return ids - {"item_worker_duty", "item_platform_use", "item_data_entry", "item_event_reporting",
                  "item_dispute_mediation", "item_other_work", "id", "item"}


@pytest.mark.skipif(not (ROOT.parent / "shared" / "INDICATORS.md").exists(), reason="../shared not beside the repo")
def test_meta_every_contract_id_is_registered_labelled_and_tested():
    ids = indicator_ids_in_contract()
    assert len(ids) == 21
    for i in ids:
        assert i in METRICS, i
        m = METRICS[i]
        assert m.label and re.search(r"[\u4e00-\u9fff]", m.label), i
        assert m.description, i
        assert i in EXPECTED, f"{i} has no hand-worked test value"
    # "stage hours" is one row of the contract: one registered indicator per step
    assert {f"stage_hours_{s}" for s in ("registered", "dispatched", "handled", "closed", "evaluated")} <= set(METRICS)
    # the composite and its six items are scored in metrics/score.py
    assert (score.SCORE_ID, score.SCORE_LABEL) == ("six_item_score", "六项综治业务指标")
    assert "six_item_score" in (ROOT.parent / "shared" / "INDICATORS.md").read_text(encoding="utf-8")
    assert set(score.ITEM_IDS) == {"item_worker_duty", "item_platform_use", "item_data_entry", "item_event_reporting",
                                   "item_dispute_mediation", "item_other_work"}


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_cli_metrics_and_scoreboard_json(mcon, tmp_path):
    db = tmp_path / "cli.duckdb"
    metric_fixture.build(db, tmp_path).close()
    out = _cli("metrics", "--db", db, "--from", "2025-09-01", "--to", "2025-09-14", "--metric",
               "dispute_resolution_rate", "--by", "street")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data == [
        {"metric": "dispute_resolution_rate", "value": 0.5, "numerator": 1.0, "denominator": 2.0, "street": "甲街道"},
        {"metric": "dispute_resolution_rate", "value": None, "numerator": 0.0, "denominator": 0.0, "street": "乙街道"},
    ] or sorted(data, key=lambda r: r["street"]) == sorted([
        {"metric": "dispute_resolution_rate", "value": 0.5, "numerator": 1.0, "denominator": 2.0, "street": "甲街道"},
        {"metric": "dispute_resolution_rate", "value": None, "numerator": 0.0, "denominator": 0.0, "street": "乙街道"},
    ], key=lambda r: r["street"])
    out = _cli("metrics", "--db", db, "--from", "2025-09-01", "--to", "2025-09-14")
    allm = json.loads(out.stdout)
    assert {r["metric"] for r in allm} == set(METRICS)
    assert all(set(r) == {"metric", "value", "numerator", "denominator"} for r in allm)

    out = _cli("scoreboard", "--db", db, "--from", "2025-09-01", "--to", "2025-09-14", "--format", "json")
    assert out.returncode == 0, out.stderr
    board = json.loads(out.stdout)
    assert [list(r) for r in board][0] == ["unit", "rank", "score", *score.ITEM_IDS, "prev_score", "prev_rank",
                                           "yoy_score", "yoy_rank"]
    # 环比 = 1–14 August, before the first data (2025-08-20): no previous values (metrics/periods)
    assert [(r["unit"], r["rank"], r["score"], r["prev_score"], r["prev_rank"]) for r in board] == [
        ("乙街道", 1, 67.92, None, None), ("甲街道", 2, 59.92, None, None)]
    assert board[0]["item_dispute_mediation"] is None and board[1]["item_dispute_mediation"] == 58.33

    assert _cli("metrics", "--db", db, "--from", "2025-09-01", "--to", "2025-09-14", "--metric", "nope").returncode == 2
    assert _cli("scoreboard", "--db", db, "--from", "2025-09-14", "--to", "2025-09-01").returncode == 2


def test_registration_hours_is_configurable(mcon):
    from metrics.config import parse_config

    text = (ROOT / "data" / "scoring.toml").read_text(encoding="utf-8").replace("registration_hours = 24",
                                                                              "registration_hours = 48")
    cfg = parse_config(text)
    # with 48 h, E2 (25 h) and E7 (48 h) count too: 7 of 8; E8 was never registered
    assert row(compute(mcon, "registered_within_24h_rate", P, cfg=cfg)) == approx(7 / 8, 7, 8)


@pytest.mark.parametrize("keys", [(), ("street",), ("community",), ("grid_id",), ("month",), ("week",), ("category",),
                                  ("age_band",), ("programme",), ("street", "month"), ("grid_id", "week")])
@pytest.mark.parametrize("store", ["fixture", "demo"])
def test_joined_statement_equals_separate_scans(mcon, demo_db, monkeypatch, keys, store):
    """compute_many joins its scans in one statement when every source has the keys; the frames are exactly those
    of one statement per scan joined in pandas (the path mixed keys still take), every indicator, value and dtype."""
    import duckdb

    from metrics import compute as cm
    from metrics.registry import SOURCES

    con = mcon if store == "fixture" else duckdb.connect(str(demo_db), read_only=True)
    f = Filters(date(2025, 9, 1), date(2025, 10, 31)) if store == "fixture" else Filters(date(2000, 1, 1), date.today())
    ids = [i for i, m in METRICS.items() if all(k in SOURCES[m.numerator.source].keys for k in keys)]
    joined = cm.compute_many(con, ids, f, list(keys))
    monkeypatch.setattr(cm, "ONE_STATEMENT", False)
    separate = cm.compute_many(con, ids, f, list(keys))
    rows = 0
    for i in ids:
        pd.testing.assert_frame_equal(joined[i], separate[i], check_exact=True, obj=f"{i} by {keys}")
        rows += len(joined[i])
    assert rows >= len(ids)          # every indicator compared on at least one group
    if store == "demo":
        con.close()
