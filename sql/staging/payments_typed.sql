-- Every raw payment attempt of the rows being typed (raw_rows, the input's rows of one day's
-- partition, or the undated rows), typed, with what can be judged from the row alone: the reason
-- its time is unusable (`_time_reason`) and the reason its amount is (`_row_reason`). The checks
-- against the account and against other days' payments (a payment_id seen before) are made by
-- every run in payments_checked.sql. One row per raw row. The billing name is compared as a
-- keyed hash of its folded form, computed once per distinct name (the temporary table
-- billing_name_keys, sql/staging/billing_name_keys.sql); the name itself goes to
-- restricted.payments.
with

typed as (
    select
        _row,
        event_day(created_at) as day,
        nullif(trim(payment_id::varchar), '') as payment_id,
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(created_at as timestamptz) as created_at_tz,
        created_at is null as created_at_missing,
        lower(nullif(trim(method::varchar), '')) as method,
        lower(nullif(trim(card_fingerprint::varchar), '')) as card_fingerprint,
        nullif(regexp_replace(card_bin::varchar, '[^0-9]', '', 'g'), '') as card_bin,
        upper(nullif(trim(card_country::varchar), '')) as card_country,
        nullif(trim(raw_rows.billing_name::varchar), '') as billing_name,
        billing_name_keys.billing_name_key,
        upper(nullif(regexp_replace(billing_postal::varchar, '\s+', '', 'g'), '')) as billing_postal,
        try_cast(amount_usd as double) as amount_usd,
        amount_usd is not null and try_cast(amount_usd as double) is null as amount_unparseable,
        lower(nullif(trim(status::varchar), '')) as status,
        _card_columns
    from raw_rows
    left join billing_name_keys
        on billing_name_keys.billing_name_raw_text = raw_rows.billing_name::varchar
),

final as (
    select
        _row,
        day,
        payment_id,
        account_id,
        timezone('UTC', created_at_tz) as created_at,
        method,
        card_fingerprint,
        card_bin,
        card_country,
        billing_name,
        billing_name_key,
        billing_postal,
        amount_usd,
        status,
        case
            when created_at_missing then 'null created_at'
            when created_at_tz is null then 'unparseable created_at'
            when not ts_plausible(created_at_tz) then 'created_at out of range'
        end as _time_reason,
        case
            when amount_unparseable then 'unparseable amount_usd'
            when isnan(amount_usd) then 'amount_usd is NaN'
            when isinf(amount_usd) then 'amount_usd is infinite'
            when amount_usd < 0 then 'negative amount_usd'
        end as _row_reason,
        _card_columns
    from typed
)

select * from final
