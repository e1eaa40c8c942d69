-- v_workers: grid workers placed in the hierarchy through the grid they serve.
-- Grain: one row per worker. Workers without a (known) grid have no street and drop out of scoped figures.
create or replace view v_workers as
select w.worker_id, w.grid_id, w.active, w.gender, w.birth_year, w.education, w.hired_on,
       g.street, g.community, g.district
from workers w
join grids g using (grid_id);
