-- MinHash/LSH sketch of each account's set of prompt templates: one row per (account_idx, band).
-- Two accounts whose template sets have Jaccard similarity J land in the same bucket of a band
-- with probability J^$rows_per_band, so sharing more of the $n_hashes / $rows_per_band bands
-- means more similar sets; the buckets become keys of kind `prompt_set` (see account_keys), and
-- the similar pairs are found without ever comparing all pairs.
-- A template used by more than $max_template_share of active accounts (a public tool's template)
-- says nothing about who operates an account and is left out of the sets; templates used by one
-- account stay in (they make a set less similar to others). Sets smaller than $min_templates are
-- too small to sketch: one shared template is already the `prompt` key.
with

templates as (
    select distinct account_idx, prompt_hash
    from staging.api_usage
    where prompt_hash is not null
),

specific as (
    select prompt_hash
    from templates
    group by prompt_hash
    having count(*) <= $max_template_share * (select count(distinct account_idx) from templates)
),

sets as (
    select templates.account_idx, templates.prompt_hash
    from templates
    semi join specific using (prompt_hash)
    where templates.account_idx in (
        select account_idx
        from templates
        semi join specific using (prompt_hash)
        group by account_idx
        having count(*) >= $min_templates
    )
),

-- Each account's set as a list; its band's MinHash values are list minima, computed per account
-- (a cross join of every (account, template) with every hash function, grouped back, cost three
-- times as much for the same values).
account_sets as (
    select account_idx, list(prompt_hash) as prompts
    from sets
    group by account_idx
),

final as (
    select
        account_sets.account_idx,
        bands.band::integer as band,
        bands.band::varchar || ':' || array_to_string(
            list_transform(
                range(bands.band * $rows_per_band, (bands.band + 1) * $rows_per_band),
                lambda i: list_min(list_transform(account_sets.prompts, lambda p: hash(p, i)))
            ),
            ':'
        ) as bucket
    from account_sets
    cross join range($n_hashes // $rows_per_band) as bands (band)
)

select * from final
