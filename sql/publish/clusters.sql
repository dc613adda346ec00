-- Published clusters for trust-and-safety SQL: one row per community of two or more accounts.
-- cluster_id is derived from the membership alone (the anchor member with the smallest hash of
-- its account_id), so the same farm gets the same id when rerun on the same data.
with

scores as (
    select * from scoring.cluster_scores
),

features as (
    select * from scoring.cluster_features
),

anchors as (
    select c.community, arg_min(s.account_id, hash(s.account_id)) as anchor
    from communities.account_communities as c
    inner join staging.signups as s using (account_idx)
    group by c.community
),

final as (
    select
        'C' || substr(md5(anchors.anchor), 1, 12) as cluster_id,
        features.size,
        scores.risk_score,
        scores.flagged,
        scores.review,
        scores.tier,
        scores.families,
        scores.evidence,
        features.first_signup,
        features.last_signup,
        features.n_edges,
        features.weighted_density,
        scores.community
    from scores
    inner join features using (community)
    inner join anchors using (community)
)

select * from final order by risk_score desc, size desc, cluster_id
