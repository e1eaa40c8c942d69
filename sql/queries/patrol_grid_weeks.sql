-- patrol_grid_weeks: patrols of each grid in each whole week of the period (the compliance heat map).
-- Grain: one row per grid per whole Monday–Sunday week; met = patrols ≥ required per week.
select grid_id, street, community, cast(week as varchar) as week, patrols, key_persons, key_person_visits,
       patrols >= $required_patrols as met
from grid_weeks($from, $to)
where ($scope_all or list_contains($scope, street))
  and (len($f_streets) = 0 or list_contains($f_streets, street))
  and (len($f_communities) = 0 or list_contains($f_communities, community))
  and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
order by street, community, grid_id, week
