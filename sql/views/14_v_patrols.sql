-- v_patrols_at(t): as v_patrols, each patrol placed by its grid's version in effect at t (the period's end).
-- v_patrols: patrols placed in the hierarchy. Selected into a period by started_at.
-- Grain: one row per patrol.
create or replace macro v_patrols_at(t) as table
select
    p.*,
    g.street, g.community, g.district, g.key_persons,
    strftime(p.started_at, '%Y-%m') as month,
    cast(date_trunc('week', p.started_at) as date) as week
from patrols p
join grids_at(t) g using (grid_id);

-- v_patrols: the same placed by the grids as they are now.
create or replace view v_patrols as select * from v_patrols_at(timestamp 'infinity');
