"""Shared identifier tables (IPs, devices, TLS hashes, prompt templates, cards) and string helpers.

Accounts never hold identifier strings directly: they hold integer ranges into these tables, so a
value shared by a household, a campus or a farm is one table row referenced by many accounts, and
event tables are built by a vectorized gather instead of per-row string work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from sybil.synth import pools

ASN_NUMBERS = np.array([a.asn for a in pools.ASNS], dtype=np.int32)
ASN_POS = {a.asn: i for i, a in enumerate(pools.ASNS)}
_V6_PREFIXES = [a.v6 or "" for a in pools.ASNS]

# Flattened IPv4 ranges, grouped by ASN, so one vectorized draw covers rows of many ASNs.
_R_ASN, _R_O1, _R_LO, _R_HI = (
    np.array(col, dtype=np.int64)
    for col in zip(
        *[(i, o1, lo, hi) for i, a in enumerate(pools.ASNS) for (o1, lo, hi) in a.v4], strict=True
    )
)
_R_SIZE = _R_HI - _R_LO + 1
_R_CUM_END = np.cumsum(_R_SIZE)
_ASN_CUM_START = np.array(
    [(_R_CUM_END - _R_SIZE)[i == _R_ASN].min() for i in range(len(pools.ASNS))]
)
_ASN_TOTAL = np.array([_R_SIZE[i == _R_ASN].sum() for i in range(len(pools.ASNS))])


def asns_of(kind: str, country: str | None = None) -> np.ndarray:
    """ASN positions of one class, optionally restricted to a country."""
    return np.array(
        [
            i
            for i, a in enumerate(pools.ASNS)
            if a.kind == kind and (country is None or a.country == country)
        ],
        dtype=np.int64,
    )


def pick_asn(rng: np.random.Generator, kind: str, countries: np.ndarray) -> np.ndarray:
    """For each row, an ASN position of `kind` in its country (any country if it has none)."""
    out = np.empty(len(countries), dtype=np.int64)
    fallback = asns_of(kind)
    for code in np.unique(countries):
        rows = np.flatnonzero(countries == code)
        local = asns_of(kind, str(code))
        cand = local if len(local) else fallback
        weight = _ASN_TOTAL[cand].astype(float)
        out[rows] = rng.choice(cand, size=len(rows), p=weight / weight.sum())
    return out


def random_v4(rng: np.random.Generator, asn_pos: np.ndarray) -> np.ndarray:
    """Random host addresses (as uint32) inside each row's ASN blocks."""
    x = _ASN_CUM_START[asn_pos] + rng.random(len(asn_pos)) * _ASN_TOTAL[asn_pos]
    r = np.minimum(np.searchsorted(_R_CUM_END, x, side="right"), len(_R_CUM_END) - 1)
    o2 = _R_LO[r] + np.floor(x - (_R_CUM_END[r] - _R_SIZE[r])).astype(np.int64)
    o3 = rng.integers(0, 256, len(asn_pos))
    o4 = rng.integers(1, 255, len(asn_pos))
    return ((_R_O1[r] << 24) | (o2 << 16) | (o3 << 8) | o4).astype(np.uint32)


