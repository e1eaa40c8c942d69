-- event_bins: events of the period binned server-side into square cells of $cell degrees, so the map ships at
-- most $max_points weighted points however many events there are (INDICATORS.md filters apply).
-- Grain: one row per occupied cell; lon/lat is the cell centre (WGS-84).
select round(lon / $cell) * $cell as lon, round(lat / $cell) * $cell as lat, count(*) as events
from v_events
where reported_at >= $from_ts and reported_at < $to_excl
  and lon is not null and lat is not null
  and ($scope_all or list_contains($scope, street))
  and (len($f_streets) = 0 or list_contains($f_streets, street))
  and (len($f_communities) = 0 or list_contains($f_communities, community))
  and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
  and (len($f_categories) = 0 or list_contains($f_categories, category))
  and (len($f_sources) = 0 or list_contains($f_sources, source))
group by all
order by events desc
limit $max_points
