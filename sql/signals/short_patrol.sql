-- short_patrol (巡查过短): a patrol shorter than $min_minutes minutes. A grid cannot be walked in a few minutes;
-- such patrols are started and stopped to meet 巡查达标 (3 a week).
-- Grain: one row per patrol started in the period.
select patrol_id as id, street, community, grid_id, worker_id, started_at as happened_at,
       strftime(started_at, '%Y-%m-%d %H:%M') || ' 开始，历时 '
       || round(cast(date_diff('second', started_at, ended_at) as double) / 60, 1) || ' 分钟' as detail
from v_patrols
where started_at >= $from_ts and started_at < $to_excl
  and ended_at is not null
  and ended_at < started_at + cast($min_minutes as bigint) * interval 1 minute
