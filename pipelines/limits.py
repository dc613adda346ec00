"""Every threshold of the data-quality checks, in one place (see README, "Checks").

A check *warns* (severity WARN: shown in the UI, the run goes on) or *fails* (severity ERROR: the
check is blocking, so the assets below it do not run and nothing is published).
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NullLimit:
    """Share of null values in one staging column: above `warn` a warning, above `error` a failure
    (None: never more than a warning).

    `source` is the input column it comes from. When the input does not have it at all (or it is
    empty), the contract treats it as null and the run goes on: the check then only warns, saying
    which signals are lost. A column that is there but mostly null or nulled as invalid is a
    broken export, and fails.
    """

    column: str
    warn: float
    error: float | None
    source: str | None = None


# Required values (ids, timestamps, the email's domain) are never null after staging: any null is
# a staging bug. Identifiers that link accounts are optional, but an export that loses most of them
# silently removes a signal family. Measured on generated worlds (seed 7, 50k accounts): sign-up
# device 2%, session device 4%, card fingerprint 6% (non-card payments), everything else < 1%.
NULL_LIMITS: dict[str, tuple[NullLimit, ...]] = {
    "signups": (
        NullLimit("account_id", 0.0, 0.0),
        NullLimit("created_at", 0.0, 0.0),
        NullLimit("email_domain", 0.0, 0.0),
        NullLimit("ip", 0.10, 0.50, "ip"),
        NullLimit("device_id", 0.20, 0.80, "device_id"),
    ),
    "sessions": (
        NullLimit("account_idx", 0.0, 0.0),
        NullLimit("ts", 0.0, 0.0),
        NullLimit("ip", 0.05, 0.50, "ip"),
        NullLimit("device_id", 0.20, 0.80, "device_id"),
    ),
    "payments": (
        NullLimit("account_idx", 0.0, 0.0),
        NullLimit("created_at", 0.01, 0.50, "created_at"),
        # Paypal, bank and gift payments have no card: a high share is unusual, not wrong.
        NullLimit("card_fingerprint", 0.50, None, "card_fingerprint"),
    ),
    "api_usage": (
        NullLimit("account_idx", 0.0, 0.0),
        NullLimit("hour", 0.0, 0.0),
        NullLimit("prompt_hash", 0.10, 0.50, "prompt_hash"),
    ),
}


@dataclass(frozen=True)
class CommunitySizeLimits:
    """The largest community a run may publish: `max_share` of all accounts, but never a limit
    below `min_limit` members (in a small world one farm is a large share) nor above `max_size`.

    Farms in generated worlds stay under 1,000 accounts (largest: 814 of 50,000). A community of
    tens of thousands means a hub value linked strangers (a key kind without a cap, a broken
    normalizer): banning it would ban a crowd, so the run stops before publishing.
    """

    max_share: float = 0.05
    min_limit: int = 2_000
    max_size: int = 50_000

    def limit(self, accounts: int) -> int:
        return min(self.max_size, max(self.min_limit, math.ceil(self.max_share * accounts)))
