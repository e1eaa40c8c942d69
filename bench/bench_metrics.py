"""Indicator benchmark: every registered indicator and the street scoreboard on 1 M and 10 M demo events,
ours (metrics.compute over the DuckDB views) against a straightforward pandas in-memory dashboard.

    python bench/bench_metrics.py [--sizes 1000000,10000000] [--repeat 5] [--out bench/out] [--fresh]

For each size the seeded demo store is generated once into bench/out/ (gitignored; an existing store of the same
seed, size and end date is reused unless --fresh). Then, each in its own subprocess so that timings and peak memory
(ru_maxrss) belong to that path alone:

  ours cold    one new process per indicator × scope (and one for the scoreboard): open the store read-only, as
               the app does, and compute once. Timed inside the child, imports excluded. The OS page cache is
               warm (the file was just written or read), so "cold" means a cold DuckDB process, not a cold disk.
  ours warm    one process: every indicator × scope and the scoreboard, a first run, then the median of --repeat.
  pandas       one process: what a typical Streamlit dashboard does — load the tables into DataFrames
               (con.sql("select * from …").df()), join the grids' place, then compute every indicator with pandas
               masks and groupby. Written from ../shared/INDICATORS.md, never calling metrics/. Timed excluding
               the load (median of warm runs, like ours warm) and including it (load + first run, like ours cold).

Every value (the district total and every by-grid row: value, numerator, denominator) and every scoreboard row
(six items, score, rank, previous score and rank, changes) is checked equal between ours and pandas within 1e-9
relative. Not a test: the figures go into the README by hand.

Cost: about 2 min at 1 M and 5–6 min at 10 M on 2 cores. The pandas path at 10 M peaks near 17 GB RSS: DuckDB's
.df() of 10 M 24-column events alone does (it is what such a dashboard pays; .arrow().to_pandas() would need ~1/3).
Slow pandas items get fewer warm runs (--pandas-budget); the table says where.
"""
from __future__ import annotations

import argparse
import json
import math
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SEED = 42
END = date(2026, 11, 20)                         # last day of demo data: the window is 2025-10-01 … 2026-11-20
PERIOD = (date(2026, 1, 1), date(2026, 10, 31))  # ten months inside the window; its previous period starts 2025-03
SCOPES = ("total", "by grid")
SCOREBOARD = "six_item_score (street)"
REL_TOL = 1e-9
TARGETS = {"scoreboard_10m_s": 0.3, "indicator_1m_s": 0.2, "ratio": 10.0}

# ===================================================================================================================
# The pandas dashboard: an independent implementation of INDICATORS.md over in-memory DataFrames
# ===================================================================================================================

