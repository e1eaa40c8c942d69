-- eval_at_closure (结案即评价): the callback evaluation recorded within $max_seconds seconds after closure. A
-- resident's callback cannot happen in the same minute the case is closed; the satisfaction was keyed in by staff.
-- Grain: one row per event reported in the period.
select event_id as id, street, community, grid_id, worker_id, reported_at as happened_at,
       '结案 ' || strftime(closed_at, '%Y-%m-%d %H:%M:%S') || '，' || date_diff('second', closed_at, evaluated_at)
       || ' 秒后评价' || coalesce('（' || satisfaction || ' 分）', '') as detail
from v_events
where reported_at >= $from_ts and reported_at < $to_excl
  and closed_at is not null and evaluated_at is not null
  and evaluated_at >= closed_at
  and evaluated_at <= closed_at + cast($max_seconds as bigint) * interval 1 second
