-- Behaviour of each account, for scoring and for analysts: one row per valid account, from the
-- per-source aggregates (account_session_stats, account_payment_stats, account_api_stats); an
-- account without rows in a source gets zeros.
with

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
        api_stats.quiet_hours,
        api_stats.main_model
    from staging.signups as s
    left join features.account_session_stats as session_stats
        on session_stats.account_idx = s.account_idx
    left join features.account_payment_stats as payment_stats
        on payment_stats.account_idx = s.account_idx
    left join features.account_api_stats as api_stats on api_stats.account_idx = s.account_idx
)

select * from final
