-- Published membership: one row per account placed in a cluster of two or more. email_key and
-- phone_key are keyed hashes (HMAC-SHA256) of the normalized mailbox and phone: members that
-- share one show the same key, and the values themselves are not in the warehouse.
with

clusters as (
    select cluster_id, community from published.clusters
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
        signups.phone_key
    from communities.account_communities as c
    inner join clusters using (community)
    inner join staging.signups as signups using (account_idx)
)

select * from final order by cluster_id, account_id
