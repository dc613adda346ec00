-- Every raw session (login or API session), typed and normalized, with the reason it is
-- rejected (null when valid). One row per raw row.
with

source as (
    select * from raw.sessions
),

accounts as (
    select account_id, account_idx from staging.account_lookup
),

typed as (
    select
        _row,
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(ts as timestamptz) as ts_tz,
        ts is null as ts_missing,
        nullif(trim(ip::varchar), '') as ip_raw,
        ip_norm(ip::varchar) as ip,
        try_cast(asn as integer) as asn,
        nullif(trim(user_agent::varchar), '') as user_agent,
        lower(nullif(trim(device_id::varchar), '')) as device_id,
        lower(nullif(trim(tls_fingerprint::varchar), '')) as tls_fingerprint
    from source
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
            when typed.ip_raw is not null and typed.ip is null then 'invalid ip'
        end as _reason
    from typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
