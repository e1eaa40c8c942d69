-- import_refused: rows refused by an import run with --skip-invalid, kept for review.
-- Grain: one row per problem (a refused row with two problems has two rows).
-- row_number is as the user sees it in Excel (header = row 1).
create table if not exists import_refused (
    import_id    integer not null,
    row_number   bigint,
    column_name  varchar,
    value        varchar,
    message      varchar not null,
    raw          varchar      -- the whole source row as JSON
);
