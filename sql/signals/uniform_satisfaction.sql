-- uniform_satisfaction (满意度全满分): a worker whose $min_rated or more rated events in the period are all rated 5.
-- Even the best street rates about one event in five below 5; a long unbroken run of 5s means the ratings were not
-- collected from residents. Grain: one row per worker (the worker_id of the events).
select worker_id as id, any_value(street) as street, any_value(community) as community, any_value(grid_id) as grid_id,
       worker_id, max(reported_at) as happened_at,
       count(*) || ' 件已评分事件全部 5 分' as detail
from v_events
where reported_at >= $from_ts and reported_at < $to_excl
  and worker_id is not null and satisfaction is not null
group by worker_id
having count(*) >= $min_rated and min(satisfaction) = 5
