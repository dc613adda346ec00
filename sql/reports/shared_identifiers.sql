-- Report identifiers: one row per (requested cluster, member, kind, key) for every linking
-- identifier (features.key_stats.linked) that two or more members of the cluster hold: what
-- ties the cluster together. Keys of emails, phones and names are keyed hashes.
with

wanted as (
    select unnest($cluster_ids::varchar[]) as cluster_id
),

members as (
    select m.cluster_id, m.account_id, s.account_idx
    from published.cluster_members as m
    semi join wanted using (cluster_id)
    inner join staging.signups as s using (account_id)
),

linking as (
    select kind, key, n_accounts, family, strength from features.key_stats where linked
),

-- Keys are hashes; the readable value beside each comes from the members' rows only (the
-- macro behind the view features.account_key_values, given the members' account_idx).
held as (
    select distinct members.cluster_id, members.account_id, k.kind, k.key, k.value
    from features.account_key_values_of(accounts := (select list(account_idx) from members)) as k
    inner join members using (account_idx)
    semi join linking using (kind, key)
),

shared as (
    select cluster_id, kind, key, count(*) as holders
    from held
    group by all
    having count(*) >= 2
),

final as (
    select
        held.cluster_id,
        held.account_id,
        held.kind,
        held.value as key,
        linking.family,
        linking.strength,
        shared.holders,
        linking.n_accounts
    from held
    inner join shared using (cluster_id, kind, key)
    inner join linking using (kind, key)
)

select * from final order by cluster_id, kind, key, account_id
