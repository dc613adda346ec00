-- The published evidence edges as stored: one row per linked account pair, with account ids,
-- weight, the kinds they share as the edge table's integer kind_mask and packed kind_counts_0..3,
-- and the pair's cluster. Analysts read them decoded through the view published.similarity_edges
-- (kinds, families and counts by kind name, from published.edge_kind_masks): writing the
-- decoded lists and maps for every pair took more than half of the publish step (1M accounts:
-- 12.3 s decoded, 6.4 s packed).
-- Sorted by account_a, account_b: account_idx follows account_id, so the integer ids sort the
-- same way, and more cheaply.
with

accounts as (
    select account_idx, account_id from staging.signups
),

-- By account_idx: two joins of 73M edges on text ids cost minutes at 10M accounts.
membership as (
    select c.account_idx, clusters.cluster_id
    from communities.account_communities as c
    inner join published.clusters as clusters using (community)
),

final as (
    select
        e.src,
        e.dst,
        a.account_id as account_a,
        b.account_id as account_b,
        e.weight,
        e.n_shared,
        e.kind_mask,
        e.kind_counts_0,
        e.kind_counts_1,
        e.kind_counts_2,
        e.kind_counts_3,
        case when ma.cluster_id = mb.cluster_id then ma.cluster_id end as cluster_id
    from edges.similarity_edges as e
    inner join accounts as a on a.account_idx = e.src
    inner join accounts as b on b.account_idx = e.dst
    left join membership as ma on ma.account_idx = e.src
    left join membership as mb on mb.account_idx = e.dst
)

select * exclude (src, dst) from final order by src, dst
