-- Identity macros: the keys an analyst can compare across accounts (emails, phones, names).

-- Lower-case, NFC, no white space and no invisible format characters anywhere (zero-width
-- spaces and joiners, bidirectional marks and overrides, soft hyphens, a byte order mark): what
-- the user meant to type, so that an address padded with invisible characters meets itself.
create or replace macro email_clean(raw) as
    nullif(regexp_replace(lower(nfc_normalize(raw)), '[\s\p{Cf}]+', '', 'g'), '');

-- The part after the last '@' with a trailing dot removed, or null.
create or replace macro email_domain(clean) as
    case when clean like '%@%' then rtrim(regexp_extract(clean, '@([^@]*)$', 1), '.') end;

-- The part before the last '@', or null.
create or replace macro email_local(clean) as
    case when clean like '%@%' then regexp_extract(clean, '^(.*)@[^@]*$', 1) end;

-- An address a mail server could deliver to: a non-empty local part and a dotted domain made of
-- letters (any script), digits and hyphens.
create or replace macro email_usable(clean) as
    coalesce(
        email_local(clean) <> ''
        and not contains(email_local(clean), '@')
        and regexp_full_match(email_domain(clean), '([\p{L}\p{N}-]+\.)+[\p{L}\p{N}-]{2,}'),
        false
    );

-- Phone digits only; a leading 00 international prefix is dropped. Null when fewer than 7 digits.
-- These three macros are plain expressions: a value is bound to a name by a one-element
-- list_transform, not by a subquery, which DuckDB turns into a join of every row back to its
-- result (at 10M sign-ups those joins took about a minute of the 2-minute staging statement).
create or replace macro phone_digits(raw) as
    list_transform(
        [regexp_replace(coalesce(raw, ''), '[^0-9]', '', 'g')],
        lambda s: case
            when length(ltrim(s, '0')) < 7 then null
            when s like '00%' then substr(s, 3)
            else s
        end
    )[1];

-- The comparison key of a phone: its last 10 digits without leading zeros, so that
-- "+1 415 555 0134" and "(415) 555-0134", or "+44 7700 900123" and "07700 900123", meet. Null
-- when fewer than 7 significant digits remain (junk such as "+1 000 000 0000").
create or replace macro phone_key(raw) as
    list_transform(
        [ltrim(right(phone_digits(raw), 10), '0')],
        lambda key: case when length(key) >= 7 then key end
    )[1];

-- A name folded for comparison: lower case, accents stripped, punctuation dropped, tokens sorted
-- (so "Smith, John" meets "john smith"). Null for fewer than two tokens, which say too little.
create or replace macro name_key(raw) as
    list_transform(
        [list_sort(list_filter(
            string_split(
                trim(regexp_replace(strip_accents(lower(nfc_normalize(coalesce(raw, '')))),
                    '[^\p{L}\p{N}]+', ' ', 'g')),
                ' '
            ),
            lambda x: x <> ''
        ))],
        lambda tokens: case when len(tokens) >= 2 then array_to_string(tokens, ' ') end
    )[1];
