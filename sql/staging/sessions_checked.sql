-- Every raw session (login or API session), typed and normalized, with the reason it is
-- rejected (null when valid) and the problems of single fields that were nulled (an invalid IP or
-- ASN does not cost the session's device and fingerprint). One row per raw row.
with

source as (
    select * from raw.sessions
),

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

-- Each distinct IP text normalized once (see ip_norm_v4 in sql/macros/network.sql).
ip_texts as (
    select distinct ip::varchar as ip_raw_text from source where ip is not null
),

ip_values as (
    select ip_raw_text, ip_norm_v4(ip_raw_text) as ip
    from ip_texts
    where not contains(ip_raw_text, ':')
    union all
    select ip_raw_text, ip_norm(ip_raw_text) as ip
    from ip_texts
    where contains(ip_raw_text, ':')
),

typed as (
    select
        _row,
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(ts as timestamptz) as ts_tz,
        ts is null as ts_missing,
        nullif(trim(source.ip::varchar), '') as ip_raw,
        ip_values.ip as ip,
        nullif(trim(asn::varchar), '') as asn_raw,
        try_cast(asn as integer) as asn,
        nullif(trim(user_agent::varchar), '') as user_agent,
        lower(nullif(trim(device_id::varchar), '')) as device_id,
        lower(nullif(trim(tls_fingerprint::varchar), '')) as tls_fingerprint
    from source
    left join ip_values on ip_values.ip_raw_text = source.ip::varchar
),

final as (
    select
        typed._row,
        typed.account_id,
        accounts.account_idx,
        timezone('UTC', typed.ts_tz) as ts,
        typed.ip,
        ip_prefix(typed.ip) as ip_prefix,
        typed.asn,
        typed.user_agent,
        typed.device_id,
        typed.tls_fingerprint,
        case
            when typed.account_id is null then 'null account_id'
            when accounts.account_id is null then 'unknown account_id'
            when accounts.account_idx is null then 'account quarantined in signups'
            when typed.ts_missing then 'null ts'
            when typed.ts_tz is null then 'unparseable ts'
            when not ts_plausible(typed.ts_tz) then 'ts out of range'
            -- An hour of slack for clocks of different systems; more is a broken record.
            when typed.ts_tz < accounts.created_at - interval 1 hour
                then 'ts before the account was created'
        end as _reason,
        list_filter(
            [
                case when typed.ip_raw is not null and typed.ip is null
                    then {'column_name': 'ip', 'reason': 'invalid ip'} end,
                case when typed.asn_raw is not null and typed.asn is null
                    then {'column_name': 'asn', 'reason': 'unparseable asn'} end
            ],
            lambda x: x is not null
        ) as _issues
    from typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
