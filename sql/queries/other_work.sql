-- other_work: the hand-entered 其他工作 score of each unit for a period.
-- Grain: one row per unit. A period of several months takes the mean of the months that have a score;
-- months without one drop out (no score → no row → the item has no value).
-- Parameters: $level (street · community · grid), $m_from and $m_to (YYYY-MM, inclusive).
select
    unit,
    avg(score) as score,
    count(distinct month) as months
from manual_scores
where
    level = $level
    and item = 'item_other_work'
    and month between $m_from and $m_to
group by unit
