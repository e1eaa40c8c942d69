"""The scoring configuration (data/scoring.toml): weights, parameters, targets, thresholds."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "scoring.toml"


@dataclass(frozen=True)
class Config:
    weights: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    yellow_band: float = 0.05
    rank_rules: tuple = ()       # ({"position": "first"|"last", "months": n, "flag": "通报表扬"}, …) — 排名走势 flags
    sections: dict = field(default_factory=dict)    # the whole file, for modules with their own section

    def with_weights(self, weights: dict) -> Config:
        return Config(dict(weights), self.parameters, self.targets, self.yellow_band, self.rank_rules, self.sections)

    def section(self, name: str) -> dict:
        return dict(self.sections.get(name, {}))


def parse_config(text: str) -> Config:
    raw = tomllib.loads(text)
    return Config(
        weights={k: float(v) for k, v in raw.get("six_item_score", {}).get("weights", {}).items()},
        parameters=dict(raw.get("parameters", {})),
        targets={k: dict(v) for k, v in raw.get("targets", {}).items()},
        yellow_band=float(raw.get("status", {}).get("yellow_band", 0.05)),
        rank_rules=tuple({"position": r["position"], "months": int(r["months"]), "flag": r["flag"]}
                         for r in raw.get("rank_rules", [])),
        sections=raw,
    )


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Config:
    return parse_config(Path(path).read_text(encoding="utf-8"))


def config_path(path: str | os.PathLike | None = None) -> Path:
    """The scoring file in use: $GRIDGOV_SCORING or data/scoring.toml."""
    return Path(path or os.environ.get("GRIDGOV_SCORING", DEFAULT_PATH))


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read the configuration ($GRIDGOV_SCORING or data/scoring.toml); re-read when the file changes."""
    p = config_path(path)
    return _load(str(p), p.stat().st_mtime)
