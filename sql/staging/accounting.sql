-- Where every input row went: one row per input table with rows read (parsed rows plus CSV lines
-- the parser rejected), loaded into staging, quarantined (and by reason), and fields nulled (and
-- by reason). rows_read = rows_loaded + rows_quarantined, or the run stops.
with

ingest as (
    select * from raw.ingest_log
),

loaded as (
    select 'signups' as table_name, count(*) as n from staging.signups
    union all select 'payments', count(*) from staging.payments
    union all select 'sessions', count(*) from staging.sessions
    union all select 'api_usage', count(*) from staging.api_usage
    union all select 'allowlist', count(*) from staging.allowlist
),

quarantined as (
    select table_name, reason, count(*) as n
    from staging.quarantine
    group by all
),

nulled as (
    select table_name, reason, count(*) as n
    from staging.field_issues
    group by all
),

final as (
    select
        ingest.table_name,
        ingest.source,
        ingest.format,
        ingest.rows_read,
        coalesce(loaded.n, 0) as rows_loaded,
        coalesce((select sum(q.n) from quarantined as q where q.table_name = ingest.table_name), 0)
            as rows_quarantined,
        coalesce(
            (select map_from_entries(list((q.reason, q.n) order by q.reason))
             from quarantined as q where q.table_name = ingest.table_name),
            map()
        ) as quarantined_by_reason,
        coalesce((select sum(f.n) from nulled as f where f.table_name = ingest.table_name), 0)
            as fields_nulled,
        coalesce(
            (select map_from_entries(list((f.reason, f.n) order by f.reason))
             from nulled as f where f.table_name = ingest.table_name),
            map()
        ) as fields_nulled_by_reason,
        ingest.malformed_lines,
        ingest.card_values as card_values_removed
    from ingest
    left join loaded using (table_name)
)

select
    *,
    rows_read = rows_loaded + rows_quarantined as adds_up
from final
order by table_name
