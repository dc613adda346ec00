-- Published evidence edges: one row per linked account pair, with account ids and what they
-- share (kinds and counts of shared values; the values themselves stay in features.*).
with

accounts as (
    select account_idx, account_id from staging.signups
),

membership as (
    select m.account_id, m.cluster_id from published.cluster_members as m
),

final as (
    select
        a.account_id as account_a,
        b.account_id as account_b,
        e.weight,
        e.n_shared,
        e.kinds,
        e.families,
        e.kind_counts,
        case when ma.cluster_id = mb.cluster_id then ma.cluster_id end as cluster_id
    from edges.similarity_edges as e
    inner join accounts as a on a.account_idx = e.src
    inner join accounts as b on b.account_idx = e.dst
    left join membership as ma on ma.account_id = a.account_id
    left join membership as mb on mb.account_id = b.account_id
)

select * from final order by account_a, account_b
