"""漏斗图 (funnel plots): each unit's rate against its denominator, with control limits around the district rate or a
target — Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in Medicine 24 (2005).

Limits are exact binomial with Spiegelhalter's interpolation (his appendix A.1.1): for a centre θ and denominator n,
r_p is the smallest count with P(R ≤ r_p) ≥ p, R ~ Binomial(n, θ); then
    α = (P(R ≤ r_p) − p) / (P(R = r_p)),   limit_p = (r_p − α) / n,
which makes the step function of the discrete quantile continuous in n. The binomial distribution is evaluated
exactly here (log-gamma pmf, cumulated) — no scipy needed. 95 % limits: p = 0.025 / 0.975; 99.8 %: p = 0.001 / 0.999.

A unit is flagged 显著高于/低于 when its exact one-sided tail probability is below 2.5 % (beyond the 95 % limits) or
0.1 % (beyond 99.8 %) — see tails().

Over-dispersion (optional, multiplicative, Spiegelhalter 2005 §7): z_i = (y_i − θ)/√(θ(1−θ)/n_i), winsorised at the
10th and 90th percentiles; φ = Σ z_i² / I. When φ > 1 the limits become θ ± z_p √(φ θ(1−θ)/n) (normal approximation,
as in the paper); otherwise the exact limits stand.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .compute import Filters, compute
from .config import Config, load_config
from .registry import METRICS

P95 = (0.025, 0.975)
P998 = (0.001, 0.999)
Z = {0.025: -1.959963984540054, 0.975: 1.959963984540054, 0.001: -3.090232306167813, 0.999: 3.090232306167813}
LEVEL_KEY = {"street": "street", "community": "community", "grid": "grid_id"}


def rate_metrics() -> list[str]:
    """Every rate indicator of the registry (a numerator over a count of records)."""
    return [m.id for m in METRICS.values() if m.is_rate and m.kind == "ratio"]


def _cdf(n: int, theta: float) -> np.ndarray:
    """P(R ≤ r) for r = 0…n, R ~ Binomial(n, θ), exactly (up to floating point)."""
    r = np.arange(n + 1)
    if theta <= 0:
        return np.ones(n + 1)
    if theta >= 1:
        return np.r_[np.zeros(n), 1.0]
    lg = np.array([math.lgamma(k + 1) for k in range(n + 1)])
    logpmf = lg[n] - lg - lg[::-1] + r * math.log(theta) + (n - r) * math.log1p(-theta)
    return np.minimum(np.cumsum(np.exp(logpmf)), 1.0)


def binomial_limit(n: int, theta: float, p: float) -> float:
    """Spiegelhalter's interpolated exact binomial limit for a proportion (rate scale, 0–1)."""
    if n <= 0:
        return float("nan")
    cdf = _cdf(int(n), theta)
    r_p = int(np.searchsorted(cdf, p - 1e-12))          # smallest r with F(r) ≥ p
    r_p = min(r_p, n)
    below = cdf[r_p - 1] if r_p > 0 else 0.0
    mass = cdf[r_p] - below
    alpha = (cdf[r_p] - p) / mass if mass > 0 else 0.0
    return min(1.0, max(0.0, (r_p - alpha) / n))


def phi(values, denominators, theta: float) -> float:
    """Spiegelhalter's multiplicative over-dispersion factor from winsorised (10 %/90 %) z-scores."""
    y = np.asarray(values, float)
    n = np.asarray(denominators, float)
    ok = (n > 0) & np.isfinite(y)
    if ok.sum() < 2 or theta <= 0 or theta >= 1:
        return 1.0
    z = (y[ok] - theta) / np.sqrt(theta * (1 - theta) / n[ok])
    lo, hi = np.percentile(z, [10, 90])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


