-- Every identifier of the given accounts, one row per occurrence: account_idx, kind, key (a
-- 64-bit hash of the normalized value) and value (the normalized value as text, for people:
-- reports and analysts; it is computed only when a query reads it). Keys are normalized
-- (mailboxes, phone digits, folded names, canonical IPs) so that the same real-world value
-- written two ways meets itself. Email, phone and name values are keyed hashes already.
-- IPs of mobile carriers and VPN exits are shared by strangers by design (CGNAT, exit nodes):
-- they get their own weak kind, shared_ip, and no network prefix.
--
-- The body of the table macro features.account_key_values_of(accounts := null): `accounts` is a
-- list of account_idx, or null for every account, which is the view features.account_key_values
-- (pipelines/features/assets.py). A list is applied to each source before its rows are grouped:
-- DuckDB does not push a join with a few members into the branches of a union, so a report
-- filtering the view read every session of 10M accounts and ran out of memory.
with

-- Each source is filtered to the listed accounts, `accounts` tested as it is: on a bare scan the
-- list rides nowhere, and tested as a scalar subquery (as ip_classes below must) it made the
-- view's IP kinds for every account 30% slower at 1M (4.2 s against 3.2 s).
signups as not materialized (
    select * from staging.signups
    where accounts is null or account_idx in (select unnest(accounts))
),

sessions as not materialized (
    select * from staging.sessions
    where accounts is null or account_idx in (select unnest(accounts))
),

payments as not materialized (
    select * from staging.payments
    where accounts is null or account_idx in (select unnest(accounts))
),

api_usage as not materialized (
    select * from staging.api_usage
    where accounts is null or account_idx in (select unnest(accounts))
),

template_sketches as not materialized (
    select * from features.template_sketches
    where accounts is null or account_idx in (select unnest(accounts))
),

-- The listed accounts' IPs (every IP when none are listed).
wanted_ips as not materialized (
    select hash(ip) as ip_key from signups where ip is not null
    union all
    select hash(ip) from sessions where ip is not null
),

-- The class of each IP's network, as seen in all sessions (signups carry no ASN), whichever
-- accounts are listed: an IP's kind must not depend on who asks. Only the listed accounts' IPs
-- are grouped (at 10M accounts grouping all of them was most of a one-cluster query). IPs are
-- grouped and joined by their key, hash(ip), not their text: at 10M accounts DuckDB's
-- aggregates spill fixed-width rows within its 4 GB and ran out of memory on the text.
-- The test of `accounts` is a scalar subquery, a boolean: tested directly, the list itself rode
-- through the join with the classes on every session row (a report on 13,000 members at 1M
-- accounts took 61 s instead of 3).
ip_classes as (
    select hash(s.ip) as ip_key, max(a.class in ('mobile', 'vpn')) as shared_by_design
    from staging.sessions as s
    inner join ref.asn_classes as a on a.asn = s.asn
    where s.ip is not null
        and ((select accounts is null) or hash(s.ip) in (select ip_key from wanted_ips))
    group by hash(s.ip)
),

-- Each account's IPs once (sessions repeat them), before they meet the classes. The texts ride
-- along as values (the prefix is a function of the IP), computed only when a query reads them.
account_ips as (
    select
        account_idx,
        hash(ip) as ip_key,
        -- hash(null) is not null in DuckDB: a missing prefix must stay missing.
        any_value(case when ip_prefix is not null then hash(ip_prefix) end) as prefix_key,
        any_value(ip) as ip,
        any_value(ip_prefix) as ip_prefix
    from (
        select account_idx, ip, ip_prefix from signups where ip is not null
        union all
        select account_idx, ip, ip_prefix from sessions where ip is not null
    )
    group by account_idx, hash(ip)
),

-- Not materialized: read by three branches, it would otherwise be computed for every query of
-- the view, and account_keys queries it one kind at a time (the email kind has no use for IPs).
classified_ips as not materialized (
    select
        account_ips.*,
        coalesce(ip_classes.shared_by_design, false) as shared_by_design
    from account_ips
    left join ip_classes using (ip_key)
),

keys as (
    select account_idx, 'email' as kind, hash(email_mailbox) as key, email_mailbox as value
    from signups where email_mailbox is not null
    union all
    select account_idx, 'phone', hash(phone_key), phone_key from signups where phone_key is not null
    union all
    select account_idx, 'name', hash(name_key), name_key from signups where name_key is not null
    union all
    select account_idx, 'device', hash(device_id), device_id from signups where device_id is not null
    union all
    select account_idx, 'device', hash(device_id), device_id from sessions where device_id is not null
    union all
    -- Two branches with constant kinds, so that a query for one kind skips the other branches.
    select account_idx, 'ip', ip_key, ip from classified_ips where not shared_by_design
    union all
    select account_idx, 'shared_ip', ip_key, ip from classified_ips where shared_by_design
    union all
    select account_idx, 'prefix', prefix_key, ip_prefix
    from classified_ips where not shared_by_design and prefix_key is not null
    union all
    select account_idx, 'tls', hash(tls_fingerprint), tls_fingerprint
    from sessions where tls_fingerprint is not null
    union all
    select account_idx, 'user_agent', hash(user_agent), user_agent
    from signups where user_agent is not null
    union all
    select account_idx, 'user_agent', hash(user_agent), user_agent
    from sessions where user_agent is not null
    union all
    select account_idx, 'card', hash(card_fingerprint), card_fingerprint
    from payments where card_fingerprint is not null
    union all
    select
        account_idx,
        'bin_postal',
        hash(card_bin || ' ' || billing_postal),
        card_bin || ' ' || billing_postal
    from payments where card_bin is not null and billing_postal is not null
    union all
    select account_idx, 'prompt', hash(prompt_hash), prompt_hash
    from api_usage where prompt_hash is not null
    union all
    select
        account_idx,
        'prompt_hour',
        hash(prompt_hash, date_trunc('hour', hour)),
        prompt_hash || ' ' || strftime(hour, '%Y-%m-%dT%H')
    from api_usage where prompt_hash is not null and hour is not null
    union all
    select account_idx, 'prompt_set', hash(bucket), bucket from template_sketches
),

final as (
    select * from keys
)

select * from final
