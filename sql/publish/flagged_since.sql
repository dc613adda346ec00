-- Body of the table macro published.flagged_since(since): the clusters flagged now that were
-- first flagged on or after `since` (a date or timestamp, compared with run as-of times), with
-- when they were first seen and first flagged, size, risk and evidence; newest first.
with

first_flagged as (
    select cluster_id, min(as_of) as first_flagged
    from published.cluster_history
    where flagged
    group by cluster_id
),

final as (
    select
        c.cluster_id,
        f.first_flagged,
        c.first_seen,
        c.size,
        c.risk_score,
        c.tier,
        c.families,
        c.evidence
    from published.clusters as c
    inner join first_flagged as f using (cluster_id)
    where c.flagged and f.first_flagged >= since
)

select * from final order by first_flagged desc, risk_score desc, size desc, cluster_id
