-- The review queue: one row per member of a review-tier cluster (worth a look, not banned).
-- Allowlisted accounts stay in, marked `allowlisted`, so a reviewer sees that a verified
-- customer sits in the cluster; they are never exported for a ban. Riskiest cluster first.
with

clusters as (
    select cluster_id, size, risk_score, families, evidence
    from published.clusters
    where review
),

members as (
    select cluster_id, account_id from published.cluster_members
),

allowlist as (
    select distinct account_id from staging.allowlist
),

final as (
    select
        clusters.cluster_id,
        members.account_id,
        round(clusters.risk_score, 4) as risk_score,
        clusters.size as cluster_size,
        clusters.families,
        clusters.evidence,
        allowlist.account_id is not null as allowlisted
    from clusters
    inner join members using (cluster_id)
    left join allowlist using (account_id)
)

select * from final