STEPS = ("reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "evaluated_at")  # 六步闭环
ITEM_WEIGHT_KEYS = ("item_worker_duty", "item_platform_use", "item_data_entry", "item_event_reporting",
                    "item_dispute_mediation", "item_other_work")


class Period:
    """A closed date range [d_from, d_to]: timestamps select by start <= t < end (INDICATORS.md conventions)."""

    def __init__(self, d_from: date, d_to: date):
        self.d_from, self.d_to = d_from, d_to
        self.start = pd.Timestamp(d_from)
        self.end = pd.Timestamp(d_to) + pd.Timedelta(days=1)
        self.days = (d_to - d_from).days + 1
        self.working_days = len(pd.bdate_range(d_from, d_to))          # Mon–Fri, no holiday calendar
        # whole weeks Monday–Sunday inside the period: a Monday m with m + 6 days <= d_to
        first_monday = self.start + pd.Timedelta(days=(7 - self.start.dayofweek) % 7)
        self.weeks = pd.date_range(first_monday, pd.Timestamp(d_to) - pd.Timedelta(days=6), freq="7D")

    def previous(self) -> Period:
        return Period(self.d_from - timedelta(days=self.days), self.d_from - timedelta(days=1))

    def months(self) -> tuple[str, str]:
        return self.d_from.strftime("%Y-%m"), self.d_to.strftime("%Y-%m")


def _sum(values: pd.Series, frame: pd.DataFrame, by: str | None):
    """Σ values over the whole scope (a scalar) or per group (a Series indexed by the group key)."""
    return values.sum() if by is None else values.groupby(frame[by], observed=True).sum()


def _median(values: pd.Series, frame: pd.DataFrame, by: str | None):
    """(median, how many values it is over), NaN values left out."""
    if by is None:
        return values.median(), values.count()
    groups = values.groupby(frame[by], observed=True)
    return groups.median(), groups.count()


class PandasDashboard:
    """Loads the store's tables once (as a dashboard caches them), then answers every indicator from memory."""

    def __init__(self, con, scoring_path: Path = ROOT / "data" / "scoring.toml"):
        scoring = tomllib.loads(scoring_path.read_text(encoding="utf-8"))
        self.params = scoring["parameters"]
        self.weights = {k: float(v) for k, v in scoring["six_item_score"]["weights"].items()}
        self.grids = con.sql("select * from grids").df()
        place = self.grids[["grid_id", "street", "community", "key_persons"]]
        # Inner joins: a row whose grid is unknown has no place in the hierarchy and drops out of scoped figures.
        self.events = con.sql("select * from events").df().merge(place[["grid_id", "street", "community"]],
                                                                 on="grid_id")
        self.patrols = con.sql("select * from patrols").df().merge(place[["grid_id", "street", "community"]],
                                                                   on="grid_id")
        self.relief = con.sql("select * from relief").df().merge(place[["grid_id", "street", "community"]],
                                                                 on="grid_id")
        self.workers = con.sql("select * from workers").df().merge(place[["grid_id", "street", "community"]],
                                                                   on="grid_id")
        self.manual = con.sql("select * from manual_scores").df()
        self.dispatch = self._dispatch()

    # ---------------------------------------------------------------------------------------------- row sets

    def _events(self, p: Period, by: str | None, cols: list[str]) -> pd.DataFrame:
        """Events reported in the period, only the columns needed (copying all 26 of 10 M rows would dominate)."""
        e = self.events
        keep = (e["reported_at"] >= p.start) & (e["reported_at"] < p.end)
        return e.loc[keep, list(dict.fromkeys(([by] if by else []) + cols))]

    def _relief(self, p: Period) -> pd.DataFrame:
        r = self.relief
        return r[(r["applied_at"] >= p.start) & (r["applied_at"] < p.end)]

    def _active_workers(self) -> pd.DataFrame:
        return self.workers[self.workers["active"]]

    def _grid_weeks(self, p: Period) -> pd.DataFrame:
        """One row per grid per whole week: that week's patrols and key-person visits (zero when none)."""
        pt = self.patrols
        if len(p.weeks) == 0:
            return pd.DataFrame(columns=["grid_id", "street", "community", "key_persons", "week", "patrols",
                                         "visits"])
        inside = pt[(pt["started_at"] >= p.weeks[0]) & (pt["started_at"] < p.weeks[-1] + pd.Timedelta(days=7))]
        day = inside["started_at"].dt.normalize()
        week = day - pd.to_timedelta(day.dt.dayofweek, unit="D")
        per = (inside.assign(week=week, visits=inside["key_person_visits"].fillna(0))
               .groupby(["grid_id", "week"]).agg(patrols=("patrol_id", "size"), visits=("visits", "sum")))
        full = pd.MultiIndex.from_product([self.grids["grid_id"], p.weeks], names=["grid_id", "week"])
        gw = per.reindex(full, fill_value=0).reset_index()
        return gw.merge(self.grids[["grid_id", "street", "community", "key_persons"]], on="grid_id")

    # ---------------------------------------------------------------------------------------------- indicators
    # Each returns (kind, numerator, denominator, scale); numerator/denominator are scalars for the whole scope
    # or Series indexed by the group key. kind: ratio · value · median (numerator = the median, denominator = n).

    def _dispatch(self) -> dict:
        d = {
            "event_count": self.event_count,
            "events_per_1000_households": self.events_per_1000_households,
            "event_closure_rate": self.event_closure_rate,
            "event_ontime_rate": self.event_ontime_rate,
            "event_median_hours": self.event_median_hours,
            "open_backlog": self.open_backlog,
            "satisfaction_rate": self.satisfaction_rate,
            "dispute_resolution_rate": self.dispute_resolution_rate,
            "dispute_onsite_rate": self.dispute_onsite_rate,
            "hazard_rectification_rate": self.hazard_rectification_rate,
            "grid_count": self.grid_count,
            "grid_staffing_rate": self.grid_staffing_rate,
            "households_per_worker": self.households_per_worker,
            "patrols_per_grid_week": self.patrols_per_grid_week,
            "patrol_compliance_rate": self.patrol_compliance_rate,
            "key_person_visit_rate": self.key_person_visit_rate,
            "relief_households": self.relief_households,
            "relief_persons": self.relief_persons,
            "relief_amount_yuan": self.relief_amount_yuan,
            "relief_new_households": self.relief_new_households,
            "relief_approval_days": self.relief_approval_days,
            "registered_within_24h_rate": self.registered_within_24h_rate,
            "dispute_ontime_rate": self.dispute_ontime_rate,
            "platform_use_rate": self.platform_use_rate,
            "data_entry_fill_rate": self.data_entry_fill_rate,
            "data_fresh_rate": self.data_fresh_rate,
        }
        for start, stop in zip(STEPS, STEPS[1:]):   # stage_hours_<later step>: median hours between the two steps
            d[f"stage_hours_{stop.removesuffix('_at')}"] = (
                lambda p, by, a=start, b=stop: self._stage_hours(p, by, a, b))
        return d

    def event_count(self, p, by):
        ev = self._events(p, by, ["reported_at"])
        return "value", (len(ev) if by is None else ev.groupby(by, observed=True).size()), None, 1.0

    def events_per_1000_households(self, p, by):
        ev = self._events(p, by, ["reported_at"])
        n = len(ev) if by is None else ev.groupby(by, observed=True).size()
        return "ratio", n, _sum(self.grids["households"], self.grids, by), 1000.0

    def event_closure_rate(self, p, by):
        ev = self._events(p, by, ["closed_at"])
        return "ratio", _sum(ev["closed_at"].notna(), ev, by), _sum(pd.Series(1, ev.index), ev, by), 1.0

    def event_ontime_rate(self, p, by):
        ev = self._events(p, by, ["closed_at", "due_at"])
        with_due = ev["closed_at"].notna() & ev["due_at"].notna()
        return "ratio", _sum(with_due & (ev["closed_at"] <= ev["due_at"]), ev, by), _sum(with_due, ev, by), 1.0

    def event_median_hours(self, p, by):
        return self._stage_hours(p, by, "reported_at", "closed_at")

    def _stage_hours(self, p, by, a, b):
        ev = self._events(p, by, [a, b])
        hours = (ev[b] - ev[a]).dt.total_seconds() / 3600.0       # NaN unless both steps happened
        med, n = _median(hours, ev, by)
        return "median", med, n, 1.0

    def open_backlog(self, p, by):
        ev = self._events(p, by, ["closed_at"])
        still_open = ev["closed_at"].isna() | (ev["closed_at"] >= p.end)
        return "value", _sum(still_open, ev, by), None, 1.0

    def satisfaction_rate(self, p, by):
        ev = self._events(p, by, ["evaluated_at", "satisfaction"])
        evaluated = ev["evaluated_at"].notna()
        satisfied = evaluated & (ev["satisfaction"] >= 4).fillna(False)
        return "ratio", _sum(satisfied, ev, by), _sum(evaluated, ev, by), 1.0

    def _concluded_disputes(self, ev):
        return (ev["category"] == "dispute") & ev["outcome"].isin(["resolved", "unresolved"])

    def dispute_resolution_rate(self, p, by):
        ev = self._events(p, by, ["category", "outcome"])
        concluded = self._concluded_disputes(ev)
        return "ratio", _sum(concluded & (ev["outcome"] == "resolved"), ev, by), _sum(concluded, ev, by), 1.0

    def dispute_onsite_rate(self, p, by):
        ev = self._events(p, by, ["category", "outcome", "resolved_on_site"])
        concluded = self._concluded_disputes(ev)
        on_site = concluded & ev["resolved_on_site"].fillna(False).astype(bool)
        return "ratio", _sum(on_site, ev, by), _sum(concluded, ev, by), 1.0

    def hazard_rectification_rate(self, p, by):
        ev = self._events(p, by, ["category", "outcome"])
        hazard = ev["category"] == "hazard"
        return "ratio", _sum(hazard & (ev["outcome"] == "rectified"), ev, by), _sum(hazard, ev, by), 1.0

    def registered_within_24h_rate(self, p, by):
        ev = self._events(p, by, ["reported_at", "registered_at"])
        limit = pd.Timedelta(hours=self.params.get("registration_hours", 24))
        within = ev["registered_at"].notna() & ((ev["registered_at"] - ev["reported_at"]) <= limit)
        return "ratio", _sum(within, ev, by), _sum(pd.Series(1, ev.index), ev, by), 1.0

    def dispute_ontime_rate(self, p, by):
        ev = self._events(p, by, ["category", "closed_at", "due_at"])
        with_due = (ev["category"] == "dispute") & ev["closed_at"].notna() & ev["due_at"].notna()
        return "ratio", _sum(with_due & (ev["closed_at"] <= ev["due_at"]), ev, by), _sum(with_due, ev, by), 1.0

    # --- grids, workers, patrols

    def grid_count(self, p, by):
        g = self.grids
        return "value", _sum(pd.Series(1, g.index), g, by), None, 1.0

    def grid_staffing_rate(self, p, by):
        g = self.grids
        staffed = g["grid_id"].isin(self._active_workers()["grid_id"])
        return "ratio", _sum(staffed, g, by), _sum(pd.Series(1, g.index), g, by), 1.0

    def households_per_worker(self, p, by):
        w = self._active_workers()
        workers = len(w) if by is None else w.groupby(by, observed=True).size()
        return "ratio", _sum(self.grids["households"], self.grids, by), workers, 1.0

    def patrols_per_grid_week(self, p, by):
        pt = self.patrols
        inside = pt[(pt["started_at"] >= p.start) & (pt["started_at"] < p.end)]
        n = len(inside) if by is None else inside.groupby(by, observed=True).size()
        grid_weeks = _sum(pd.Series(1, self.grids.index), self.grids, by) * p.days / 7.0   # part weeks: days/7
        return "ratio", n, grid_weeks, 1.0

    def patrol_compliance_rate(self, p, by):
        gw = self._grid_weeks(p)
        ok = gw["patrols"] >= self.params.get("required_patrols_per_week", 3)
        return "ratio", _sum(ok, gw, by), _sum(pd.Series(1, gw.index), gw, by), 1.0

    def key_person_visit_rate(self, p, by):
        gw = self._grid_weeks(p)
        gw = gw[gw["key_persons"] > 0]                 # grids with no key persons drop out
        capped = np.minimum(gw["visits"], gw["key_persons"])
        return "ratio", _sum(capped, gw, by), _sum(gw["key_persons"], gw, by), 1.0

    def platform_use_rate(self, p, by):
        """Active worker-days: a Mon–Fri day on which an active worker started a patrol or reported an event."""
        pt, ev = self.patrols, self.events
        pt = pt[(pt["started_at"] >= p.start) & (pt["started_at"] < p.end)]
        ev = ev[(ev["reported_at"] >= p.start) & (ev["reported_at"] < p.end)]
        days = pd.concat([
            pd.DataFrame({"worker_id": pt["worker_id"], "day": pt["started_at"].dt.normalize()}),
            pd.DataFrame({"worker_id": ev["worker_id"], "day": ev["reported_at"].dt.normalize()}),
        ]).dropna()
        days = days[days["day"].dt.dayofweek < 5].drop_duplicates()
        active = self._active_workers()
        used = days.merge(active[["worker_id", "grid_id", "street", "community"]], on="worker_id")
        n = len(used) if by is None else used.groupby(by, observed=True).size()
        workers = len(active) if by is None else active.groupby(by, observed=True).size()
        return "ratio", n, workers * p.working_days, 1.0

    def data_entry_fill_rate(self, p, by):
        g = self.grids
        fields = [f for f in self.params.get("data_entry_fields", []) if f in g.columns]
        filled = g[fields].notna().sum(axis=1)
        return "ratio", _sum(filled, g, by), _sum(pd.Series(len(fields), g.index), g, by), 1.0

    def data_fresh_rate(self, p, by):
        g = self.grids
        since = p.end - pd.Timedelta(days=self.params.get("fresh_days", 90))
        fresh = (g["updated_at"] > since) & (g["updated_at"] < p.end)
        return "ratio", _sum(fresh, g, by), _sum(pd.Series(1, g.index), g, by), 1.0

    # --- relief (selected by applied_at)

    def _approved(self, r):
        return r[r["status"].isin(["approved", "paid"])]

    def relief_households(self, p, by):
        r = self._approved(self._relief(p))
        n = r["household_id"].nunique() if by is None else r.groupby(by, observed=True)["household_id"].nunique()
        return "value", n, None, 1.0

    def relief_persons(self, p, by):
        # a household is counted once per programme: its latest approved case in the period
        r = self._approved(self._relief(p)).sort_values("applied_at")
        once = r.drop_duplicates(["household_id", "programme"], keep="last")
        return "value", _sum(once["persons"], once, by), None, 1.0

    def relief_amount_yuan(self, p, by):
        r = self._relief(p)
        paid = r["status"] == "paid"
        return "value", _sum(r["amount_yuan"].where(paid, 0.0), r, by), None, 1.0

    def relief_new_households(self, p, by):
        r = self._approved(self._relief(p))
        return "value", _sum(r["newly_enrolled"].fillna(False).astype(bool), r, by), None, 1.0

    def relief_approval_days(self, p, by):
        r = self._relief(p)
        days = (r["approved_at"] - r["applied_at"]).dt.days
        med, n = _median(days, r, by)
        return "median", med, n, 1.0

    # ---------------------------------------------------------------------------------------------- results

    def indicator(self, metric_id: str, p: Period, by: str | None = None) -> pd.DataFrame:
        """The indicator as rows: [by,] value, numerator, denominator (value NaN when it has none)."""
        kind, num, den, scale = self.dispatch[metric_id](p, by)
        if by is None:
            num, den = pd.Series([num], dtype=float), pd.Series([den], dtype=float)
        else:
            index = num.index if den is None else num.index.union(den.index)
            num = num.reindex(index).astype(float)
            den = pd.Series(np.nan, index) if den is None else den.reindex(index).astype(float)
        if kind == "ratio":
            num = num.fillna(0.0)                      # no numerator rows in a group: 0 of its denominator
            value = (num / den.where(den > 0)) * scale  # an empty denominator gives no value, never 0 or 1
        elif kind == "median":
            value, num = num, pd.Series(np.nan, num.index)
        else:
            value = num = num.fillna(0.0)
        out = pd.DataFrame({"value": value.to_numpy(), "numerator": num.to_numpy(), "denominator": den.to_numpy()})
        if by is not None:
            out.insert(0, by, num.index.to_numpy())
        return out

    # --- the six-item score

    def scores(self, p: Period, key: str = "street") -> pd.DataFrame:
        target = float(self.params.get("target_events_per_1000", 20))

        def part(metric_id):
            v = self.indicator(metric_id, p, key).set_index(key)["value"]
            return v.where(v.notna(), None).to_dict()

        parts = {m: part(m) for m in (
            "patrol_compliance_rate", "key_person_visit_rate", "platform_use_rate", "data_entry_fill_rate",
            "data_fresh_rate", "events_per_1000_households", "registered_within_24h_rate",
            "dispute_resolution_rate", "dispute_ontime_rate")}
        m_from, m_to = p.months()
        ms = self.manual
        ms = ms[(ms["level"] == key) & (ms["item"] == "item_other_work") & (ms["month"] >= m_from)
                & (ms["month"] <= m_to)]
        other = ms.groupby("unit")["score"].mean().to_dict()

        def item(*halves):   # a half with no value drops out; no half with a value → no value
            have = [h for h in halves if h is not None]
            return 100.0 * sum(have) / len(have) if have else None

        rows = []
        for unit in sorted(self.grids[key].unique()):
            g = {m: parts[m].get(unit) for m in parts}
            per_1000 = g["events_per_1000_households"]
            row = {
                "unit": unit,
                "item_worker_duty": item(g["patrol_compliance_rate"], g["key_person_visit_rate"]),
                "item_platform_use": item(g["platform_use_rate"]),
                "item_data_entry": item(g["data_entry_fill_rate"], g["data_fresh_rate"]),
                "item_event_reporting": item(None if per_1000 is None else min(1.0, per_1000 / target),
                                             g["registered_within_24h_rate"]),
                "item_dispute_mediation": item(g["dispute_resolution_rate"], g["dispute_ontime_rate"]),
                "item_other_work": other.get(unit),
            }
            have = [(self.weights.get(i, 0.0), row[i]) for i in ITEM_WEIGHT_KEYS if row[i] is not None]
            total_w = sum(w for w, _ in have)
            row["score"] = round(sum(w * v for w, v in have) / total_w, 2) if have and total_w > 0 else None
            rows.append(row)
        df = pd.DataFrame(rows)
        df["rank"] = pd.to_numeric(df["score"]).rank(method="min", ascending=False)   # ties share a rank
        return df

    def scoreboard(self, p: Period, key: str = "street") -> pd.DataFrame:
        now, prev = self.scores(p, key), self.scores(p.previous(), key)
        board = now.merge(prev[["unit", "score", "rank"]].rename(columns={"score": "prev_score",
                                                                          "rank": "prev_rank"}), on="unit")
        board["score_change"] = (board["score"] - board["prev_score"]).round(2)
        board["rank_change"] = board["prev_rank"] - board["rank"]    # positive: moved up
        return board.sort_values(["rank", "unit"]).reset_index(drop=True)


# ===================================================================================================================
# Children: each path in its own process (its own timings, its own peak RSS)
# ===================================================================================================================

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: kilobytes


def _filters():
    from metrics.compute import Filters
    return Filters(*PERIOD)


def _ours(con, metric_id: str, scope: str):
    """One call as a page makes it."""
    from metrics import compute, score
    if metric_id == SCOREBOARD:
        return score.scoreboard(con, _filters(), "street")
    return compute.compute(con, metric_id, _filters(), () if scope == "total" else ("grid_id",))


def _timed(fn, repeat: int, budget_s: float | None = None) -> tuple[float, float, int, object]:
    """(first run s, median of warm runs s, warm runs, result). With a budget, fewer warm runs for slow calls."""
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    runs = repeat if budget_s is None else max(1, min(repeat, int(budget_s / max(first, 1e-9))))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times), runs, result


