-- Every raw API usage row of the rows being typed (raw_rows, the input's rows of one day's
-- partition, or the undated rows), typed, with what can be judged from the row alone: the reason
-- its hour is unusable (`_time_reason`) and the reason its counts are (`_row_reason`). The checks
-- against the account are made by every run in api_usage_checked.sql. One row per raw row.
with

typed as (
    select
        _row,
        event_day(hour) as day,
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
        lower(nullif(trim(prompt_hash::varchar), '')) as prompt_hash,
        _card_columns
    from raw_rows
),

final as (
    select
        _row,
        day,
        account_id,
        date_trunc('hour', timezone('UTC', hour_tz)) as hour,
        -- The time as given, for the check against the sign-up.
        timezone('UTC', hour_tz) as hour_given,
        model,
        coalesce(requests, 0) as requests,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        prompt_hash,
        case
            when hour_missing then 'null hour'
            when hour_tz is null then 'unparseable hour'
            when not ts_plausible(hour_tz) then 'hour out of range'
        end as _time_reason,
        case
            when requests_unparseable then 'unparseable requests'
            when input_tokens_unparseable then 'unparseable input_tokens'
            when output_tokens_unparseable then 'unparseable output_tokens'
            when requests < 0 or input_tokens < 0 or output_tokens < 0 then 'negative count'
        end as _row_reason,
        _card_columns
    from typed
)

select * from final
