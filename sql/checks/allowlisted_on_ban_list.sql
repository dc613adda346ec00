-- Allowlisted accounts on the ban list (should be none): one row per such account.
select b.account_id, b.cluster_id
from __schema__.ban_list as b
inner join staging.allowlist as a using (account_id)
