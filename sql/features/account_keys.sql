-- Every identifier an account has, as a comparable key: one row per (account_idx, kind, key).
-- Keys are normalized (mailboxes, phone digits, folded names, canonical IPs) so that the same
-- real-world value written two ways meets itself.
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
    select account_idx, 'ip', ip from signups
    union all
    select account_idx, 'ip', ip from sessions
    union all
    select account_idx, 'prefix', ip_prefix from signups
    union all
    select account_idx, 'prefix', ip_prefix from sessions
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
),

final as (
    select distinct account_idx, kind, key
    from keys
    where key is not null
)

select * from final
