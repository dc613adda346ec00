-- Differences between the ban list and the members of flagged clusters minus the allowlist
-- (should be none): one row per account on one side only.
with

expected as (
    select m.account_id
    from __schema__.cluster_members as m
    inner join __schema__.clusters as c using (cluster_id)
    where c.flagged
    except
    select account_id from staging.allowlist
),

actual as (
    select account_id from __schema__.ban_list
),

final as (
    (select account_id, 'flagged member missing from ban list' as problem from expected
     except select account_id, 'flagged member missing from ban list' from actual)
    union all
    (select account_id, 'on ban list but not a flagged member' from actual
     except select account_id, 'on ban list but not a flagged member' from expected)
)

select * from final
