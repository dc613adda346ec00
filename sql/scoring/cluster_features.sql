-- What each community's members share and how they behave: one row per community.
-- Features are named, bounded where possible, and read by graph/scoring.py and by reviewers.
-- Every grouping over members, keys, edges and events is a table of its own, made before this
-- one (scoring.cluster_signups, .cluster_behaviour, .cluster_activity, .cluster_shared_keys,
-- .cluster_coverage, .cluster_edge_stats): at 10M accounts several of them in one statement
-- needed more than DuckDB's 4 GB and, some runs and not others, spilled until the disk was
-- full; each alone fits. Here they are joined, one row per community each.
with

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

final as (
    select
        identity.community,
        identity.size,
        identity.first_signup,
        identity.last_signup,
        epoch(identity.last_signup - identity.first_signup) / 3600.0 as signup_span_hours,
        identity.median_gap_s,
        identity.gap_cv,
        identity.max_signups_in_hour,
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
        identity.top_shape_members / identity.size as email_shape_share,
        coalesce(behaviour.top_model_members, 0) / identity.size as top_model_share,
        coalesce(internal_edges.n_edges, 0) as n_edges,
        coalesce(internal_edges.edge_weight, 0) as edge_weight,
        2.0 * coalesce(internal_edges.edge_weight, 0) / (identity.size * (identity.size - 1))
            as weighted_density,
        coalesce(internal_edges.identity_edges, 0) as identity_edges,
        coalesce(internal_edges.payment_edges, 0) as payment_edges,
        coalesce(internal_edges.device_edges, 0) as device_edges,
        coalesce(internal_edges.network_edges, 0) as network_edges,
        coalesce(internal_edges.behaviour_edges, 0) as behaviour_edges
    from scoring.cluster_signups as identity
    left join scoring.cluster_activity as activity using (community)
    left join scoring.cluster_behaviour as behaviour using (community)
    left join shared_by_kind using (community)
    left join scoring.cluster_coverage as coverage using (community)
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
