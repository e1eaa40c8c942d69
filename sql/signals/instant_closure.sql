-- instant_closure (秒办结): an event closed within $max_minutes minutes of being reported. Real handling takes a visit;
-- a closure minutes after the report is usually an event opened and closed to pad the 办结率 and 按期办结率.
-- Grain: one row per event reported in the period.
select event_id as id, street, community, grid_id, worker_id, reported_at as happened_at,
       '上报 ' || strftime(reported_at, '%Y-%m-%d %H:%M') || '，'
       || round(cast(date_diff('second', reported_at, closed_at) as double) / 60, 1) || ' 分钟后结案' as detail
from v_events
where reported_at >= $from_ts and reported_at < $to_excl
  and closed_at is not null
  and closed_at <= reported_at + cast($max_minutes as bigint) * interval 1 minute
