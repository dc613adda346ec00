-- Members of one cluster with what they share: each member, when it signed up, and the
-- identifiers it holds in common with other members (kind, how many members hold it, the
-- stored key: keyed hashes for mailboxes, phones and names, never the raw values).
-- It calls the macro behind the view published.cluster_accounts with the one cluster, which
-- reads that cluster's identifiers only (the view filtered by cluster_id reads every account's).
-- Parameters: $cluster_id.
select
    a.account_id,
    m.created_at,
    m.email_domain,
    a.n_shared_keys,
    a.shared_families,
    list_transform(
        list_filter(a.shared_keys, lambda k: k.linked),
        lambda k: k.kind || ' x' || k.members || ' ' || left(k.key::varchar, 16)
    )[1:5] as top_linking_values
from published.cluster_accounts_of(clusters := [$cluster_id]) as a
inner join published.cluster_members as m using (cluster_id, account_id)
order by a.n_shared_keys desc, a.account_id
