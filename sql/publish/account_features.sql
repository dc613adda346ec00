-- Published per-account features, with the account's cluster (null when in none). No raw
-- emails, phones or names: the email domain and its class only.
with

features as (
    select * from features.account_features
),

membership as (
    select account_id, cluster_id from published.cluster_members
),

final as (
    select
        membership.cluster_id,
        features.* exclude (account_idx)
    from features
    left join membership using (account_id)
)

select * from final order by account_id
