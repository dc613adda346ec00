-- The review queue: clusters worth a look, riskiest first. Review-tier clusters with their
-- members to review, and flagged (banned) clusters with the accounts weakly tied to them, which
-- the ban leaves out; with allowlisted (verified) accounts and the evidence. A reviewer works
-- down this list.
-- Parameters: none.
select
    cluster_id,
    any_value(risk_score) as risk_score,
    any_value(cluster_size) as size,
    count(*) filter (where tie = 'member') as members_to_review,
    count(*) filter (where tie = 'weak') as weak_ties,
    count(*) filter (where allowlisted) as allowlisted_accounts,
    any_value(families) as families,
    any_value(evidence) as evidence
from published.review_queue
group by cluster_id
order by risk_score desc, size desc, cluster_id
