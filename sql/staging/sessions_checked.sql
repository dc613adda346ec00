-- Every raw session (login or API session), typed and normalized, with the reason it is
-- rejected (null when valid) and the problems of single fields that were nulled (an invalid IP or
-- ASN does not cost the session's device and fingerprint). One row per raw row.
-- Written for tens of millions of rows: IPs come normalized once per distinct text (the
-- temporary table ip_values, sql/staging/ip_values.sql), and the list of field problems is built
-- only for the rows that have one.
with

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

typed as (
    select
        source._row,
        nullif(trim(source.account_id::varchar), '') as account_id,
        try_cast(source.ts as timestamptz) as ts_tz,
        source.ts is null as ts_missing,
        ip_values.ip,
        ip_values.ip_prefix,
        coalesce(ip_values.ip_invalid, false) as ip_invalid,
        try_cast(source.asn as integer) as asn,
        -- A value that is there but not a number (checked only where the cast failed).
        case
            when source.asn is null then false
            when try_cast(source.asn as integer) is not null then false
            else trim(source.asn::varchar) <> ''
        end as asn_invalid,
        nullif(trim(source.user_agent::varchar), '') as user_agent,
        lower(nullif(trim(source.device_id::varchar), '')) as device_id,
        lower(nullif(trim(source.tls_fingerprint::varchar), '')) as tls_fingerprint
    from raw_rows as source
    left join ip_values on ip_values.ip_raw_text = source.ip::varchar
),

final as (
    select
        typed._row,
        typed.account_id,
        accounts.account_idx,
        timezone('UTC', typed.ts_tz) as ts,
        typed.ip,
        typed.ip_prefix,
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
        case
            when typed.ip_invalid or typed.asn_invalid then list_filter(
                [
                    case when typed.ip_invalid
                        then {'column_name': 'ip', 'reason': 'invalid ip'} end,
                    case when typed.asn_invalid
                        then {'column_name': 'asn', 'reason': 'unparseable asn'} end
                ],
                lambda x: x is not null
            )
            else []::struct(column_name varchar, reason varchar)[]
        end as _issues
    from typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
