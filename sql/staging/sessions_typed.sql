-- Every raw session of the rows being typed (raw_rows, the input's rows of one day's partition,
-- or the undated rows), typed and normalized, with what can be judged from the row alone: the
-- reason its time is unusable (`_time_reason`) and the problems of single fields that were nulled
-- (`_issues`: an invalid IP or ASN does not cost the session's device and fingerprint). The
-- checks against the account (known, not quarantined, not before its sign-up) are made by every
-- run in sessions_checked.sql, because sign-ups change from drop to drop. One row per raw row.
-- Written for tens of millions of rows: IPs come normalized once per distinct text (the
-- temporary table ip_values, sql/staging/ip_values.sql), and the list of field problems is built
-- only for the rows that have one.
with

typed as (
    select
        source._row,
        event_day(source.ts) as day,
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
        lower(nullif(trim(source.tls_fingerprint::varchar), '')) as tls_fingerprint,
        source._card_columns
    from raw_rows as source
    left join ip_values on ip_values.ip_raw_text = source.ip::varchar
),

final as (
    select
        _row,
        day,
        account_id,
        timezone('UTC', ts_tz) as ts,
        ip,
        ip_prefix,
        asn,
        user_agent,
        device_id,
        tls_fingerprint,
        case
            when ts_missing then 'null ts'
            when ts_tz is null then 'unparseable ts'
            when not ts_plausible(ts_tz) then 'ts out of range'
        end as _time_reason,
        case
            when ip_invalid or asn_invalid then list_filter(
                [
                    case when ip_invalid
                        then {'column_name': 'ip', 'reason': 'invalid ip'} end,
                    case when asn_invalid
                        then {'column_name': 'asn', 'reason': 'unparseable asn'} end
                ],
                lambda x: x is not null
            )
            else []::struct(column_name varchar, reason varchar)[]
        end as _issues,
        _card_columns
    from typed
)

select * from final
