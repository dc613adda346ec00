-- Every identifier an account has, as a comparable key: one row per (account_idx, kind, key),
-- from the view features.account_key_values (see sql/features/account_key_values.sql). The key
-- is a 64-bit hash of the normalized value: equal values give equal keys, and grouping tens of
-- millions of integers costs a fraction of grouping the text. Two different values colliding
-- among tens of millions has a chance of about 1 in 100,000 and at most adds one shared value
-- to a pair. The values stay readable in the view.
select distinct account_idx, kind, key
from features.account_key_values
