-- The sign-ups of each community's members: size, time span, cadence and bursts of sign-ups,
-- mailboxes, email domains and shapes, phones, sign-up devices; one row per community. Read by
-- cluster_features. A table of its own, as cluster_behaviour is: at 10M accounts, written
-- inside cluster_features with the members' aggregates and its joins, the statement spilled
-- until the 45 GB of free disk were full in 3 runs of 13 on the same input, and not at all in
-- the others; apart, none of them ever spilled.
with

communities as (
    select * from communities.account_communities
),

-- Distinct values are counted on 64-bit hashes, not texts (fixed-width aggregate state; a
-- collision inside one community is vanishingly rare); hash(null) is not null in DuckDB, so
-- a missing value stays missing.
signups as (
    select
        communities.community,
        s.account_idx,
        s.created_at,
        s.email_shape,
        s.email_domain_class,
        case when s.email_mailbox is not null then hash(s.email_mailbox) end as mailbox_key,
        case when s.email_domain is not null then hash(s.email_domain) end as domain_key,
        case when s.phone_key is not null then hash(s.phone_key) end as phone_hash,
        case when s.device_id is not null then hash(s.device_id) end as device_key
    from communities
    inner join staging.signups as s using (account_idx)
),

gaps as (
    select
        community,
        epoch(created_at - lag(created_at) over (
            partition by community order by created_at, account_idx
        )) as gap_s
    from signups
),

cadence as (
    select
        community,
        median(gap_s) as median_gap_s,
        stddev_pop(gap_s) / nullif(avg(gap_s), 0) as gap_cv
    from gaps
    where gap_s is not null
    group by community
),

-- The shape of each mailbox's local part (letters -> a, digit runs -> 9): scripts fill one
-- template ("a.a9"), people write their addresses many ways.
email_shapes as (
    select community, max(n) as top_shape_members
    from (
        select community, email_shape as shape, count(*) as n
        from signups
        where email_shape is not null
        group by all
    )
    group by community
),

bursts as (
    select community, max(n) as max_signups_in_hour
    from (
        select community, date_trunc('hour', created_at) as h, count(*) as n
        from signups
        group by all
    )
    group by community
),

identity as (
    select
        community,
        count(*) as size,
        min(created_at) as first_signup,
        max(created_at) as last_signup,
        count(distinct mailbox_key) as n_mailboxes,
        count(distinct domain_key) as n_email_domains,
        avg((email_domain_class = 'disposable')::int) as disposable_share,
        avg((email_domain_class = 'free')::int) as free_email_share,
        avg((email_domain_class = 'organisation')::int) as organisation_share,
        avg((email_domain_class = 'education')::int) as education_share,
        count(distinct phone_hash) as n_phones,
        count(phone_hash) as n_with_phone,
        count(distinct device_key) as n_signup_devices
    from signups
    group by community
),

final as (
    select
        identity.community,
        identity.size,
        identity.first_signup,
        identity.last_signup,
        cadence.median_gap_s,
        -- Kept to 9 decimals, as cluster_features keeps its doubles: a standard deviation of
        -- doubles depends on the order threads add them in, and this table is compared run
        -- to run.
        round(cadence.gap_cv, 9) as gap_cv,
        bursts.max_signups_in_hour,
        identity.n_mailboxes,
        identity.n_email_domains,
        identity.disposable_share,
        identity.free_email_share,
        identity.organisation_share,
        identity.education_share,
        identity.n_phones,
        identity.n_with_phone,
        identity.n_signup_devices,
        coalesce(email_shapes.top_shape_members, 0) as top_shape_members
    from identity
    left join cadence using (community)
    left join bursts using (community)
    left join email_shapes using (community)
)

select * from final order by community
