-- v_patrols: patrols placed in the hierarchy. Selected into a period by started_at.
-- Grain: one row per patrol.
create or replace view v_patrols as
select
    p.*,
    g.street, g.community, g.district, g.key_persons,
    strftime(p.started_at, '%Y-%m') as month,
    cast(date_trunc('week', p.started_at) as date) as week
from patrols p
join grids g using (grid_id);
