"""A real export nobody here shaped: San Francisco 311 requests through the committed mapping."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data import ingest

ROOT = Path(__file__).resolve().parent.parent
SF311 = ROOT.parent / "shared" / "realdata" / "sf311_sfpd" / "sf311_service_requests.csv"

pytestmark = pytest.mark.skipif(not SF311.exists(), reason="../shared/realdata is not beside the repository")


def expected_counts() -> tuple[int, int]:
    """Independent pandas count of the rows the mapping's rules must accept (see data/mappings/sf311.toml)."""
    d = pd.read_csv(SF311, dtype=str, keep_default_na=False)
    lat = pd.to_numeric(d["latitude"])
    lon = pd.to_numeric(d["longitude"])
    created = pd.to_datetime(d["created_date"], utc=True)
    closed = pd.to_datetime(d["closed_date"].replace("", None), utc=True)
    ok = ((d["neighborhood"] != "")
          & lon.between(-122.52, -122.35) & lat.between(37.70, 37.84)
          & ~(closed < created))
    return int(ok.sum()), int((~ok).sum())


def test_sf311_through_mapping(con, tmp_path):
    d = pd.read_csv(SF311, dtype=str, keep_default_na=False)
    hoods = sorted(set(d["neighborhood"]) - {""})
    pd.DataFrame({"grid_id": hoods, "street": "San Francisco", "community": hoods, "households": 1000}).to_csv(
        tmp_path / "hoods.csv", index=False)
    assert ingest.ingest_files(con, "grids", [tmp_path / "hoods.csv"])[0].stored

    res = ingest.ingest_files(con, "events", [SF311], mapping_path=ROOT / "data/mappings/sf311.toml",
                              skip_invalid=True)[0]
    stored, refused = expected_counts()
    assert (res.rows_in_file, res.rows_stored, res.rows_refused) == (10_000, stored, refused)
    assert con.sql("select count(*) from events").fetchall() == [(stored,)]
    # the 4,264 rows at 0.0,0.0 are refused (coordinates outside the box), every one of them
    zero = set(d.loc[d["latitude"] == "0.0", "unique_key"])
    assert len(zero) == 4264
    refused_keys = {r[0] for r in con.sql("select distinct raw::json->>'事件编号' from import_refused").fetchall()}
    assert zero <= refused_keys
    msgs = {r[0] for r in con.sql("select distinct column_name from import_refused").fetchall()}
    assert {"neighborhood", "longitude", "closed_date"} <= msgs      # named as the export names them
    # values mapped, times converted from +00:00 to Shanghai
    cats = dict(con.sql("select category, count(*) from events group by 1").fetchall())
    assert set(cats) <= {"sanitation", "hazard", "public_order", "resident_service"} and cats["sanitation"] > 0
    row = d[d["unique_key"] == "6078653"]   # first row: 0.0,0.0 → refused
    assert row["unique_key"].iloc[0] in refused_keys
    sample = d[(d["neighborhood"] != "") & (d["latitude"] != "0.0")].iloc[0]
    got = con.sql("select reported_at from events where event_id = ?", params=[sample["unique_key"]]).fetchall()
    want = pd.Timestamp(sample["created_date"]).tz_convert("Asia/Shanghai").tz_localize(None)
    assert got == [(want.to_pydatetime(),)]
