-- 003_publications: published (发布) rankings. Immutable by construction: metrics/publish.py only ever inserts
-- (there is no UPDATE or DELETE path); a correction is a new version of the same period and level, with a reason,
-- and every older version stays readable.
-- Grain: publications — one row per published version of (level, date_from, date_to);
--        publication_units — one row per unit of that version (its rank, score and every item's inputs).
create table if not exists publications (
    publication_id  integer primary key,
    level           varchar not null,      -- street | community
    date_from       date not null,
    date_to         date not null,
    version         integer not null,      -- 1, 2, … per (level, date_from, date_to)
    published_at    timestamp not null,
    published_by    varchar not null,      -- account (or cli:<os user>)
    role            varchar,
    note            varchar,
    reason          varchar,               -- why this version corrects the one before (required from v2 on)
    scoring_sha256  varchar not null,      -- SHA-256 of the scoring file (data/scoring.toml) used
    weights         varchar not null,      -- JSON: the six items' weights used
    parameters      varchar not null,      -- JSON: the formula parameters used
    last_import_id  integer,               -- the data version: it saw every import_log row up to this id
    import_ids      varchar not null,      -- JSON list of the import_log ids it saw
    unique (level, date_from, date_to, version)
);

create table if not exists publication_units (
    publication_id  integer not null,
    unit            varchar not null,
    rank            integer,
    score           double,
    prev_score      double,
    prev_rank       integer,
    yoy_score       double,
    yoy_rank        integer,
    items           varchar not null,      -- JSON {item id: {"value": …, "inputs": [{metric, value, numerator, denominator}]}}
    primary key (publication_id, unit)
);
