-- patrols: 网格巡查 / 治安巡逻.
-- Grain: one row per patrol (patrol_id unique). track is WKT LINESTRING in WGS-84.
create table if not exists patrols (
    patrol_id           varchar not null,
    worker_id           varchar,
    grid_id             varchar not null,
    started_at          timestamp not null,
    ended_at            timestamp,
    distance_m          double,
    households_visited  integer,
    key_person_visits   integer,
    hazards_found       integer,
    events_reported     integer,
    track               varchar,
    import_id           integer
);
