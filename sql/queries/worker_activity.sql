-- worker_activity: what each active grid worker did in the period — patrols, distance, visits, events reported,
-- working days on the platform. Grain: one row per active worker. Identified by worker_id only (no names).
with p as (
    select worker_id, count(*) as patrols, sum(distance_m) / 1000.0 as km,
           sum(households_visited) as households_visited, sum(key_person_visits) as key_person_visits
    from patrols
    where started_at >= $from_ts and started_at < $to_excl and worker_id is not null
    group by worker_id
), e as (
    select worker_id, count(*) as events_reported
    from events
    where reported_at >= $from_ts and reported_at < $to_excl and worker_id is not null
    group by worker_id
), d as (
    select worker_id, count(*) as active_days
    from worker_days
    where day >= $from and day <= $to
    group by worker_id
)
select w.worker_id, w.street, w.community, w.grid_id,
       coalesce(p.patrols, 0) as patrols, round(coalesce(p.km, 0), 1) as km,
       coalesce(p.households_visited, 0) as households_visited,
       coalesce(p.key_person_visits, 0) as key_person_visits,
       coalesce(e.events_reported, 0) as events_reported,
       coalesce(d.active_days, 0) as active_days
from v_workers w
left join p using (worker_id)
left join e using (worker_id)
left join d using (worker_id)
where w.active
  and ($scope_all or list_contains($scope, w.street))
  and (len($f_streets) = 0 or list_contains($f_streets, w.street))
  and (len($f_communities) = 0 or list_contains($f_communities, w.community))
  and (len($f_grids) = 0 or list_contains($f_grids, w.grid_id))
order by patrols desc, w.worker_id
