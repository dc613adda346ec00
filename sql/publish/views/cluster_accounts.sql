-- Members of each cluster with what they share: one row per clustered account, with every
-- identifier it holds in common with at least one other member of the same cluster. Keys are
-- shown as stored (keyed hashes of mailboxes, phones and names; normalized devices, cards, IPs,
-- templates), never raw personal data. `members` is how many members of the cluster hold the
-- key, `holders` how many accounts hold it in all, `linked` whether it links accounts (a value
-- held by more than its kind's cap is a hub and links nobody).
--
-- The body of the table macro published.cluster_accounts_of(clusters := null): `clusters` is a
-- list of cluster ids, or null for every cluster, which is the view published.cluster_accounts
-- (pipelines/publish/views.py). A filter on the view cannot reach the values it reads (DuckDB
-- does not push it into the branches of features.account_key_values), so at 10M accounts
-- `where cluster_id = ?` read every account's identifiers; the macro reads the members' only.
with

members as (
    select m.cluster_id, m.account_id, s.account_idx
    from published.cluster_members as m
    inner join staging.signups as s using (account_id)
    -- The list tested as a scalar: as a column it rides along the join with the sign-ups.
    where (select clusters is null) or m.cluster_id in (select unnest(clusters))
),

-- Keys are hashes; the value beside each comes from features.account_key_values_of, given the
-- members (every account when no cluster is named).
member_keys as (
    select distinct members.cluster_id, members.account_id, k.kind, k.key, k.value
    from members
    inner join features.account_key_values_of(
        accounts := case when clusters is not null then (select list(account_idx) from members) end
    ) as k using (account_idx)
),

cluster_keys as (
    select cluster_id, kind, key, count(*) as members
    from member_keys
    group by cluster_id, kind, key
    having count(*) >= 2
),

shared as (
    select
        member_keys.cluster_id,
        member_keys.account_id,
        struct_pack(
            kind := member_keys.kind,
            family := stats.family,
            key := member_keys.value,
            members := cluster_keys.members,
            holders := stats.n_accounts,
            linked := stats.linked
        ) as shared_key
    from member_keys
    inner join cluster_keys using (cluster_id, kind, key)
    inner join features.key_stats as stats using (kind, key)
),

per_member as (
    select
        cluster_id,
        account_id,
        count(*) as n_shared_keys,
        list_sort(list(distinct shared_key.kind)) as shared_kinds,
        list_sort(list(distinct shared_key.family)) as shared_families,
        list(
            shared_key
            order by shared_key.members desc, shared_key.kind, shared_key.key
        ) as shared_keys
    from shared
    group by cluster_id, account_id
),

final as (
    select
        members.cluster_id,
        members.account_id,
        coalesce(per_member.n_shared_keys, 0) as n_shared_keys,
        coalesce(per_member.shared_kinds, []) as shared_kinds,
        coalesce(per_member.shared_families, []) as shared_families,
        coalesce(per_member.shared_keys, []) as shared_keys
    from members
    left join per_member using (cluster_id, account_id)
)

select * from final
