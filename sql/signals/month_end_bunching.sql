-- month_end_bunching (月末集中结案): a community whose share of the period's closures falling on the last $days days of
-- a month is at least $ratio times the district's share and $min_gap above it, with at least $min_closures such closures.
-- Closing cases in a rush before the month's figures are taken polishes 办结率 without faster handling.
-- Grain: one row per community (kind: unit).
with closed as (
    select street, community, closed_at,
           closed_at >= cast(last_day(closed_at) as timestamp) - (cast($days as bigint) - 1) * interval 1 day as at_end
    from v_events
    where closed_at >= $from_ts and closed_at < $to_excl
),
district as (select avg(at_end::int) as share from closed),
unit as (
    select street, community, count(*) as closures, count(*) filter (where at_end) as at_end,
           avg(at_end::int) as share, max(closed_at) as happened_at
    from closed group by all
)
select u.community as id, u.street, u.community, null as grid_id, null as worker_id, u.happened_at,
       '月末 ' || $days || ' 天结案 ' || u.at_end || ' / ' || u.closures || ' 件（'
       || round(100 * u.share, 1) || '%），全区 ' || round(100 * d.share, 1) || '%' as detail
from unit u, district d
where u.at_end >= $min_closures
  and u.share >= $ratio * d.share
  and u.share >= d.share + $min_gap
