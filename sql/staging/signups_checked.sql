-- Every raw signup, typed and normalized, with the reason it is rejected (null when valid) and
-- the problems of single fields that were nulled (an invalid IP does not cost the account: a farm
-- sending garbage IPs must not vanish from the analysis). One row per raw row.
-- Emails, phones and names are compared as keyed hashes (HMAC-SHA256 with the run's secret) of
-- their normalized form: equal keys still meet, and nothing downstream holds the values. The raw
-- values (email_raw, email_normalized, name, phone_raw, phone_digits) go to restricted.signups.
with

source as (
    select * from raw_rows
),

email_domains as (
    select * from ref.email_domains
),

-- Account ids on more than one row: a group by, not a window over every sign-up.
repeated as (
    select account_id
    from (select nullif(trim(account_id::varchar), '') as account_id from raw_rows)
    where account_id is not null
    group by account_id
    having count(*) > 1
),

typed as (
    select
        _row,
        nullif(trim(account_id::varchar), '') as account_id,
        try_cast(created_at as timestamptz) as created_at_tz,
        created_at is null as created_at_missing,
        email::varchar as email_raw,
        email_clean(email::varchar) as email_clean,
        nullif(trim(name::varchar), '') as name,
        nullif(trim(phone::varchar), '') as phone_raw,
        upper(nullif(trim(country::varchar), '')) as country,
        -- Normalized once per distinct text (the temporary table ip_values).
        ip_values.ip as ip,
        ip_values.ip_prefix,
        coalesce(ip_values.ip_invalid, false) as ip_invalid,
        nullif(trim(user_agent::varchar), '') as user_agent,
        lower(nullif(trim(device_id::varchar), '')) as device_id
    from source
    left join ip_values on ip_values.ip_raw_text = source.ip::varchar
),

emails as (
    select
        typed.*,
        email_usable(email_clean) as email_ok,
        email_local(email_clean) as email_local,
        email_domain(email_clean) as email_domain
    from typed
),

mailboxes as (
    select
        emails.*,
        coalesce(d.canonical_domain, emails.email_domain) as email_canonical_domain,
        case
            when d.class is not null then d.class
            when regexp_matches(emails.email_domain, '(^|\.)(edu|ac\.[a-z]{2}|edu\.[a-z]{2})$')
                then 'education'
            else 'organisation'
        end as email_domain_class,
        coalesce(d.strip_dots, false) as strip_dots,
        coalesce(d.strip_plus, false) as strip_plus
    from emails
    left join email_domains as d on d.domain = emails.email_domain
),

normalized as (
    select
        *,
        case when email_ok then
            (case when strip_dots then replace(local_base, '.', '') else local_base end)
            || '@' || email_canonical_domain
        end as email_normalized
    from (
        select
            *,
            case
                when strip_plus and email_local like '_%+%' then split_part(email_local, '+', 1)
                else email_local
            end as local_base
        from mailboxes
    )
),

final as (
    select
        _row,
        account_id,
        timezone('UTC', created_at_tz) as created_at,
        email_raw,
        email_normalized,
        keyed_hash(email_normalized) as email_mailbox,
        -- The mailbox's shape (letters -> a, digit runs -> 9): how scripts write addresses, no PII.
        case when email_ok then
            regexp_replace(
                regexp_replace(local_base, '[0-9]+', '9', 'g'), '[^0-9._+-]+', 'a', 'g'
            )
        end as email_shape,
        case when email_ok then email_canonical_domain end as email_domain,
        case when email_ok then email_domain_class end as email_domain_class,
        name,
        keyed_hash(name_key(name)) as name_key,
        phone_raw,
        phone_digits(phone_raw) as phone_digits,
        keyed_hash(phone_key(phone_raw)) as phone_key,
        country,
        ip,
        ip_prefix,
        user_agent,
        device_id,
        case
            when account_id is null then 'null account_id'
            when account_id in (select account_id from repeated) then 'duplicate account_id'
            when created_at_missing then 'null created_at'
            when created_at_tz is null then 'unparseable created_at'
            when not ts_plausible(created_at_tz) then 'created_at out of range'
            when not email_ok then 'email without a usable address'
        end as _reason,
        list_filter(
            [case when ip_invalid
                then {'column_name': 'ip', 'reason': 'invalid ip'} end],
            lambda x: x is not null
        ) as _issues
    from normalized
)

select * from final
