-- Every raw payment attempt, typed, with the reason it is rejected (null when valid).
-- One row per raw row. The billing name is compared as a keyed hash of its folded form; the name
-- itself goes to restricted.payments.
with

source as (
    select * from raw_rows
),

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

typed as (
    select
        _row,
        nullif(trim(payment_id::varchar), '') as payment_id,
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(created_at as timestamptz) as created_at_tz,
        created_at is null as created_at_missing,
        lower(nullif(trim(method::varchar), '')) as method,
        lower(nullif(trim(card_fingerprint::varchar), '')) as card_fingerprint,
        nullif(regexp_replace(card_bin::varchar, '[^0-9]', '', 'g'), '') as card_bin,
        upper(nullif(trim(card_country::varchar), '')) as card_country,
        nullif(trim(billing_name::varchar), '') as billing_name,
        upper(nullif(regexp_replace(billing_postal::varchar, '\s+', '', 'g'), '')) as billing_postal,
        try_cast(amount_usd as double) as amount_usd,
        amount_usd is not null and try_cast(amount_usd as double) is null as amount_unparseable,
        lower(nullif(trim(status::varchar), '')) as status
    from source
),

final as (
    select
        typed._row,
        typed.payment_id,
        typed.account_id,
        accounts.account_idx,
        timezone('UTC', typed.created_at_tz) as created_at,
        typed.method,
        typed.card_fingerprint,
        typed.card_bin,
        typed.card_country,
        typed.billing_name,
        keyed_hash(name_key(typed.billing_name)) as billing_name_key,
        typed.billing_postal,
        typed.amount_usd,
        typed.status,
        case
            when typed.account_id is null then 'null account_id'
            when accounts.account_id is null then 'unknown account_id'
            when accounts.account_idx is null then 'account quarantined in signups'
            when typed.payment_id is not null
                and row_number() over (partition by typed.payment_id order by typed._row) > 1
                then 'duplicate payment_id'
            when typed.created_at_missing then 'null created_at'
            when typed.created_at_tz is null then 'unparseable created_at'
            when not ts_plausible(typed.created_at_tz) then 'created_at out of range'
            when typed.created_at_tz < accounts.created_at - interval 1 hour
                then 'created_at before the account was created'
            when typed.amount_unparseable then 'unparseable amount_usd'
            when isnan(typed.amount_usd) then 'amount_usd is NaN'
            when isinf(typed.amount_usd) then 'amount_usd is infinite'
            when typed.amount_usd < 0 then 'negative amount_usd'
        end as _reason
    from typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
