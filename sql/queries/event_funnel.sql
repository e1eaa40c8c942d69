-- event_funnel: how many of the period's events reached each step of 六步闭环.
-- Grain: one row per step (6 rows). {events}: the period's events under the filters (metrics/filters.py).
with e as (select * from {events})

select
    steps.step,
    steps.step_id,
    steps.events
from (
    select
        1 as step,
        'reported_at' as step_id,
        count(*) as events
    from e
    union all
    select
        2 as step,
        'registered_at' as step_id,
        count(registered_at) as events
    from e
    union all
    select
        3 as step,
        'dispatched_at' as step_id,
        count(dispatched_at) as events
    from e
    union all
    select
        4 as step,
        'handled_at' as step_id,
        count(handled_at) as events
    from e
    union all
    select
        5 as step,
        'closed_at' as step_id,
        count(closed_at) as events
    from e
    union all
    select
        6 as step,
        'evaluated_at' as step_id,
        count(evaluated_at) as events
    from e
) as steps
order by steps.step
