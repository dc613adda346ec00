-- Behaviour of each account, for scoring and for analysts: one row per valid account.
with

sessions as (
    select s.*, coalesce(a.class, 'unknown') as asn_class
    from staging.sessions as s
    left join ref.asn_classes as a on a.asn = s.asn
),

session_stats as (
    select
        account_idx,
        count(*) as n_sessions,
        count(distinct ip) as n_session_ips,
        count(distinct ip_prefix) as n_session_prefixes,
        count(distinct device_id) as n_session_devices,
        avg((asn_class = 'datacenter')::int) as datacenter_share,
        avg((asn_class = 'vpn')::int) as vpn_share,
        avg((asn_class = 'mobile')::int) as mobile_share,
        avg((asn_class = 'residential')::int) as residential_share,
        min(ts) as first_session,
        max(ts) as last_session
    from sessions
    group by account_idx
),

payment_stats as (
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
),

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

template_stats as (
    select
        account_idx,
        count(distinct prompt_hash) as n_templates,
        count(distinct model) as n_models
    from staging.api_usage
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
        template_stats.n_templates,
        template_stats.n_models,
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
    inner join template_stats using (account_idx)
),

-- The longest run of hours of the day without any use (circular): people sleep, schedulers don't.
-- Null below 6 distinct hours, where a long gap is chance.
quiet_stretch as (
    select
        account_idx,
        list_max(list_transform(string_split(day_twice, '1'), lambda run: length(run)))
            as quiet_hours
    from api_stats
    where hours_of_day >= 6
),

-- The model an account sends most requests to.
main_model as (
    select account_idx, arg_max(model, struct_pack(r := requests, m := model)) as main_model
    from (
        select account_idx, model, sum(requests) as requests
        from staging.api_usage
        where model is not null
        group by all
    )
    group by account_idx
),

final as (
    select
        s.account_idx,
        s.account_id,
        s.created_at,
        s.email_domain_class,
        s.country,
        coalesce(session_stats.n_sessions, 0) as n_sessions,
        coalesce(session_stats.n_session_ips, 0) as n_session_ips,
        coalesce(session_stats.n_session_prefixes, 0) as n_session_prefixes,
        coalesce(session_stats.n_session_devices, 0) as n_session_devices,
        coalesce(session_stats.datacenter_share, 0) as datacenter_share,
        coalesce(session_stats.vpn_share, 0) as vpn_share,
        coalesce(session_stats.mobile_share, 0) as mobile_share,
        coalesce(session_stats.residential_share, 0) as residential_share,
        coalesce(payment_stats.n_payments, 0) as n_payments,
        coalesce(payment_stats.n_cards, 0) as n_cards,
        coalesce(payment_stats.n_failed, 0) as n_failed,
        coalesce(payment_stats.n_disputed, 0) as n_disputed,
        coalesce(payment_stats.paid_usd, 0) as paid_usd,
        coalesce(api_stats.requests, 0) as requests,
        coalesce(api_stats.input_tokens, 0) as input_tokens,
        coalesce(api_stats.output_tokens, 0) as output_tokens,
        coalesce(api_stats.active_hours, 0) as active_hours,
        coalesce(api_stats.hours_of_day, 0) as hours_of_day,
        coalesce(api_stats.n_templates, 0) as n_templates,
        coalesce(api_stats.n_models, 0) as n_models,
        quiet_stretch.quiet_hours,
        main_model.main_model
    from staging.signups as s
    left join session_stats on session_stats.account_idx = s.account_idx
    left join payment_stats on payment_stats.account_idx = s.account_idx
    left join api_stats on api_stats.account_idx = s.account_idx
    left join quiet_stretch on quiet_stretch.account_idx = s.account_idx
    left join main_model on main_model.account_idx = s.account_idx
)

select * from final
