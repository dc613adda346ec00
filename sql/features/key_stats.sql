-- How specific each shared value is: one row per (kind, key) held by two or more accounts.
-- strength is the chance-like weight one shared value adds to a pair (kind strength, decaying
-- with the number of accounts sharing it); values held by more than the kind's max_accounts are
-- hubs (a campus NAT, a carrier's CGNAT address, a popular tool's template) and link nobody; so
-- are values held by more than the kind's max_share of all accounts, which keeps weak kinds
-- (a template, a user agent) from linking half of a small population.
with

key_kinds as (
    select * from ref.key_kinds
),

-- The valid accounts (every one holds at least its email key).
population as (
    select count(*) as n from staging.signups
),

counted as (
    select kind, key, count(*) as n_accounts
    from features.account_keys
    group by kind, key
    having count(*) >= 2
),

final as (
    select
        counted.kind,
        counted.key,
        counted.n_accounts,
        key_kinds.family,
        least(key_kinds.strength / (1 + ln(counted.n_accounts - 1)), 0.99) as strength,
        counted.n_accounts <= key_kinds.max_accounts
        and counted.n_accounts <= greatest(2, key_kinds.max_share * population.n) as linked
    from counted
    inner join key_kinds on key_kinds.kind = counted.kind
    cross join population
)

select * from final
