-- import_log: every import that stored something (a refused all-or-nothing import leaves the store untouched).
-- Grain: one row per import run per file.
create table if not exists import_log (
    import_id      integer not null,
    file_name      varchar not null,
    sha256         varchar not null,
    kind           varchar not null,
    rows_in_file   bigint,
    rows_stored    bigint,
    rows_inserted  bigint,
    rows_updated   bigint,
    rows_refused   bigint,
    imported_at    timestamp not null,
    imported_by    varchar,
    options        varchar      -- JSON: mapping file, coordinate system, skip_invalid
);
