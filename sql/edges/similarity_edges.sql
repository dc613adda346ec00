-- The account similarity graph: one row per linked account pair (src < dst, dense int ids),
-- with the weight and the evidence of what the two share: kind_mask has bit kind_no (see
-- ref.key_kinds) set for each kind of value they share, and kind_counts_0..3 hold how many values
-- of each kind, 16 bits per kind (capped at 65,535), kind k in word k // 8 at bit 16 * (k % 8)
-- (read with the macro edge_kind_count). Integers, because lists of text aggregated over
-- millions of pairs cost more than the rest of the step together, and a list of integers per
-- pair still cost 3 of its 20 s at 1M accounts; the published edges decode them into kinds,
-- families and a kind -> count map.
-- A value shared by n accounts is not expanded into n*(n-1)/2 pairs: members are put on a ring
-- and each is joined to the members 1, 2, 4, ... places ahead, at most $max_chords chords. Small
-- groups stay cliques; large ones become expander-like graphs of about n*max_chords edges, so
-- the edge count stays linear in the input.
-- The ring order is a hash of the account_id, not of the dense account_idx: adding or removing
-- one account then moves only the chords next to it, instead of re-dealing every ring (which
-- would shift clusters between runs on nearly the same data).
-- Pair weight: noisy-OR over shared values, 1 - prod(1 - strength). The log terms are summed as
-- fixed-point integers: integer sums do not depend on the order parallel threads add them in,
-- so the same input gives bit-identical weights (and so identical clusters).
-- Families in $exclude_families link nobody (for ablation: what the graph is without them).
with

linked_keys as (
    select
        row_number() over (order by s.kind, s.key) as key_id,
        s.kind,
        s.key,
        s.n_accounts,
        k.kind_no,
        round(ln(1 - s.strength) * 1e12)::bigint as log_miss_fixed
    from features.key_stats as s
    inner join ref.key_kinds as k using (kind)
    where s.linked and not list_contains($exclude_families::varchar[], s.family)
),

members as (
    select
        k.account_idx,
        l.key_id,
        l.n_accounts,
        l.kind_no,
        l.log_miss_fixed,
        row_number() over (
            partition by l.key_id order by hash(s.account_id), s.account_id
        ) - 1 as pos
    from features.account_keys as k
    inner join linked_keys as l on l.kind = k.kind and l.key = k.key
    inner join staging.signups as s on s.account_idx = k.account_idx
),

-- Each member's chords: the ring positions 1, 2, 4, ... places ahead, as join keys. A small ring
-- would reach some pairs from both ends: chords d and n - d (both powers of two, d > n / 2) and,
-- when d = n / 2, the chord from either end. Only one of each is kept, so every pair comes once
-- per shared value without a distinct over tens of millions of rows.
chords as (
    select
        members.account_idx,
        members.key_id,
        members.kind_no,
        members.log_miss_fixed,
        (members.pos + d.d) % members.n_accounts as target
    from members
    cross join (select (1 << unnest(range(0, $max_chords)))::bigint as d) as d
    where d.d < members.n_accounts
        and not (
            2 * d.d > members.n_accounts
            and ((members.n_accounts - d.d) & (members.n_accounts - d.d - 1)) = 0
            and members.n_accounts - d.d < (1 << $max_chords)
        )
        and not (2 * d.d = members.n_accounts and 2 * members.pos >= members.n_accounts)
),

-- One row per pair and shared value.
per_value as (
    select
        least(c.account_idx, m.account_idx) as src,
        greatest(c.account_idx, m.account_idx) as dst,
        c.kind_no,
        c.log_miss_fixed
    from chords as c
    inner join members as m on m.key_id = c.key_id and m.pos = c.target
),

per_kind as (
    select
        src,
        dst,
        kind_no,
        count(*) as n_values,
        sum(log_miss_fixed) as log_miss_fixed
    from per_value
    group by src, dst, kind_no
),

final as (
    select
        src::integer as src,
        dst::integer as dst,
        1 - exp(sum(log_miss_fixed) / 1e12) as weight,
        sum(n_values)::integer as n_shared,
        bit_or(1 << kind_no)::integer as kind_mask,
        -- One row per kind in per_kind, so the fields never overlap: bit_or packs them.
        coalesce(bit_or(least(n_values, 65535)::uhugeint << (16 * (kind_no % 8))::uhugeint)
            filter (where kind_no // 8 = 0), 0) as kind_counts_0,
        coalesce(bit_or(least(n_values, 65535)::uhugeint << (16 * (kind_no % 8))::uhugeint)
            filter (where kind_no // 8 = 1), 0) as kind_counts_1,
        coalesce(bit_or(least(n_values, 65535)::uhugeint << (16 * (kind_no % 8))::uhugeint)
            filter (where kind_no // 8 = 2), 0) as kind_counts_2,
        coalesce(bit_or(least(n_values, 65535)::uhugeint << (16 * (kind_no % 8))::uhugeint)
            filter (where kind_no // 8 = 3), 0) as kind_counts_3
    from per_kind
    group by src, dst
    having 1 - exp(sum(log_miss_fixed) / 1e12) >= $min_weight
)

select * from final
