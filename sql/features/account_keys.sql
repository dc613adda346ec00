-- Every identifier an account has, as a comparable key: one row per (account_idx, kind, key),
-- from the view features.account_key_values (see sql/features/account_key_values.sql). The key
-- is a 64-bit hash of the normalized value: equal values give equal keys, and grouping tens of
-- millions of integers costs a fraction of grouping the text. Two different values colliding
-- among tens of millions has a chance of about 1 in 100,000 and at most adds one shared value
-- to a pair. The values stay readable in the view.
--
-- A few kinds per statement ($kinds; the asset runs every kind of ref.key_kinds): DuckDB's hash
-- aggregate holds state in proportion to its input rows, and one distinct over every kind at
-- once (800M rows at 10M accounts) ran out of its 4 GB where each kind alone spills and fits.
-- The kinds made from one classification of the IPs (ip, shared_ip, prefix) go together: one
-- at a time, each classified every IP again (8.7 s of the step's 16 at 1M accounts; 3.4 s
-- together).
select distinct account_idx, kind, key
from features.account_key_values
where list_contains($kinds, kind)
