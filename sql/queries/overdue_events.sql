-- overdue_events: events of the period past their deadline at the end of the period — open, or closed late.
-- Grain: one row per event, most overdue first, at most $limit rows. No personal columns.
select event_id, street, community, grid_id, category, subcategory, source, department,
       reported_at, due_at, closed_at,
       round(date_diff('second', due_at, coalesce(least(closed_at, $to_excl), $to_excl)) / 3600.0, 1)
           as hours_overdue
from v_events
where reported_at >= $from_ts and reported_at < $to_excl
  and due_at is not null and due_at < $to_excl
  and (closed_at is null or closed_at > due_at)
  and ($scope_all or list_contains($scope, street))
  and (len($f_streets) = 0 or list_contains($f_streets, street))
  and (len($f_communities) = 0 or list_contains($f_communities, community))
  and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
  and (len($f_categories) = 0 or list_contains($f_categories, category))
order by hours_overdue desc, event_id
limit $limit
