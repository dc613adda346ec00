-- Published evidence edges: one row per linked account pair, with account ids, the pair's
-- weight, what they share (kinds, families and the number of shared values of each kind,
-- `kind_counts`; the values themselves stay in features.*) and their cluster when both are
-- members of the same one. The stored rows (published.similarity_edges_packed) keep the kinds as
-- a mask and the counts packed, decoded here per mask from published.edge_kind_masks. A filter
-- on account_a, account_b or cluster_id reaches the stored rows, which are sorted by account.
with

final as (
    select
        e.account_a,
        e.account_b,
        e.weight,
        e.n_shared,
        m.kinds,
        m.families,
        map_from_entries(list_transform(
            m.counts_at,
            lambda c: {
                'k': c.kind,
                'v': ((
                    case c.word
                        when 0 then e.kind_counts_0
                        when 1 then e.kind_counts_1
                        when 2 then e.kind_counts_2
                        else e.kind_counts_3
                    end >> c.shift::uhugeint
                ) & 65535::uhugeint)::integer
            }
        )) as kind_counts,
        e.cluster_id
    from published.similarity_edges_packed as e
    inner join published.edge_kind_masks as m using (kind_mask)
)

select * from final
