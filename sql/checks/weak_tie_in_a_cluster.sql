-- Accounts listed as weakly tied to a cluster that are members of a cluster (should be none: a
-- weak tie is an account pruning took out of every cluster): one row per such account.
select t.account_id, t.cluster_id as tied_to, m.cluster_id as member_of
from __schema__.cluster_weak_ties as t
inner join __schema__.cluster_members as m using (account_id)
