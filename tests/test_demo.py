"""The demo generator: deterministic, the 崆峒区 shape (357 grids tiling the real boundary, 355 workers),
a consistent 六步闭环 in every event, valid ID numbers, and yearly figures near the seeds'."""
from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest
import shapely

from data import demo, store

END = date(2026, 11, 20)          # window: 2025-10-01 .. 2026-11-20
SMALL = 4000


def _build(path, **kwargs):
    con = store.connect(path)
    counts = demo.generate(con, end=END, **kwargs)
    return con, counts


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    con, counts = _build(tmp_path_factory.mktemp("demo") / "small.duckdb", seed=7, events=SMALL)
    yield con, counts
    con.close()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The default size, for figures that need realistic counts."""
    con, counts = _build(tmp_path_factory.mktemp("demo") / "full.duckdb", seed=42)
    yield con, counts
    con.close()


def rows(con, sql, params=None):
    return con.sql(sql, params=params).fetchall()


def value(con, sql, params=None):
    return rows(con, sql, params)[0][0]


def in_district(lon, lat) -> np.ndarray:
    return shapely.contains_xy(demo.district_polygon_wgs84().buffer(1e-9), lon, lat)


# ---- contract ----------------------------------------------------------------------------------------------------

def test_returns_row_counts_and_logs_the_run(small):
    con, counts = small
    assert counts == {t: value(con, f"select count(*) from {t}") for t in demo.DEMO_TABLES}
    log = rows(con, "select kind, file_name, sha256, rows_stored, imported_by from import_log")
    assert log == [("demo", "demo", f"seed=7;events={SMALL};end=2026-11-20", sum(counts.values()), "demo")]


def test_same_arguments_same_store_other_seed_other_store(small, tmp_path):
    con, _ = small
    demo._layout.cache_clear()   # recompute the tiling too, not just reuse it
    twin, _ = _build(tmp_path / "twin.duckdb", seed=7, events=SMALL)
    other, _ = _build(tmp_path / "other.duckdb", seed=8, events=SMALL)
    for table in demo.DEMO_TABLES:
        assert store.content_checksum(twin, table) == store.content_checksum(con, table), table
    for table in ("grids", "workers", "events", "relief", "patrols", "manual_scores"):
        assert store.content_checksum(other, table) != store.content_checksum(con, table), table


def content(con, table) -> str:
    """Checksum of a table's content apart from import_id (which counts the store's imports)."""
    return str(rows(con, f"select count(*), coalesce(sum(hash(t)), 0) from "
                         f"(select * exclude (import_id) from {table}) t")[0])


def test_rebuild_replaces_and_event_count_leaves_other_families_alone(small, tmp_path):
    con, _ = small
    again, _ = _build(tmp_path / "again.duckdb", seed=7, events=SMALL)
    counts = demo.generate(again, seed=7, events=1234, end=END)   # into a store that already has data
    assert counts["events"] == value(again, "select count(*) from events") == 1234
    assert value(again, "select count(*) from import_log") == 2
    assert value(again, "select count(distinct import_id) from events") == 1
    for table in ("grids", "workers", "relief", "patrols", "manual_scores", "areas"):
        assert content(again, table) == content(con, table), table


@pytest.mark.parametrize("n", [0, 1, 999])
def test_exactly_n_events(tmp_path, n):
    con, counts = _build(tmp_path / "n.duckdb", seed=3, events=n)
    assert counts["events"] == value(con, "select count(*) from events") == n


def test_default_size_covers_the_window(full):
    con, counts = full
    assert 22_000 <= counts["events"] <= 26_000
    first, last = rows(con, "select min(reported_at)::date, max(reported_at)::date from events")[0]
    assert first == date(2025, 10, 1) and last == END
    assert value(con, "select count(distinct event_id) from events") == counts["events"]
    assert value(con, "select count(*) from events where not regexp_full_match(event_id, 'E\\d{13}')") == 0


# ---- hierarchy and people ----------------------------------------------------------------------------------------

def test_grids_per_street(small):
    con, _ = small
    per_street = dict(rows(con, "select street, count(*) from grids group by street"))
    assert per_street == {"东关街道": 114, "中街街道": 110, "西郊街道": 133}
    assert value(con, "select count(distinct grid_id) from grids") == 357
    codes = dict(rows(con, "select street, min(left(grid_id, 9)) from grids group by street "
                           "having count(distinct left(grid_id, 9)) = 1"))
    assert codes == {"东关街道": "620802001", "中街街道": "620802002", "西郊街道": "620802003"}
    communities = rows(con, "select street, count(distinct community) from grids group by street")
    assert all(6 <= n <= 9 for _, n in communities)
    assert value(con, "select bool_and(community like '%社区') from grids")
    assert value(con, "select sum(households) from grids") in range(100_000, 115_000)
    assert value(con, "select count(*) from grids where households not between 200 and 400") == 0
    assert value(con, "select count(*) from grids where key_persons = 0") > 0


def test_one_active_worker_per_grid_but_two(small):
    con, _ = small
    active, distinct = rows(con, "select count(*), count(distinct grid_id) from workers where active")[0]
    assert active == distinct == 355
    assert value(con, "select count(*) from grids where grid_id not in "
                      "(select grid_id from workers where active)") == 2
    assert 15 <= value(con, "select count(*) from workers where not active") <= 25
    phones = [p for (p,) in rows(con, "select phone from workers")]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)


def test_areas(small):
    con, _ = small
    levels = dict(rows(con, "select level, count(*) from areas group by level"))
    assert levels == {"district": 1, "street": 3, "community": len(demo.COMMUNITIES)}
    assert rows(con, "select name, code from areas where level = 'district'") == [("崆峒区", "620802")]


# ---- geometry ----------------------------------------------------------------------------------------------------

def test_grids_tile_the_district(small):
    con, _ = small
    grids = shapely.from_geojson(np.array([b for (b,) in rows(con, "select boundary from grids")], dtype=object))
    union = shapely.union_all(grids)
    district = demo.district_polygon_wgs84()
    assert shapely.area(grids).sum() == pytest.approx(union.area, rel=1e-6)        # no overlaps
    assert union.area == pytest.approx(district.area, rel=1e-3)                    # full cover
    assert shapely.symmetric_difference(union, district).area < 1e-3 * district.area


def test_streets_and_communities_are_each_one_piece(small):
    con, _ = small
    for level, name, boundary in rows(con, "select level, name, boundary from areas"):
        assert shapely.from_geojson(boundary).geom_type == "Polygon", (level, name)


def test_points_lie_inside_the_district(small):
    con, _ = small
    grid = con.sql("select lon, lat, boundary from grids where lon is not null").fetchnumpy()
    assert in_district(grid["lon"], grid["lat"]).all()
    own = shapely.from_geojson(grid["boundary"].astype(object))
    assert shapely.contains_xy(own, grid["lon"], grid["lat"]).all()
    events = con.sql("select lon, lat from events").fetchnumpy()
    assert in_district(events["lon"], events["lat"]).all()
    tracks = shapely.from_wkt(np.array([t for (t,) in rows(con, "select track from patrols where track is not null")],
                                       dtype=object))
    assert len(tracks) > 500
    xy = shapely.get_coordinates(tracks)
    assert in_district(xy[:, 0], xy[:, 1]).all()


def test_event_points_lie_in_their_grid(small):
    con, _ = small
    sample = con.sql("select e.lon, e.lat, g.boundary from events e join grids g using (grid_id) "
                     "using sample 500 rows (reservoir, 1)").fetchnumpy()
    polygons = shapely.from_geojson(sample["boundary"].astype(object))
    assert shapely.contains_xy(polygons, sample["lon"], sample["lat"]).all()


def test_tracks_only_for_the_last_two_weeks(small):
    con, _ = small
    first = value(con, "select min(started_at)::date from patrols where track is not null")
    assert (END - first).days <= demo.TRACK_DAYS - 1
    assert value(con, "select count(*) from patrols where track is null and started_at >= ?",
                 [str(first)]) == 0


# ---- events ------------------------------------------------------------------------------------------------------

def test_six_steps_in_order(small):
    con, _ = small
    steps = ["reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "evaluated_at"]
    for before, after in zip(steps, steps[1:]):
        assert value(con, f"select count(*) from events where {after} < {before}") == 0, after
        assert value(con, f"select count(*) from events where {after} is not null and {before} is null") == 0, after
    assert value(con, "select count(*) from events where due_at <= reported_at") == 0
    assert value(con, "select count(*) from events where evaluated_at >= timestamp '2026-11-21'") == 0
    assert value(con, "select count(*) from events where (satisfaction is null) <> (evaluated_at is null)") == 0


def test_closed_loop_has_gaps_where_real_data_has_them(full):
    con, _ = full
    open_recent, open_old = rows(con, """
        select avg((closed_at is null)::int) filter (where reported_at >= timestamp '2026-11-14'),
               avg((closed_at is null)::int) filter (where reported_at < timestamp '2026-09-01') from events""")[0]
    assert open_recent > 10 * open_old
    assert value(con, "select count(*) from events where closed_at > due_at") > 0
    assert value(con, "select count(*) from events where closed_at is not null and evaluated_at is null") > 0
    assert value(con, "select count(*) from events where category = 'hazard' and closed_at is null "
                      "and reported_at < timestamp '2026-09-01'") > 0


def test_categorical_values(full):
    con, _ = full
    allowed = {
        "category": set(demo.CATEGORIES), "source": set(demo.SOURCES), "tier": set(demo.TIERS),
        "outcome": set(demo.OUTCOMES), "department": set(demo.DEPARTMENTS),
    }
    for column, values in allowed.items():
        found = {v for (v,) in rows(con, f"select distinct {column} from events where {column} is not null")}
        assert found <= values, column
    assert value(con, "select count(*) from events where (tier is not null) <> (category = 'dispute')") == 0
    assert value(con, "select count(*) from events where outcome is not null "
                      "and category not in ('dispute', 'hazard')") == 0
    assert value(con, "select count(*) from events where resolved_on_site and outcome <> 'resolved'") == 0
    assert value(con, "select count(*) from events where reporter_phone is not null "
                      "and source not in ('resident', 'hotline')") == 0
    assert value(con, "select count(*) from events where description like '%联系电话1%'") > 0


def test_yearly_figures_near_the_seeds(full):
    con, _ = full
    last_year = "reported_at >= timestamp '2025-11-01' and reported_at < timestamp '2026-11-01'"
    disputes = value(con, f"select count(*) from events where category = 'dispute' and {last_year}")
    hazards = value(con, f"select count(*) from events where category = 'hazard' and {last_year}")
    assert 450 <= disputes <= 650
    assert 180 <= hazards <= 290
    rectified = value(con, "select avg((outcome = 'rectified')::int) from events where category = 'hazard'")
    assert 0.70 <= rectified <= 0.88
    resolved, on_site = rows(con, """
        select avg((outcome = 'resolved')::int), avg(resolved_on_site::int) from events
        where category = 'dispute' and outcome in ('resolved', 'unresolved')""")[0]
    assert 0.88 <= resolved <= 0.96 and on_site >= 0.8
    tiers = dict(rows(con, "select tier, count(*) / sum(count(*)) over () from events "
                           "where category = 'dispute' group by tier"))
    assert tiers["general"] > 0.7 and tiers["major"] < 0.08
    assert 0.97 <= value(con, "select avg((satisfaction >= 4)::int) from events where satisfaction is not null") < 1


def test_patrol_events_carry_the_grid_worker(full):
    con, _ = full
    share = value(con, """
        select avg((e.worker_id = w.worker_id)::int) from events e join workers w using (grid_id)
        where e.source = 'patrol' and w.active and e.reported_at >= w.hired_on""")
    assert share > 0.9


# ---- patrols, relief, scores -------------------------------------------------------------------------------------

def test_patrols(small):
    con, counts = small
    assert 70_000 <= counts["patrols"] <= 120_000
    assert value(con, "select count(*) from patrols where ended_at <= started_at "
                      "or hour(started_at) not between 7 and 18") == 0
    assert value(con, "select count(*) from patrols p join grids g using (grid_id) "
                      "where p.key_person_visits > g.key_persons") == 0
    unknown = value(con, "select count(*) from patrols where worker_id not in (select worker_id from workers)")
    assert unknown == 0


def test_id_numbers_have_valid_check_digits(small):
    con, _ = small
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    numbers = [n for (n,) in rows(con, "select distinct id_number from relief")]
    assert len(numbers) > 5000
    for number in numbers:
        assert re.fullmatch(r"620802(19|20)\d{9}[\dX]", number), number
        date.fromisoformat(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
        assert "10X98765432"[sum(int(d) * w for d, w in zip(number, weights)) % 11] == number[17], number


def test_relief_reproduces_the_seed_totals(small):
    con, _ = small
    approved = "status in ('approved', 'paid')"
    totals = {p: r for p, *r in rows(con, f"""
        select programme, count(distinct household_id), sum(persons), sum(amount_yuan)::double,
               count(*) filter (where newly_enrolled)
        from relief where {approved} group by programme""")}
    assert totals["dibao"][:2] == [6694, 14037] and totals["dibao"][3] == 896
    assert totals["temporary_relief"][:3] == [480, 1445, 2_080_800.0]
    assert totals["winter_relief"][:2] == [1550, 3789]
    assert set(totals) == {p.name for p in demo.PROGRAMMES}
    assert value(con, "select count(*) from relief where status = 'rejected'") > 0
    bad_dates = value(con, """select count(*) from relief where approved_at - applied_at not between 5 and 40
                              or paid_at < approved_at or paid_at > ? or applied_at < ?""", [END, date(2025, 10, 1)])
    assert bad_dates == 0
    assert value(con, f"select count(*) from relief where ({approved}) <> (approved_at is not null)") == 0


def test_manual_scores_every_month(small):
    con, _ = small
    months = [m for (m,) in rows(con, "select distinct month from manual_scores order by month")]
    assert months[0] == "2025-10" and months[-1] == "2026-11" and len(months) == 14
    assert value(con, "select count(*) from manual_scores where level = 'street'") == 3 * 14
    assert value(con, "select count(*) from manual_scores where level = 'community'") == len(demo.COMMUNITIES) * 14
    assert value(con, "select count(*) from manual_scores where score not between 60 and 95 "
                      "or item <> 'item_other_work'") == 0


def test_streets_differ_as_designed(full):
    """中街 ahead of 西郊 on the behaviours the six-item score reads."""
    con, _ = full
    by_street = {s: r for s, *r in rows(con, """
        with p as (select g.street, count(*) / count(distinct p.grid_id) n from patrols p
                   join grids g using (grid_id) group by 1),
             e as (select g.street, avg((registered_at <= reported_at + interval 24 hour)::int) r24,
                          avg(case when closed_at is not null then (closed_at <= due_at)::int end) ontime
                   from events e join grids g using (grid_id) group by 1),
             m as (select unit as street, avg(score) other from manual_scores where level = 'street' group by 1)
        select street, n, r24, ontime, other from p join e using (street) join m using (street)""")}
    best, weakest = by_street["中街街道"], by_street["西郊街道"]
    assert all(b > w for b, w in zip(best, weakest))
