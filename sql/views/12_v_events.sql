-- v_events_at(t): as v_events, with each event placed in the hierarchy by its grid's version in effect at t (a
-- period's indicators pass its exclusive end: a grid's street/community and households as at the period's end).
-- v_events: events placed in the hierarchy, with the flags and durations the indicators use.
-- Hours are DOUBLE (cast before dividing: Spark would divide a bigint by 3600.0 in DECIMAL).
-- Grain: one row per event. Selected into a period by reported_at (INDICATORS.md conventions).
create or replace macro v_events_at(t) as table
select
    e.*,
    g.street, g.community, g.district, g.households,
    strftime(e.reported_at, '%Y-%m') as month,
    cast(date_trunc('week', e.reported_at) as date) as week,
    e.category = 'dispute' as is_dispute,
    e.category = 'hazard' as is_hazard,
    e.closed_at is not null as is_closed,
    e.outcome in ('resolved', 'unresolved') as is_concluded_dispute,
    e.closed_at is not null and e.due_at is not null as has_deadline,
    e.closed_at is not null and e.due_at is not null and e.closed_at <= e.due_at as closed_on_time,
    cast(date_diff('second', e.reported_at, e.closed_at) as double) / 3600 as hours_to_close,
    cast(date_diff('second', e.reported_at, e.registered_at) as double) / 3600 as hours_registered,
    cast(date_diff('second', e.registered_at, e.dispatched_at) as double) / 3600 as hours_dispatched,
    cast(date_diff('second', e.dispatched_at, e.handled_at) as double) / 3600 as hours_handled,
    cast(date_diff('second', e.handled_at, e.closed_at) as double) / 3600 as hours_closed,
    cast(date_diff('second', e.closed_at, e.evaluated_at) as double) / 3600 as hours_evaluated
from events e
join grids_at(t) g using (grid_id);

-- v_events: the same placed by the grids as they are now.
create or replace view v_events as select * from v_events_at(timestamp 'infinity');
