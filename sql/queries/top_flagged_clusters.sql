-- Top flagged clusters: the riskiest banned clusters, biggest first among equals, with the
-- evidence a reviewer reads and how many of their members are on the ban list.
-- Parameters: $limit (how many clusters).
select
    c.cluster_id,
    c.size,
    round(c.risk_score, 3) as risk_score,
    c.families,
    (select count(*) from published.ban_list as b where b.cluster_id = c.cluster_id) as banned,
    c.evidence
from published.clusters as c
where c.flagged
order by c.risk_score desc, c.size desc, c.cluster_id
limit $limit
