"""Privacy rules, declared once and applied below the pages (ui/data.py), in the CLI and in every export.

- Personal columns: the mask kind is declared on the column in data/columns.py (`mask="name"` …); `masked` turns a
  column into what a role may see (as stored, masked by the SQL macros of sql/views/09_masking.sql, or nothing).
- Small counts: relief figures of a place below street level (a community or a grid) covering fewer than SMALL
  households could identify a household. Roles without full personal-data access see them as "<5"
  (`suppress_small`); sums and means over such places are refused (`small_groups_apply` + `SMALL_REFUSAL`).
"""
from __future__ import annotations

import pandas as pd

from data.columns import KINDS

SMALL = 5
SMALL_LABEL = f"<{SMALL}"
SMALL_HELP = "网格、社区级小数目不予显示，以保护救助对象隐私"
SMALL_REFUSAL = f"社会救助按社区或网格分组时只提供计数（小于 {SMALL} 显示为“{SMALL_LABEL}”），以免小数目识别到户。"

# table → {personal column: mask kind}, read from the import contract
PERSONAL: dict[str, dict[str, str]] = {k.table: {c.name: c.mask for c in k.columns if c.mask} for k in KINDS.values()}
PERSONAL_NAMES = frozenset(c for cols in PERSONAL.values() for c in cols)

# relief indicators counted over households (the approval-days median is not a count of anyone)
SMALL_COUNT_METRICS = ("relief_households", "relief_persons", "relief_amount_yuan", "relief_new_households")
_BELOW_STREET = ("community", "grid_id")


class SmallGroups(ValueError):
    """A sum or mean over places too small to show (SMALL_REFUSAL)."""


def masked(column: str, kind: str, mode: str, expr: str | None = None) -> str:
    """The SQL expression a role with personal-data `mode` (full · masked · none) sees for a personal column."""
    expr = expr or column
    if mode == "full":
        return expr
    if mode == "none":
        return "cast(null as varchar)"
    return f"gg_mask_{kind}({expr})"


def exact(personal_mode: str | None) -> bool:
    """Small counts are shown exactly only to roles with full personal-data access (None: the operator's CLI)."""
    return personal_mode is None or personal_mode == "full"


def small_groups_apply(group_by, filters, personal_mode: str | None) -> bool:
    """Whether figures grouped by `group_by` under `filters` are below street level for a masked role."""
    if exact(personal_mode):
        return False
    return any(k in _BELOW_STREET for k in group_by) or bool(filters.communities or filters.grids)


def _is_small(v) -> bool:
    n = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
    return bool(pd.notna(n) and 0 < n < SMALL)


def suppress_small(con, frames: dict, filters, group_by=(), personal_mode: str | None = "none") -> dict:
    """The compute_many frames with every relief count (and persons and amounts over it) of a place with fewer than
    SMALL households replaced by "<5" (value, numerator and denominator), where the rule applies."""
    keys = list(group_by)
    ids = [i for i in frames if i in SMALL_COUNT_METRICS]
    if not ids or not small_groups_apply(keys, filters, personal_mode):
        return frames
    if "relief_households" in frames:
        households = frames["relief_households"]
    else:
        from .compute import compute

        households = compute(con, "relief_households", filters, keys)
    sizes = {tuple(r[k] for k in keys): r["value"] for r in households.to_dict("records")}
    out = dict(frames)
    for i in ids:
        df = frames[i].copy()
        small = [_is_small(sizes.get(tuple(r[k] for k in keys))) for r in df.to_dict("records")]
        if any(small):
            for c in ("value", "numerator", "denominator"):
                df[c] = df[c].astype(object)
                df.loc[[s and pd.notna(v) for s, v in zip(small, df[c])], c] = SMALL_LABEL
        out[i] = df
    return out


def suppress_small_counts(df: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """Counts of records (the explorer's relief counts) under SMALL as "<5"."""
    df = df.copy()
    df[column] = [SMALL_LABEL if _is_small(v) else v for v in df[column]]
    return df.drop(columns=[c for c in ("numerator", "denominator") if c in df])
