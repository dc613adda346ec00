-- The review queue: worth a look, not banned. One row per member of a review-tier cluster
-- (tie = 'member'), and per account weakly tied to a flagged cluster (tie = 'weak': pruned out
-- of it, see published.cluster_weak_ties) by more than a /24 or a template (its review flag),
-- with that cluster's risk and evidence, and the weak tie's tie_strength. Allowlisted
-- accounts stay in, marked `allowlisted`, so a reviewer sees that a verified customer sits in
-- or next to the cluster; they are never exported for a ban. Riskiest cluster first.
with

clusters as (
    select cluster_id, size, risk_score, flagged, review, families, evidence
    from published.clusters
    where review or flagged
),

members as (
    select cluster_id, account_id, 'member' as tie, null::double as tie_strength
    from published.cluster_members
    union all
    select cluster_id, account_id, 'weak' as tie, tie_strength
    from published.cluster_weak_ties
    where review
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
        allowlist.account_id is not null as allowlisted,
        members.tie,
        members.tie_strength
    from clusters
    inner join members using (cluster_id)
    left join allowlist using (account_id)
    where (clusters.review and members.tie = 'member')
        or (clusters.flagged and members.tie = 'weak')
)

select * from final
