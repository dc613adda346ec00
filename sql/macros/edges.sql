-- Edge evidence macros: the per-kind counts of `edges.similarity_edges`.

-- How many values of kind `kind_no` (ref.key_kinds) a pair shares, from the edge's four words
-- kind_counts_0..3: kind k's count is 16 bits at 16 * (k % 8) of word k // 8, capped at 65,535
-- (sql/edges/similarity_edges.sql). Four words hold the 32 kinds a 32-bit kind_mask can name.
create or replace macro edge_kind_count(w0, w1, w2, w3, kind_no) as
    ((
        case kind_no // 8 when 0 then w0 when 1 then w1 when 2 then w2 else w3 end
        >> (16 * (kind_no % 8))::uhugeint
    ) & 65535::uhugeint)::integer;
