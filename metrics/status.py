"""蓝/黄/红 status of an indicator value against its target (INDICATORS.md, Targets and status)."""
from __future__ import annotations

import math

from .config import Config, load_config
from .registry import METRICS

BLUE, YELLOW, RED = "blue", "yellow", "red"
COLOURS = {BLUE: "#1f6fd1", YELLOW: "#e0a800", RED: "#d64541"}


def status(indicator: str, value, cfg: Config | None = None) -> str | None:
    """blue when the value meets the target; yellow when within the band short of it; red otherwise.

    The band is `yellow_band` as percentage points for rates, and that fraction of the target otherwise.
    No value, or no target configured → None.
    """
    cfg = cfg or load_config()
    t = cfg.targets.get(indicator)
    if t is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    target = float(t["target"])
    metric = METRICS.get(indicator)
    higher = metric is None or metric.direction != "lower"      # direction: the registry's (the score: higher)
    band = cfg.yellow_band if metric is not None and metric.is_rate else cfg.yellow_band * abs(target)
    shortfall = (target - value) if higher else (value - target)
    if shortfall <= 1e-12:
        return BLUE
    if shortfall <= band + 1e-12:
        return YELLOW
    return RED
