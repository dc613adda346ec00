-- Every identifier an account has, as a comparable key: one row per (account_idx, kind, key).
-- Keys are normalized (mailboxes, phone digits, folded names, canonical IPs) so that the same
-- real-world value written two ways meets itself. IPs of mobile carriers and VPN exits are
-- shared by strangers by design (CGNAT, exit nodes): they get their own weak kind, shared_ip,
-- and no network prefix.
with

signups as (
    select * from staging.signups
),

sessions as (
    select * from staging.sessions
),

payments as (
    select * from staging.payments
),

api_usage as (
    select * from staging.api_usage
),

-- The class of each IP's network, as seen in sessions (signups carry no ASN).
ip_classes as (
    select s.ip, max(a.class in ('mobile', 'vpn')) as shared_by_design
    from staging.sessions as s
    inner join ref.asn_classes as a on a.asn = s.asn
    where s.ip is not null
    group by s.ip
),

ips as (
    select account_idx, ip, ip_prefix from signups
    union all
    select account_idx, ip, ip_prefix from sessions
),

classified_ips as (
    select
        ips.account_idx,
        ips.ip,
        ips.ip_prefix,
        coalesce(ip_classes.shared_by_design, false) as shared_by_design
    from ips
    left join ip_classes on ip_classes.ip = ips.ip
),

keys as (
    select account_idx, 'email' as kind, email_mailbox as key from signups
    union all
    select account_idx, 'phone', phone_key from signups
    union all
    select account_idx, 'name', name_key from signups
    union all
    select account_idx, 'device', device_id from signups
    union all
    select account_idx, 'device', device_id from sessions
    union all
    select account_idx, case when shared_by_design then 'shared_ip' else 'ip' end, ip
    from classified_ips
    union all
    select account_idx, 'prefix', ip_prefix from classified_ips where not shared_by_design
    union all
    select account_idx, 'tls', tls_fingerprint from sessions
    union all
    select account_idx, 'user_agent', user_agent from signups
    union all
    select account_idx, 'user_agent', user_agent from sessions
    union all
    select account_idx, 'card', card_fingerprint from payments
    union all
    select account_idx, 'bin_postal', card_bin || ' ' || billing_postal from payments
    union all
    select account_idx, 'prompt', prompt_hash from api_usage
    union all
    select account_idx, 'prompt_hour', prompt_hash || ' ' || strftime(hour, '%Y-%m-%dT%H')
    from api_usage
    where prompt_hash is not null
    union all
    select account_idx, 'prompt_set', bucket from features.template_sketches
),

final as (
    select distinct account_idx, kind, key
    from keys
    where key is not null
)

select * from final
