-- v_relief: relief cases placed in the hierarchy. Selected into a period by applied_at.
-- Grain: one row per case. is_approved: the case was approved (approved or already paid).
create or replace view v_relief as
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
join grids g using (grid_id);