def child_generate(db: str, events: int) -> dict:
    from data import demo, store
    con = store.connect(db)
    con.execute("set enable_progress_bar = false")
    t0 = time.perf_counter()
    counts = demo.generate(con, seed=SEED, events=events, end=END)
    con.execute("checkpoint")
    secs = time.perf_counter() - t0
    con.close()
    return {"seconds": secs, "counts": counts, "peak_mb": _peak_mb()}


def child_cold(db: str, metric_id: str, scope: str) -> dict:
    import metrics.compute  # noqa: F401  (imports are not what we time)
    import metrics.score  # noqa: F401
    from data import store
    t0 = time.perf_counter()
    con = store.connect(db, read_only=True)
    _ours(con, metric_id, scope)
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def child_warm(db: str, out: str, repeat: int) -> dict:
    from data import store
    from metrics.registry import METRICS
    con = store.connect(db, read_only=True)
    res = {}
    for metric_id in METRICS:
        for scope in SCOPES:
            first, warm, runs, df = _timed(lambda metric_id=metric_id, scope=scope: _ours(con, metric_id, scope), repeat)
            res[(metric_id, scope)] = {"first": first, "warm": warm, "runs": runs, "rows": df}
    first, warm, runs, board = _timed(lambda: _ours(con, SCOREBOARD, "street"), repeat)
    res[(SCOREBOARD, "street")] = {"first": first, "warm": warm, "runs": runs, "rows": board}
    Path(out).write_bytes(pickle.dumps(res))
    return {"peak_mb": _peak_mb()}


