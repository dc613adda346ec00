-- API use per account: volume, active hours, the hours of the day, templates and models, the
-- longest quiet stretch of the day and the main model. One row per account with valid API use.
with

-- Use per account and hour first (the input has a row per model and template too): the
-- distinct hours are then plain counts, and the hours of the day a 24-bit mask.
account_hours as (
    select
        account_idx,
        hour,
        sum(requests) as requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens
    from staging.api_usage
    group by account_idx, hour
),

hour_stats as (
    select
        account_idx,
        sum(requests) as requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        count(hour) as active_hours,
        -- bit h set: the account used the API in hour h (UTC) of some day
        bit_or(1 << hour(hour)) filter (where hour is not null) as hour_mask
    from account_hours
    group by account_idx
),

-- Distinct templates and models per account from grouped rows: count(distinct) per account
-- kept a set per group and cost three times as much at 1M accounts.
template_stats as (
    select account_idx, count(*) as n_templates
    from (
        select account_idx, prompt_hash
        from staging.api_usage
        where prompt_hash is not null
        group by account_idx, prompt_hash
    )
    group by account_idx
),

-- Requests per account and model: the number of models, and the model most requests go to.
model_requests as (
    select account_idx, model, sum(requests) as requests
    from staging.api_usage
    where model is not null
    group by account_idx, model
),

model_stats as (
    select
        account_idx,
        count(*) as n_models,
        arg_max(model, struct_pack(r := requests, m := model)) as main_model
    from model_requests
    group by account_idx
),

api_stats as (
    select
        hour_stats.account_idx,
        hour_stats.requests,
        hour_stats.input_tokens,
        hour_stats.output_tokens,
        hour_stats.active_hours,
        bit_count(coalesce(hour_stats.hour_mask, 0)) as hours_of_day,
        coalesce(template_stats.n_templates, 0) as n_templates,
        coalesce(model_stats.n_models, 0) as n_models,
        model_stats.main_model,
        -- The hours of the day as 24 characters, twice over, so a quiet stretch across
        -- midnight is one run of zeros.
        repeat(
            list_reduce(
                list_transform(
                    range(24),
                    lambda h: case when (hour_stats.hour_mask >> h) & 1 = 1 then '1' else '0' end
                ),
                lambda a, b: a || b
            ),
            2
        ) as day_twice
    from hour_stats
    left join template_stats using (account_idx)
    left join model_stats using (account_idx)
),

select
    api_stats.account_idx,
    api_stats.requests,
    api_stats.input_tokens,
    api_stats.output_tokens,
    api_stats.active_hours,
    api_stats.hours_of_day,
    api_stats.n_templates,
    api_stats.n_models,
    -- The longest run of hours of the day without any use (circular): people sleep, schedulers
    -- don't. Null below 6 distinct hours, where a long gap is chance.
    case
        when api_stats.hours_of_day >= 6 then list_max(
            list_transform(string_split(api_stats.day_twice, '1'), lambda run: length(run))
        )
    end as quiet_hours,
    api_stats.main_model
from api_stats
