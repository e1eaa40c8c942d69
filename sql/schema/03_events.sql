-- events: 事件, everything reported into the grid platform, moving through 六步闭环:
-- reported → registered → dispatched → handled → closed → evaluated.
-- Grain: one row per event (event_id unique). Times are naive Asia/Shanghai local time.
-- lon/lat are WGS-84 (GCJ-02 / BD-09 input converted at import).
-- description, reporter_name, reporter_phone may hold personal data.
create table if not exists events (
    event_id          varchar not null,
    grid_id           varchar not null,
    category          varchar,   -- dispute · hazard · public_order · sanitation · resident_service · other
    subcategory       varchar,
    source            varchar,   -- patrol · resident · hotline · sensor · other
    tier              varchar,   -- general · difficult · major (disputes)
    reported_at       timestamp not null,
    registered_at     timestamp,
    dispatched_at     timestamp,
    handled_at        timestamp,
    closed_at         timestamp,
    evaluated_at      timestamp,
    due_at            timestamp,
    outcome           varchar,   -- resolved · unresolved · transferred · rectified · not_rectified
    resolved_on_site  boolean,
    satisfaction      tinyint,   -- 1..5
    worker_id         varchar,
    department        varchar,
    lon               double,
    lat               double,
    description       varchar,
    reporter_name     varchar,
    reporter_phone    varchar,
    import_id         integer
);
