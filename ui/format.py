"""zh-CN formatting: 千分位, percentages with one decimal, "—" for no value."""
from __future__ import annotations

import math

import pandas as pd

from metrics.registry import METRICS

DASH = "—"


def is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(v)))
    except (TypeError, ValueError):
        return False


def number(v, decimals: int = 0) -> str:
    if isinstance(v, str):          # a figure already shown as text, e.g. a suppressed small count "<5"
        return v
    if is_missing(v):
        return DASH
    return f"{float(v):,.{decimals}f}"


def pct(v, decimals: int = 1) -> str:
    return DASH if is_missing(v) else f"{float(v) * 100:.{decimals}f}%"


def value(metric_id: str, v) -> str:
    """An indicator value as the UI shows it, by the indicator's unit."""
    if isinstance(v, str):          # a suppressed small count "<5" (metrics/privacy.py)
        return v
    if is_missing(v):
        return DASH
    unit = METRICS[metric_id].unit if metric_id in METRICS else "count"
    if unit == "rate":
        return pct(v)
    if unit == "yuan":
        return f"{float(v):,.0f} 元" if abs(float(v)) < 1e5 else f"{float(v) / 1e4:,.2f} 万元"
    if unit == "hours":
        return f"{float(v):,.1f} 小时"
    if unit == "days":
        return f"{float(v):,.1f} 天"
    if unit in ("per_1000", "per_week"):
        return f"{float(v):,.2f}"
    return number(v)


def fraction(metric_id: str, numerator, denominator) -> str:
    """'468 / 500' for rates, 'n = 500' for medians; what a value stands on."""
    m = METRICS.get(metric_id)
    if m is not None and m.kind == "median":
        return f"样本数 {number(denominator)}"
    if is_missing(denominator):
        return f"{'合计' if m is not None and m.unit == 'yuan' else '计数'} {number(numerator)}"
    decimals = 0 if float(denominator).is_integer() else 2
    return f"{number(numerator, 0 if is_missing(numerator) or float(numerator).is_integer() else 2)} / " \
           f"{number(denominator, decimals)}"


def change(metric_id: str, now, before) -> str | None:
    """The change against the previous period: percentage points for rates."""
    if is_missing(now) or is_missing(before):
        return None
    d = float(now) - float(before)
    unit = METRICS[metric_id].unit if metric_id in METRICS else "count"
    if unit == "rate":
        return f"{d * 100:+.1f} 个百分点".replace("+0.0 ", "0.0 ").replace("-0.0 ", "0.0 ")
    text = f"{d:+,.2f}" if unit in ("per_1000", "per_week", "hours", "days") else f"{d:+,.0f}"
    return text.lstrip("+-") if float(text.replace(",", "")) == 0 else text


def month_label(ym: str) -> str:
    """'2026-10' → '2026年10月'."""
    y, m = ym.split("-")[:2]
    return f"{int(y)}年{int(m)}月"


def period_label(d_from, d_to) -> str:
    return f"{d_from:%Y年%m月%d日} – {d_to:%Y年%m月%d日}"


def signed(d, decimals: int = 0, unit: str = "") -> str:
    """A change with its direction as an arrow: '↑ 7.47', '↓ 22' (never '↓ -22'), '0' without an arrow, '—'."""
    if is_missing(d):
        return DASH
    d = round(float(d), decimals)
    if d == 0:
        return f"{0:.{decimals}f}{unit}"
    return f"{'↑' if d > 0 else '↓'} {abs(d):,.{decimals}f}{unit}"


def period_short(d_from, d_to) -> str:
    """'2026年10月' for a whole calendar month, '2026年第4季度', '2026年', else '10月1日–10月31日'."""
    import calendar

    last_day = calendar.monthrange(d_to.year, d_to.month)[1]
    if d_from.day == 1 and d_to.day == last_day and d_from.year == d_to.year:
        if d_from.month == d_to.month:
            return f"{d_from.year}年{d_from.month}月"
        if d_from.month == 1 and d_to.month == 12:
            return f"{d_from.year}年"
        if (d_from.month - 1) % 3 == 0 and d_to.month == d_from.month + 2:
            return f"{d_from.year}年第{(d_from.month - 1) // 3 + 1}季度"
    if d_from.year == d_to.year:
        return f"{d_from.year}年{d_from.month}月{d_from.day}日–{d_to.month}月{d_to.day}日"
    return f"{d_from.year}年{d_from.month}月{d_from.day}日–{d_to.year}年{d_to.month}月{d_to.day}日"


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it, for the screen and for exports: 是/否 for booleans, "—" for a missing value (never
    None, NaN or <NA>), timestamps to the minute (a date when every one is midnight), numbers with 千分位."""
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        present = s.dropna()
        if pd.api.types.is_bool_dtype(s) or (len(present) and all(isinstance(v, bool) for v in present)):
            out[c] = [DASH if is_missing(v) else ("是" if v else "否") for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s):
            whole_days = bool(len(present)) and bool((present == present.dt.normalize()).all())
            pattern = "%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M"
            out[c] = [DASH if is_missing(v) else v.strftime(pattern) for v in s]
        elif pd.api.types.is_numeric_dtype(s) and s.isna().any():
            out[c] = [DASH if is_missing(v) else number(v, 0 if float(v).is_integer() else 2) for v in s]
        elif not pd.api.types.is_numeric_dtype(s):
            out[c] = [DASH if is_missing(v) or (isinstance(v, str) and not v.strip()) else
                      (v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") and hasattr(v, "hour") else v)
                      for v in s]
        else:
            out[c] = s
    return out


def labelled_fraction(metric_id: str, numerator, denominator) -> str:
    """'调处成功 43 件 / 办结 44 件' where the parts are named (metrics/labels.FRACTION_PARTS), else fraction()."""
    from metrics.labels import FRACTION_PARTS

    parts = FRACTION_PARTS.get(metric_id)
    if parts is None:
        return fraction(metric_id, numerator, denominator)
    n_label, n_unit, d_label, d_unit = parts
    text = f"{n_label} {number(numerator, 0 if is_missing(numerator) or float(numerator).is_integer() else 2)} {n_unit}"
    if d_label is not None:
        text += f" / {d_label} {number(denominator, 0 if is_missing(denominator) or float(denominator).is_integer() else 2)} {d_unit}"
    return text
