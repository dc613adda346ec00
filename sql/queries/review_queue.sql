-- The review queue: clusters worth a look but not banned, riskiest first, with their size,
-- allowlisted (verified) members and the evidence; a reviewer works down this list.
-- Parameters: none.
select
    cluster_id,
    any_value(risk_score) as risk_score,
    any_value(cluster_size) as size,
    count(*) filter (where allowlisted) as allowlisted_members,
    any_value(families) as families,
    any_value(evidence) as evidence
from published.review_queue
group by cluster_id
order by risk_score desc, size desc, cluster_id
