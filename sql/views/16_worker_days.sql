-- worker_days: the working days (Mon–Fri) on which an active grid worker used the platform — started a patrol or
-- is the worker_id of an event reported that day (信息平台使用). Grain: one row per worker per day.
-- Working days: the calendar view (08_calendar.sql).
-- worker_days_at(t): workers active at t, placed by the grid they served at t (the period's end); worker_days: now.
create or replace macro worker_days_at(t) as table
with days as (
    select worker_id, cast(started_at as date) as day from patrols where worker_id is not null
    union
    select worker_id, cast(reported_at as date) as day from events where worker_id is not null
)
select d.worker_id, d.day, w.grid_id, w.street, w.community, w.district,
       strftime(d.day, '%Y-%m') as month, cast(date_trunc('week', d.day) as date) as week
from days d
join v_workers_at(t) w using (worker_id)
join calendar c on c.day = d.day
where w.active and c.is_workday;

create or replace view worker_days as select * from worker_days_at(timestamp 'infinity');
