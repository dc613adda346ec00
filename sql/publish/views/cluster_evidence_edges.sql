-- The evidence inside each cluster: one row per linked pair of members of the same cluster,
-- by account_id, with the pair's weight, the kinds and families of what they share, and the
-- linking values themselves as stored (keyed hashes or normalized values, never raw personal
-- data). `shared_keys` lists every linking value the two hold in common, so it can name more
-- values than `kind_counts`, which counts those the edge was built from.
--
-- The body of the table macro published.cluster_evidence_edges_of(clusters := null): `clusters`
-- is a list of cluster ids, or null for every cluster, which is the view
-- published.cluster_evidence_edges (pipelines/publish/views.py); the macro reads the listed
-- clusters' values only (see cluster_accounts.sql).
with

edges as (
    select
        cluster_id,
        account_a,
        account_b,
        weight,
        n_shared,
        kinds,
        families,
        kind_counts
    from published.similarity_edges
    where cluster_id is not null
        -- The list tested as a scalar: as a column it would ride along every row (see
        -- features/account_key_values.sql).
        and ((select clusters is null) or cluster_id in (select unnest(clusters)))
),

ids as (
    select account_id, account_idx from staging.signups
),

linking_keys as (
    select kind, key, family from features.key_stats where linked
),

-- The first account of each pair, as account_idx.
a_accounts as (
    select distinct a_ids.account_idx
    from edges
    inner join ids as a_ids on a_ids.account_id = edges.account_a
),

-- Keys are hashes; readable values from features.account_key_values_of, given the first
-- accounts of the pairs (every account when no cluster is named).
a_values as (
    select distinct v.account_idx, v.kind, v.key, v.value
    from features.account_key_values_of(
        accounts := case when clusters is not null then (select list(account_idx) from a_accounts) end
    ) as v
    semi join a_accounts using (account_idx)
),

pair_keys as (
    select
        edges.cluster_id,
        edges.account_a,
        edges.account_b,
        struct_pack(kind := a_keys.kind, family := linking_keys.family, key := a_keys.value)
            as shared_key
    from edges
    inner join ids as a_ids on a_ids.account_id = edges.account_a
    inner join ids as b_ids on b_ids.account_id = edges.account_b
    inner join a_values as a_keys on a_keys.account_idx = a_ids.account_idx
    inner join features.account_keys as b_keys
        on b_keys.account_idx = b_ids.account_idx
        and b_keys.kind = a_keys.kind
        and b_keys.key = a_keys.key
    inner join linking_keys on linking_keys.kind = a_keys.kind and linking_keys.key = a_keys.key
),

per_pair as (
    select
        cluster_id,
        account_a,
        account_b,
        list(shared_key order by shared_key.kind, shared_key.key) as shared_keys
    from pair_keys
    group by cluster_id, account_a, account_b
),

final as (
    select
        edges.cluster_id,
        edges.account_a,
        edges.account_b,
        edges.weight,
        edges.n_shared,
        edges.kinds,
        edges.families,
        edges.kind_counts,
        coalesce(per_pair.shared_keys, []) as shared_keys
    from edges
    left join per_pair using (cluster_id, account_a, account_b)
)

select * from final
