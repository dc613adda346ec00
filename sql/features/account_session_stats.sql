-- Sessions per account: how many, from how many IPs, prefixes and devices, and the share of each
-- network class. One row per account with a valid session.
--
-- Its own table rather than a CTE of account_features, so that at 10M accounts each per-source
-- aggregate runs alone within DuckDB's memory limit. The distinct counts are counted over the
-- distinct (account, value) groups of a grouping-sets aggregate, not with count(distinct): the
-- plain hash aggregate spills to disk, three count(distinct) on 120M rows ran out of 4 GB.
with

sessions as (
    select s.*, coalesce(a.class, 'unknown') as asn_class
    from staging.sessions as s
    left join ref.asn_classes as a on a.asn = s.asn
),

totals as (
    select
        account_idx,
        count(*) as n_sessions,
        avg((asn_class = 'datacenter')::int) as datacenter_share,
        avg((asn_class = 'vpn')::int) as vpn_share,
        avg((asn_class = 'mobile')::int) as mobile_share,
        avg((asn_class = 'residential')::int) as residential_share,
        min(ts) as first_session,
        max(ts) as last_session
    from sessions
    group by account_idx
),

-- One row per account and distinct IP, per account and distinct prefix, per account and distinct
-- device; the columns outside a row's grouping set are null, so count(col) counts its values.
distinct_values as (
    select account_idx, ip, ip_prefix, device_id
    from staging.sessions
    group by grouping sets ((account_idx, ip), (account_idx, ip_prefix), (account_idx, device_id))
),

distinct_counts as (
    select
        account_idx,
        count(ip) as n_session_ips,
        count(ip_prefix) as n_session_prefixes,
        count(device_id) as n_session_devices
    from distinct_values
    group by account_idx
)

select
    totals.account_idx,
    totals.n_sessions,
    distinct_counts.n_session_ips,
    distinct_counts.n_session_prefixes,
    distinct_counts.n_session_devices,
    totals.datacenter_share,
    totals.vpn_share,
    totals.mobile_share,
    totals.residential_share,
    totals.first_session,
    totals.last_session
from totals
inner join distinct_counts using (account_idx)
