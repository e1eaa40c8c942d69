-- Parsing macros used by the importer on staging tables (every staged cell is trimmed VARCHAR or NULL).
-- Each returns NULL when the text is not a valid value, so a rule "raw is not null and parsed is null"
-- finds exactly the cells to refuse.

-- Naive local (Asia/Shanghai) timestamps in the formats DATA.md lists; ISO 8601 with an offset or Z is
-- converted to Shanghai local time.
-- Every format starts with the year's digits: the guard also keeps out words DuckDB's strptime reads as a date
-- ('infinity', 'epoch' parse as 1900-01-01 in DuckDB 2.0).
create or replace temp macro gg_parse_ts(v) as case when ord(v) between 48 and 57 then coalesce(
    try_strptime(v, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M',
                     '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日%H:%M',
                     '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f',
                     '%Y-%m-%d', '%Y/%m/%d', '%Y年%m月%d日']),
    timezone('Asia/Shanghai', try_strptime(regexp_replace(v, 'Z$', '+00:00'),
                     ['%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z',
                      '%Y-%m-%d %H:%M:%S.%f%z', '%Y-%m-%dT%H:%M%z']))
) end;

-- Excel serial dates (days since 1899-12-30), as XLSX cells formatted as numbers arrive.
-- (rounded to the second: a serial's fraction of a day is not exact in binary)
create or replace temp macro gg_parse_excel_serial(v) as case
    when try_cast(v as double) between 1 and 2958465
    then timestamp '1899-12-30' + to_seconds(cast(round(try_cast(v as double) * 86400) as bigint))
end;

-- a number as text: thousands separators only in groups of three (1,234,567.5); "12,34" or "1_000" are not numbers
create or replace temp macro gg_number_text(v) as case
    when not contains(v, ',') and not contains(v, '_') then v
    when regexp_full_match(v, '[+-]?[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?') then replace(v, ',', '')
end;

-- int and float parse the text gg_number_text already cleaned (the importer stages it once per cell)
create or replace temp macro gg_parse_int(v) as case
    when isfinite(try_cast(v as double)) and try_cast(v as double) = floor(try_cast(v as double))
     and abs(try_cast(v as double)) <= 2147483647
    then cast(try_cast(v as double) as bigint)
end;

create or replace temp macro gg_parse_float(v) as case
    when isfinite(try_cast(v as double)) then try_cast(v as double)
end;

-- (a list lookup, not IN: the optimiser turns an IN list into a join, and staging a CSV straight from the reader
-- needs a plan that keeps the file's row order — data/ingest.keeps_order)
create or replace temp macro gg_parse_bool(v) as
    [true, true, true, true, true, true, true, true, false, false, false, false, false, false, false, false][
        list_position(['是', 'true', 't', '1', 'y', 'yes', '√', '1.0', '否', 'false', 'f', '0', 'n', 'no', '×', '0.0'],
                      lower(v))];

create or replace temp macro gg_parse_month(v) as case when ord(v) between 48 and 57 then strftime(coalesce(
    try_strptime(v, ['%Y-%m', '%Y/%m', '%Y年%m月', '%Y%m']), gg_parse_ts(v)), '%Y-%m') end;

-- GB 11643 citizen ID: 17 digits and a check character (ISO 7064 MOD 11-2).
create or replace temp macro gg_id_number_ok(v) as
    regexp_full_match(v, '[0-9]{17}[0-9Xx]')
    and substr('10X98765432', 1 + cast(list_sum(list_transform(range(17),
            lambda i: try_cast(substr(v, i + 1, 1) as integer) * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1])) % 11 as bigint), 1)
        = upper(substr(v, 18, 1));
