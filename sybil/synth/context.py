"""Per-world state shared by the archetype builders, and the account-profile column schema.

An account profile says where an account signs up from (slot "s"), where it normally works from
(slot "a") and its second context (slot "b", e.g. a phone on a carrier network), each slot as a
range of IPs and devices plus a client. Event tables are sampled from these profiles later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.registry import Registry, asns_of, pick_asn, random_v4, str_series

SLOT_COLUMNS = ("ip0", "ipn", "dev0", "devn", "ua", "tls")

# Profile columns besides identity (arch, group, created, country, name, email, phone, postal,
# holder) and the slots (s_/a_/b_ + SLOT_COLUMNS); builders set what differs from these defaults.
DEFAULTS: dict[str, object] = {
    # farm number (-1: benign), UTC offset in hours, optional identity fields
    "farm": -1, "tz": 0, "phone": None, "name": None,
    # sessions: P(slot b), SDK client and P(SDK), mean sessions, early-burst sessions, active days
    "p_b": 0.0, "sdk_ua": -1, "sdk_tls": -1, "p_sdk": 0.0, "sess": 10.0, "early": 0.6,
    "life": 60.0,
    # rhythm: MODE_*, P(a round-the-clock row), shared hour pool (MODE_POOL)
    "mode": 0, "p_clock": 0.0, "pool": -1,
    # api usage: mean rows, mean requests per row, distillation-style model mix
    "api": 8.0, "req": 4.0, "distill": False,
    # prompt templates: private range, group range, P(private), P(group); the rest are public
    "tp0": 0, "tpn": 0, "tg0": 0, "tgn": 0, "p_priv": 0.7, "p_grp": 0.0,
    # payments: P(pays), mean extra payments, cards, P(card b), method, plan price, status risk
    # (0 benign .. 2 crude farm, 3 never fails), billing name typed per account instead of the
    # card holder's
    "p_pay": 0.0, "pay_n": 2.0, "card_a": -1, "card_b": -1, "p_card_b": 0.0, "method": "card",
    "price": 20.0, "risk": 0, "bill_own": False,
    # P(allowlisted); deliberate gmail alias (exempt from mailbox de-duplication)
    "allow": 0.0, "alias": False,
}  # fmt: skip
MODE_DIURNAL, MODE_BUSINESS, MODE_CLOCK, MODE_POOL = 0, 1, 2, 3

_CLIENT_KIND = np.array([c.kind for c in pools.CLIENTS])
_CLIENT_W = np.array([c.weight for c in pools.CLIENTS], dtype=float)
_TZ_CHOICES = {"US": ([-5, -6, -7, -8], [0.47, 0.29, 0.07, 0.17]), "CA": ([-5, -8], [0.7, 0.3])}
WAKING = np.array(
    [1, 0.6, 0.3, 0.2, 0.2, 0.3, 1, 2, 4, 6, 7, 7, 6, 7, 7, 7, 6, 6, 6, 6, 7, 6, 4, 2.5]
)
WAKING /= WAKING.sum()
BUSINESS = np.array(
    [0, 0, 0, 0, 0, 0, 0.1, 0.5, 3, 8, 9, 9, 6, 8, 9, 9, 8, 5, 2, 1, 0.5, 0.3, 0.1, 0]
)
BUSINESS /= BUSINESS.sum()


PUBLIC_TEMPLATES = 40


def public_template_means(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Mean input and output tokens of the popular public templates."""
    k = PUBLIC_TEMPLATES
    return np.exp(rng.uniform(5.5, 8.0, k)), np.exp(rng.uniform(5.0, 6.5, k))


@dataclass(frozen=True)
class Shared:
    """What one chunk of a world generated in chunks (`sybil.synth.chunks`) takes from the world:
    the public templates (the same in every chunk, as in one world) and its payment ids' place in
    the world's one sequence."""

    public_text: np.ndarray
    public_in: np.ndarray
    public_out: np.ndarray
    payment_salt: int
    payment_offset: int  # payment ids of earlier chunks