def child_pandas(db: str, out: str, repeat: int, budget_s: float, metric_ids: list[str]) -> dict:
    import duckdb
    con = duckdb.connect(db, read_only=True)
    t0 = time.perf_counter()
    dash = PandasDashboard(con)
    load = time.perf_counter() - t0
    con.close()                                    # from here on pandas only
    p = Period(*PERIOD)
    res = {}
    for metric_id in metric_ids:
        for scope in SCOPES:
            by = None if scope == "total" else "grid_id"
            first, warm, runs, df = _timed(lambda metric_id=metric_id, by=by: dash.indicator(metric_id, p, by), repeat,
                                            budget_s)
            res[(metric_id, scope)] = {"first": first, "warm": warm, "runs": runs, "rows": df}
    first, warm, runs, board = _timed(lambda: dash.scoreboard(p, "street"), repeat, budget_s)
    res[(SCOREBOARD, "street")] = {"first": first, "warm": warm, "runs": runs, "rows": board}
    Path(out).write_bytes(pickle.dumps(res))
    return {"load": load, "peak_mb": _peak_mb(), "events_rows": len(dash.events)}


def _run_child(*args) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps([str(a) for a in args])],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"child {args[:3]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_main(args: list[str]) -> None:
    kind, rest = args[0], args[1:]
    if kind == "generate":
        out = child_generate(rest[0], int(rest[1]))
    elif kind == "cold":
        out = child_cold(*rest)
    elif kind == "warm":
        out = child_warm(rest[0], rest[1], int(rest[2]))
    else:
        out = child_pandas(rest[0], rest[1], int(rest[2]), float(rest[3]), rest[4].split(","))
    print(json.dumps(out))


