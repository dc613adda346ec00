-- Cluster identity across runs: one row per cluster of this run (community set), plus one per
-- cluster of the baseline run that has no successor (community null, size 0). A cluster keeps
-- the id of the baseline cluster it overlaps most when each is the other's best match (most
-- shared members; ties: the smaller union, then the smaller id or anchor) and the shared members
-- are more than half of the old cluster's members still in the input, or more than half of the
-- new cluster. Every other cluster gets a fresh id from its membership that no earlier history
-- row has used. event: new, split_from (fresh, mostly made of one old cluster: related), grown,
-- shrunk, persisted (kept the id; by size), merged (kept the id and took in most of another old
-- cluster: related, the largest), merged_into (gone, mostly into related), dissolved (gone).
with

run as (
    select as_of, baseline_as_of from history.as_of
),

current_members as (
    select c.community, s.account_id
    from communities.account_communities as c
    inner join staging.signups as s using (account_idx)
),

baseline as (
    select cluster_id, account_id from history.baseline_members
),

earlier as (
    select cluster_id, min(as_of) as first_seen
    from history.previous_history
    group by cluster_id
),

current_clusters as (
    select community, count(*) as size, arg_min(account_id, hash(account_id)) as anchor
    from current_members
    group by community
),

old_clusters as (
    select
        b.cluster_id,
        count(*) as previous_size,
        count(s.account_id) as present_size
    from baseline as b
    left join staging.signups as s using (account_id)
    group by b.cluster_id
),

overlap as (
    select m.community, b.cluster_id, count(*) as shared
    from current_members as m
    inner join baseline as b using (account_id)
    group by m.community, b.cluster_id
),

ranked as (
    select
        o.community,
        o.cluster_id,
        o.shared,
        n.size,
        n.anchor,
        old.present_size,
        row_number() over (
            partition by o.community
            order by o.shared desc, old.present_size asc, o.cluster_id asc
        ) as rank_for_new,
        row_number() over (
            partition by o.cluster_id
            order by o.shared desc, n.size asc, n.anchor asc
        ) as rank_for_old
    from overlap as o
    inner join current_clusters as n using (community)
    inner join old_clusters as old using (cluster_id)
),

matched as (
    select community, cluster_id, shared
    from ranked
    where rank_for_new = 1
        and rank_for_old = 1
        and (2 * shared > present_size or 2 * shared > size)
),

taken as (
    select cluster_id from history.previous_history
    union
    select cluster_id from history.baseline_members
),

fresh_candidates as (
    select
        n.community,
        r.k,
        'C' || substr(md5(if(r.k = 0, n.anchor, n.anchor || '#' || r.k)), 1, 12) as cluster_id
    from current_clusters as n
    cross join range(0, 8) as r (k)
    where n.community not in (select community from matched)
),

fresh as (
    select c.community, arg_min(c.cluster_id, c.k) as cluster_id
    from fresh_candidates as c
    where c.cluster_id not in (select cluster_id from taken)
    group by c.community
),

-- The old cluster most of a fresh cluster came from (a split), and the new cluster most of an
-- unmatched old cluster went to (a merge).
split_parent as (
    select community, cluster_id as related_cluster_id
    from ranked
    where rank_for_new = 1 and 2 * shared > size
),

absorbed as (
    select r.cluster_id, r.community, r.shared
    from ranked as r
    where r.rank_for_old = 1
        and 2 * r.shared > r.present_size
        and r.cluster_id not in (select cluster_id from matched)
),

largest_absorbed as (
    select community, cluster_id as merged_from
    from absorbed
    qualify row_number() over (partition by community order by shared desc, cluster_id) = 1
),

kept as (
    select
        n.community,
        m.cluster_id,
        n.size,
        old.previous_size,
        n.size - m.shared as members_added,
        old.previous_size - m.shared as members_removed,
        a.merged_from
    from current_clusters as n
    inner join matched as m using (community)
    inner join old_clusters as old using (cluster_id)
    left join largest_absorbed as a using (community)
),

current_rows as (
    select
        community,
        cluster_id,
        case
            when merged_from is not null then 'merged'
            when size > previous_size then 'grown'
            when size < previous_size then 'shrunk'
            else 'persisted'
        end as event,
        merged_from as related_cluster_id,
        size,
        previous_size,
        members_added,
        members_removed
    from kept
    union all
    select
        n.community,
        f.cluster_id,
        if(p.related_cluster_id is null, 'new', 'split_from') as event,
        p.related_cluster_id,
        n.size,
        null as previous_size,
        n.size as members_added,
        0 as members_removed
    from current_clusters as n
    inner join fresh as f using (community)
    left join split_parent as p using (community)
),

gone_rows as (
    select
        null::integer as community,
        old.cluster_id,
        if(a.community is null, 'dissolved', 'merged_into') as event,
        heir.cluster_id as related_cluster_id,
        0 as size,
        old.previous_size,
        0 as members_added,
        old.previous_size as members_removed
    from old_clusters as old
    left join absorbed as a using (cluster_id)
    left join current_rows as heir on heir.community = a.community
    where old.cluster_id not in (select cluster_id from matched)
),

final as (
    select
        rows.cluster_id,
        rows.community,
        rows.event,
        rows.related_cluster_id,
        rows.size::integer as size,
        rows.previous_size::integer as previous_size,
        rows.members_added::integer as members_added,
        rows.members_removed::integer as members_removed,
        case
            when rows.event in ('new', 'split_from') then run.as_of
            else coalesce(earlier.first_seen, run.baseline_as_of)
        end as first_seen
    from (select * from current_rows union all select * from gone_rows) as rows
    cross join run
    left join earlier using (cluster_id)
)

select * from final order by cluster_id
