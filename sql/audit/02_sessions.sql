-- sessions: server-side login sessions and big-screen display links, so a browser cookie (or a display link's
-- token) is worth something only while its row here is live. Grain: one row per session or display link.
-- The token itself is never stored: only its SHA-256, so a copy of this file cannot be replayed as a login.
create table if not exists sessions (
    token_sha256  varchar primary key,
    kind          varchar not null,     -- login · display
    username      varchar not null,     -- login: the account; display: the admin who created the link
    label         varchar,              -- display: where the screen is (e.g. 三楼会议室)
    streets       varchar,              -- display: JSON list of the streets shown, null = all
    created_at    timestamp not null,
    last_seen_at  timestamp not null,   -- idle expiry of logins counts from here
    expires_at    timestamp not null,   -- absolute expiry
    revoked_at    timestamp,
    revoked_by    varchar
);

-- the key that signs session cookies, made once per installation (GRIDGOV_COOKIE_SECRET overrides it)
create table if not exists secrets (
    name   varchar primary key,
    value  varchar not null
);
