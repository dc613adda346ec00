-- Which clusters touch an account: the cluster it belongs to (is_member) and every other
-- cluster it has evidence edges into, with their count, weight and families, strongest first.
-- Parameters: $account_id.
select
    cluster_id,
    is_member,
    edges,
    total_weight,
    round(max_weight, 3) as max_weight,
    families,
    cluster_size,
    round(cluster_risk_score, 3) as cluster_risk_score,
    cluster_tier
from published.account_clusters
where account_id = $account_id
order by is_member desc, total_weight desc, cluster_id
