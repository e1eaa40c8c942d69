-- event_funnel: how many of the period's events reached each step of 六步闭环.
-- Grain: one row per step (6 rows). {events}: the period's events under the filters (metrics/filters.py).
with e as (select * from {events})

select * from (
    select 1 as step, 'reported_at' as step_id, count(*) as events from e
    union all select 2, 'registered_at', count(registered_at) from e
    union all select 3, 'dispatched_at', count(dispatched_at) from e
    union all select 4, 'handled_at', count(handled_at) from e
    union all select 5, 'closed_at', count(closed_at) from e
    union all select 6, 'evaluated_at', count(evaluated_at) from e
)
order by step
