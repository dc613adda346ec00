-- Every raw allowlist row (verified customers never exported for a ban), with the reason it is
-- rejected (null when valid). One row per raw row.
with

source as (
    select * from raw_rows
),

typed as (
    select
        _row,
        nullif(trim(account_id::varchar), '') as account_id
    from source
),

final as (
    select
        _row,
        account_id,
        case
            when account_id is null then 'null account_id'
            when row_number() over (partition by account_id order by _row) > 1
                then 'duplicate account_id'
        end as _reason
    from typed
)

select * from final
