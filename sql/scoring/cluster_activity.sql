-- What each community's members pay and when they call the API: one row per community, zeros
-- where none pays or calls. Read by cluster_features. A table of its own because the aggregates
-- over the payments and the API usage, run in one statement with the sign-up and member
-- aggregates, needed more than the 4 GB of DuckDB memory at 10M accounts and spilled past 40 GB
-- of disk; each part alone fits.
-- Distinct values are counted on 64-bit hashes, not texts (fixed-width aggregate state; a
-- collision inside one community is vanishingly rare); hash(null) is not null in DuckDB, so a
-- missing value stays missing.
with

payments as (
    select
        c.community,
        p.account_idx,
        p.status,
        case when p.card_fingerprint is not null then hash(p.card_fingerprint) end as card_key,
        case when p.card_bin is not null then hash(p.card_bin) end as bin_key,
        case when p.billing_postal is not null then hash(p.billing_postal) end as postal_key
    from communities.account_communities as c
    inner join staging.payments as p using (account_idx)
),

payment_stats as (
    select
        community,
        count(distinct account_idx) as n_paying,
        count(*) as n_payments,
        count(distinct card_key) as n_cards,
        count(distinct bin_key) as n_bins,
        count(distinct postal_key) as n_postals,
        avg((status = 'failed')::int) as failed_rate,
        avg((status in ('disputed', 'refunded'))::int) as dispute_rate
    from payments
    group by community
),

cluster_hours as (
    select c.community, count(distinct hour(u.hour)) as hours_of_day
    from communities.account_communities as c
    inner join staging.api_usage as u using (account_idx)
    group by c.community
),

final as (
    select
        community,
        coalesce(payment_stats.n_paying, 0) as n_paying,
        coalesce(payment_stats.n_payments, 0) as n_payments,
        coalesce(payment_stats.n_cards, 0) as n_cards,
        coalesce(payment_stats.n_bins, 0) as n_bins,
        coalesce(payment_stats.n_postals, 0) as n_postals,
        coalesce(payment_stats.failed_rate, 0) as failed_rate,
        coalesce(payment_stats.dispute_rate, 0) as dispute_rate,
        coalesce(cluster_hours.hours_of_day, 0) as cluster_hours_of_day
    from (select distinct community from communities.account_communities) as c
    left join payment_stats using (community)
    left join cluster_hours using (community)
)

select * from final order by community