# ===================================================================================================================
# Comparison
# ===================================================================================================================

def _num(v) -> float:
    if v is None or v is pd.NA:
        return math.nan
    return float(v)


def _close(a, b) -> bool:
    a, b = _num(a), _num(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def _by_key(df: pd.DataFrame, key: str | None) -> dict:
    if key is None:
        return {None: df.iloc[0].to_dict()}
    return {k: r for k, r in zip(df[key], df.to_dict("records"))}


def compare_indicator(ours: pd.DataFrame, theirs: pd.DataFrame, scope: str) -> list[str]:
    """Differences, as text. A group missing on one side counts as 'no value'; numerator and denominator are
    compared where both sides have them (which empty groups get a row is a presentation choice)."""
    key = None if scope == "total" else "grid_id"
    a, b = _by_key(ours, key), _by_key(theirs, key)
    diffs = []
    for k in sorted(set(a) | set(b), key=str):
        ra, rb = a.get(k, {}), b.get(k, {})
        if not _close(ra.get("value"), rb.get("value")):
            diffs.append(f"{k or 'total'}: value ours={_num(ra.get('value'))!r} pandas={_num(rb.get('value'))!r}")
            continue
        for col in ("numerator", "denominator"):
            va, vb = _num(ra.get(col)), _num(rb.get(col))
            if not (math.isnan(va) or math.isnan(vb)) and not _close(va, vb):
                diffs.append(f"{k or 'total'}: {col} ours={va!r} pandas={vb!r}")
    return diffs


BOARD_COLUMNS = (*ITEM_WEIGHT_KEYS, "score", "rank", "prev_score", "prev_rank", "score_change", "rank_change")


def compare_board(ours: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    a, b = _by_key(ours, "unit"), _by_key(theirs, "unit")
    diffs = [f"unit {u} only on one side" for u in set(a) ^ set(b)]
    for unit in sorted(set(a) & set(b)):
        for col in BOARD_COLUMNS:
            if not _close(a[unit].get(col), b[unit].get(col)):
                diffs.append(f"{unit}: {col} ours={_num(a[unit].get(col))!r} pandas={_num(b[unit].get(col))!r}")
    return diffs


# ===================================================================================================================
# Driver
# ===================================================================================================================

def _store(out_dir: Path, events: int, fresh: bool) -> tuple[Path, str]:
    """The demo store for this size: reused when it holds exactly this (seed, events, end), else generated."""
    db = out_dir / f"bench_metrics_{events}.duckdb"
    if db.exists() and not fresh:
        import duckdb
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                tag = con.sql("select max(sha256) from import_log where kind = 'demo'").fetchall()[0][0]
                n = con.sql("select count(*) from events").fetchall()[0][0]
            if tag == f"seed={SEED};events={events};end={END.isoformat()}" and n == events:
                return db, "reused"
        except duckdb.Error:
            pass
    for f in (db, db.with_name(db.name + ".wal")):
        f.unlink(missing_ok=True)
    g = _run_child("generate", db, events)
    size_mb = db.stat().st_size / 1e6
    return db, f"generated in {g['seconds']:.1f} s, peak {g['peak_mb']:.0f} MB, {size_mb:.0f} MB on disk"


def _ms(s: float) -> str:
    return f"{s * 1000:9.1f}"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio < 1 else f"{ratio:.1f}"


def bench_size(events: int, args, out_dir: Path, tmp: Path) -> dict:
    from metrics.registry import METRICS
    db, how = _store(out_dir, events, args.fresh)
    print(f"\n=== {events:,} events · period {PERIOD[0]} – {PERIOD[1]} · store {db.name} ({how}) ===", flush=True)

    t_start = time.perf_counter()
    items = [(m, s) for m in METRICS for s in SCOPES] + [(SCOREBOARD, "street")]
    cold = {it: _run_child("cold", db, *it) for it in items}
    t_cold = time.perf_counter() - t_start

    warm_file, pandas_file = tmp / f"warm_{events}.pkl", tmp / f"pandas_{events}.pkl"
    warm_proc = _run_child("warm", db, warm_file, args.repeat)
    ours = pickle.loads(warm_file.read_bytes())
    t_warm = time.perf_counter() - t_start - t_cold

    pd_proc = _run_child("pandas", db, pandas_file, args.repeat, args.pandas_budget, ",".join(METRICS))
    theirs = pickle.loads(pandas_file.read_bytes())
    t_pandas = time.perf_counter() - t_start - t_cold - t_warm
    load = pd_proc["load"]

    header = (f"{'indicator':30} {'scope':8} {'ours cold':>10} {'ours warm':>10} {'pd +load':>10} {'pd warm':>10}"
              f" {'×warm':>7} {'×+load':>8}  identical")
    print("times in ms · ours cold = new process: open + compute once (one sample) · ours warm = median of "
          f"{args.repeat} after a first run\npd +load = load all tables ({load:.2f} s) + first compute · "
          "pd warm = median of warm runs (in-memory, load excluded)\n×warm = pd warm / ours warm (the ratio the "
          "≥10× target is judged on) · ×+load = pd +load / ours cold\n")
    print(header)
    print("-" * len(header))
    summary, mismatches = [], {}
    for it in items:
        o, t, c = ours[it], theirs[it], cold[it]
        if it[0] == SCOREBOARD:
            diffs = compare_board(o["rows"], t["rows"])
        else:
            diffs = compare_indicator(o["rows"], t["rows"], it[1])
        if diffs:
            mismatches[it] = diffs
        pd_load = load + t["first"]
        ratio_warm, ratio_load = t["warm"] / o["warm"], pd_load / c["seconds"]
        summary.append({"item": it, "cold": c["seconds"], "warm": o["warm"], "pd_warm": t["warm"],
                        "pd_load": pd_load, "ratio_warm": ratio_warm, "ratio_load": ratio_load,
                        "identical": not diffs, "pd_runs": t["runs"]})
        runs = "" if t["runs"] == args.repeat else f"  (pandas: {t['runs']} warm run{'s' * (t['runs'] > 1)})"
        print(f"{it[0]:30} {it[1]:8} {_ms(c['seconds']):>10} {_ms(o['warm']):>10} {_ms(pd_load):>10} "
              f"{_ms(t['warm']):>10} {_x(ratio_warm):>7} {_x(ratio_load):>8}  "
              f"{'yes' if not diffs else f'NO ({len(diffs)})'}{runs}")

    print("\nstreet scoreboard (ours; pandas identical: "
          f"{'yes' if (SCOREBOARD, 'street') not in mismatches else 'NO'})")
    board = ours[(SCOREBOARD, "street")]["rows"]
    cols = ["unit", *ITEM_WEIGHT_KEYS, "score", "rank", "prev_score", "prev_rank", "score_change", "rank_change"]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.2f}".format):
        print(board[cols].rename(columns=lambda c: c.removeprefix("item_")).to_string(index=False))

    cold_peak = max(c["peak_mb"] for c in cold.values())
    print(f"\npeak memory (ru_maxrss): ours cold max {cold_peak:.0f} MB "
          f"(scoreboard child {cold[(SCOREBOARD, 'street')]['peak_mb']:.0f} MB) · "
          f"ours warm {warm_proc['peak_mb']:.0f} MB · pandas {pd_proc['peak_mb']:.0f} MB "
          f"(tables loaded: {pd_proc['events_rows']:,} events)")
    print(f"wall time: ours cold {t_cold:.0f} s ({len(items)} processes) · ours warm {t_warm:.0f} s · "
          f"pandas {t_pandas:.0f} s")
    for it, diffs in mismatches.items():
        print(f"MISMATCH {it[0]} {it[1]}: {len(diffs)} difference(s); first: " + " | ".join(diffs[:3]))
    return {"events": events, "rows": summary, "mismatches": mismatches}


def verdicts(results: list[dict]) -> None:
    print("\n=== verdict ===")
    by_size = {r["events"]: r for r in results}
    if 10_000_000 in by_size:
        s = next(x for x in by_size[10_000_000]["rows"] if x["item"][0] == SCOREBOARD)
        ok = s["warm"] <= TARGETS["scoreboard_10m_s"]
        print(f"scoreboard at 10 M ≤ {TARGETS['scoreboard_10m_s']} s warm: {'MET' if ok else 'MISSED'} "
              f"({s['warm']:.3f} s warm, {s['cold']:.3f} s cold)")
    else:
        print("scoreboard at 10 M ≤ 0.3 s warm: not measured (10 M not in --sizes)")
    if 1_000_000 in by_size:
        rows = [x for x in by_size[1_000_000]["rows"] if x["item"][0] != SCOREBOARD]
        slow = [x for x in rows if x["warm"] > TARGETS["indicator_1m_s"]]
        worst = max(rows, key=lambda x: x["warm"])
        print(f"every indicator at 1 M ≤ {TARGETS['indicator_1m_s']} s warm: {'MET' if not slow else 'MISSED'} "
              f"({len(rows) - len(slow)}/{len(rows)}; slowest {worst['item'][0]} {worst['item'][1]} "
              f"{worst['warm']:.3f} s)")
    else:
        print("every indicator at 1 M ≤ 0.2 s warm: not measured (1 M not in --sizes)")
    for r in results:
        rows = r["rows"]
        below = [x for x in rows if x["ratio_warm"] < TARGETS["ratio"]]
        worst = min(rows, key=lambda x: x["ratio_warm"])
        gm = math.exp(statistics.fmean(math.log(x["ratio_warm"]) for x in rows))
        print(f"≥ {TARGETS['ratio']:.0f}× pandas at {r['events']:,} (warm, load excluded): "
              f"{'MET' if not below else 'MISSED'} ({len(rows) - len(below)}/{len(rows)}; lowest "
              f"{_x(worst['ratio_warm'])}× {worst['item'][0]} {worst['item'][1]}; geometric mean {gm:.1f}×; "
              f"including load: lowest {min(x['ratio_load'] for x in rows):.1f}×)")
    n_bad = sum(len(r["mismatches"]) for r in results)
    print(f"ours = pandas for every indicator total, by-grid row and scoreboard row: "
          f"{'yes' if not n_bad else f'NO ({n_bad} mismatching items)'}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child_main(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000000,10000000", help="event counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=5, help="warm runs whose median is reported")
    ap.add_argument("--pandas-budget", type=float, default=3.0,
                    help="seconds of warm pandas runs per item at most (≥ 1 run); keeps 10 M within minutes")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where the demo stores are kept")
    ap.add_argument("--fresh", action="store_true", help="regenerate the stores even if they exist")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    import duckdb
    print(f"bench_metrics · DuckDB {duckdb.__version__} · pandas {pd.__version__} · seed {SEED} · data end {END}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench_size(n, args, args.out, Path(tmp)) for n in sizes]
    verdicts(results)
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
