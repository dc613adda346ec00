-- Privacy macros: payment card numbers (found, never stored) and keyed hashes of identifiers.

-- Luhn check digit test over a string of digits (ISO/IEC 7812): from the right, every second
-- digit is doubled and its digits summed; the total must end in 0.
create or replace macro luhn_valid(digits) as
    list_sum(list_transform(
        string_split(reverse(digits), ''),
        lambda d, i: case when i % 2 = 0 then (d::int * 2) // 10 + (d::int * 2) % 10 else d::int end
    )) % 10 = 0;

-- A payment card number: 13 to 19 digits, starting 2-6 (the issuer ranges of the card networks
-- PCI DSS covers: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro), passing Luhn.
create or replace macro is_card_number(digits) as
    length(digits) between 13 and 19 and left(digits, 1) between '2' and '6' and luhn_valid(digits);

-- Text with what cannot be a card number blanked out: words holding a letter or underscore (hex
-- fingerprints, ids such as acc_4111...) and numbers written after a '+' (phones in E.164).
create or replace macro card_scan_text(s) as
    regexp_replace(
        s::varchar, '\+[0-9]+(?:[ -][0-9]+)*|[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*', ' ', 'g'
    );

-- The card numbers in a text, as written: a run of digits, or digit groups joined by single
-- spaces or dashes ("4111 1111 1111 1111"), that is a card number once the separators go.
create or replace macro card_numbers(s) as
    list_sort(list_distinct(list_filter(
        list_concat(
            regexp_extract_all(card_scan_text(s), '[0-9]+(?:[ -][0-9]+)+'),
            regexp_extract_all(card_scan_text(s), '[0-9]{13,19}')
        ),
        lambda t: is_card_number(regexp_replace(t, '[ -]', '', 'g'))
    )));

-- True when a text holds a card number anywhere. Cheap tests first (CASE evaluates a branch only
-- for the rows that reach it): at least 13 characters, then thirteen digits starting 2-6 with
-- optional single separators somewhere, and only then the full search.
create or replace macro has_card_number(s) as
    case
        when s is null or length(s::varchar) < 13 then false
        when not regexp_matches(s::varchar, '[2-6](?:[ -]?[0-9]){12}') then false
        else len(card_numbers(s)) > 0
    end;

-- The text with every card number in it replaced by a marker.
create or replace macro redact_card_numbers(s) as
    case
        when has_card_number(s) then list_reduce(
            card_numbers(s), lambda acc, t: replace(acc, t, '[card number removed]'), s::varchar
        )
        else s::varchar
    end;

-- HMAC-SHA256 of a text under the run's secret, as 64 hex digits; null for null. The key's pads
-- are session variables set by the pipeline (pipelines.sql.set_hmac_key), never stored in the
-- file. Equal inputs give equal hashes, so keys still join; without the secret they cannot be
-- reversed by hashing guesses.
create or replace macro keyed_hash(value) as
    case
        when value is null then null
        when getvariable('sybil_hmac_inner') is null
            then error('keyed_hash: no HMAC key on this connection (see SYBIL_HMAC_SECRET)')
        else sha256(
            getvariable('sybil_hmac_outer')
            || unhex(sha256(getvariable('sybil_hmac_inner') || encode(value::varchar)))
        )
    end;
