-- v_event_rows: every stored event with the flags and durations the indicators use, before it is placed in the
-- hierarchy (what depends on the event alone: the per grid × day summary event_days is built from it).
-- Hours are DOUBLE (cast before dividing: Spark would divide a bigint by 3600.0 in DECIMAL).
-- Grain: one row per event. Selected into a period by reported_at (INDICATORS.md conventions).
create or replace view v_event_rows as
select
    e.*,
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
from events e;

-- v_events_at(t): the same rows, each placed in the hierarchy by its grid's version in effect at t (a period's
-- indicators pass its exclusive end: a grid's street/community and households as at the period's end).
create or replace macro v_events_at(t) as table
select r.*, g.street, g.community, g.district, g.households
from v_event_rows r
join grids_at(t) g using (grid_id);

-- v_events: the same placed by the grids as they are now.
create or replace view v_events as select * from v_events_at(timestamp 'infinity');

-- v_event_days_at(t): the per grid × day sums of the events' additive measures (event_days, kept by every import:
-- metrics/summaries.py), placed like v_events_at(t). Read by compute() instead of the events when a period's
-- filters and groups allow it; proven equal by tests/test_summaries.py.
create or replace macro v_event_days_at(t) as table
select s.*, strftime(s.day, '%Y-%m') as month, cast(date_trunc('week', s.day) as date) as week,
       g.street, g.community, g.district
from event_days s
join grids_at(t) g using (grid_id);
