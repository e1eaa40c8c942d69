-- manual_scores: scores entered by hand (其他工作 and any other hand-scored item).
-- Grain: one row per month × level × unit × item.
create table if not exists manual_scores (
    month      varchar not null,   -- YYYY-MM
    level      varchar not null,   -- street · community · grid
    unit       varchar not null,   -- street or community name, or grid_id
    item       varchar not null,   -- default item_other_work
    score      double not null,    -- 0..100
    note       varchar,
    import_id  integer
);
