-- Each distinct billing name of the raw payments being typed (raw_rows, read from the input),
-- with the key it is compared by: the keyed hash of its folded form (name_key, then keyed_hash).
-- Built before the typing (pipelines.staging.days.VALUE_TABLES), which joins it on
-- billing_name_raw_text: millions of payments repeat a few thousand names, and the hash per row
-- was most of the typing's cost. A text holding a card number is left out: the card check nulls
-- that row's name, so nothing joins it.
with

names as (
    select billing_name_raw_text
    from (
        select distinct billing_name::varchar as billing_name_raw_text
        from raw_rows
        where billing_name is not null
    )
    where not has_card_number(billing_name_raw_text)
),

final as (
    select
        billing_name_raw_text,
        keyed_hash(name_key(nullif(trim(billing_name_raw_text), ''))) as billing_name_key
    from names
)

select * from final
