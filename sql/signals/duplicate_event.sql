-- duplicate_event (重复/拆分上报): two events of the same grid, category and description reported within $hours
-- hours of each other. One matter split into several events inflates 事件数 and 千户事件数 (事件采集上报).
-- Grain: one row per event reported in the period that has such a twin (both of a pair are listed).
select e.event_id as id, e.street, e.community, e.grid_id, e.worker_id, e.reported_at as happened_at,
       '与 ' || string_agg(o.event_id, '、' order by o.event_id) || ' 同网格、同类别、同描述，相隔 '
       || round(cast(min(abs(date_diff('second', e.reported_at, o.reported_at))) as double) / 3600, 1) || ' 小时' as detail
from v_events e
join events o
  on o.grid_id = e.grid_id and o.category = e.category and o.description = e.description
 and o.event_id <> e.event_id
 and o.reported_at between e.reported_at - cast($hours as bigint) * interval 1 hour and e.reported_at + cast($hours as bigint) * interval 1 hour
where e.reported_at >= $from_ts and e.reported_at < $to_excl
  and e.description is not null
group by all
