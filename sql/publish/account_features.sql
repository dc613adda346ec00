-- Published per-account features, with the account's cluster (null when in none). No raw
-- emails, phones or names: the email domain and its class only. Joined and sorted on
-- account_idx, which follows account_id: the same order as by account_id, without comparing
-- 10M texts.
with

features as (
    select * from features.account_features
),

membership as (
    select c.account_idx, clusters.cluster_id
    from communities.account_communities as c
    inner join published.clusters as clusters using (community)
),

final as (
    select
        features.account_idx,
        membership.cluster_id,
        features.* exclude (account_idx)
    from features
    left join membership using (account_idx)
)

select * exclude (account_idx) from final order by account_idx