@dataclass
class Ctx:
    """Random stream, identifier tables and world-level shared pools of one generated world (or
    of one chunk of it, with `shared`)."""

    rng: np.random.Generator
    n: int
    reg: Registry = field(default_factory=Registry)
    carrier: dict[int, tuple[int, int]] = field(default_factory=dict)
    vpn: tuple[int, int] = (0, 0)
    proxy: list[tuple[int, int]] = field(default_factory=list)
    public_tpl: tuple[int, int] = (0, 0)
    public_w: np.ndarray = field(default_factory=lambda: np.ones(1))
    hour_pools: list[np.ndarray] = field(default_factory=list)
    org_domains: set[str] = field(default_factory=set)  # taken by companies and campuses
    next_group: int = 0
    shared: Shared | None = None

    def __post_init__(self) -> None:
        self._carrier_pools()
        self._vpn_pool()
        self._public_templates()

    def _carrier_pools(self) -> None:
        """CGNAT egress pools: few IPs per carrier, each seen by hundreds of subscribers."""
        share = {c.code: c.weight for c in pools.COUNTRIES}
        total = sum(share.values())
        for pos in asns_of("mobile"):
            asn = pools.ASNS[pos]
            carriers = len(asns_of("mobile", asn.country))
            users = 0.3 * self.n * share[asn.country] / total / carriers
            k = int(max(6, users / 60))
            where = np.full(k, pos)
            rows = self.reg.ips.add(where, random_v4(self.rng, where))
            self.carrier[int(pos)] = (int(rows[0]), k)

    def _vpn_pool(self) -> None:
        """Commercial VPN exits: a few IPs per provider shared by many unrelated customers."""
        k = int(max(9, 0.04 * self.n / 50))
        vpn = asns_of("vpn")
        rows = self.reg.ips.add_random(self.rng, np.repeat(vpn, -(-k // len(vpn)))[:k])
        self.vpn = (int(rows[0]), len(rows))

    def proxy_pool(self, provider: int, rows_expected: float) -> tuple[int, int]:
        """A residential proxy provider's exit pool (large, spread over home ISPs)."""
        while len(self.proxy) <= provider:
            k = int(max(20_000, rows_expected * 4))
            countries = np.array(["US", "US", "US", "GB", "DE", "CA", "FR", "NL"], dtype=object)
            asn = pick_asn(self.rng, "residential", self.rng.choice(countries, k))
            rows = self.reg.ips.add_random(self.rng, asn, v6_share=0.15)
            self.proxy.append((int(rows[0]), k))
        return self.proxy[provider]

    def _public_templates(self) -> None:
        """Popular public tool templates (IDE plugins, chat UIs) shared by thousands."""
        k = PUBLIC_TEMPLATES
        if self.shared is None:
            in_mean, out_mean = public_template_means(self.rng)
        else:
            in_mean, out_mean = self.shared.public_in, self.shared.public_out
        start = int(self.reg.templates.new(k, in_mean=in_mean, out_mean=out_mean)[0])
        if self.shared is not None:
            for i, text in enumerate(self.shared.public_text):
                self.reg.templates.fixed[start + i] = str(text)
        self.public_tpl = (start, k)
        w = 1.0 / np.arange(1, k + 1) ** 1.1
        self.public_w = w / w.sum()

    # --- small helpers used by the builders -------------------------------------------------

    def groups(self, k: int) -> np.ndarray:
        """k fresh group ids."""
        self.next_group += k
        return np.arange(self.next_group - k, self.next_group)

    def clients(self, n: int, kind: str | tuple[str, ...]) -> np.ndarray:
        """Client (user agent) rows of one kind, by popularity."""
        kinds = (kind,) if isinstance(kind, str) else kind
        cand = np.flatnonzero(np.isin(_CLIENT_KIND, kinds))
        w = _CLIENT_W[cand]
        return self.rng.choice(cand, size=n, p=w / w.sum())

    def tz(self, countries: np.ndarray) -> np.ndarray:
        """A plausible UTC offset (hours) for each row's country."""
        out = np.array([pools.COUNTRIES[i].tz for i in _country_pos(countries)], dtype=np.int64)
        for code, (offsets, w) in _TZ_CHOICES.items():
            rows = np.flatnonzero(countries == code)
            out[rows] = self.rng.choice(offsets, size=len(rows), p=w)
        return out

    def home(self, countries: np.ndarray, v6_share: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
        """Home broadband IP ranges; 10% of homes got a new address once (two IPs)."""
        n = len(countries)
        asn = np.repeat(pick_asn(self.rng, "residential", countries), 2)
        rows = self.reg.ips.add_random(self.rng, asn, v6_share=v6_share)
        return rows[::2], np.where(self.rng.random(n) < 0.1, 2, 1)

    def mobile(self, countries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A window of 4 CGNAT IPs of a local carrier; ok=False where the country has none."""
        n = len(countries)
        ok = np.isin(countries, [a.country for a in pools.ASNS if a.kind == "mobile"])
        asn = pick_asn(self.rng, "mobile", np.where(ok, countries, "US"))
        start = np.array([self.carrier[int(a)][0] for a in asn])
        size = np.array([self.carrier[int(a)][1] for a in asn])
        offset = (self.rng.random(n) * (size - 3)).astype(np.int64)
        return start + offset, np.full(n, 4), ok

    def vpn_window(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """3-5 VPN exits the customer's app rotates between."""
        start, k = self.vpn
        width = self.rng.integers(3, 6, n)
        return start + (self.rng.random(n) * (k - width)).astype(np.int64), width

    def devices(self, n: int) -> np.ndarray:
        """n fresh device fingerprints."""
        return self.reg.devices.new(n)

    def templates(
        self, counts: np.ndarray, distill: bool = False, extract: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Contiguous private template ranges, `counts[i]` templates for row i."""
        total = int(counts.sum())
        if distill:  # short prompts, long answers
            in_mean, out_mean = self.rng.uniform(4.5, 6.0, total), self.rng.uniform(6.8, 8.2, total)
        elif extract:  # classification/extraction: long documents in, a label or a few fields out
            in_mean, out_mean = self.rng.uniform(7.0, 8.8, total), self.rng.uniform(3.0, 4.8, total)
        else:
            in_mean, out_mean = self.rng.uniform(5.0, 8.2, total), self.rng.uniform(4.8, 7.4, total)
        start = self.reg.templates.new(total, in_mean=np.exp(in_mean), out_mean=np.exp(out_mean))
        first = int(start[0]) if total else self.reg.templates.size
        return first + np.cumsum(counts) - counts, counts

    def hour_pool(self, hours: np.ndarray) -> int:
        """Register a set of hour timestamps (us) that a group is active in; returns its id."""
        self.hour_pools.append(np.unique(hours))
        return len(self.hour_pools) - 1


def _country_pos(countries: np.ndarray) -> np.ndarray:
    index = {c.code: i for i, c in enumerate(pools.COUNTRIES)}
    return np.array([index[str(c)] for c in countries], dtype=np.int64)


def local_times(
    rng: np.random.Generator,
    lo: np.ndarray,
    hi: np.ndarray,
    tz: np.ndarray,
    profile: np.ndarray,
    weekend_keep: float,
) -> np.ndarray:
    """Times between lo and hi (us) whose local hour follows `profile`, weekends thinned."""
    n = len(lo)
    t = lo + (rng.random(n) * np.maximum(hi - lo, 0)).astype(np.int64)
    local = t + tz * pools.HOUR_US
    day = local // pools.DAY_US
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    move = (weekday >= 5) & (rng.random(n) > weekend_keep)
    day = day - np.where(move, weekday - rng.integers(0, 5, n), 0)  # to a weekday that week
    hour = rng.choice(24, size=n, p=profile)
    out = (
        day * pools.DAY_US
        + hour * pools.HOUR_US
        + (rng.random(n) * pools.HOUR_US).astype(np.int64)
        - tz * pools.HOUR_US
    )
    return np.clip(out, lo, np.maximum(hi, lo))


def assemble(chunks: list[dict[str, object]]) -> pl.DataFrame:
    """Concatenate builder outputs into one profile frame, filling defaults."""
    frames = []
    for chunk in chunks:
        n = len(chunk["created"])  # type: ignore[arg-type]
        for name in ("s", "b"):  # an unused slot is the main one
            for col in SLOT_COLUMNS:
                chunk.setdefault(f"{name}_{col}", chunk[f"a_{col}"])
        cols: dict[str, object] = {}
        for key in sorted(set(DEFAULTS) | set(chunk)):
            val = chunk.get(key, DEFAULTS.get(key))
            if isinstance(val, pl.Series):
                cols[key] = val.alias(key)
            elif isinstance(val, np.ndarray):
                cols[key] = pl.Series(key, val) if val.dtype != object else str_series(val, key)
            else:
                cols[key] = pl.repeat(val, n, eager=True, dtype=_dtype(val)).alias(key)
        frames.append(pl.DataFrame(cols))
    return pl.concat(frames, how="diagonal_relaxed")


def _dtype(val: object) -> pl.DataType:
    if isinstance(val, bool):
        return pl.Boolean()
    if isinstance(val, int):
        return pl.Int64()
    if isinstance(val, float):
        return pl.Float64()
    return pl.String()
