-- Every raw API usage row (account, hour, model, prompt template), typed, with the reason it
-- is rejected (null when valid). One row per raw row.
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
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(hour as timestamptz) as hour_tz,
        hour is null as hour_missing,
        nullif(trim(model::varchar), '') as model,
        try_cast(requests as bigint) as requests,
        requests is not null and try_cast(requests as bigint) is null as requests_unparseable,
        try_cast(input_tokens as bigint) as input_tokens,
        input_tokens is not null and try_cast(input_tokens as bigint) is null
            as input_tokens_unparseable,
        try_cast(output_tokens as bigint) as output_tokens,
        output_tokens is not null and try_cast(output_tokens as bigint) is null
            as output_tokens_unparseable,
        lower(nullif(trim(prompt_hash::varchar), '')) as prompt_hash
    from source
),

final as (
    select
        typed._row,
        typed.account_id,
        accounts.account_idx,
        date_trunc('hour', timezone('UTC', typed.hour_tz)) as hour,
        typed.model,
        coalesce(typed.requests, 0) as requests,
        coalesce(typed.input_tokens, 0) as input_tokens,
        coalesce(typed.output_tokens, 0) as output_tokens,
        typed.prompt_hash,
        case
            when typed.account_id is null then 'null account_id'
            when accounts.account_id is null then 'unknown account_id'
            when accounts.account_idx is null then 'account quarantined in signups'
            when typed.hour_missing then 'null hour'
            when typed.hour_tz is null then 'unparseable hour'
            when not ts_plausible(typed.hour_tz) then 'hour out of range'
            -- Usage is counted per hour, so the sign-up hour itself comes before created_at.
            when typed.hour_tz < date_trunc('hour', accounts.created_at) - interval 1 hour
                then 'hour before the account was created'
            when typed.requests_unparseable then 'unparseable requests'
            when typed.input_tokens_unparseable then 'unparseable input_tokens'
            when typed.output_tokens_unparseable then 'unparseable output_tokens'
            when typed.requests < 0 or typed.input_tokens < 0 or typed.output_tokens < 0
                then 'negative count'
        end as _reason
    from typed
    left join accounts on accounts.account_id = typed.account_id
)

select * from final
