-- Report headers: one row per requested cluster ($cluster_ids), with how many of its members
-- are on the ban list.
with

wanted as (
    select unnest($cluster_ids::varchar[]) as cluster_id
),

clusters as (
    select * from published.clusters
),

banned as (
    select cluster_id, count(*) as n_banned from published.ban_list group by cluster_id
),

final as (
    select
        clusters.cluster_id,
        clusters.size,
        clusters.risk_score,
        clusters.flagged,
        clusters.review,
        clusters.tier,
        clusters.families,
        clusters.evidence,
        clusters.first_signup,
        clusters.last_signup,
        clusters.n_edges,
        clusters.weighted_density,
        coalesce(banned.n_banned, 0) as n_banned
    from clusters
    semi join wanted using (cluster_id)
    left join banned using (cluster_id)
)

select * from final order by cluster_id
