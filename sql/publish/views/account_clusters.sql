-- Which clusters touch each account: one row per (account, cluster) where the account is a
-- member of the cluster or has at least one evidence edge to one of its members, with the
-- number and weight of those edges and the signal families they carry. "Which clusters touch
-- account X" is `where account_id = ?`; accounts touching no cluster have no row.
with

membership as (
    select account_id, cluster_id from published.cluster_members
),

clusters as (
    select cluster_id, size, risk_score, flagged, review, tier from published.clusters
),

directed as (
    select account_a as account_id, account_b as other, weight, families
    from published.similarity_edges
    union all
    select account_b as account_id, account_a as other, weight, families
    from published.similarity_edges
),

links as (
    select
        account_id,
        cluster_id,
        true as is_member,
        0 as edges,
        0.0::double as weight,
        []::varchar[] as families
    from membership
    union all
    select
        directed.account_id,
        membership.cluster_id,
        false as is_member,
        1 as edges,
        directed.weight,
        directed.families
    from directed
    inner join membership on membership.account_id = directed.other
),

touching as (
    select
        account_id,
        cluster_id,
        bool_or(is_member) as is_member,
        sum(edges)::bigint as edges,
        round(sum(weight), 6) as total_weight,
        max(weight) filter (where edges > 0) as max_weight,
        list_sort(list_distinct(flatten(list(families)))) as families
    from links
    group by account_id, cluster_id
),

final as (
    select
        touching.account_id,
        touching.cluster_id,
        touching.is_member,
        touching.edges,
        touching.total_weight,
        touching.max_weight,
        touching.families,
        clusters.size as cluster_size,
        clusters.risk_score as cluster_risk_score,
        clusters.flagged as cluster_flagged,
        clusters.tier as cluster_tier
    from touching
    inner join clusters using (cluster_id)
)

select * from final
