-- v_grids: grids with their staffing, the base of grid indicators (网格数, 配备率, 人均服务户数, 基础数据录入).
-- Grain: one row per grid. has_active_worker: at least one active worker is assigned to the grid.
create or replace view v_grids as
with active_workers as (
    select grid_id, count(*) as active_workers
    from workers
    where active and grid_id is not null
    group by grid_id
)
select
    g.*,
    coalesce(a.active_workers, 0) as active_workers,
    coalesce(a.active_workers, 0) > 0 as has_active_worker
from grids g
left join active_workers a using (grid_id);
