-- grid_shapes: every grid in scope with its boundary (GeoJSON, WGS-84) and names, the choropleth's geometry.
-- Grain: one row per grid.
select grid_id, coalesce(grid_name, grid_id) as grid_name, street, community, households, lon, lat, boundary
from grids
where ($scope_all or list_contains($scope, street))
  and (len($f_streets) = 0 or list_contains($f_streets, street))
  and (len($f_communities) = 0 or list_contains($f_communities, community))
order by grid_id
