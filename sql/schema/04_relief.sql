-- relief: 社会救助 cases.
-- Grain: one row per case (case_id unique); a household may have several cases (programmes, years).
-- applicant_name and id_number are personal data.
create table if not exists relief (
    case_id         varchar not null,
    household_id    varchar not null,
    grid_id         varchar not null,
    programme       varchar,   -- dibao · tekun · temporary_relief · winter_relief · medical_relief
    persons         integer,
    amount_yuan     decimal(14, 2),
    applied_at      date,
    approved_at     date,
    paid_at         date,
    status          varchar,   -- applied · approved · rejected · paid
    newly_enrolled  boolean,
    applicant_name  varchar,
    id_number       varchar,
    import_id       integer
);
