-- Published clusters for trust-and-safety SQL: one row per community of two or more accounts.
-- cluster_id comes from history.cluster_ids: the id of the previous run's cluster it matches by
-- shared members, else a fresh id derived from the membership; first_seen and last_seen are
-- as-of times (the data's own latest timestamp) of the runs it was seen in.
with

scores as (
    select * from scoring.cluster_scores
),

features as (
    select * from scoring.cluster_features
),

ids as (
    select community, cluster_id, first_seen from history.cluster_ids where community is not null
),

run as (
    select as_of from history.as_of
),

final as (
    select
        ids.cluster_id,
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
        scores.community,
        ids.first_seen,
        run.as_of as last_seen
    from scores
    inner join features using (community)
    inner join ids using (community)
    cross join run
)

select * from final order by risk_score desc, size desc, cluster_id
