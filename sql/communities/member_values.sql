-- The values members of one community share, as incidence rows for cutting communities
-- (graph.splitting): one row per (member, value it shares with another member of its
-- community). Read with the frame `community_members` (account_idx, community) registered.
-- value_id numbers the (community, kind, key) values densely; chance says the kind is one that
-- strangers share by chance: its strength (what one value held by two accounts gives a pair,
-- sql/features/key_stats.sql) is below $min_strength, what a member needs. Only linked values
-- of families not in $exclude_families count: those the edges were built from.
with

members as (
    select account_idx, community from community_members
),

kinds as (
    select kind, strength < $min_strength as chance
    from ref.key_kinds
    where not list_contains($exclude_families::varchar[], family)
),

held as (
    select distinct members.account_idx, members.community, keys.kind, keys.key
    from members
    inner join features.account_keys as keys using (account_idx)
    inner join features.key_stats as stats using (kind, key)
    semi join kinds using (kind)
    where stats.linked
),

shared as (
    select
        community,
        kind,
        key,
        row_number() over (order by community, kind, key) - 1 as value_id
    from held
    group by community, kind, key
    having count(*) >= 2
),

final as (
    select
        held.account_idx,
        shared.value_id,
        kinds.chance
    from held
    inner join shared using (community, kind, key)
    inner join kinds using (kind)
)

select * from final order by value_id, account_idx
