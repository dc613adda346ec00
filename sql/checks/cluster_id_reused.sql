-- Cluster ids that break identity across runs (should be none): a null or repeated cluster_id,
-- two history rows of one cluster at one as-of, or a cluster whose id has history from before
-- it was first seen (a fresh id that an earlier cluster used). One row per offending id.
with

clusters as (
    select cluster_id, first_seen from __schema__.clusters
),

history as (
    select cluster_id, as_of from __schema__.cluster_history
),

repeated as (
    select cluster_id, 'null or repeated cluster_id' as problem
    from clusters
    group by cluster_id
    having count(*) > 1 or cluster_id is null
),

doubled as (
    select distinct cluster_id, 'two history rows at one as-of' as problem
    from history
    group by cluster_id, as_of
    having count(*) > 1
),

reused as (
    select distinct c.cluster_id, 'history from before the cluster was first seen' as problem
    from clusters as c
    inner join history as h on h.cluster_id = c.cluster_id and h.as_of < c.first_seen
),

final as (
    select * from repeated
    union all
    select * from doubled
    union all
    select * from reused
)

select * from final
