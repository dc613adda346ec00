-- What changed since the previous export: one row per account added to or removed from the ban
-- list. `previous_ban_list` (a temporary table) holds the ban_list.csv that was in place before
-- this run, read as text; removed rows keep the cluster and score they were banned with.
with

current_list as (
    select account_id, cluster_id, risk_score from published.ban_list
),

previous_list as (
    select distinct on (account_id)
        account_id,
        cluster_id,
        try_cast(risk_score as double) as risk_score
    from previous_ban_list
    where account_id is not null
    order by account_id, cluster_id
),

added as (
    select account_id, cluster_id, 'added' as change, risk_score
    from current_list
    anti join previous_list using (account_id)
),

removed as (
    select account_id, cluster_id, 'removed' as change, risk_score
    from previous_list
    anti join current_list using (account_id)
),

final as (
    select * from added
    union all
    select * from removed
)

select * from final order by change, cluster_id, account_id
