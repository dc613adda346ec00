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


def _kinds() -> list[dict[str, str]]:
    with KEY_KINDS.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("kind", [row["kind"] for row in _kinds()])
def test_one_value_shared_with_one_member_holds_only_identifying_kinds(kind: str) -> None:
    """A farm triangle and an account sharing one value of `kind` with one farm account (a value
    held by those two only: the strongest edge one value of the kind can give)."""
    strength = next(float(r["strength"]) for r in _kinds() if r["kind"] == kind)
    weight = min(strength / (1 + np.log(2 - 1)), 0.99)  # key_stats.sql at n_accounts = 2
    src = np.array([0, 1, 0, 2])
    dst = np.array([1, 2, 2, 3])
    w = np.array([0.95, 0.95, 0.95, weight])
    pruned = prune_weak_members(
        np.zeros(4, dtype=np.int64),
        src=src,
        dst=dst,
        weight=w,
        min_strength=CommunityConfig().min_member_strength,
    )
    assert pruned[:3].tolist() == [0, 0, 0]
    assert (pruned[3] == 0) == (kind in HOLDS_ALONE)


def test_two_coincidences_with_the_cluster_hold_an_account() -> None:
    """An exact IP shared with one member and a BIN and postcode with another: two independent
    coincidences, enough to stay (and be judged with the cluster)."""
    strengths = {r["kind"]: float(r["strength"]) for r in _kinds()}
    src = np.array([0, 1, 0, 2, 1])
    dst = np.array([1, 2, 2, 3, 3])
    w = np.array([0.95, 0.95, 0.95, strengths["ip"], strengths["bin_postal"]])
    pruned = prune_weak_members(
        np.zeros(4, dtype=np.int64),
        src=src,
        dst=dst,
        weight=w,
        min_strength=CommunityConfig().min_member_strength,
    )
    assert pruned.tolist() == [0, 0, 0, 0]
