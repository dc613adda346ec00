-- Cluster history: one row per cluster_id and run as-of (the data's own latest timestamp), the
-- previous warehouse's rows dated before this run plus this run's: size and members added and
-- removed since the baseline run, risk, flagged and tier (null once gone), and the event
-- (new, split_from, persisted, grown, shrunk, merged, merged_into, dissolved) with the related
-- cluster (see sql/history/cluster_ids.sql).
with

earlier as (
    select * from history.previous_history
),

ids as (
    select * from history.cluster_ids
),

run as (
    select as_of from history.as_of
),

scores as (
    select community, risk_score, flagged, tier from scoring.cluster_scores
),

this_run as (
    select
        ids.cluster_id,
        run.as_of,
        ids.event,
        ids.related_cluster_id,
        ids.size,
        ids.previous_size,
        ids.members_added,
        ids.members_removed,
        scores.risk_score,
        scores.flagged,
        scores.tier
    from ids
    cross join run
    left join scores using (community)
),

final as (
    select
        cluster_id,
        as_of,
        event,
        related_cluster_id,
        size,
        previous_size,
        members_added,
        members_removed,
        risk_score,
        flagged,
        tier
    from earlier
    union all
    select * from this_run
)

select * from final order by cluster_id, as_of
