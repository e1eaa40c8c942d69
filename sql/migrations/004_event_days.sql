-- 004_event_days: the per grid × day summary of the events' additive measures (issue 15). Derived data: its measure
-- columns are generated from the indicator registry (metrics/summaries.py, one column per additive events measure,
-- config parameters bound), so this creates it with its grain only; the first read-write opening after the
-- upgrade fills it (summaries.refresh), and every import of events keeps it in the import's transaction.
-- Grain: one row per grid and local day (of reported_at) with at least one event.
create table if not exists event_days (
    grid_id varchar not null,
    day     date not null
);
