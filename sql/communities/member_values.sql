-- The values members of one community share, as incidence rows for cutting communities
-- (graph.splitting): one row per (member, value it shares with another member of its
-- community). Read with the frame `community_members` (account_idx, community) registered.
-- value_id numbers the (community, kind, key) values densely; chance says the kind is one that
-- strangers share by chance: its strength (what one value held by two accounts gives a pair,
-- sql/features/key_stats.sql) is below $min_strength, what a member needs. Only linked values
-- of families not in $exclude_families count: those the edges were built from.
-- An exact IP and its /24 (or /64) are one coincidence, not two: whoever shares the IP shares
-- its network too, and as two values neither would be a cut vertex, so a household whose home
-- IP one farm account used stayed tied to the farm (most of the benign accounts still banned at
-- 10M accounts). An IP value is left out where every member holding it also holds one shared
-- network value of the community: the network stands for both. Keys are hashes, so the IP's
-- own network is not known here; a network all of the IP's holders share is (it is the IP's own
-- unless that one is unlinked, when the IP stays).
with

members as (
    select account_idx, community from community_members
),

kinds as (
    select kind, strength < $min_strength as chance
    from ref.key_kinds
    where not list_contains($exclude_families::varchar[], family)
),

-- Each member's keys (features.account_keys holds each account, kind and key once). Not
-- materialized: every reader takes a part of it (the groups, the IPs and networks, the rows).
held as not materialized (
    select members.account_idx, members.community, keys.kind, keys.key
    from members
    inner join features.account_keys as keys using (account_idx)
    semi join kinds using (kind)
),

-- Grouped before they meet key_stats: joining every member key with it was a third of the
-- query at 1M accounts (8.4 s -> 6.3 s).
shared_keys as (
    select shared.community, shared.kind, shared.key, shared.n_members
    from (
        select community, kind, key, count(*) as n_members
        from held
        group by community, kind, key
        having count(*) >= 2
    ) as shared
    inner join features.key_stats as stats using (kind, key)
    where stats.linked
),

-- The shared IPs every holder of which also holds one shared network value (/24 or /64).
ips_in_a_network as (
    select distinct ips.community, ips.kind, ips.key
    from shared_keys as ips
    inner join held as ip_held
        on ip_held.community = ips.community and ip_held.kind = 'ip' and ip_held.key = ips.key
    inner join held as network_held
        on network_held.account_idx = ip_held.account_idx and network_held.kind = 'prefix'
    semi join shared_keys as networks
        on networks.community = ips.community and networks.kind = 'prefix'
        and networks.key = network_held.key
    where ips.kind = 'ip'
    group by ips.community, ips.kind, ips.key, ips.n_members, network_held.key
    having count(*) = ips.n_members
),

shared as (
    select
        community,
        kind,
        key,
        row_number() over (order by community, kind, key) - 1 as value_id
    from shared_keys
    anti join ips_in_a_network using (community, kind, key)
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
