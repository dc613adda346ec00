-- The enforcement export: one row per member of a flagged cluster, minus the allowlist.
with

clusters as (
    select * from published.clusters where flagged
),

members as (
    select * from published.cluster_members
),

allowlist as (
    select distinct account_id from staging.allowlist
),

final as (
    select
        members.account_id,
        clusters.cluster_id,
        round(clusters.risk_score, 4) as risk_score,
        clusters.evidence as reason
    from members
    inner join clusters using (cluster_id)
    anti join allowlist using (account_id)
)

select * from final order by cluster_id, account_id
