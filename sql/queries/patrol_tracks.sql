-- patrol_tracks: GPS tracks of the patrols of one day, for a worker or a grid (or everyone in scope).
-- Grain: one row per patrol with a track; at most $max_tracks rows. track is WKT LINESTRING in WGS-84.
select patrol_id, worker_id, grid_id, street, community, started_at, ended_at, distance_m, track
from v_patrols
where track is not null
  and started_at >= $day and started_at < $day + interval 1 day
  and ($worker = '' or worker_id = $worker)
  and ($scope_all or list_contains($scope, street))
  and (len($f_streets) = 0 or list_contains($f_streets, street))
  and (len($f_communities) = 0 or list_contains($f_communities, community))
  and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
order by started_at
limit $max_tracks
