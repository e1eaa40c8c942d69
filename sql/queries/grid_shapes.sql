-- grid_shapes: every grid under the filters with its boundary (GeoJSON, WGS-84) and names, the choropleth's
-- geometry. Grain: one row per grid. {grids}: the grids under the filters (metrics/filters.py).
select
    grid_id,
    street,
    community,
    households,
    lon,
    lat,
    boundary,
    coalesce(grid_name, grid_id) as grid_name
from {grids}
order by grid_id
