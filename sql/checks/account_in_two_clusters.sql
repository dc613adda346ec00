-- Accounts that are members of more than one cluster (should be none): one row per account.
select account_id, count(*) as clusters
from __schema__.cluster_members
group by account_id
having count(*) > 1
