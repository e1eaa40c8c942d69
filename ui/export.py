"""Exports with Chinese headers: CSV (UTF-8 with BOM, so Excel opens it right) and XLSX."""
from __future__ import annotations

import io

import pandas as pd


def to_csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, sheet: str) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        df.to_excel(xw, index=False, sheet_name=sheet[:31].replace("/", "-"))
    return buf.getvalue()
