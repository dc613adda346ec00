-- Every account id in the raw signups with its account_idx and created_at, both null when its
-- signup row was quarantined: one row per distinct account id. Event tables check their rows
-- against it.
with

raw_ids as (
    select distinct nullif(trim(account_id::varchar), '') as account_id
    from raw_rows
),

accounts as (
    select account_id, account_idx, created_at from staging.signups
),

final as (
    select raw_ids.account_id, accounts.account_idx, accounts.created_at
    from raw_ids
    left join accounts using (account_id)
    where raw_ids.account_id is not null
)

select * from final
