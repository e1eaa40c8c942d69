-- patrol_tracks: GPS tracks of the patrols of one day (the period), for a worker or a grid (or everyone in scope).
-- Grain: one row per patrol with a track; at most $max_tracks rows. track is WKT LINESTRING in WGS-84.
-- {patrols}: the day's patrols under the filters (metrics/filters.py).
select
    patrol_id,
    worker_id,
    grid_id,
    street,
    community,
    started_at,
    ended_at,
    distance_m,
    track
from {patrols}
where track is not null and ($worker = '' or worker_id = $worker)
order by started_at
limit $max_tracks
