-- Ban list changes since the previous export: accounts added and removed by cluster, read from
-- the exports folder's ban_list_diff.csv beside the warehouse's cluster evidence (a removed
-- account's cluster may no longer exist in this run: its evidence is then null).
-- Parameters: $diff_csv (path to exports/ban_list_diff.csv).
with

diff as (
    select * from read_csv($diff_csv, header = true, all_varchar = true)
)

select
    diff.change,
    diff.cluster_id,
    count(*) as accounts,
    max(try_cast(diff.risk_score as double)) as risk_score,
    any_value(c.evidence) as evidence
from diff
left join published.clusters as c using (cluster_id)
group by diff.change, diff.cluster_id
order by diff.change, accounts desc, diff.cluster_id
