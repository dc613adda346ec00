-- Each kind_mask of published.similarity_edges_packed decoded (a few hundred at most): the kinds
-- and families it names, sorted, and for each kind where its count sits in the packed words
-- (`word`: which of kind_counts_0..3, `shift`: the bit offset of its 16 bits; see
-- sql/macros/edges.sql). The view published.similarity_edges joins it to every pair, so the
-- warehouse decodes the edges without the pipeline's macros.
with

masks as (
    select distinct kind_mask from edges.similarity_edges
),

final as (
    select
        masks.kind_mask,
        list(k.kind order by k.kind) as kinds,
        list(distinct k.family order by k.family) as families,
        list(
            {'kind': k.kind, 'word': k.kind_no // 8, 'shift': 16 * (k.kind_no % 8)}
            order by k.kind
        ) as counts_at
    from masks
    inner join ref.key_kinds as k on masks.kind_mask & (1 << k.kind_no) <> 0
    group by masks.kind_mask
)

select * from final order by kind_mask
