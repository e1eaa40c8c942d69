-- bulk_grid_update (网格信息月末集中更新): a community where at least $min_grids grids and $min_share of its grids
-- were "updated" in the last $days days of the period. 基础数据更新及时率 counts a grid as fresh if it was updated in
-- the 90 days before the period end; touching every grid on the last day buys the item without updating anything.
-- Grain: one row per community (kind: unit).
with g as (
    select street, community, updated_at,
           updated_at >= cast($to as timestamp) - (cast($days as bigint) - 1) * interval 1 day and updated_at < $to_excl as at_end
    from v_grids
)
select community as id, street, community, null as grid_id, null as worker_id, max(updated_at) as happened_at,
       '期末 ' || $days || ' 天内更新 ' || count(*) filter (where at_end) || ' / ' || count(*) || ' 个网格' as detail
from g
group by street, community
having count(*) filter (where at_end) >= $min_grids
   and count(*) filter (where at_end) >= $min_share * count(*)
