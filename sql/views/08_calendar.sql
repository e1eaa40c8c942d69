-- calendar: one row per day from 2000-01-03 (a Monday) for 40,000 days (to 2109-07-06), with its ISO weekday, its
-- Monday-based week and its month — the one place that says what a week and a working day are, instead of
-- engine-specific date functions (isodow, range(), dayofweek differ between engines; sqlglot maps DuckDB's isodow
-- so that Monday becomes 3 on Spark). Generated from digits, so the same text runs on DuckDB, Spark and Trino.
-- is_workday: Monday to Friday (statutory holidays and 调休 are not modelled; compute.working_days agrees).
create or replace view calendar as
with digits as (
    select n from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as t (n)
),
offsets as (
    select a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n as n
    from digits as a
    cross join digits as b
    cross join digits as c
    cross join digits as d
    cross join (select n from digits where n < 4) as e
)
select
    date '2000-01-03' + n as day,
    n % 7 + 1 as iso_dow,
    n % 7 < 5 as is_workday,
    date '2000-01-03' + (n - n % 7) as week,
    date '2000-01-03' + (n - n % 7 + 6) as week_end,
    strftime(date '2000-01-03' + n, '%Y-%m') as month
from offsets;
