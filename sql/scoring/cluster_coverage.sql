-- How many members of each community hold at least one value of a kind shared inside it:
-- one row per community. IPs and prefixes count together as the network family.
with

-- One row per (member, kind) where the member holds a value of that kind that another member
-- holds too. Distinct rows instead of count(distinct): a plain grouping spills where a distinct
-- aggregate per community ran out of memory at 10M accounts.
holder_kinds as (
    select distinct
        communities.community,
        keys.account_idx,
        case when keys.kind in ('ip', 'prefix') then 'network' else keys.kind end as kind
    from communities.account_communities as communities
    inner join features.account_keys as keys using (account_idx)
    semi join scoring.cluster_shared_keys as shared
        on shared.community = communities.community
        and shared.kind = keys.kind
        and shared.key = keys.key
)

select
    community,
    count(*) filter (where kind = 'email') as mailbox_holders,
    count(*) filter (where kind = 'phone') as phone_holders,
    count(*) filter (where kind = 'device') as device_holders,
    count(*) filter (where kind = 'card') as card_holders,
    count(*) filter (where kind = 'bin_postal') as bin_postal_holders,
    count(*) filter (where kind = 'network') as network_holders,
    count(*) filter (where kind = 'prompt') as template_holders,
    count(*) filter (where kind = 'prompt_hour') as cohour_holders,
    count(*) filter (where kind = 'prompt_set') as template_set_holders
from holder_kinds
group by community
