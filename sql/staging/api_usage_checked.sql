-- Every API usage row (account, hour, model, prompt template), typed, with the reason it is
-- rejected (null when valid). One row per raw row. Reads typed_rows: the rows of every day as the
-- daily partitions typed them (store.api_usage, api_usage_typed.sql) plus the undated rows typed
-- by this run; what is judged here is what depends on the sign-ups.
with

accounts as (
    select account_id, account_idx, created_at from staging.account_lookup
),

final as (
    select
        typed._row,
        typed.account_id,
        accounts.account_idx,
        typed.hour,
        typed.model,
        typed.requests,
        typed.input_tokens,
        typed.output_tokens,
        typed.prompt_hash,
        case
            when typed.account_id is null then 'null account_id'
            when accounts.account_id is null then 'unknown account_id'
            when accounts.account_idx is null then 'account quarantined in signups'
            when typed._time_reason is not null then typed._time_reason
            -- Usage is counted per hour, so the sign-up hour itself comes before created_at.
            when typed.hour_given < date_trunc('hour', accounts.created_at) - interval 1 hour
                then 'hour before the account was created'
            else typed._row_reason
        end as _reason
    from typed_rows as typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
