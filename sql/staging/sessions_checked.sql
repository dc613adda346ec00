-- Every session (login or API session), typed and normalized, with the reason it is rejected
-- (null when valid) and the problems of single fields that were nulled. One row per raw row.
-- Reads typed_rows: the rows of every day as the daily partitions typed them (store.sessions,
-- sessions_typed.sql) plus the undated rows typed by this run; what is judged here is what
-- depends on the sign-ups, which every drop may change.
with

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

final as (
    select
        typed._row,
        typed.account_id,
        accounts.account_idx,
        typed.ts,
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
            when typed._time_reason is not null then typed._time_reason
            -- An hour of slack for clocks of different systems; more is a broken record.
            when typed.ts < accounts.created_at - interval 1 hour
                then 'ts before the account was created'
        end as _reason,
        typed._issues
    from typed_rows as typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
