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
