-- grids: 网格, the smallest management unit.
-- Grain: one row per grid (grid_id unique). Street/community/district are denormalised here because
-- the hierarchy 区 → 街道 → 社区 → 网格 is defined by the grid file itself.
-- Coordinates and boundary are WGS-84 (converted at import); boundary is GeoJSON geometry text.
create table if not exists grids (
    grid_id      varchar not null,
    grid_name    varchar,
    street       varchar not null,
    community    varchar not null,
    district     varchar,
    households   integer not null,
    population   integer,
    key_persons  integer not null default 0,
    lon          double,
    lat          double,
    boundary     varchar,
    updated_at   timestamp,
    import_id    integer
);
