"""The input tables of `../shared/CONTRACT.md`: their columns, and which must be present."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputTable:
    name: str
    required_table: bool
    columns: tuple[str, ...]
    required_columns: tuple[str, ...]


INPUT_TABLES: dict[str, InputTable] = {
    t.name: t
    for t in (
        InputTable(
            "signups",
            True,
            (
                "account_id",
                "created_at",
                "email",
                "name",
                "phone",
                "country",
                "ip",
                "user_agent",
                "device_id",
            ),
            ("account_id", "created_at", "email"),
        ),
        InputTable(
            "payments",
            False,
            (
                "payment_id",
                "account_id",
                "created_at",
                "method",
                "card_fingerprint",
                "card_bin",
                "card_country",
                "billing_name",
                "billing_postal",
                "amount_usd",
                "status",
            ),
            ("account_id",),
        ),
        InputTable(
            "sessions",
            False,
            ("account_id", "ts", "ip", "asn", "user_agent", "device_id", "tls_fingerprint"),
            ("account_id", "ts"),
        ),
        InputTable(
            "api_usage",
            False,
            (
                "account_id",
                "hour",
                "model",
                "requests",
                "input_tokens",
                "output_tokens",
                "prompt_hash",
            ),
            ("account_id", "hour"),
        ),
        InputTable("allowlist", False, ("account_id",), ("account_id",)),
    )
}

# How raw columns are typed on the way in: timestamps stay timestamps (or text), numbers stay
# numbers (or text); anything else becomes text, so that staging's try_cast never meets a type it
# cannot cast (a struct, a boolean) and fails where it should quarantine.
TIMESTAMP_COLUMNS = frozenset({"created_at", "ts", "hour"})
NUMERIC_COLUMNS = frozenset({"amount_usd", "asn", "requests", "input_tokens", "output_tokens"})

# Columns whose value the row cannot do without: a problem in one of them quarantines the row. A
# problem in any other column (an invalid IP, a card number where a name should be) nulls that
# value and keeps the row, with the reason recorded in staging.field_issues.
ROW_COLUMNS: dict[str, frozenset[str]] = {
    "signups": frozenset({"account_id", "created_at", "email"}),
    "payments": frozenset({"payment_id", "account_id", "created_at", "amount_usd"}),
    "sessions": frozenset({"account_id", "ts"}),
    "api_usage": frozenset({"account_id", "hour", "requests", "input_tokens", "output_tokens"}),
    "allowlist": frozenset({"account_id"}),
}

# Personal data kept out of staging and the warehouse: these raw columns are redacted in the
# quarantine records readers see (the full records are in the work database's restricted schema).
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "signups": ("email", "name", "phone"),
    "payments": ("billing_name",),
    "sessions": (),
    "api_usage": (),
    "allowlist": (),
}
