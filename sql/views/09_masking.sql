-- Masking macros for personal data (names, phone numbers, ID numbers, free text). Used by the record views a
-- role without personal-data access sees: pages, exports and the SQL tab read through them.
-- 张三明 → 张*明; 13812345678 → 138****5678; 620802199001011234 → 6208**********1234.
create or replace macro gg_mask_name(v) as case
    when v is null then null
    when length(v) <= 1 then '*'
    when length(v) = 2 then left(v, 1) || '*'
    else left(v, 1) || repeat('*', length(v) - 2) || right(v, 1)
end;

create or replace macro gg_mask_phone(v) as case
    when v is null then null
    when regexp_matches(v, '^1[3-9][0-9]{9}$') then left(v, 3) || '****' || right(v, 4)
    when length(v) > 4 then repeat('*', length(v) - 4) || right(v, 4)
    else repeat('*', length(v))
end;

create or replace macro gg_mask_id(v) as case
    when v is null then null
    when length(v) >= 8 then left(v, 4) || repeat('*', length(v) - 8) || right(v, 4)
    else repeat('*', length(v))
end;

-- free text: first normalised (full-width digits, plus, hyphen and space → ASCII; the long dashes people type between
-- digit groups → '-'), then masked wherever a separator-tolerant pattern matches, longest first:
-- 18-digit ID (6-8-4, spaces/hyphens allowed between the groups) → 6208**********1234;
-- 15-digit old ID → 6208********123; mobile with optional +86/0086 prefix and separators → 138****5678;
-- landline with area code (0933-8212345, (0933)8212345, 0933 8212345) → 0933-****2345.
create or replace macro gg_mask_text(v) as regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    translate(v, '０１２３４５６７８９＋－　Ｘｘ（）‐‑–—', '0123456789+- Xx()----'),
    '([0-9]{4})[0-9]{2}[ -]?[0-9]{8}[ -]?([0-9]{3}[0-9Xx])', '\1**********\2', 'g'),
    '([0-9]{4})[0-9]{8}([0-9]{3})', '\1********\2', 'g'),
    '(?:(?:\+|00)86[ -]?)?(1[3-9][0-9])[ -]?[0-9]{4}[ -]?([0-9]{4})', '\1****\2', 'g'),
    '\(?(0[1-9][0-9]{1,2})\)?[ -]?[0-9]{3,4}[ -]?([0-9]{4})', '\1-****\2', 'g');
