-- worker_activity: what each active grid worker did in the period — patrols, distance, visits, events reported,
-- working days on the platform. Grain: one row per active worker. Identified by worker_id only (no names).
-- Each {source} is that source's rows under the filters (metrics/filters.py), as the indicators read them.
with p as (
    select
        worker_id,
        count(*) as patrols,
        sum(distance_m) / 1000 as km,
        sum(households_visited) as households_visited,
        sum(key_person_visits) as key_person_visits
    from {patrols}
    where worker_id is not null
    group by worker_id
),

e as (
    select
        worker_id,
        count(*) as events_reported
    from {events}
    where worker_id is not null
    group by worker_id
),

d as (
    select
        worker_id,
        count(*) as active_days
    from {worker_days}
    group by worker_id
)

select
    w.worker_id,
    w.street,
    w.community,
    w.grid_id,
    coalesce(p.patrols, 0) as patrols,
    round(coalesce(p.km, 0), 1) as km,
    coalesce(p.households_visited, 0) as households_visited,
    coalesce(p.key_person_visits, 0) as key_person_visits,
    coalesce(e.events_reported, 0) as events_reported,
    coalesce(d.active_days, 0) as active_days
from {workers} as w
left join p using (worker_id)
left join e using (worker_id)
left join d using (worker_id)
where w.active
order by patrols desc, w.worker_id asc
