"""Tests generated from the contract (data/columns.py), jaffle-shop style, on the demo store: every key is unique
and not null, every grid reference names a known grid. And given/expect tests of every named query
(sql/queries/*.sql) on the small metric fixture, expected rows worked out by hand."""
from __future__ import annotations

from datetime import date

import pytest

from data import store
from data.columns import KINDS
from metrics import geo, queries
from metrics.compute import Filters

P = Filters(date(2025, 9, 1), date(2025, 9, 14))


@pytest.fixture(scope="module")
def demo(demo_db):
    con = store.connect(demo_db, read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=lambda k: k.name)
def test_key_is_unique_and_not_null(demo, kind):
    key = ", ".join(kind.key)
    rows = demo.sql(f"select count(*) from {kind.table}").fetchall()[0][0]
    assert rows > 0, kind.table
    nulls = " or ".join(f"{c} is null" for c in kind.key)
    assert demo.sql(f"select count(*) from {kind.table} where {nulls}").fetchall()[0][0] == 0
    assert demo.sql(f"select count(*) from (select {key} from {kind.table} group by all having count(*) > 1)"
                    ).fetchall()[0][0] == 0


@pytest.mark.parametrize("kind", [k for k in KINDS.values() if k.grid_ref], ids=lambda k: k.name)
def test_every_grid_reference_is_a_known_grid(demo, kind):
    ref = kind.grid_ref
    assert demo.sql(f"select count(*) from {kind.table} t where t.{ref} is not null "
                    f"and t.{ref} not in (select grid_id from grids)").fetchall()[0][0] == 0


# ------------------------------------------------------------------------- named queries: given the fixture, expect

def test_event_funnel(mcon):
    # E1–E8: registered all but E8 (7); dispatched E1 E2 E6 (3); handled E1 E2 E6 (3); closed E1–E4, E6 (5);
    # evaluated E1 E3 E6 (3)
    got = queries.funnel(mcon, P)
    assert got[["step_id", "events"]].values.tolist() == [
        ["reported_at", 8], ["registered_at", 7], ["dispatched_at", 3], ["handled_at", 3], ["closed_at", 5],
        ["evaluated_at", 3]]


def test_overdue_events(mcon):
    got = queries.overdue(mcon, P)
    # E2 due 09-09 09:00 closed 09-12 09:00: 72 h; E5 due 09-12 10:00 still open at 09-15 00:00: 62 h
    assert got[["event_id", "hours_overdue"]].values.tolist() == [["E2", 72.0], ["E5", 62.0]]
    assert list(queries.overdue(mcon, P, limit=1)["event_id"]) == ["E2"]


def test_event_bins(mcon):
    got = geo.event_bins(mcon, P, cell=0.01)
    # E1 (106.681, 35.541) and E2 (106.682, 35.541) share a cell; E5 and E6 have one each
    assert sorted(got["events"].tolist()) == [1, 1, 2]
    assert got.iloc[0][["lon", "lat", "events"]].tolist() == [pytest.approx(106.68), pytest.approx(35.54), 2]


def test_grid_shapes(mcon):
    got = queries.run(mcon, "grid_shapes", P)
    assert got[["grid_id", "grid_name", "street", "households"]].values.tolist() == [
        ["A1", "甲一网格", "甲街道", 200], ["A2", "A2", "甲街道", 300], ["B1", "乙一网格", "乙街道", 500]]


def test_patrol_grid_weeks(mcon):
    got = queries.patrol_heat(mcon, P)
    # A1: 3 then 2 patrols; A2: 1 then 0; B1: 4 then 3 (required 3 a week); by street: 乙 (U+4E59) before 甲
    assert got[["grid_id", "week", "patrols", "met"]].values.tolist() == [
        ["B1", "2025-09-01", 4, True], ["B1", "2025-09-08", 3, True],
        ["A1", "2025-09-01", 3, True], ["A1", "2025-09-08", 2, False],
        ["A2", "2025-09-01", 1, False], ["A2", "2025-09-08", 0, False]]


def test_patrol_tracks_without_tracks(mcon):
    assert geo.patrol_tracks(mcon, P, date(2025, 9, 1)).empty          # the fixture's patrols have no GPS track


def test_worker_activity(mcon):
    got = queries.worker_activity(mcon, P)
    # active workers WA1 (A1) and WB1 (B1); WA1: 5 patrols, reported E1 E2; WB1: 7 patrols, reported E6.
    # working days (Mon–Fri with a patrol or a report): WA1 09-01 02 03 09 11 → 5 (09-06 is a Saturday);
    # WB1 09-01 02 03 04 08 10 → 6 (09-14 is a Sunday)
    assert got[["worker_id", "patrols", "events_reported", "active_days", "key_person_visits"]].values.tolist() == [
        ["WB1", 7, 1, 6, 1], ["WA1", 5, 2, 5, 4]]


def test_other_work(mcon):
    from metrics.score import other_work

    assert other_work(mcon, P, "street") == {"甲街道": (80.0, 1), "乙街道": (90.0, 1)}
    aug_sep = P.with_(date_from=date(2025, 8, 1))
    assert other_work(mcon, aug_sep, "street") == {"甲街道": (75.0, 2), "乙街道": (90.0, 1)}


def test_lock_file_holds_every_direct_pin():
    """scripts/setup.sh installs requirements.lock with --require-hashes: a pin added to requirements*.txt without
    recompiling the lock (scripts/lock.sh) would silently not be installed."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    lock = (root / "requirements.lock").read_text(encoding="utf-8")
    locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\", lock, re.M))
    locked = {k.lower().replace("_", "-"): v for k, v in locked.items()}
    for req in ("requirements.txt", "requirements-dev.txt"):
        pins = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", (root / req).read_text(encoding="utf-8"), re.M)
        for name, version in pins:
            assert locked.get(name.lower().replace("_", "-")) == version, (req, name, version)
    assert "--hash=sha256:" in lock
