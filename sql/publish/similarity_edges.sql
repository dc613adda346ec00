-- Published evidence edges: one row per linked account pair, with account ids and what they
-- share (kinds, families and the number of shared values of each kind; the values themselves
-- stay in features.*). Decoded from the integer kind_mask and kind_counts_0..3 of the edge table.
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

kind_names as (
    select list(kind order by kind_no) as names from ref.key_kinds
),

-- Each distinct mask once (a few hundred at most), then joined back to millions of edges.
masks as (
    select
        e.kind_mask,
        list(k.kind order by k.kind) as kinds,
        list(distinct k.family order by k.family) as families,
        list(k.kind_no order by k.kind) as kind_nos
    from (select distinct kind_mask from edges.similarity_edges) as e
    inner join ref.key_kinds as k on e.kind_mask & (1 << k.kind_no) <> 0
    group by e.kind_mask
),

final as (
    select
        e.src,
        e.dst,
        a.account_id as account_a,
        b.account_id as account_b,
        e.weight,
        e.n_shared,
        masks.kinds,
        masks.families,
        map_from_entries(list_transform(
            masks.kind_nos,
            lambda k: {
                'k': kind_names.names[k + 1],
                'v': edge_kind_count(
                    e.kind_counts_0, e.kind_counts_1, e.kind_counts_2, e.kind_counts_3, k
                )
            }
        )) as kind_counts,
        case when ma.cluster_id = mb.cluster_id then ma.cluster_id end as cluster_id
    from edges.similarity_edges as e
    cross join kind_names
    inner join masks using (kind_mask)
    inner join accounts as a on a.account_idx = e.src
    inner join accounts as b on b.account_idx = e.dst
    left join membership as ma on ma.account_idx = e.src
    left join membership as mb on mb.account_idx = e.dst
)

select * exclude (src, dst) from final order by src, dst
