-- implausible_speed (速度异常): a patrol whose distance ÷ duration exceeds $max_kmh km/h — faster than walking or
-- cycling round a grid; the track was driven, or the distance typed in. Grain: one row per patrol in the period.
select patrol_id as id, street, community, grid_id, worker_id, started_at as happened_at,
       cast(round(distance_m) as bigint) || ' 米 / ' || round(cast(date_diff('second', started_at, ended_at) as double) / 60, 1) || ' 分钟 = '
       || round(distance_m / date_diff('second', started_at, ended_at) * 3.6, 1) || ' 公里/小时' as detail
from v_patrols
where started_at >= $from_ts and started_at < $to_excl
  and ended_at > started_at and distance_m is not null
  and distance_m / date_diff('second', started_at, ended_at) * 3.6 > $max_kmh
