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

activity_known as (
    select exists (select 1 from used) as known
),

active as (
    select count(*) as n
    from staging.signups
    cross join activity_known
    where not activity_known.known
        or account_idx in (select account_idx from used)
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
