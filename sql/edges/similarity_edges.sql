-- The account similarity graph: one row per linked account pair (src < dst, dense int ids),
-- with the weight and the evidence of what the two share.
-- A value shared by n accounts is not expanded into n*(n-1)/2 pairs: members are put on a ring
-- (in a per-account pseudo-random order) and each is joined to the members 1, 2, 4, ... places
-- ahead, at most $max_chords chords. Small groups stay cliques; large ones become expander-like
-- graphs of about n*max_chords edges, so the edge count stays linear in the input.
-- Pair weight: noisy-OR over shared values, 1 - prod(1 - strength). The log terms are summed as
-- fixed-point integers: integer sums do not depend on the order parallel threads add them in,
-- so the same input gives bit-identical weights (and so identical clusters).
-- Families in $exclude_families link nobody (for ablation: what the graph is without them).
with

linked_keys as (
    select kind, key, n_accounts, family, strength
    from features.key_stats
    where linked and not list_contains($exclude_families::varchar[], family)
),

members as (
    select
        k.account_idx,
        k.kind,
        k.key,
        l.n_accounts,
        l.family,
        l.strength,
        row_number() over (
            partition by k.kind, k.key order by hash(k.account_idx), k.account_idx
        ) - 1 as pos
    from features.account_keys as k
    inner join linked_keys as l on l.kind = k.kind and l.key = k.key
),

chords as (
    select unnest(range(0, $max_chords)) as j
),

pairs as (
    select
        least(a.account_idx, b.account_idx) as src,
        greatest(a.account_idx, b.account_idx) as dst,
        a.kind,
        a.key,
        a.family,
        a.strength
    from members as a
    cross join chords
    inner join members as b
        on b.kind = a.kind
        and b.key = a.key
        and b.pos = (a.pos + (1 << chords.j)) % a.n_accounts
    where (1 << chords.j) < a.n_accounts
),

per_value as (
    select distinct src, dst, kind, key, family, strength
    from pairs
),

per_kind as (
    select
        src,
        dst,
        kind,
        any_value(family) as family,
        count(*) as n_values,
        sum(round(ln(1 - strength) * 1e12)::bigint) as log_miss_fixed
    from per_value
    group by src, dst, kind
),

final as (
    select
        src::integer as src,
        dst::integer as dst,
        1 - exp(sum(log_miss_fixed) / 1e12) as weight,
        sum(n_values)::integer as n_shared,
        list_sort(list(kind)) as kinds,
        list_sort(list(distinct family)) as families,
        map_from_entries(list(struct_pack(k := kind, v := n_values::integer) order by kind))
            as kind_counts
    from per_kind
    group by src, dst
    having 1 - exp(sum(log_miss_fixed) / 1e12) >= $min_weight
)

select * from final
