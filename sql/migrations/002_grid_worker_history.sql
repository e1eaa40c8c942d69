-- 002: grids and workers keep every version (type-2 history of slowly changing data).
-- grid_versions / worker_versions hold one row per version with the interval it was valid:
--   valid_from  when the version took effect: the file's 更新时间 (updated_at) when it gives one, else the import time;
--   valid_to    the next version's valid_from (null: the current version).
-- A grid's (worker's) first version also stands for the time before it: the store knows nothing earlier.
-- `grids` and `workers` become views of the current versions (sql/views/10_v_grids.sql, 11_v_workers.sql), with
-- the columns they had; grids_at(t) / workers_at(t) give the versions in effect just before instant t.
-- Rows of a release-1 store become first versions, valid from their updated_at, or, without one, from 1900-01-01
-- ("since always": the importer gives a key's first undated version the same origin, so a later file dated before
-- the upgrade still sorts after it).
create table grid_versions (
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
    import_id    integer,
    valid_from   timestamp not null,
    valid_to     timestamp          -- one row per (grid_id, valid_from): kept by the importer
);

insert into grid_versions
select g.grid_id, g.grid_name, g.street, g.community, g.district, g.households, g.population, g.key_persons,
       g.lon, g.lat, g.boundary, g.updated_at, g.import_id,
       coalesce(g.updated_at, timestamp '1900-01-01') as valid_from,
       null as valid_to
from grids g;

drop table grids;

-- workers: updated_at is new (更新时间, optional in a workers file): when the row's facts took effect.
create table worker_versions (
    worker_id   varchar not null,
    name        varchar,
    grid_id     varchar,
    gender      varchar,
    birth_year  integer,
    education   varchar,
    hired_on    date,
    active      boolean not null default true,
    phone       varchar,
    updated_at  timestamp,
    import_id   integer,
    valid_from  timestamp not null,
    valid_to    timestamp          -- one row per (worker_id, valid_from): kept by the importer
);

insert into worker_versions
select w.worker_id, w.name, w.grid_id, w.gender, w.birth_year, w.education, w.hired_on, w.active, w.phone,
       null as updated_at, w.import_id,
       timestamp '1900-01-01' as valid_from,
       null as valid_to
from workers w;

drop table workers;
