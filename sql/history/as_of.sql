-- The data's own time, one row: the latest sign-up or event timestamp among the staged rows.
-- History rows are dated by it, never by the wall clock, so two runs on the same data agree.
-- `__catalog__` is the catalog to read (empty for the work database, `previous.` for the
-- previous warehouse).
with

stamps as (
    select max(created_at) as stamp from __catalog__staging.signups
    union all
    select max(created_at) from __catalog__staging.payments
    union all
    select max(ts) from __catalog__staging.sessions
    union all
    select max(hour) from __catalog__staging.api_usage
),

final as (
    select max(stamp)::timestamp as as_of from stamps
)

select * from final
