-- Clusters whose risk_score is outside [0, 1] or null (should be none): one row per cluster.
select cluster_id, risk_score
from __schema__.clusters
where risk_score is null or risk_score < 0 or risk_score > 1 or isnan(risk_score)
