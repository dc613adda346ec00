-- How each community's members behave, from their account features: network classes,
-- sessions, API volume, hours of day, models; one row per community. Read by cluster_features.
-- A table of its own (see cluster_signups.sql).
with

communities as (
    select * from communities.account_communities
),

-- Read by two aggregates, so DuckDB keeps it whole: only the columns they use. At 10M accounts
-- `select *` of members (5.7M wide rows) spilled past the 25 GB of free disk.
members as (
    select
        communities.community,
        f.datacenter_share,
        f.vpn_share,
        f.mobile_share,
        f.residential_share,
        f.n_session_ips,
        f.n_sessions,
        f.requests,
        f.input_tokens,
        f.output_tokens,
        f.hours_of_day,
        f.quiet_hours,
        f.main_model
    from communities
    inner join features.account_features as f using (account_idx)
),

models as (
    select community, max(n) as top_model_members
    from (
        select community, main_model, count(*) as n
        from members
        where main_model is not null
        group by all
    )
    group by community
),

-- Medians and shares of members, not pooled sums: one farm account caught in a cluster of
-- bystanders must not lend them its behaviour.
behaviour as (
    select
        community,
        avg((datacenter_share >= 0.5)::int) as datacenter_share,
        avg((vpn_share >= 0.5)::int) as vpn_share,
        median(mobile_share) as mobile_share,
        median(residential_share) as residential_share,
        median(n_session_ips / nullif(n_sessions, 0)) as ips_per_session,
        median(n_sessions) as sessions_per_account,
        median(requests) as requests_per_account,
        median(output_tokens / nullif(input_tokens, 0)) as output_input_ratio,
        median(hours_of_day) filter (where requests > 0) as hours_of_day_per_account,
        median(quiet_hours) as quiet_hours,
        avg((quiet_hours <= 3)::int) filter (where quiet_hours is not null) as sleepless_share,
        avg((requests > 0)::int) as api_active_share
    from members
    group by community
),

final as (
    select
        behaviour.*,
        coalesce(models.top_model_members, 0) as top_model_members
    from behaviour
    left join models using (community)
)

select * from final order by community
