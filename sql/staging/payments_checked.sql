-- Every payment attempt, typed, with the reason it is rejected (null when valid). One row per raw
-- row. Reads typed_rows: the rows of every day as the daily partitions typed them
-- (store.payments, payments_typed.sql) plus the undated rows typed by this run; what is judged
-- here depends on the sign-ups or on other days (a payment_id already used is a duplicate
-- whichever day it came back on).
with

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

-- The payment ids that come more than once, with the row that came first: a group by, not a
-- window over every payment (which sorted all of them, and this SQL is read three times).
repeated as (
    select payment_id, min(_row) as first_row
    from typed_rows
    where payment_id is not null
    group by payment_id
    having count(*) > 1
),

final as (
    select
        typed._row,
        typed.payment_id,
        typed.account_id,
        accounts.account_idx,
        typed.created_at,
        typed.method,
        typed.card_fingerprint,
        typed.card_bin,
        typed.card_country,
        typed.billing_name,
        typed.billing_name_key,
        typed.billing_postal,
        typed.amount_usd,
        typed.status,
        case
            when typed.account_id is null then 'null account_id'
            when accounts.account_id is null then 'unknown account_id'
            when accounts.account_idx is null then 'account quarantined in signups'
            when typed._row > repeated.first_row then 'duplicate payment_id'
            when typed._time_reason is not null then typed._time_reason
            when typed.created_at < accounts.created_at - interval 1 hour
                then 'created_at before the account was created'
            else typed._row_reason
        end as _reason
    from typed_rows as typed
    left join accounts on accounts.account_id = typed.account_id
    left join repeated on repeated.payment_id = typed.payment_id
)

select * from final
