-- relief_by_month: approved relief per programme and month of application — households, persons, amount paid.
-- Grain: one row per month × programme. A household counts once per programme and month.
-- {relief}: the period's relief cases under the filters (metrics/filters.py).
with r as (select * from {relief}),

hh as (
    select
        month,
        programme,
        household_id,
        max(persons) filter (where is_approved) as persons,
        bool_or(is_approved) as approved
    from r
    group by all
)

select
    m.month,
    m.programme,
    m.households,
    m.persons,
    coalesce(a.amount_yuan, 0) as amount_yuan
from (
    select
        month,
        programme,
        count(*) filter (where approved) as households,
        coalesce(sum(persons), 0) as persons
    from hh
    group by all
) as m
left join (
    select
        month,
        programme,
        sum(amount_yuan) filter (where is_paid) as amount_yuan
    from r
    group by all
) as a
    using (month, programme)
order by m.month, m.programme