def tails(r: int, n: int, theta: float, dispersion: float = 1.0) -> tuple[float, float]:
    """One-sided exact tail probabilities P(R ≥ r) and P(R ≤ r) under Binomial(n, θ) — the test behind a flag.

    (The drawn limits interpolate between counts; deciding by the tails keeps a unit at exactly the quantile, e.g.
    101 of 101 against a district rate of 99.6 %, from being called different when 65 % of units that size would
    score the same.) With over-dispersion the normal approximation with φ is used, as for the limits."""
    if n <= 0:
        return 1.0, 1.0
    if dispersion > 1 and 0 < theta < 1:
        z = (r / n - theta) / math.sqrt(dispersion * theta * (1 - theta) / n)
        up = 0.5 * math.erfc(z / math.sqrt(2))
        return up, 1.0 - up
    cdf = _cdf(n, theta)
    return float(1.0 - (cdf[r - 1] if r > 0 else 0.0)), float(cdf[r])


def limits(n: int, theta: float, p: float, dispersion: float = 1.0) -> float:
    if dispersion > 1 and n > 0:
        return min(1.0, max(0.0, theta + Z[p] * math.sqrt(dispersion * theta * (1 - theta) / n)))
    return binomial_limit(n, theta, p)


def curve(theta: float, n_max: int, dispersion: float = 1.0, points: int = 120) -> pd.DataFrame:
    """The funnel's limit lines for denominators 1 … n_max (log-spaced points, every integer when small)."""
    ns = np.unique(np.r_[np.arange(1, min(n_max, 60) + 1),
                         np.geomspace(1, max(n_max, 1), points).round().astype(int)])
    rows = [{"n": int(k), **{f"p{p}": limits(int(k), theta, p, dispersion) for p in (*P95, *P998)}} for k in ns]
    return pd.DataFrame(rows)


def funnel(con, metric_id: str, filters: Filters, level: str = "community", centre: str = "district",
           overdispersion: bool = False, cfg: Config | None = None) -> dict:
    """The funnel of one rate indicator by unit.

    Returns {"metric", "level", "centre_kind" ('district'|'target'), "theta", "phi", "units": DataFrame(unit,
    numerator, denominator, value, lo95, hi95, lo998, hi998, signal: 'high'|'low'|None, beyond: '95'|'99.8'|None),
    "curve": DataFrame}. Units without records (denominator 0) are left out: they have no rate.
    """
    cfg = cfg or load_config()
    metric = METRICS[metric_id]
    key = LEVEL_KEY[level]
    df = compute(con, metric_id, filters, [key], cfg)
    df = df[pd.to_numeric(df["denominator"], errors="coerce").fillna(0) > 0].copy()
    df = df.rename(columns={key: "unit"})
    num, den = df["numerator"].astype(float), df["denominator"].astype(float)
    district = float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")
    target = cfg.targets.get(metric_id, {}).get("target")
    centre_kind = "target" if centre == "target" and target is not None else "district"
    theta = float(target) if centre_kind == "target" else district
    values = (num / den).to_numpy()
    dispersion = phi(values, den.to_numpy(), theta) if overdispersion else 1.0
    out = []
    for (_, r), v in zip(df.iterrows(), values):
        n = int(round(r["denominator"]))
        lim = {name: limits(n, theta, p, dispersion) for name, p in
               (("lo95", 0.025), ("hi95", 0.975), ("lo998", 0.001), ("hi998", 0.999))}
        up, down = tails(int(round(r["numerator"])), n, theta, dispersion)
        signal = beyond = None
        if up < 0.025:
            signal, beyond = "high", "99.8" if up < 0.001 else "95"
        elif down < 0.025:
            signal, beyond = "low", "99.8" if down < 0.001 else "95"
        out.append({"unit": r["unit"], "numerator": float(r["numerator"]), "denominator": float(r["denominator"]),
                    "value": float(v), **lim, "signal": signal, "beyond": beyond})
    units = pd.DataFrame(out, columns=["unit", "numerator", "denominator", "value", "lo95", "hi95", "lo998", "hi998",
                                       "signal", "beyond"])
    n_max = int(den.max()) if len(den) else 1
    return {"metric": metric.id, "level": level, "centre_kind": centre_kind, "theta": theta, "district": district,
            "phi": dispersion, "units": units,
            "curve": curve(theta, n_max, dispersion) if math.isfinite(theta) else pd.DataFrame()}


