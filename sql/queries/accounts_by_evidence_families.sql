-- Accounts per style of farm evidence: flagged clusters and their banned accounts grouped by
-- the combination of signal families that fired (identity, payment, network, timing,
-- behaviour), to see which kinds of farm the pipeline is catching.
-- Parameters: none.
select
    array_to_string(c.families, ' + ') as families,
    count(distinct c.cluster_id) as clusters,
    count(b.account_id) as banned_accounts,
    round(avg(c.risk_score), 3) as avg_risk_score
from published.clusters as c
left join published.ban_list as b using (cluster_id)
where c.flagged
group by c.families
order by banned_accounts desc, families
