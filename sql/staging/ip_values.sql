-- Each distinct IP text of the raw rows being staged (raw_rows: the sign-ups' temporary table,
-- or the event rows being typed, read from the input), normalized once: the canonical ip (null
-- when invalid), its network prefix, and whether a non-blank text failed to parse. Built by the
-- staging step for the tables with an `ip` column (signups, sessions), whose typed or checked
-- SQL joins it on ip_raw_text. Millions of rows share far fewer IPs, and ip_norm's IPv6 list
-- work runs only on the texts with a ':' (see sql/macros/network.sql). A text holding a card
-- number is left out: the card check nulls that row's ip, so nothing joins it.
with

ip_texts as (
    select ip_raw_text
    from (select distinct ip::varchar as ip_raw_text from raw_rows where ip is not null)
    where not has_card_number(ip_raw_text)
),

normalized as (
    select ip_raw_text, ip_norm_v4(ip_raw_text) as ip
    from ip_texts
    where not contains(ip_raw_text, ':')
    union all
    select ip_raw_text, ip_norm(ip_raw_text) as ip
    from ip_texts
    where contains(ip_raw_text, ':')
),

final as (
    select
        ip_raw_text,
        ip,
        ip_prefix(ip) as ip_prefix,
        ip is null and trim(ip_raw_text) <> '' as ip_invalid
    from normalized
)

select * from final
