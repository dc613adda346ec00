-- Published membership: one row per account placed in a cluster of two or more.
with

clusters as (
    select cluster_id, community from publish_next.clusters
),

final as (
    select
        clusters.cluster_id,
        signups.account_id,
        signups.created_at,
        signups.email_domain,
        signups.email_domain_class,
        signups.country
    from communities.account_communities as c
    inner join clusters using (community)
    inner join staging.signups as signups using (account_idx)
)

select * from final order by cluster_id, account_id
