-- View: every identifier of every account, one row per occurrence: account_idx, kind, key (a
-- 64-bit hash of the normalized value) and value (the normalized value as text, for people:
-- reports and analysts; it is computed only when a query reads it). Keys are normalized
-- (mailboxes, phone digits, folded names, canonical IPs) so that the same real-world value
-- written two ways meets itself. Email, phone and name values are keyed hashes already.
-- IPs of mobile carriers and VPN exits are shared by strangers by design (CGNAT, exit nodes):
-- they get their own weak kind, shared_ip, and no network prefix.
with

-- The class of each IP's network, as seen in sessions (signups carry no ASN).
ip_classes as (
    select s.ip, max(a.class in ('mobile', 'vpn')) as shared_by_design
    from staging.sessions as s
    inner join ref.asn_classes as a on a.asn = s.asn
    where s.ip is not null
    group by s.ip
),

-- Each account's IPs once (sessions repeat them), before they meet the classes.
account_ips as (
    select account_idx, ip, ip_prefix from staging.signups where ip is not null
    union
    select account_idx, ip, ip_prefix from staging.sessions where ip is not null
),

classified_ips as (
    select
        account_ips.account_idx,
        account_ips.ip,
        account_ips.ip_prefix,
        coalesce(ip_classes.shared_by_design, false) as shared_by_design
    from account_ips
    left join ip_classes using (ip)
),

keys as (
    select account_idx, 'email' as kind, hash(email_mailbox) as key, email_mailbox as value
    from staging.signups where email_mailbox is not null
    union all
    select account_idx, 'phone', hash(phone_key), phone_key from staging.signups where phone_key is not null
    union all
    select account_idx, 'name', hash(name_key), name_key from staging.signups where name_key is not null
    union all
    select account_idx, 'device', hash(device_id), device_id from staging.signups where device_id is not null
    union all
    select account_idx, 'device', hash(device_id), device_id from staging.sessions where device_id is not null
    union all
    select account_idx, case when shared_by_design then 'shared_ip' else 'ip' end, hash(ip), ip
    from classified_ips
    union all
    select account_idx, 'prefix', hash(ip_prefix), ip_prefix
    from classified_ips where not shared_by_design and ip_prefix is not null
    union all
    select account_idx, 'tls', hash(tls_fingerprint), tls_fingerprint
    from staging.sessions where tls_fingerprint is not null
    union all
    select account_idx, 'user_agent', hash(user_agent), user_agent
    from staging.signups where user_agent is not null
    union all
    select account_idx, 'user_agent', hash(user_agent), user_agent
    from staging.sessions where user_agent is not null
    union all
    select account_idx, 'card', hash(card_fingerprint), card_fingerprint
    from staging.payments where card_fingerprint is not null
    union all
    select
        account_idx,
        'bin_postal',
        hash(card_bin || ' ' || billing_postal),
        card_bin || ' ' || billing_postal
    from staging.payments where card_bin is not null and billing_postal is not null
    union all
    select account_idx, 'prompt', hash(prompt_hash), prompt_hash
    from staging.api_usage where prompt_hash is not null
    union all
    select
        account_idx,
        'prompt_hour',
        hash(prompt_hash, date_trunc('hour', hour)),
        prompt_hash || ' ' || strftime(hour, '%Y-%m-%dT%H')
    from staging.api_usage where prompt_hash is not null and hour is not null
    union all
    select account_idx, 'prompt_set', hash(bucket), bucket from features.template_sketches
),

final as (
    select * from keys
)

select * from final
