-- What each community's members share and how they behave: one row per community.
-- Features are named, bounded where possible, and read by graph/scoring.py and by reviewers.
-- The groupings over every key, every edge, and the payments and API usage are tables of
-- their own (scoring.cluster_shared_keys, scoring.cluster_coverage, scoring.cluster_edge_stats,
-- scoring.cluster_activity): run together in one statement they did not fit at 10M accounts,
-- where each alone fits.
with

communities as (
    select * from communities.account_communities
),

-- Read by two aggregates, so DuckDB keeps it whole: only the columns they use. At 10M accounts
-- `select *` of members and sign-ups (5.7M wide rows) spilled past the 25 GB of free disk.
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

-- Distinct values are counted on 64-bit hashes, not texts (fixed-width aggregate state; a
-- collision inside one community is vanishingly rare); hash(null) is not null in DuckDB, so
-- a missing value stays missing.
signups as (
    select
        communities.community,
        s.account_idx,
        s.created_at,
        s.email_shape,
        s.email_domain_class,
        case when s.email_mailbox is not null then hash(s.email_mailbox) end as mailbox_key,
        case when s.email_domain is not null then hash(s.email_domain) end as domain_key,
        case when s.phone_key is not null then hash(s.phone_key) end as phone_hash,
        case when s.device_id is not null then hash(s.device_id) end as device_key
    from communities
    inner join staging.signups as s using (account_idx)
),

shared_by_kind as (
    select
        community,
        count(*) filter (where kind = 'email') as shared_mailboxes,
        count(*) filter (where kind = 'phone') as shared_phones,
        count(*) filter (where kind = 'device') as shared_devices,
        count(*) filter (where kind = 'card') as shared_cards,
        count(*) filter (where kind = 'bin_postal') as shared_bin_postals,
        count(*) filter (where kind = 'ip') as shared_ips,
        count(*) filter (where kind = 'prefix') as shared_prefixes,
        count(*) filter (where kind = 'prompt') as shared_templates,
        count(*) filter (where kind = 'prompt_hour') as shared_template_hours,
        count(*) filter (where kind = 'name') as shared_names
    from scoring.cluster_shared_keys
    group by community
),

gaps as (
    select
        community,
        epoch(created_at - lag(created_at) over (
            partition by community order by created_at, account_idx
        )) as gap_s
    from signups
),

cadence as (
    select
        community,
        median(gap_s) as median_gap_s,
        stddev_pop(gap_s) / nullif(avg(gap_s), 0) as gap_cv
    from gaps
    where gap_s is not null
    group by community
),

