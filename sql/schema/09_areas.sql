-- areas: boundaries of units above the grid (district, street, community) drawn as the base map.
-- Grain: one row per level × name. boundary is GeoJSON geometry text in WGS-84.
create table if not exists areas (
    level     varchar not null,   -- district · street · community
    name      varchar not null,
    code      varchar,            -- 统计用区划代码 where known
    boundary  varchar,
    import_id integer
);
