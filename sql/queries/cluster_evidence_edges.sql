-- The evidence edges of one cluster: every linked pair of members, strongest first, with the
-- kinds and families they share and the shared values themselves (as stored).
-- It calls the macro behind the view published.cluster_evidence_edges with the one cluster,
-- which reads that cluster's identifiers only.
-- Parameters: $cluster_id, $limit (how many pairs).
select
    account_a,
    account_b,
    round(weight, 3) as weight,
    kinds,
    families,
    list_transform(shared_keys, lambda k: k.kind || ' ' || left(k.key::varchar, 16)) as shared_values
from published.cluster_evidence_edges_of(clusters := [$cluster_id])
order by weight desc, account_a, account_b
limit $limit
