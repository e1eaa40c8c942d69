-- patrol_grid_weeks: patrols of each grid in each whole week of the period (the compliance heat map).
-- Grain: one row per grid per whole Monday–Sunday week; met = patrols ≥ required per week.
-- {grid_weeks}: the period's grid weeks under the filters (metrics/filters.py).
select
    grid_id,
    street,
    community,
    patrols,
    key_persons,
    key_person_visits,
    cast(week as varchar) as week,
    patrols >= $required_patrols as met
from {grid_weeks}
order by street, community, grid_id, week
