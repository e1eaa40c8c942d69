-- patrol_track_days: the days of the period that have patrols with a GPS track, newest first, so the map opens
-- on a day that has tracks. Grain: one row per day.
-- {patrols}: the period's patrols under the filters (metrics/filters.py).
select
    cast(started_at as date) as day,
    count(*) as tracks
from {patrols}
where track is not null
group by 1
order by 1 desc
