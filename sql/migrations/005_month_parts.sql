-- 005_month_parts: the six-item board's inputs for every calendar month, kept after each import (issue 15).
-- Derived data, written only by metrics/month_parts.py: for each level (street, community) and month, the rows
-- compute_many() returns for the board's parts (registered indicators), the units of the level as of the month's
-- end (part '_unit') and the hand-entered 其他工作 scores (part '_manual': value = the score, denominator = months).
-- store_meta 'month_parts' says which definition, data generation and months the rows are for; a board of a whole
-- month reads them only when all three match, else it computes as before. The first read-write opening after the
-- upgrade fills it. Grain: one row per level, month, part and unit (pos: the row's place in compute's order).
create table if not exists month_parts (
    level       varchar not null,
    month       varchar not null,
    part        varchar not null,
    pos         integer not null,
    unit        varchar,
    value       double,
    numerator   double,
    denominator double
);
