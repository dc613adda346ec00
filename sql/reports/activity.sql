-- Report activity: one row per (requested cluster, hour) with the API requests of all its
-- members in that hour.
with

wanted as (
    select unnest($cluster_ids::varchar[]) as cluster_id
),

members as (
    select m.cluster_id, s.account_idx
    from published.cluster_members as m
    semi join wanted using (cluster_id)
    inner join staging.signups as s using (account_id)
),

final as (
    select members.cluster_id, u.hour, sum(u.requests)::bigint as requests
    from staging.api_usage as u
    inner join members using (account_idx)
    group by all
)

select * from final order by cluster_id, hour
