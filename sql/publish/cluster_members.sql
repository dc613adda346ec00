-- Published membership: one row per account placed in a cluster of two or more. email_key and
-- phone_key are keyed hashes (HMAC-SHA256) of the normalized mailbox and phone: members that
-- share one show the same key, and the values themselves are not in the warehouse.
-- member_since is the as-of of the run the account was first seen in this cluster (carried while
-- the cluster keeps its id); is_new_member marks accounts that joined an already known cluster
-- in this run.
with

clusters as (
    select cluster_id, community, first_seen from published.clusters
),

run as (
    select as_of from history.as_of
),

baseline as (
    select cluster_id, account_id, member_since from history.baseline_members
),

final as (
    select
        clusters.cluster_id,
        signups.account_id,
        signups.created_at,
        signups.email_domain,
        signups.email_domain_class,
        signups.country,
        signups.email_mailbox as email_key,
        signups.phone_key,
        coalesce(baseline.member_since, run.as_of) as member_since,
        baseline.account_id is null and clusters.first_seen < run.as_of as is_new_member
    from communities.account_communities as c
    inner join clusters using (community)
    inner join staging.signups as signups using (account_idx)
    cross join run
    left join baseline
        on baseline.cluster_id = clusters.cluster_id and baseline.account_id = signups.account_id
)

select * from final order by cluster_id, account_id
