-- v_workers_at(t): grid workers as of t placed in the hierarchy through the grid they served then (as of t).
-- Grain: one row per worker. Workers without a (known) grid have no street and drop out of scoped figures.
create or replace macro v_workers_at(t) as table
select w.worker_id, w.grid_id, w.active, w.gender, w.birth_year, w.education, w.hired_on,
       g.street, g.community, g.district
from workers_at(t) w
join grids_at(t) g using (grid_id);

-- v_workers: the same, now.
create or replace view v_workers as select * from v_workers_at(timestamp 'infinity');
