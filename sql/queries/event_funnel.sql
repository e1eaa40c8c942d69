-- event_funnel: how many of the period's events reached each step of 六步闭环.
-- Grain: one row per step (6 rows). Period by reported_at; filters as in the indicators.
with e as (
    select * from v_events
    where reported_at >= $from_ts and reported_at < $to_excl
      and ($scope_all or list_contains($scope, street))
      and (len($f_streets) = 0 or list_contains($f_streets, street))
      and (len($f_communities) = 0 or list_contains($f_communities, community))
      and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
      and (len($f_categories) = 0 or list_contains($f_categories, category))
      and (len($f_sources) = 0 or list_contains($f_sources, source))
)
select * from (
    select 1 as step, 'reported_at' as step_id, count(*) as events from e
    union all select 2, 'registered_at', count(registered_at) from e
    union all select 3, 'dispatched_at', count(dispatched_at) from e
    union all select 4, 'handled_at', count(handled_at) from e
    union all select 5, 'closed_at', count(closed_at) from e
    union all select 6, 'evaluated_at', count(evaluated_at) from e
) order by step
