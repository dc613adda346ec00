-- The similarity edges inside each community, by evidence family: one row per community with
-- internal edges. Its own table so that cluster_features joins finished aggregates instead of
-- running this join of every edge beside its other groupings (at 10M accounts they did not fit
-- in memory together).
with

-- The kind_mask bits of each family (and of devices), to test edges without decoding them.
masks as (
    select
        coalesce(bit_or(1 << kind_no) filter (where family = 'identity'), 0) as identity,
        coalesce(bit_or(1 << kind_no) filter (where family = 'payment'), 0) as payment,
        coalesce(bit_or(1 << kind_no) filter (where kind = 'device'), 0) as device,
        coalesce(bit_or(1 << kind_no) filter (where family = 'network'), 0) as network,
        coalesce(bit_or(1 << kind_no) filter (where family = 'behaviour'), 0) as behaviour
    from ref.key_kinds
)

select
    a.community,
    count(*) as n_edges,
    -- Summed as integers: a sum of doubles depends on the order threads add them in.
    sum(round(e.weight * 1e12)::bigint) / 1e12 as edge_weight,
    count(*) filter (where e.kind_mask & m.identity <> 0) as identity_edges,
    count(*) filter (where e.kind_mask & m.payment <> 0) as payment_edges,
    count(*) filter (where e.kind_mask & m.device <> 0) as device_edges,
    count(*) filter (where e.kind_mask & m.network <> 0) as network_edges,
    count(*) filter (where e.kind_mask & m.behaviour <> 0) as behaviour_edges
from edges.similarity_edges as e
cross join masks as m
inner join communities.account_communities as a on a.account_idx = e.src
inner join communities.account_communities as b
    on b.account_idx = e.dst and b.community = a.community
group by a.community
