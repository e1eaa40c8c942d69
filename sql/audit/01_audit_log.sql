-- audit_log: who logged in (or failed to), who imported, exported or queried what, and every refused attempt.
-- Grain: one row per action. Kept in its own DuckDB file beside the store (the store is opened read-only by the
-- dashboard, and an audit write must never wait for or block an import).
create table if not exists audit_log (
    logged_at timestamp not null,
    username  varchar,
    role      varchar,
    action    varchar not null,   -- login · login_failed · login_locked · logout · import · export · sql · refused
    detail    varchar,            -- JSON: filters, rows, columns, query text, reason …
    ok        boolean not null
);
