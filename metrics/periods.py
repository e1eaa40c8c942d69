"""Comparison periods, in one place (INDICATORS.md v2): every 较上期 (环比) and 同比 on the cockpit, the scoreboard,
the bulletin and the CLI reads these functions.

- 环比 (previous): a calendar month, quarter or year is compared with the previous calendar unit (October with
  September, Q4 with Q3, 2026 with 2025). A unit to date (1 October – 23 October, as the 本月 preset gives) is compared
  with the same part of the previous unit (1 – 23 September, clamped to its end). Any other range is compared with the
  range of equal length just before it.
- 同比 (year_ago): the same dates one year earlier (29 February → 28 February; a whole February → the whole February).
- A comparison period that starts before the store's first data has no value ("—"): `comparable` says so.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

PREVIOUS_LABEL = "较上期"
YEAR_AGO_LABEL = "同比"


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def unit_of(d_from: date, d_to: date) -> str | None:
    """"month", "quarter" or "year" when the range starts on the first day of that calendar unit and ends inside it
    (the whole unit or the unit to date); None for any other range. The smallest unit that fits wins."""
    if d_from.day != 1 or d_to.year != d_from.year:
        return None
    if d_to.month == d_from.month:
        return "month"
    if d_from.month in (1, 4, 7, 10) and d_to.month <= d_from.month + 2:
        return "quarter"
    if d_from.month == 1:
        return "year"
    return None


MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _is_whole(d_from: date, d_to: date, months: int) -> bool:
    y, m = _add_months(d_from.year, d_from.month, months - 1)
    return d_to == _month_end(y, m)


def previous(d_from: date, d_to: date) -> tuple[date, date]:
    """环比: the previous calendar unit, the same part of it for a unit to date, else the equal-length range before."""
    unit = unit_of(d_from, d_to)
    if unit is None:
        days = (d_to - d_from).days + 1
        return d_from - timedelta(days=days), d_from - timedelta(days=1)
    months = MONTHS[unit]
    py, pm = _add_months(d_from.year, d_from.month, -months)
    start = date(py, pm, 1)
    if _is_whole(d_from, d_to, months):
        ey, em = _add_months(py, pm, months - 1)
        return start, _month_end(ey, em)
    # a unit to date: the same months and day offset into the previous unit, clamped to that month's end
    k = (d_to.year - d_from.year) * 12 + d_to.month - d_from.month
    ey, em = _add_months(py, pm, k)
    return start, date(ey, em, min(d_to.day, _month_end(ey, em).day))


def _year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:                      # 29 February
        return date(d.year - 1, 2, 28)


def year_ago(d_from: date, d_to: date) -> tuple[date, date]:
    """同比: the same period one year earlier; a range ending on a month's last day ends on that month's last day."""
    end = _year_back(d_to)
    if d_to == _month_end(d_to.year, d_to.month):
        end = _month_end(d_to.year - 1, d_to.month)
    return _year_back(d_from), end


def comparable(period: tuple[date, date], first_data: date | None) -> bool:
    """A comparison period has a value only when it starts on or after the first day of data."""
    return first_data is not None and period[0] >= first_data


def first_data(con) -> date | None:
    """The first day with any activity data: the earliest event report, patrol start or relief application."""
    rows = con.execute("select min(d) from (select min(reported_at)::date as d from events "
                       "union all select min(started_at)::date from patrols "
                       "union all select min(applied_at)::date from relief)").fetchall()
    return rows[0][0] if rows else None


def months_back(end: date, n: int) -> list[tuple[date, date]]:
    """The n calendar months ending with the month of `end`, oldest first, each (first day, last day)."""
    out = []
    for k in range(n - 1, -1, -1):
        y, m = _add_months(end.year, end.month, -k)
        out.append((date(y, m, 1), _month_end(y, m)))
    return out
