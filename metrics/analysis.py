"""研判: cross-domain readings that join the indicator families, built on the registry through compute() (no
private queries): each function returns a table of places with the figures that put them on it."""
from __future__ import annotations

from datetime import date

import pandas as pd

from .compute import Filters, compute_many
from .config import Config, load_config


def _months_back(d: date, k: int) -> date:
    y, m = d.year, d.month - k
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def busy_grids_low_patrol(con, filters: Filters, cfg: Config | None = None, quantile: float = 0.75) -> pd.DataFrame:
    """Grids in the top quarter by events whose 巡查达标率 is below its target."""
    cfg = cfg or load_config()
    target = cfg.targets.get("patrol_compliance_rate", {}).get("target", 0.8)
    fr = compute_many(con, ["event_count", "patrol_compliance_rate"], filters.with_(grids=()), ["grid_id"], cfg)
    df = fr["event_count"][["grid_id", "value"]].rename(columns={"value": "events"}).merge(
        fr["patrol_compliance_rate"][["grid_id", "value", "numerator", "denominator"]]
        .rename(columns={"value": "compliance", "numerator": "weeks_met", "denominator": "weeks"}), on="grid_id")
    if df.empty:
        return df.assign(threshold=None)
    cut = float(df["events"].quantile(quantile))
    df = df[(df["events"] >= max(cut, 1)) & df["compliance"].notna()
            & (df["compliance"].astype(float) < target)].copy()
    df["threshold"] = cut
    return df.sort_values(["compliance", "events"], ascending=[True, False]).reset_index(drop=True)


def persistent_hotspots(con, filters: Filters, months: int = 3, share: float = 0.1,
                        cfg: Config | None = None) -> pd.DataFrame:
    """Grids among the top `share` by events in each of the last `months` calendar months up to the period end."""
    start = _months_back(filters.date_to, months - 1)
    f = filters.with_(date_from=start, grids=())
    df = compute_many(con, ["event_count"], f, ["grid_id", "month"], cfg or load_config())["event_count"]
    if df.empty:
        return pd.DataFrame(columns=["grid_id", "months_hot", "events", "by_month"])
    df["value"] = df["value"].astype(float)
    hot = []
    for _month, g in df.groupby("month"):
        cut = g["value"].quantile(1 - share)
        hot.append(g[(g["value"] >= cut) & (g["value"] > 0)])
    hot = pd.concat(hot)
    per = hot.groupby("grid_id").agg(months_hot=("month", "nunique")).reset_index()
    per = per[per["months_hot"] >= months]
    tot = df.groupby("grid_id")["value"].sum().rename("events").reset_index()
    seq = (df.sort_values("month").groupby("grid_id")["value"]
           .apply(lambda s: " → ".join(str(int(v)) for v in s)).rename("by_month").reset_index())
    return (per.merge(tot, on="grid_id").merge(seq, on="grid_id")
            .sort_values("events", ascending=False).reset_index(drop=True))


def relief_vs_disputes(con, filters: Filters, cfg: Config | None = None) -> pd.DataFrame:
    """Communities: relief households per 1000 households against disputes per 1000 households; both above the
    median marks a community where hardship and conflict meet (双高)."""
    cfg = cfg or load_config()
    f = filters.with_(communities=(), grids=())
    rel = compute_many(con, ["relief_households", "events_per_1000_households"], f, ["community"], cfg)
    disp = compute_many(con, ["events_per_1000_households"], f.with_(categories=("dispute",)), ["community"], cfg)
    df = rel["events_per_1000_households"][["community", "denominator"]].rename(columns={"denominator": "households"})
    df = df.merge(rel["relief_households"][["community", "value"]].rename(columns={"value": "relief"}),
                  on="community", how="left")
    df = df.merge(disp["events_per_1000_households"][["community", "numerator", "value"]]
                  .rename(columns={"numerator": "disputes", "value": "disputes_per_1000"}), on="community", how="left")
    df["relief"] = df["relief"].fillna(0).astype(float)
    df["disputes"] = df["disputes"].fillna(0).astype(float)
    df["relief_per_1000"] = df["relief"] / df["households"].astype(float) * 1000
    df["disputes_per_1000"] = df["disputes"] / df["households"].astype(float) * 1000
    df["both_high"] = ((df["relief_per_1000"] > df["relief_per_1000"].median())
                       & (df["disputes_per_1000"] > df["disputes_per_1000"].median()))
    return df.sort_values(["both_high", "disputes_per_1000"], ascending=False).reset_index(drop=True)


def key_person_gaps(con, filters: Filters, cfg: Config | None = None) -> pd.DataFrame:
    """Grids with key persons whose 重点人员走访率 is below target, largest visit gap first (the visits owed:
    key persons × whole weeks − capped visits)."""
    cfg = cfg or load_config()
    target = cfg.targets.get("key_person_visit_rate", {}).get("target", 0.9)
    df = compute_many(con, ["key_person_visit_rate"], filters.with_(grids=()), ["grid_id"], cfg)["key_person_visit_rate"]
    df = df[df["denominator"].fillna(0) > 0].copy()
    df["gap"] = df["denominator"].astype(float) - df["numerator"].astype(float)
    df = df[df["value"].astype(float) < target]
    return df.rename(columns={"value": "visit_rate", "numerator": "visits", "denominator": "owed"}) \
        .sort_values("gap", ascending=False).reset_index(drop=True)
