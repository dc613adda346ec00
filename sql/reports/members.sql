-- Report member tables: one row per member of a requested cluster ($cluster_ids), with its
-- sign-up, ban-list status, links inside the cluster and activity counts.
with

wanted as (
    select unnest($cluster_ids::varchar[]) as cluster_id
),

members as (
    select * from published.cluster_members semi join wanted using (cluster_id)
),

features as (
    select
        account_id, n_sessions, n_session_ips, n_payments, n_cards, requests, active_hours,
        n_templates
    from published.account_features
),

banned as (
    select account_id from published.ban_list
),

allowlist as (
    select distinct account_id from staging.allowlist
),

edge_ends as (
    select cluster_id, account_a as account_id
    from published.similarity_edges semi join wanted using (cluster_id)
    union all
    select cluster_id, account_b as account_id
    from published.similarity_edges semi join wanted using (cluster_id)
),

links as (
    select cluster_id, account_id, count(*) as links from edge_ends group by all
),

final as (
    select
        members.cluster_id,
        members.account_id,
        members.created_at,
        members.email_domain,
        members.email_domain_class,
        members.country,
        banned.account_id is not null as banned,
        allowlist.account_id is not null as allowlisted,
        coalesce(links.links, 0) as links,
        coalesce(features.n_sessions, 0) as sessions,
        coalesce(features.n_session_ips, 0) as ips,
        coalesce(features.n_payments, 0) as payments,
        coalesce(features.n_cards, 0) as cards,
        coalesce(features.requests, 0)::bigint as requests,
        coalesce(features.active_hours, 0) as active_hours,
        coalesce(features.n_templates, 0) as templates
    from members
    left join features using (account_id)
    left join banned using (account_id)
    left join allowlist using (account_id)
    left join links using (cluster_id, account_id)
)

select * from final order by cluster_id, created_at, account_id
