-- v_relief_at(t): as v_relief, each case placed by its grid's version in effect at t (the period's end).
-- v_relief: relief cases placed in the hierarchy. Selected into a period by applied_at.
-- Grain: one row per case. is_approved: the case was approved (approved or already paid).
create or replace macro v_relief_at(t) as table
select
    r.*,
    g.street, g.community, g.district,
    strftime(r.applied_at, '%Y-%m') as month,
    cast(date_trunc('week', r.applied_at) as date) as week,
    r.status in ('approved', 'paid') or (r.approved_at is not null and coalesce(r.status, '') <> 'rejected')
        as is_approved,
    r.status = 'paid' or r.paid_at is not null as is_paid,
    date_diff('day', cast(r.applied_at as date), cast(r.approved_at as date)) as approval_days
from relief r
join grids_at(t) g using (grid_id);

-- v_relief: the same placed by the grids as they are now.
create or replace view v_relief as select * from v_relief_at(timestamp 'infinity');
