-- Payments per account: counts by outcome, distinct cards and the amount paid. One row per
-- account with a valid payment.
select
    account_idx,
    count(*) as n_payments,
    count(distinct card_fingerprint) as n_cards,
    count(*) filter (where status = 'failed') as n_failed,
    count(*) filter (where status in ('disputed', 'refunded')) as n_disputed,
    -- Rounded to cents: a sum of doubles depends on the order threads add them in.
    round(coalesce(sum(amount_usd) filter (where status = 'succeeded'), 0), 2) as paid_usd
from staging.payments
group by account_idx
