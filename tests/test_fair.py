"""Fair ranking (issue 11): funnel limits worked by hand, Wilson intervals, bootstrap rank intervals on a two-street
district with 14 events (tests/fair_fixture.py), and the CLI's --intervals."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from metrics import funnel, intervals, score
from metrics.compute import Filters
from tests import fair_fixture

ROOT = Path(__file__).resolve().parent.parent
SEPT = Filters(date(2025, 9, 1), date(2025, 9, 30))


@pytest.fixture(scope="module")
def fair_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fair")
    db = tmp / "fair.duckdb"
    fair_fixture.build(db, tmp).close()
    return db


@pytest.fixture(scope="module")
def fcon(fair_db):
    from data import store

    con = store.connect(fair_db, read_only=True)
    yield con
    con.close()


# ---------------------------------------------------------------------------------------------- funnel limits

def test_binomial_limits_by_hand():
    # n = 4, θ = ½: F = 1/16, 5/16, 11/16, 15/16, 1. Upper 97.5 %: r_p = 4, α = (1 − .975)/(1/16) = 0.4 → 3.6/4
    assert funnel.binomial_limit(4, 0.5, 0.975) == pytest.approx(0.9)
    # lower 2.5 %: r_p = 0 (F(0) = 1/16 ≥ .025), α = (1/16 − .025)/(1/16) = 0.6 → (0 − 0.6)/4 < 0 → clipped to 0
    assert funnel.binomial_limit(4, 0.5, 0.025) == 0.0
    # n = 10, θ = ½: F(7) = 968/1024 < .975 ≤ F(8) = 1013/1024; P(8) = 45/1024
    alpha = (1013 / 1024 - 0.975) / (45 / 1024)
    assert funnel.binomial_limit(10, 0.5, 0.975) == pytest.approx((8 - alpha) / 10)
    assert funnel.binomial_limit(10, 0.5, 0.975) == pytest.approx(0.767556, abs=1e-6)
    # lower 2.5 %: F(1) = 11/1024 < .025 ≤ F(2) = 56/1024, α = (56/1024 − .025)/(45/1024) → (2 − α)/10
    assert funnel.binomial_limit(10, 0.5, 0.025) == pytest.approx((2 - (56 / 1024 - 0.025) / (45 / 1024)) / 10)
    assert funnel.binomial_limit(10, 0.5, 0.025) == pytest.approx(0.132444, abs=1e-6)
    # n = 1, θ = 0.3: F(0) = 0.7 < .975 ≤ F(1) = 1, α = (1 − .975)/0.3 → 1 − 1/12
    assert funnel.binomial_limit(1, 0.3, 0.975) == pytest.approx(1 - 0.025 / 0.3)
    # 99.8 % is wider than 95 %
    assert funnel.binomial_limit(50, 0.8, 0.999) > funnel.binomial_limit(50, 0.8, 0.975)
    assert funnel.binomial_limit(50, 0.8, 0.001) < funnel.binomial_limit(50, 0.8, 0.025)


def test_tails_decide_the_flags():
    # 4 of 4 at θ = ½: P(R ≥ 4) = 1/16 = 0.0625 — beyond the drawn 0.9 line but not significant
    up, down = funnel.tails(4, 4, 0.5)
    assert up == pytest.approx(1 / 16) and down == pytest.approx(1.0)
    # 10 of 10 at θ = ½: P = 1/1024 < 0.001 → beyond 99.8 %
    assert funnel.tails(10, 10, 0.5)[0] == pytest.approx(1 / 1024)


def test_overdispersion_phi_by_hand():
    # θ = ½, n = 100 each: σ = 0.05; rates 0.4, 0.5, 0.6 → z = −2, 0, 2; winsorised at the 10th/90th percentiles
    # of (−2, 0, 2) = −1.6 and 1.6 → φ = (2.56 + 0 + 2.56)/3
    assert funnel.phi([0.4, 0.5, 0.6], [100, 100, 100], 0.5) == pytest.approx(5.12 / 3)
    # with φ the limits are θ ± z √(φ θ(1−θ)/n)
    lim = funnel.limits(100, 0.5, 0.975, 5.12 / 3)
    assert lim == pytest.approx(0.5 + 1.959964 * math.sqrt(5.12 / 3 * 0.25 / 100), abs=1e-6)


def test_wilson_interval_by_hand():
    # 8 of 10: centre (0.8 + 1.92/10)/(1.384) …; the textbook figure is 0.490–0.943
    lo, hi = funnel.wilson(8, 10)
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.943)
    assert funnel.wilson(0, 0) is None


def test_funnel_on_the_fixture(fcon):
    f = funnel.funnel(fcon, "registered_within_24h_rate", SEPT, "street")
    # 东关 6 of 7 registered within 24 h (E-D5 took 28 h), 中街 7 of 7: district 13/14
    assert f["theta"] == pytest.approx(13 / 14)
    u = f["units"].set_index("unit")
    assert (u.loc["东关街道", "numerator"], u.loc["东关街道", "denominator"]) == (6, 7)
    assert u["signal"].isna().all()          # seven events cannot tell 6/7 from 13/14
    assert "本期没有单位显著偏离" in funnel.sentence(f)
    # against the target (0.95 is not set for this rate: falls back to the district)
    assert funnel.funnel(fcon, "registered_within_24h_rate", SEPT, "street", centre="target")["centre_kind"] == "district"
    t = funnel.funnel(fcon, "event_closure_rate", SEPT, "street", centre="target")
    assert t["centre_kind"] == "target" and t["theta"] == 0.90


# ---------------------------------------------------------------------------------------------- rank intervals

def test_rank_intervals_two_streets_fourteen_events(fcon):
    board = score.scores(fcon, SEPT)
    assert list(board["unit"]) == ["中街街道", "东关街道"] and list(board["score"]) == [61.9, 60.4]
    iv = intervals.rank_intervals(fcon, SEPT).set_index("unit")
    assert iv.loc["中街街道", ["rank_low", "rank_high"]].tolist() == [1, 2]
    assert iv.loc["东关街道", ["rank_low", "rank_high"]].tolist() == [1, 2]


def test_bootstrap_is_seeded_and_uses_the_score_code(fcon):
    a = intervals.replicate_ranks(fcon, SEPT, replicates=40, seed=5)
    b = intervals.replicate_ranks(fcon, SEPT, replicates=40, seed=5)
    assert a.equals(b)
    assert len(a) == 80 and set(a["unit"]) == {"东关街道", "中街街道"}
    # each unit keeps its count of events per replicate, so 千户事件数 (7 per 350 households) never changes; the
    # 其他工作 score (80, hand-entered) is the same in every replicate — both come through score.scores unchanged
    c = intervals.replicate_ranks(fcon, SEPT, replicates=40, seed=6)
    assert not a["score"].equals(c["score"])


@pytest.mark.parametrize("events_as", ["counts", "records"])
def test_one_replicate_equal_to_the_data_scores_the_same(fcon, monkeypatch, events_as):
    # a resample that draws every record once must give the observed scores exactly — events drawn as counts of
    # each kind (the default) or as records (when a score's events measure is not a count)
    if events_as == "records":
        monkeypatch.setattr(intervals, "_event_kinds", lambda *a, **k: None)
    def identity(codes, replicates, rng):
        import numpy as np
        n = len(codes)
        return np.tile(np.arange(n), replicates), np.repeat(np.arange(replicates), n)

    def every_event_once(freq, replicates, rng):          # events are drawn as counts of each kind of event
        import numpy as np
        return np.tile(freq, (replicates, 1))

    monkeypatch.setattr(intervals, "_draw", identity)
    monkeypatch.setattr(intervals, "_draw_counts", every_event_once)
    reps = intervals.replicate_ranks(fcon, SEPT, replicates=2)
    observed = score.scores(fcon, SEPT).set_index("unit")["score"]
    for _, r in reps.iterrows():
        assert r["score"] == observed[r["unit"]]


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_cli_scoreboard_intervals(fair_db):
    out = _cli("scoreboard", "--db", fair_db, "--from", "2025-09-01", "--to", "2025-09-30", "--intervals")
    assert out.returncode == 0, out.stderr
    board = json.loads(out.stdout)
    assert [(r["unit"], r["rank"], r["rank_low"], r["rank_high"]) for r in board] == [
        ("中街街道", 1, 1, 2), ("东关街道", 2, 1, 2)]
    plain = json.loads(_cli("scoreboard", "--db", fair_db, "--from", "2025-09-01", "--to", "2025-09-30").stdout)
    assert "rank_low" not in plain[0]


# ---------------------------------------------------------------------------------------------- small samples, 研判

def test_small_samples_and_honours(fcon):
    from metrics.config import load_config

    parts = score.item_parts(fcon, SEPT)
    small = funnel.small_samples(parts, "street", load_config())
    # 3 concluded disputes a street (min_n = 10): both streets rest on few disputes; 7 events each, too
    assert "矛盾纠纷调处成功率" in small["东关街道"] and "矛盾纠纷调处成功率" in small["中街街道"]
    assert "24小时内立案率" in small["东关街道"]
    from ui import fairness

    board = score.scores(fcon, SEPT).assign(small=lambda b: [small.get(u, []) for u in b["unit"]])
    assert fairness.honour_candidates(board).empty            # 样本少 units stay off 红黑榜
    # the explanation's n and Wilson interval: 6 of 7 → 48.7 %–97.4 %, under min_n
    assert fairness.n_note("registered_within_24h_rate", 6, 7) == "6 / 7，95% 区间 48.7%–97.4%，样本少"
    assert fairness.n_note("event_count", 7, None) == "计数 7"


def test_analysis_tables_on_the_fixture(fcon):
    from metrics import analysis

    # whole weeks of September 2025: 1–7, 8–14, 15–21, 22–28. D1 and Z1 have one key person each, visited once
    kp = analysis.key_person_gaps(fcon, SEPT)
    assert kp[["grid_id", "visits", "owed", "gap"]].values.tolist() == [["D1", 1.0, 4.0, 3.0], ["Z1", 1.0, 4.0, 3.0]]
    # events by grid: D1 4, D2 3, Z1 5, Z2 2 → the top quarter starts at 4.25: Z1, with no week of 3 patrols
    busy = analysis.busy_grids_low_patrol(fcon, SEPT)
    assert busy[["grid_id", "events", "compliance"]].values.tolist() == [["Z1", 5.0, 0.0]]
    rel = analysis.relief_vs_disputes(fcon, SEPT).set_index("community")
    assert rel.loc["广成路社区", "disputes"] == 2 and rel.loc["广成路社区", "households"] == 200
    assert rel.loc["广成路社区", "disputes_per_1000"] == 10.0
