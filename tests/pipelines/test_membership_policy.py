"""The communities step's policy: which single shared value may hold an account in a cluster."""

import csv
from pathlib import Path

import numpy as np
import pytest

from graph.pruning import prune_weak_members
from pipelines.communities.assets import CommunityConfig

KEY_KINDS = Path(__file__).resolve().parents[2] / "data" / "reference" / "key_kinds.csv"
# Values a stranger does not hold by chance: one of them shared is enough to keep an account in
# the cluster of the account it shares it with. Everything else (an exact IP, a BIN with a
# postcode, a /24, a template...) coincides between strangers, and more often the more accounts
# there are, so one of it alone must not (sql/features/key_stats.sql gives the strengths).
HOLDS_ALONE = {"email", "phone", "device", "card"}


def _strengths() -> dict[str, float]:
    with KEY_KINDS.open(newline="") as f:
        return {row["kind"]: float(row["strength"]) for row in csv.DictReader(f)}


def _pruned_with_account_tied(ties: list[tuple[int, float]]) -> list[int]:
    """A farm triangle 0-1-2 (0.95 a pair) and account 3 tied to members by (member, weight)
    edges, pruned as the communities step does."""
    src = np.array([0, 1, 0, *(m for m, _ in ties)])
    dst = np.array([1, 2, 2, *(3 for _ in ties)])
    w = np.array([0.95, 0.95, 0.95, *(weight for _, weight in ties)])
    pruned = prune_weak_members(
        np.zeros(4, dtype=np.int64),
        src=src,
        dst=dst,
        weight=w,
        min_strength=CommunityConfig().min_member_strength,
    )
    return pruned.tolist()


@pytest.mark.parametrize("kind", list(_strengths()))
def test_one_value_shared_with_one_member_holds_only_identifying_kinds(kind: str) -> None:
    """Account 3 shares one value of `kind` with farm account 2 (a value held by those two only:
    the strongest edge one value of the kind can give)."""
    weight = min(_strengths()[kind] / (1 + np.log(2 - 1)), 0.99)  # key_stats.sql, n_accounts 2
    pruned = _pruned_with_account_tied([(2, weight)])
    assert pruned[:3] == [0, 0, 0]
    assert (pruned[3] == 0) == (kind in HOLDS_ALONE)


def test_two_coincidences_with_the_cluster_hold_an_account() -> None:
    """An exact IP shared with one member and a BIN and postcode with another: two independent
    coincidences, enough to stay (and be judged with the cluster)."""
    ties = [(2, _strengths()["ip"]), (1, _strengths()["bin_postal"])]
    assert _pruned_with_account_tied(ties) == [0, 0, 0, 0]
