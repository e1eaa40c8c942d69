-- relief_by_month: approved relief per programme and month of application — households, persons, amount paid.
-- Grain: one row per month × programme. A household counts once per programme and month.
with r as (
    select * from v_relief
    where applied_at >= $from and applied_at <= $to
      and ($scope_all or list_contains($scope, street))
      and (len($f_streets) = 0 or list_contains($f_streets, street))
      and (len($f_communities) = 0 or list_contains($f_communities, community))
      and (len($f_grids) = 0 or list_contains($f_grids, grid_id))
      and (len($f_programmes) = 0 or list_contains($f_programmes, programme))
), hh as (
    select month, programme, household_id, max(persons) filter (where is_approved) as persons,
           bool_or(is_approved) as approved
    from r group by all
)
select m.month, m.programme, m.households, m.persons, coalesce(a.amount_yuan, 0) as amount_yuan
from (select month, programme, count(*) filter (where approved) as households,
             coalesce(sum(persons), 0) as persons from hh group by all) m
left join (select month, programme, sum(amount_yuan) filter (where is_paid) as amount_yuan from r group by all) a
    using (month, programme)
order by month, programme
