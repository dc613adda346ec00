-- Accounts near a cluster but not in it: pruned out of its community because their summed edge
-- weight to its members fell below min_member_strength (one shared IP, one BIN and postcode),
-- or cut off from it because one value of a chance kind was all they shared with it
-- (graph/splitting.py: several edges from one IP can weigh more than min_member_strength).
-- They do not share the cluster's verdict (a flagged cluster's members are banned whole), and
-- the review queue lists those of flagged clusters for a look: a farm's newest account seen
-- once on one of its IPs is one of them, and so is a stranger who happened to use that IP.
-- tie_strength is their summed edge weight to the cluster's members; review says it reaches
-- min_tie_strength_to_review (more than a /24 or a template shared with one member): those of
-- flagged clusters are in the review queue, the rest (mostly strangers) only here.
with

clusters as (
    select cluster_id, community from published.clusters
),

ties as (
    select account_idx, community, strength, review from communities.weak_ties
),

final as (
    select
        clusters.cluster_id,
        signups.account_id,
        round(ties.strength, 4) as tie_strength,
        ties.review
    from ties
    inner join clusters using (community)
    inner join staging.signups as signups using (account_idx)
)

select * from final order by cluster_id, account_id
