-- event_bins: events of the period binned server-side into square cells of $cell degrees, so the map ships at
-- most $max_points weighted points however many events there are.
-- {events} is the events relation under the page's filters (metrics/filters.py, the indicators' own rule).
-- Grain: one row per occupied cell; lon/lat is the cell centre (WGS-84).
select
    round(lon / $cell) * $cell as lon,
    round(lat / $cell) * $cell as lat,
    count(*) as events
from {events}
where lon is not null and lat is not null
group by all
order by events desc
limit $max_points
