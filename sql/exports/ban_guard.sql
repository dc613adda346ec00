-- What the export guard needs, one row: the data's as-of day, the active accounts and the size
-- of the new ban list. The as-of day is the latest valid sign-up, session, API-usage hour or
-- payment in the input (not the wall clock), so reruns on the same data name the same dated
-- copy. Active accounts are valid sign-ups with any session or API use; when the input has no
-- sessions and no API usage at all it says nothing about activity, and every valid sign-up
-- counts.
with

latest as (
    select greatest(
        (select max(created_at) from staging.signups),
        (select max(ts) from staging.sessions),
        (select max(hour) from staging.api_usage),
        (select max(created_at) from staging.payments)
    ) as as_of
),

used as (
    select account_idx from staging.sessions
    union
    select account_idx from staging.api_usage
),

-- (A semi join, not `in (...)` under an `or`: DuckDB plans that as a nested loop, which never
-- finished at a million accounts.)
active as (
    select
        case
            when not exists (select 1 from used) then (select count(*) from staging.signups)
            else (select count(*) from staging.signups semi join used using (account_idx))
        end as n
),

final as (
    select
        latest.as_of::date as as_of,
        active.n as active_accounts,
        (select count(*) from published.ban_list) as banned
    from latest
    cross join active
)

select * from final
