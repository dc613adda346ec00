-- Flagged clusters whose evidence names fewer than two signal families (should be none).
select cluster_id, families, evidence
from __schema__.clusters
where
    flagged
    and (
        len(families) < 2
        or len(list_filter(families, lambda f: contains(evidence, '[' || f || ']'))) < 2
    )