def wilson(numerator, denominator, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """Wilson score 95 % interval of a proportion; None without a denominator."""
    if denominator is None or (isinstance(denominator, float) and math.isnan(denominator)) or denominator <= 0:
        return None
    n, p = float(denominator), float(numerator) / float(denominator)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def sentence(f: dict, labels: dict | None = None) -> str:
    """The one-sentence Chinese explanation under the chart."""
    label = METRICS[f["metric"]].label
    ref = "目标值" if f["centre_kind"] == "target" else "全区平均"
    units = f["units"]
    hi = units[units["signal"] == "high"]["unit"].tolist()
    lo = units[units["signal"] == "low"]["unit"].tolist()
    base = (f"每个点是一个单位的{label}，横轴是它的样本数（分母）；喇叭口内的差别可以用随机波动解释，"
            f"落在{ref}（{f['theta']:.1%}）的 95% 控制线之外才说明确实不同")
    if not hi and not lo:
        return base + "：本期没有单位显著偏离。"
    parts = []
    if hi:
        parts.append(f"显著高于{'目标' if f['centre_kind'] == 'target' else '全区'}的有 {'、'.join(map(str, hi))}")
    if lo:
        parts.append(f"显著低于{'目标' if f['centre_kind'] == 'target' else '全区'}的有 {'、'.join(map(str, lo))}")
    return base + "：" + "；".join(parts) + "。"


def min_n(cfg: Config) -> int:
    return int(cfg.section("fairness").get("min_n", 10))


def small_samples(parts: dict, key: str, cfg: Config | None = None) -> dict:
    """unit → the labels of the rate parts of its score resting on fewer than min_n records (样本少).

    `parts` is score.item_parts(): {part id: DataFrame by unit with numerator and denominator}."""
    cfg = cfg or load_config()
    limit = min_n(cfg)
    out: dict = {}
    for pid, df in parts.items():
        if not METRICS[pid].is_rate:
            continue
        for unit, den in zip(df[key], df["denominator"]):
            if den is not None and not (isinstance(den, float) and math.isnan(den)) and 0 < den < limit:
                out.setdefault(unit, []).append(METRICS[pid].label)
    return out


def rank_sentence(board: pd.DataFrame, unit_word: str = "街道") -> str:
    """The sentence a leader reads under the ranking: can first and last place be told apart from the others?

    `board` has unit, rank, rank_low, rank_high (ranked units only)."""
    b = board.dropna(subset=["rank", "rank_low", "rank_high"]).sort_values("rank")
    if len(b) < 2:
        return ""
    first, last = b.iloc[0], b.iloc[-1]
    top_tied = [u for u, lo in zip(b["unit"][1:], b["rank_low"][1:]) if lo <= int(first["rank_high"])]
    bottom_tied = [u for u, hi in zip(b["unit"][:-1], b["rank_high"][:-1]) if hi >= int(last["rank_low"])]
    if len(top_tied) == len(b) - 1 and len(bottom_tied) == len(b) - 1:
        return (f"本期各{unit_word}的名次区间相互重叠：得分差别可能只是数据的随机波动，这个排名分不出谁的工作更好，"
                "不宜据此表彰或通报批评。")
    parts = []
    if top_tied:
        parts.append(f"第一名{first['unit']}（名次区间 {int(first['rank_low'])}–{int(first['rank_high'])}）"
                     f"与{'、'.join(top_tied)}的差距在数据波动范围内，领先并不确定")
    else:
        parts.append(f"第一名{first['unit']}的领先超出了数据的随机波动")
    if bottom_tied:
        parts.append(f"末位{last['unit']}（名次区间 {int(last['rank_low'])}–{int(last['rank_high'])}）"
                     f"与{'、'.join(bottom_tied)}分不出高下，不宜单独通报批评")
    else:
        parts.append(f"末位{last['unit']}确实落后于其他{unit_word}")
    return "；".join(parts) + "。"
