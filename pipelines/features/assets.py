"""Features: the identifiers accounts share, how specific each is, and per-account behaviour."""

from pipelines.sql_asset import sql_table_asset

_STAGED = [["staging", t] for t in ("signups", "payments", "sessions", "api_usage")]

account_keys = sql_table_asset("features", "account_keys", deps=_STAGED, group_name="features")
key_stats = sql_table_asset(
    "features",
    "key_stats",
    deps=[["features", "account_keys"], ["ref", "key_kinds"]],
    group_name="features",
)
account_features = sql_table_asset(
    "features",
    "account_features",
    deps=[*_STAGED, ["ref", "asn_classes"]],
    group_name="features",
)

assets = [account_keys, key_stats, account_features]
