-- Values held by two or more members of the same community: one row per (community, kind, key)
-- with its number of holders. The member-key join behind it is the largest input of scoring
-- (380M keys at 10M accounts); as a CTE of cluster_features it was read twice, so DuckDB kept
-- all of it in memory and spill at once, and the run filled the disk. As a table it is one
-- grouping that spills, and what reads it next reads 17M rows.
select communities.community, keys.kind, keys.key, count(*) as holders
from communities.account_communities as communities
inner join features.account_keys as keys using (account_idx)
group by all
having count(*) >= 2
