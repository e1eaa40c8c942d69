-- overdue_events: events of the period past their deadline at the end of the period — open, or closed late.
-- Grain: one row per event, most overdue first, at most $max_rows rows. No personal columns.
-- {events}: the period's events under the filters (metrics/filters.py).
select
    event_id,
    street,
    community,
    grid_id,
    category,
    subcategory,
    source,
    department,
    reported_at,
    due_at,
    closed_at,
    round(cast(date_diff('second', due_at, coalesce(least(closed_at, $to_excl), $to_excl)) as double) / 3600, 1)
        as hours_overdue
from {events}
where
    due_at is not null and due_at < $to_excl
    and (closed_at is null or closed_at > due_at)
order by hours_overdue desc, event_id asc
limit $max_rows
