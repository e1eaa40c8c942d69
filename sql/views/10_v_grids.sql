-- grids_at(t): every grid as it stood just before instant t — the state at the end of a period whose exclusive
-- end is t (the indicators pass $to_excl). That is the version with the latest valid_from before t; a grid's
-- first version also stands for the time before it (the store knows nothing earlier). grids_at('infinity') is now.
-- Grain: one row per grid. History: grid_versions (sql/migrations/002_grid_worker_history.sql).
create or replace macro grids_at(t) as table
select g.grid_id, g.grid_name, g.street, g.community, g.district, g.households, g.population, g.key_persons,
       g.lon, g.lat, g.boundary, g.updated_at, g.import_id, g.valid_from, g.valid_to
from grid_versions g
join (select grid_id, min(valid_from) as first_from from grid_versions group by grid_id) f on f.grid_id = g.grid_id
where (g.valid_to is null or g.valid_to >= cast(t as timestamp))
  and (g.valid_from < cast(t as timestamp) or g.valid_from = f.first_from);

-- grids: the current state, with the columns the table had before history (pages that want "now").
create or replace view grids as
select grid_id, grid_name, street, community, district, households, population, key_persons, lon, lat, boundary,
       updated_at, import_id
from grids_at(timestamp 'infinity');

-- workers_at(t): every grid worker as they stood just before instant t (same rule as grids_at); a worker hired
-- on or after t was not serving yet.
create or replace macro workers_at(t) as table
select w.worker_id, w.name, w.grid_id, w.gender, w.birth_year, w.education, w.hired_on, w.active, w.phone,
       w.updated_at, w.import_id, w.valid_from, w.valid_to
from worker_versions w
join (select worker_id, min(valid_from) as first_from from worker_versions group by worker_id) f
    on f.worker_id = w.worker_id
where (w.valid_to is null or w.valid_to >= cast(t as timestamp))
  and (w.hired_on is null or w.hired_on < cast(t as timestamp))
  and (w.valid_from < cast(t as timestamp) or w.valid_from = f.first_from);

-- workers: the current state, with the columns the table had before history.
create or replace view workers as
select worker_id, name, grid_id, gender, birth_year, education, hired_on, active, phone, import_id
from workers_at(timestamp 'infinity');

-- v_grids_at(t): grids as of t with their staffing as of t, the base of grid indicators (网格数, 配备率,
-- 人均服务户数, 基础数据录入). has_active_worker: at least one worker active and assigned to the grid at t.
create or replace macro v_grids_at(t) as table
with active_workers as (
    select grid_id, count(*) as active_workers
    from workers_at(t)
    where active and grid_id is not null
    group by grid_id
)
select
    g.*,
    coalesce(a.active_workers, 0) as active_workers,
    coalesce(a.active_workers, 0) > 0 as has_active_worker
from grids_at(t) g
left join active_workers a using (grid_id);

-- v_grids: the same, now. Grain: one row per grid.
create or replace view v_grids as select * from v_grids_at(timestamp 'infinity');