-- The shape of each mailbox's local part (letters -> a, digit runs -> 9): scripts fill one
-- template ("a.a9"), people write their addresses many ways.
email_shapes as (
    select community, max(n) as top_shape_members
    from (
        select community, email_shape as shape, count(*) as n
        from signups
        where email_shape is not null
        group by all
    )
    group by community
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

bursts as (
    select community, max(n) as max_signups_in_hour
    from (
        select community, date_trunc('hour', created_at) as h, count(*) as n
        from signups
        group by all
    )
    group by community
),

identity as (
    select
        community,
        count(*) as size,
        min(created_at) as first_signup,
        max(created_at) as last_signup,
        count(distinct mailbox_key) as n_mailboxes,
        count(distinct domain_key) as n_email_domains,
        avg((email_domain_class = 'disposable')::int) as disposable_share,
        avg((email_domain_class = 'free')::int) as free_email_share,
        avg((email_domain_class = 'organisation')::int) as organisation_share,
        avg((email_domain_class = 'education')::int) as education_share,
        count(distinct phone_hash) as n_phones,
        count(phone_hash) as n_with_phone,
        count(distinct device_key) as n_signup_devices
    from signups
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
        identity.community,
        identity.size,
        identity.first_signup,
        identity.last_signup,
        epoch(identity.last_signup - identity.first_signup) / 3600.0 as signup_span_hours,
        cadence.median_gap_s,
        cadence.gap_cv,
        bursts.max_signups_in_hour,
        identity.n_mailboxes,
        identity.n_email_domains,
        identity.disposable_share,
        identity.free_email_share,
        identity.organisation_share,
        identity.education_share,
        identity.n_phones,
        identity.n_with_phone,
        identity.n_signup_devices,
        activity.n_paying,
        activity.n_payments,
        activity.n_cards,
        activity.n_bins,
        activity.n_postals,
        activity.failed_rate,
        activity.dispute_rate,
        behaviour.datacenter_share,
        behaviour.vpn_share,
        behaviour.mobile_share,
        behaviour.residential_share,
        coalesce(behaviour.ips_per_session, 0) as ips_per_session,
        behaviour.sessions_per_account,
        behaviour.requests_per_account,
        coalesce(behaviour.output_input_ratio, 0) as output_input_ratio,
        behaviour.hours_of_day_per_account,
        behaviour.quiet_hours,
        behaviour.sleepless_share,
        behaviour.api_active_share,
        activity.cluster_hours_of_day,
        coalesce(shared_by_kind.shared_mailboxes, 0) as shared_mailboxes,
        coalesce(shared_by_kind.shared_phones, 0) as shared_phones,
        coalesce(shared_by_kind.shared_devices, 0) as shared_devices,
        coalesce(shared_by_kind.shared_cards, 0) as shared_cards,
        coalesce(shared_by_kind.shared_bin_postals, 0) as shared_bin_postals,
        coalesce(shared_by_kind.shared_ips, 0) as shared_ips,
        coalesce(shared_by_kind.shared_prefixes, 0) as shared_prefixes,
        coalesce(shared_by_kind.shared_templates, 0) as shared_templates,
        coalesce(shared_by_kind.shared_template_hours, 0) as shared_template_hours,
        coalesce(shared_by_kind.shared_names, 0) as shared_names,
        coalesce(coverage.mailbox_holders, 0) / identity.size as mailbox_coverage,
        coalesce(coverage.phone_holders, 0) / identity.size as phone_coverage,
        coalesce(coverage.device_holders, 0) / identity.size as device_coverage,
        coalesce(coverage.card_holders, 0) / identity.size as card_coverage,
        coalesce(coverage.bin_postal_holders, 0) / identity.size as bin_postal_coverage,
        coalesce(coverage.network_holders, 0) / identity.size as network_coverage,
        coalesce(coverage.template_holders, 0) / identity.size as template_coverage,
        coalesce(coverage.cohour_holders, 0) / identity.size as cohour_coverage,
        coalesce(coverage.template_set_holders, 0) / identity.size as template_set_coverage,
        coalesce(email_shapes.top_shape_members, 0) / identity.size as email_shape_share,
        coalesce(models.top_model_members, 0) / identity.size as top_model_share,
        coalesce(internal_edges.n_edges, 0) as n_edges,
        coalesce(internal_edges.edge_weight, 0) as edge_weight,
        2.0 * coalesce(internal_edges.edge_weight, 0) / (identity.size * (identity.size - 1))
            as weighted_density,
        coalesce(internal_edges.identity_edges, 0) as identity_edges,
        coalesce(internal_edges.payment_edges, 0) as payment_edges,
        coalesce(internal_edges.device_edges, 0) as device_edges,
        coalesce(internal_edges.network_edges, 0) as network_edges,
        coalesce(internal_edges.behaviour_edges, 0) as behaviour_edges
    from identity
    left join cadence using (community)
    left join bursts using (community)
    left join scoring.cluster_activity as activity using (community)
    left join behaviour using (community)
    left join shared_by_kind using (community)
    left join scoring.cluster_coverage as coverage using (community)
    left join email_shapes using (community)
    left join models using (community)
    left join scoring.cluster_edge_stats as internal_edges using (community)
)

-- Averages of doubles depend on the order threads add them in; 9 decimals hide that.
select
    community,
    first_signup,
    last_signup,
    round(columns(* exclude (community, first_signup, last_signup)), 9)
from final
order by community
