-- overlapping_patrols (巡查时间重叠): one worker on two patrols at the same time (overlapping by more than
-- $min_overlap_minutes minutes). A person walks one grid at a time; overlaps come from patrols logged for others or
-- logged twice. Grain: one row per patrol started in the period that overlaps another of the same worker.
select p.patrol_id as id, p.street, p.community, p.grid_id, p.worker_id, p.started_at as happened_at,
       '与 ' || string_agg(o.patrol_id, '、' order by o.patrol_id) || ' 时间重叠（同一网格员）' as detail
from v_patrols p
join patrols o
  on o.worker_id = p.worker_id and o.patrol_id <> p.patrol_id
 and o.started_at < p.ended_at - cast($min_overlap_minutes as bigint) * interval 1 minute
 and p.started_at < o.ended_at - cast($min_overlap_minutes as bigint) * interval 1 minute
where p.started_at >= $from_ts and p.started_at < $to_excl
  and p.worker_id is not null and p.ended_at is not null
group by all
