-- IP address macros: validate and normalize IPv4/IPv6 text in plain SQL (no inet extension,
-- which would need a download at run time). Invalid input gives null.

-- A dotted-quad IPv4 with each octet 0..255 and no leading zeros (ambiguous octal is rejected).
create or replace macro ipv4_valid(s) as
    regexp_full_match(
        s, '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}'
    );

-- Two hex groups for an embedded dotted quad ("1.2.3.4" -> "102:304").
create or replace macro ipv4_as_hex_groups(v4) as
    printf(
        '%x:%x',
        split_part(v4, '.', 1)::int * 256 + split_part(v4, '.', 2)::int,
        split_part(v4, '.', 3)::int * 256 + split_part(v4, '.', 4)::int
    );

-- An IPv6 text with a trailing dotted quad rewritten to hex groups; other text unchanged.
create or replace macro ipv6_hexify(s) as
    case
        when ipv4_valid(regexp_extract(s, '[^:]*$'))
            then regexp_replace(s, '[^:]*$', '') || ipv4_as_hex_groups(regexp_extract(s, '[^:]*$'))
        else s
    end;

-- The eight groups of an IPv6 address, '::' expanded; null unless the shape is valid.
create or replace macro ipv6_groups(s) as (
    with parts as (
        select
            string_split(split_part(s, '::', 1), ':') as head,
            string_split(split_part(s, '::', 2), ':') as tail,
            s like '%::%' as compressed
    ),
    groups as (
        select
            case
                when s like '%::%::%' or s like '%:::%' then null
                when compressed then list_concat(
                    list_filter(head, lambda g: g <> ''),
                    list_transform(
                        range(greatest(
                            8 - len(list_filter(head, lambda g: g <> ''))
                            - len(list_filter(tail, lambda g: g <> '')), 0
                        )),
                        lambda i: '0'
                    ),
                    list_filter(tail, lambda g: g <> '')
                )
                else head
            end as g,
            compressed,
            head,
            tail
        from parts
    )
    select
        case
            when g is null then null
            when len(g) <> 8 then null
            -- '::' must stand for at least one group
            when compressed
                and len(list_filter(head, lambda x: x <> '')) + len(list_filter(tail, lambda x: x <> '')) > 7
                then null
            -- a single ':' at either end is malformed
            when not compressed and (s like ':%' or s like '%:') then null
            when not list_bool_and(list_transform(g, lambda x: regexp_full_match(x, '[0-9a-f]{1,4}'))) then null
            else list_transform(g, lambda x: lpad(x, 4, '0'))
        end
    from groups
);

-- The text an IP is read from: brackets, zone index ("%eth0") and blanks removed, lower case.
create or replace macro ip_text(raw) as lower(trim(split_part(trim(raw, ' []'), '%', 1)));

-- Canonical text of an IP: IPv4 dotted quad; IPv6 as eight lower-case 4-digit groups; an
-- IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes its IPv4. Null when invalid.
create or replace macro ip_norm(raw) as (
    with t as (select ip_text(raw) as s),
    v6 as (
        select s, case when s like '%:%' then ipv6_groups(ipv6_hexify(s)) end as g from t
    )
    select
        case
            when s is null or s = '' then null
            when ipv4_valid(s) then s
            when g is null then null
            when array_to_string(g[1:6], ':') = '0000:0000:0000:0000:0000:ffff' then
                printf(
                    '%d.%d.%d.%d',
                    ('0x' || g[7])::int // 256, ('0x' || g[7])::int % 256,
                    ('0x' || g[8])::int // 256, ('0x' || g[8])::int % 256
                )
            else array_to_string(g, ':')
        end
    from v6
);

-- The network an IP belongs to for linking: /24 for IPv4, /64 for IPv6 (input: ip_norm output).
create or replace macro ip_prefix(ip) as
    case
        when ip is null then null
        when ip like '%:%' then array_to_string(string_split(ip, ':')[1:4], ':') || '::/64'
        else regexp_replace(ip, '\.[0-9]+$', '') || '.0/24'
    end;

-- Usage on big tables: ip_norm's IPv6 branch is list work that DuckDB evaluates for every value
-- it is given, IPv4 or not. Normalize each distinct text once, the IPv4-looking ones (no ':')
-- with ip_norm_v4 and only the rest with ip_norm, then join (see sql/staging/*_checked.sql).
create or replace macro ip_norm_v4(raw) as
    case when ipv4_valid(ip_text(raw)) then ip_text(raw) end;
