-- workers: 网格员 (grid workers).
-- Grain: one row per worker (worker_id unique). name and phone are personal data.
create table if not exists workers (
    worker_id   varchar not null,
    name        varchar,
    grid_id     varchar,
    gender      varchar,
    birth_year  integer,
    education   varchar,
    hired_on    date,
    active      boolean not null default true,
    phone       varchar,
    import_id   integer
);
