"""How many accounts of each archetype, and how they split into groups and farms."""

from __future__ import annotations

import numpy as np

# archetype -> (share of all accounts, smallest group, largest group); solo archetypes have no
# group sizes. benign_individual takes whatever is left (about 34%). Farms are about 20%.
BENIGN_SOLO = {"benign_mobile": 0.07, "benign_vpn": 0.03, "benign_power": 0.02}
BENIGN_GROUPS = {
    "benign_household": (0.10, 2, 5),
    "benign_team": (0.08, 5, 40),
    "benign_campus": (0.08, 50, 600),
    "benign_event": (0.04, 30, 300),
    "benign_batch": (0.02, 3, 30),
}
FARMS = {
    "farm_proxy": (0.04, 200, 2000),
    "farm_burst": (0.025, 50, 400),
    "farm_alias": (0.02, 30, 300),
    "farm_sms": (0.02, 50, 500),
    # adversarial styles, each evading one signal family (see evasive.py)
    "farm_noid": (0.015, 50, 400),
    "farm_nonet": (0.015, 50, 400),
    "farm_nopay": (0.015, 30, 300),
    "farm_notime": (0.015, 30, 300),
    "farm_nobehaviour": (0.015, 30, 300),
    "farm_org": (0.015, 20, 150),
}
ARCHETYPES = ("benign_individual", *BENIGN_GROUPS, *BENIGN_SOLO, *FARMS)


def partition(
    rng: np.random.Generator, budget: int, lo: int, hi: int, log_uniform: bool
) -> np.ndarray:
    """Group sizes in [lo, hi] summing exactly to budget (a too-small tail joins its neighbour)."""
    if budget <= 0:
        return np.zeros(0, dtype=np.int64)
    m = budget // lo + 2
    if log_uniform:
        draws = np.exp(rng.uniform(np.log(lo), np.log(hi + 1), m))
    else:
        draws = rng.uniform(lo, hi + 1, m)
    sizes = np.floor(draws).astype(np.int64)
    cum = np.cumsum(sizes)
    j = int(np.searchsorted(cum, budget))
    sizes = sizes[: j + 1].copy()
    sizes[-1] = budget - (cum[j - 1] if j else 0)
    if len(sizes) > 1 and sizes[-1] < lo:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    return sizes


def plan_world(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Archetype -> group sizes (solo archetypes: an array of ones' count as one element)."""
    plan: dict[str, np.ndarray] = {}
    for arch, (share, lo, hi) in BENIGN_GROUPS.items():
        plan[arch] = partition(rng, round(share * n), lo, hi, log_uniform=True)
    for arch, (share, lo, hi) in FARMS.items():
        plan[arch] = partition(rng, round(share * n), lo, hi, log_uniform=False)
    for arch, share in BENIGN_SOLO.items():
        plan[arch] = np.array([round(share * n)], dtype=np.int64)
    used = sum(int(v.sum()) for v in plan.values())
    if used > n:
        raise ValueError(f"world too small: {n} accounts")
    plan["benign_individual"] = np.array([n - used], dtype=np.int64)
    return plan
