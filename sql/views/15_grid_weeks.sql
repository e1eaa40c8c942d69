-- grid_weeks(d_from, d_to): one row per grid per whole ISO week (Monday–Sunday) inside [d_from, d_to],
-- with that week's patrols and key-person visits — the base of 巡查达标率 and 重点人员走访率.
-- Grids (and their key persons) as they stood at the end of d_to.
-- A week that is cut by the period's start or end is left out (INDICATORS.md: whole weeks inside the period).
create or replace macro grid_weeks(d_from, d_to) as table
with weeks as (
    select day as week
    from calendar
    where iso_dow = 1 and day >= cast(d_from as date) and week_end <= cast(d_to as date)
),
per_week as (
    select grid_id, cast(date_trunc('week', started_at) as date) as week,
           count(*) as patrols, coalesce(sum(key_person_visits), 0) as key_person_visits
    from patrols
    where started_at >= cast(d_from as date) and started_at < cast(d_to as date) + 1
    group by all
)
select g.grid_id, g.street, g.community, g.district, g.key_persons, w.week,
       strftime(w.week, '%Y-%m') as month,
       coalesce(p.patrols, 0) as patrols,
       coalesce(p.key_person_visits, 0) as key_person_visits,
       least(coalesce(p.key_person_visits, 0), g.key_persons) as key_person_visits_capped
from grids_at(cast(d_to as date) + 1) g
cross join weeks w
left join per_week p on p.grid_id = g.grid_id and p.week = w.week;