def hex_strings(rng: np.random.Generator, n: int, nchars: int) -> np.ndarray:
    """n random lowercase hex strings of nchars characters."""
    raw = rng.integers(0, 256, (n, nchars // 2), dtype=np.uint8).tobytes().hex().encode()
    return np.frombuffer(raw, dtype=f"S{nchars}").astype(f"U{nchars}")


def random_words(
    rng: np.random.Generator,
    n: int,
    length: int,
    alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789",
) -> np.ndarray:
    """n random strings of `length` characters from `alphabet`."""
    table = np.frombuffer(alphabet.encode(), dtype=np.uint8)
    chars = np.ascontiguousarray(table[rng.integers(0, len(table), (n, length))])
    return chars.view(f"S{length}").ravel().astype(f"U{length}")


def str_series(values: np.ndarray, name: str = "") -> pl.Series:
    """A string Series from an object array of str/None (via Arrow: no dtype guessing)."""
    return pl.Series(name, pa.array(values, type=pa.large_string()), dtype=pl.String)


HEX16 = pl.Series([f"{i:x}" for i in range(65536)])


def _hexcol(values: np.ndarray) -> pl.Series:
    return HEX16.gather(values.astype(np.int64))


@dataclass
class IpTable:
    """Every IP address in the world; rows are (v6?, value, asn position)."""

    v6: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)  # v4 address, or v6 subnet hextets 3-4
    lo: list[np.ndarray] = field(default_factory=list)  # v6 interface id
    asn: list[np.ndarray] = field(default_factory=list)
    size: int = 0

    def add(
        self,
        asn_pos: np.ndarray,
        value: np.ndarray,
        v6: np.ndarray | None = None,
        lo: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append addresses; returns their row numbers."""
        n = len(asn_pos)
        self.asn.append(np.asarray(asn_pos, dtype=np.int64))
        self.hi.append(np.asarray(value, dtype=np.int64))
        self.v6.append(np.zeros(n, bool) if v6 is None else v6)
        self.lo.append(np.zeros(n, np.int64) if lo is None else lo)
        self.size += n
        return np.arange(self.size - n, self.size)

    def asn_of(self, rows: np.ndarray) -> np.ndarray:
        """ASN positions of existing rows."""
        return np.concatenate(self.asn)[rows]

    def add_random(
        self,
        rng: np.random.Generator,
        asn_pos: np.ndarray,
        v6_share: float = 0.0,
        distinct_in: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append one random address per row in its ASN; some v6 where the ASN has a prefix.

        With `distinct_in` (a group number per row), no two rows of a group share a v4 /24.
        """
        has_v6 = np.array([bool(p) for p in _V6_PREFIXES])[asn_pos]
        v6 = has_v6 & (rng.random(len(asn_pos)) < v6_share)
        v4 = random_v4(rng, asn_pos).astype(np.int64)
        for _ in range(50 if distinct_in is not None else 0):
            key = np.where(v6, -1 - np.arange(len(v4)), (distinct_in << 24) + (v4 >> 8))
            order = np.argsort(key, kind="stable")
            dup = order[1:][key[order][1:] == key[order][:-1]]
            if len(dup) == 0:
                break
            v4[dup] = random_v4(rng, asn_pos[dup])
        sub = rng.integers(0, 1 << 32, len(asn_pos))
        iface = rng.integers(1, 0x1000, len(asn_pos))
        return self.add(asn_pos, np.where(v6, sub, v4), v6, np.where(v6, iface, 0))

    def add_block(self, rng: np.random.Generator, asn_pos: int, k: int) -> np.ndarray:
        """Append k consecutive IPv4 addresses in one random /24 of an ASN."""
        base = int(random_v4(rng, np.array([asn_pos]))[0]) & 0xFFFFFF00
        start = int(rng.integers(2, 250 - k)) if k < 240 else 1
        return self.add(np.full(k, asn_pos), base + start + np.arange(k))

    def finish(self) -> tuple[pl.Series, pl.Series, np.ndarray]:
        """(canonical text, alternative text of the same address, ASN number) per row."""
        v6 = np.concatenate(self.v6)
        hi = np.concatenate(self.hi)
        lo = np.concatenate(self.lo)
        asn = np.concatenate(self.asn)
        o = [pl.Series(((hi >> s) & 255).astype(np.int64)).cast(pl.String) for s in (24, 16, 8, 0)]
        frame = pl.DataFrame(
            {
                "o1": o[0],
                "o2": o[1],
                "o3": o[2],
                "o4": o[3],
                "pre": pl.Series(_V6_PREFIXES).gather(asn),
                "g3": _hexcol((hi >> 16) & 0xFFFF),
                "g4": _hexcol(hi & 0xFFFF),
                "h": _hexcol(lo),
                "v6": v6,
            }
        )
        canon = frame.select(
            pl.when(pl.col("v6"))
            .then(pl.concat_str(["pre", "g3", "g4"], separator=":") + "::" + pl.col("h"))
            .otherwise(pl.concat_str(["o1", "o2", "o3", "o4"], separator="."))
        ).to_series()
        alt = frame.select(
            pl.when(pl.col("v6"))
            .then(
                pl.concat_str(["pre", "g3", "g4"], separator=":").str.to_uppercase()
                + ":0:0:0:"
                + pl.col("h").str.to_uppercase()
            )
            .otherwise(pl.concat_str(["o1", "o2", "o3", "o4"], separator="."))
        ).to_series()
        return canon, alt, ASN_NUMBERS[asn]


@dataclass
class Counter:
    """A table whose rows are random hex identifiers (devices, TLS hashes, templates, cards)."""

    nchars: int
    size: int = 0
    attrs: dict[str, list[np.ndarray]] = field(default_factory=dict)
    fixed: dict[int, str] = field(default_factory=dict)

    def new(self, k: int, **attrs: np.ndarray | float | str) -> np.ndarray:
        """Append k fresh identifiers with optional per-row attributes; returns their rows."""
        for key, val in attrs.items():
            self.attrs.setdefault(key, [])
            arr = np.asarray(val)
            self.attrs[key].append(np.broadcast_to(arr, (k,)) if arr.ndim == 0 else arr)
        self.size += k
        return np.arange(self.size - k, self.size)

    def named(self, text: str) -> int:
        """Append a fixed (non-random) identifier, e.g. a well-known TLS hash."""
        row = int(self.new(1)[0])
        self.fixed[row] = text
        return row

    def finish(self, rng: np.random.Generator) -> pl.Series:
        """The identifier strings, one per row."""
        out = hex_strings(rng, self.size, self.nchars).astype(object)
        for row, text in self.fixed.items():
            out[row] = text
        return pl.Series(out, dtype=pl.String)

    def column(self, key: str, default: object = None) -> np.ndarray:
        """One attribute over all rows (rows added without it must not exist)."""
        return np.concatenate(self.attrs[key]) if key in self.attrs else np.array([default])


@dataclass
class Registry:
    """All shared tables of one world."""

    ips: IpTable = field(default_factory=IpTable)
    devices: Counter = field(default_factory=lambda: Counter(16))
    tls: Counter = field(default_factory=lambda: Counter(32))
    templates: Counter = field(default_factory=lambda: Counter(16))
    cards: Counter = field(default_factory=lambda: Counter(16))
    tls_family: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for fam, digest in pools.TLS_HASH.items():
            self.tls_family[fam] = self.tls.named(digest)

    def client_tls(self) -> np.ndarray:
        """TLS table row of each client in `pools.CLIENTS`."""
        return np.array([self.tls_family[c.tls] for c in pools.CLIENTS], dtype=np.int64)
