"""Names, emails, phone numbers and postcodes, built the way real people type them.

All functions are vectorized over rows; loops run only over the handful of countries or formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sybil.synth import pools
from sybil.synth.registry import random_words


def _flatten(which: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    display, ascii_form, start, count = [], [], [], []
    for culture in pools.CULTURES:
        names = pools.NAMES[culture][which]
        start.append(len(display))
        count.append(len(names))
        display += [d for d, _ in names]
        ascii_form += [a for _, a in names]
    return (
        np.array(display, dtype=object),
        np.array(ascii_form, dtype=object),
        np.array(start),
        np.array(count),
    )


_FIRST_D, _FIRST_A, _FIRST_START, _FIRST_N = _flatten(0)
_LAST_D, _LAST_A, _LAST_START, _LAST_N = _flatten(1)
_SURNAME_FIRST = np.array([pools.NAMES[c][2] for c in pools.CULTURES])
_NON_LATIN = np.array([c in pools.NON_LATIN for c in pools.CULTURES])
_NO_SPACE = np.array([pools.NAMES[c][3] == "" for c in pools.CULTURES])
_FIRST_KEYS, _FIRST_KEY = np.unique(_FIRST_A.astype(str), return_inverse=True)
_LAST_KEYS, _LAST_KEY = np.unique(_LAST_A.astype(str), return_inverse=True)
_CULTURE_POS = {c: i for i, c in enumerate(pools.CULTURES)}
_COUNTRY = {c.code: c for c in pools.COUNTRIES}


@dataclass
class People:
    """Name choices for a batch of people: culture, first-name row and surname row."""

    culture: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @property
    def first_ascii(self) -> np.ndarray:
        return _FIRST_A[self.first]

    @property
    def last_ascii(self) -> np.ndarray:
        return _LAST_A[self.last]


def draw_people(rng: np.random.Generator, countries: np.ndarray, foreign: float = 0.12) -> People:
    """Names matching each row's country, with some diaspora names mixed in."""
    n = len(countries)
    home = np.array([_CULTURE_POS[_COUNTRY[str(c)].culture] for c in countries], dtype=np.int64)
    culture = np.where(rng.random(n) < foreign, rng.integers(0, len(pools.CULTURES), n), home)
    first = _FIRST_START[culture] + (rng.random(n) * _FIRST_N[culture]).astype(np.int64)
    last = _LAST_START[culture] + (rng.random(n) * _LAST_N[culture]).astype(np.int64)
    return People(culture, first, last)


def same_surname(rng: np.random.Generator, people: People, group: np.ndarray) -> People:
    """Give every member of a group (sorted group ids) the first member's culture and surname."""
    first_row = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    head = np.repeat(first_row, np.diff(np.r_[first_row, len(group)]))
    culture = people.culture[head]
    first = _FIRST_START[culture] + (rng.random(len(group)) * _FIRST_N[culture]).astype(np.int64)
    return People(culture, first, people.last[head])


def distinct_people(
    rng: np.random.Generator, countries: np.ndarray, group: np.ndarray, rounds: int = 40
) -> People:
    """Like `draw_people`, but no two rows of one group get the same romanized name.

    Colliding rows are redrawn, after a few rounds from any culture, so even a large group from a
    country with few names in the tables ends up with distinct people.
    """
    people = draw_people(rng, countries)
    for i in range(rounds):
        first, last = _FIRST_KEY[people.first], _LAST_KEY[people.last]
        key = (group * len(_FIRST_KEYS) + first) * len(_LAST_KEYS) + last
        order = np.argsort(key, kind="stable")
        dup = order[1:][key[order][1:] == key[order][:-1]]
        if len(dup) == 0:
            break
        again = draw_people(rng, countries[dup], foreign=0.12 if i < 5 else 1.0)
        people.culture[dup] = again.culture
        people.first[dup], people.last[dup] = again.first, again.last
    return people


def display_names(rng: np.random.Generator, people: People, full: bool = False) -> pl.Series:
    """Full names as entered: culture-specific order, sometimes lowercase, first-only or missing.

    With `full`, nobody types only a first name (a scripted form always fills both).
    """
    u = rng.random(len(people.first))
    if full:
        u = np.where((u >= 0.02) & (u < 0.04), 0.5, u)
    latin = _NON_LATIN[people.culture] & (rng.random(len(u)) < 0.4)
    first = pl.Series(
        np.where(latin, _FIRST_A[people.first], _FIRST_D[people.first]), dtype=pl.String
    )
    last = pl.Series(np.where(latin, _LAST_A[people.last], _LAST_D[people.last]), dtype=pl.String)
    first = pl.select(
        pl.when(pl.lit(pl.Series(latin))).then(first.str.to_titlecase()).otherwise(first)
    ).to_series()
    last = pl.select(
        pl.when(pl.lit(pl.Series(latin))).then(last.str.to_titlecase()).otherwise(last)
    ).to_series()
    rev = _SURNAME_FIRST[people.culture] & ~latin
    sep = np.where(_NO_SPACE[people.culture] & ~latin, "", " ")
    frame = pl.DataFrame({"f": first, "l": last, "rev": rev, "sep": sep, "u": u})
    full = (
        pl.when("rev")
        .then(pl.concat_str(["l", "sep", "f"]))
        .otherwise(pl.concat_str(["f", "l"], separator=" "))
    )
    return frame.select(
        pl.when(pl.col("u") < 0.02)
        .then(None)
        .when(pl.col("u") < 0.04)
        .then(pl.col("f"))
        .when(pl.col("u") < 0.07)
        .then(full.str.to_lowercase())
        .otherwise(full)
        .alias("name")
    ).to_series()


def _pick_domains(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        rows = np.flatnonzero(countries == code)
        names, weights = zip(*_COUNTRY[str(code)].mails, strict=True)
        w = np.array(weights, dtype=float)
        out[rows] = rng.choice(np.array(names, dtype=object), size=len(rows), p=w / w.sum())
    return out


_PATTERN_W = np.array([20, 10, 8, 10, 12, 8, 5, 8, 4, 3, 5, 7], dtype=float)
_TAGS = np.array(["ai", "api", "work", "dev", "signup", "tools", "llm"], dtype=object)


def free_emails(
    rng: np.random.Generator,
    people: People,
    countries: np.ndarray,
    domains: np.ndarray | None = None,
) -> pl.Series:
    """Personal addresses (first.last, flast92, nickname7, ...) at the country's free providers."""
    n = len(countries)
    frame = pl.DataFrame(
        {
            "f": pl.Series(people.first_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "l": pl.Series(people.last_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "yy": pl.Series(rng.integers(70, 107, n) % 100).cast(pl.String).str.zfill(2),
            "num": pl.Series(rng.integers(1, 10 ** rng.integers(1, 5, n))).cast(pl.String),
            "nick": pl.Series(
                rng.choice(np.array(pools.NICKNAMES, dtype=object), n), dtype=pl.String
            ),
            "tag": pl.Series(rng.choice(_TAGS, n), dtype=pl.String),
            "plus": rng.random(n) < 0.01,
            "code": rng.choice(len(_PATTERN_W), n, p=_PATTERN_W / _PATTERN_W.sum()),
            "dom": pl.Series(
                _pick_domains(rng, countries) if domains is None else domains, dtype=pl.String
            ),
        }
    )
    f, ln, fi = pl.col("f"), pl.col("l"), pl.col("f").str.slice(0, 1)
    forms = [
        f + "." + ln,
        f + ln,
        fi + ln,
        f + "." + ln + pl.col("yy"),
        f + pl.col("num"),
        fi + ln + pl.col("yy"),
        f + "_" + ln,
        pl.col("nick") + pl.col("num"),
        ln + f,
        f + "." + ln.str.slice(0, 1),
        fi + "." + ln,
        f + ln + pl.col("num"),
    ]
    local = pl.when(pl.col("code") == 0).then(forms[0])
    for i, form in enumerate(forms[1:], start=1):
        local = local.when(pl.col("code") == i).then(form)
    local = local.otherwise(forms[0])
    local = pl.when("plus").then(local + "+" + pl.col("tag")).otherwise(local)
    return frame.select((local + "@" + pl.col("dom")).alias("email")).to_series()


def org_emails(people: People, domains: np.ndarray, style: np.ndarray) -> pl.Series:
    """Work addresses following the organization's one convention (first.last, flast, first)."""
    frame = pl.DataFrame(
        {
            "f": pl.Series(people.first_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "l": pl.Series(people.last_ascii, dtype=pl.String).str.replace_all(r"[^a-z]", ""),
            "d": pl.Series(domains, dtype=pl.String),
            "s": style,
        }
    )
    f, ln = pl.col("f"), pl.col("l")
    local = (
        pl.when(pl.col("s") == 0)
        .then(f + "." + ln)
        .when(pl.col("s") == 1)
        .then(f.str.slice(0, 1) + ln)
        .otherwise(f + ln.str.slice(0, 1))
    )
    return frame.select((local + "@" + pl.col("d")).alias("email")).to_series()


def disposable_emails(rng: np.random.Generator, n: int, domains: np.ndarray) -> pl.Series:
    """Throwaway addresses: random lowercase strings of varying length."""
    words = pl.Series(random_words(rng, n, 14), dtype=pl.String)
    lens = pl.Series(rng.integers(7, 15, n))
    return (
        pl.DataFrame({"w": words, "k": lens, "d": pl.Series(domains, dtype=pl.String)})
        .select((pl.col("w").str.slice(0, pl.col("k")) + "@" + pl.col("d")).alias("email"))
        .to_series()
    )


def gmail_key() -> pl.Expr:
    """Mailbox identity of an email column: lowercase, +tag dropped, gmail dots ignored."""
    e = pl.col("email").str.strip_chars().str.to_lowercase()
    local = e.str.extract(r"^([^@+]*)", 1)
    dom = e.str.extract(r"@(.*)$", 1).replace({"googlemail.com": "gmail.com"})
    local = (
        pl.when(dom == "gmail.com")
        .then(local.str.replace_all(".", "", literal=True))
        .otherwise(local)
    )
    return pl.concat_str([local, dom], separator="@")


def mailbox_hashes(emails: pl.Series) -> np.ndarray:
    """Sorted 64-bit hashes of the mailboxes (`gmail_key`) of an email column, nulls left out:
    what the chunks of a world pass on to keep their mailboxes apart (see `finalize_emails`)."""
    keys = pl.DataFrame({"email": emails}).select(gmail_key()).to_series().drop_nulls()
    return np.unique(keys.hash(seed=0).to_numpy())


def _held(keys: pl.Series, taken: np.ndarray) -> np.ndarray:
    """Rows whose mailbox key is among `taken` (sorted `mailbox_hashes`)."""
    h = keys.hash(seed=0).to_numpy()
    pos = np.minimum(np.searchsorted(taken, h), max(len(taken) - 1, 0))
    return taken[pos] == h if len(taken) else np.zeros(len(h), dtype=bool)


def _append_digits(
    rng: np.random.Generator, out: pl.Series, keys: pl.Series, rows: np.ndarray, per_key: bool
) -> tuple[pl.Series, pl.Series]:
    """Digits appended to the local part (before any +tag) of `rows`; with `per_key`, the same
    digits for rows of one mailbox, so a farm's variants of it stay one mailbox."""
    if per_key:
        _, which = np.unique(keys.gather(rows).to_numpy().astype(str), return_inverse=True)
        numbers = rng.integers(10, 10_000, int(which.max()) + 1)[which]
    else:
        numbers = rng.integers(10, 10_000, len(rows))
    patched = (
        pl.DataFrame({"e": out.gather(rows), "d": pl.Series(numbers).cast(pl.String)})
        .select(
            pl.concat_str(
                pl.col("e").str.extract(r"^([^@+]*)", 1),
                pl.col("d"),
                pl.col("e").str.extract(r"^[^@+]*(.*)$", 1),
            )
        )
        .to_series()
    )
    new_keys = pl.DataFrame({"email": patched}).select(gmail_key()).to_series()
    return out.scatter(rows, patched), keys.scatter(rows, new_keys)


def finalize_emails(
    rng: np.random.Generator,
    emails: pl.Series,
    protected: np.ndarray,
    taken: np.ndarray | None = None,
) -> pl.Series:
    """Make mailboxes unique (as a provider enforces), then add typing noise (case, spaces).

    Protected rows (a farm's deliberate aliases) may share a mailbox with each other; any other
    row that collides gets digits appended, as a person would when the name is taken.

    `taken` (sorted `mailbox_hashes`) are the mailboxes of earlier chunks of the same world: no
    row gets one of them, not even a protected one (a farm's mailbox then gets digits, the same
    for all its variants), so no mailbox links accounts of two chunks.
    """
    out = emails.clone()
    keys = pl.DataFrame({"email": out}).select(gmail_key()).to_series()
    for _ in range(8 if taken is not None else 0):
        rows = np.flatnonzero(protected & _held(keys, taken))
        if len(rows) == 0:
            break
        out, keys = _append_digits(rng, out, keys, rows, per_key=True)
    prot = pl.Series(protected)
    prot_keys = keys.filter(prot).unique()
    order = np.argsort(~protected, kind="stable")  # protected rows claim their mailbox first
    for _ in range(8):
        later = np.zeros(len(out), dtype=bool)
        later[order] = ~keys.gather(order).is_first_distinct().to_numpy()
        clash = later | keys.is_in(prot_keys).to_numpy()
        if taken is not None:
            clash |= _held(keys, taken)
        bad = np.flatnonzero(~protected & clash)
        if len(bad) == 0:
            break
        if taken is not None:  # a chunk: digits before any +tag, so that the mailbox changes
            out, keys = _append_digits(rng, out, keys, bad, per_key=False)
            continue
        # One world: digits before the @ (unchanged so that its worlds stay the same; after a
        # +tag they leave the mailbox as it was).
        digits = pl.Series(rng.integers(10, 10_000, len(bad))).cast(pl.String)
        patched = (
            pl.DataFrame({"e": out.gather(bad), "d": digits})
            .select(pl.col("e").str.replace(r"@", pl.col("d") + "@"))
            .to_series()
        )
        out = out.scatter(bad, patched)
        keys = keys.scatter(bad, pl.DataFrame({"email": patched}).select(gmail_key()).to_series())
    u = rng.random(len(out))
    frame = pl.DataFrame({"e": out, "u": u})
    title = pl.col("e").str.to_titlecase()
    return frame.select(
        pl.when(pl.col("u") < 0.015)
        .then(title)
        .when(pl.col("u") < 0.025)
        .then(pl.concat_str([pl.lit("  "), pl.col("e"), pl.lit(" ")]))
        .when(pl.col("u") < 0.03)
        .then(pl.col("e").str.to_uppercase())
        .otherwise(pl.col("e"))
        .alias("email")
    ).to_series()


def pattern_strings(rng: np.random.Generator, n: int, template: str) -> np.ndarray:
    """Fill a template: D digit, N digit 2-9, L uppercase letter, anything else literal."""
    cols = []
    for ch in template:
        if ch == "D":
            cols.append(rng.integers(48, 58, n, dtype=np.uint8))
        elif ch == "N":
            cols.append(rng.integers(50, 58, n, dtype=np.uint8))
        elif ch == "L":
            cols.append(rng.integers(65, 91, n, dtype=np.uint8))
        else:
            cols.append(np.full(n, ord(ch), dtype=np.uint8))
    chars = np.ascontiguousarray(np.stack(cols, axis=1))
    return chars.view(f"S{len(template)}").ravel().astype(f"U{len(template)}")


_US_PHONES = ("+1 (NDD) NDD-DDDD", "NDD.NDD.DDDD", "(NDD) NDD-DDDD", "+1NDDNDDDDDD", "NDD-NDD-DDDD")
PHONE_FORMATS: dict[str, tuple[str, ...]] = {
    "US": _US_PHONES,
    "CA": _US_PHONES,
    "GB": ("+44 7DDD DDDDDD", "07DDD DDDDDD", "+447DDDDDDDDD", "07DDDDDDDDD"),
    "DE": ("+49 15D DDDDDDDD", "015D DDDDDDDD", "+4915DDDDDDDDD", "015D/DDDDDDDD"),
    "FR": ("+33 6 DD DD DD DD", "06 DD DD DD DD", "+336DDDDDDDD", "06.DD.DD.DD.DD"),
    "IN": ("+91 9DDDD DDDDD", "9DDDDDDDDD", "+919DDDDDDDDD", "09DDDDDDDDD"),
}


def _generic_formats(country: pools.Country) -> tuple[str, ...]:
    body = [country.lead + "D" * (country.groups[0] - len(country.lead))]
    body += ["D" * g for g in country.groups[1:]]
    return (
        f"+{country.cc} " + " ".join(body),
        f"+{country.cc}" + "".join(body),
        country.trunk + " ".join(body),
    )


def phones(rng: np.random.Generator, countries: np.ndarray, e164: bool = False) -> np.ndarray:
    """Phone numbers typed in the country's usual formats (or strict E.164 for scripts)."""
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        rows = np.flatnonzero(countries == code)
        formats = PHONE_FORMATS.get(str(code)) or _generic_formats(_COUNTRY[str(code)])
        if e164:
            formats = tuple(f for f in formats if f.startswith("+") and " " not in f)
        pick = rng.integers(0, len(formats), len(rows))
        for i, fmt in enumerate(formats):
            sel = rows[pick == i]
            out[sel] = pattern_strings(rng, len(sel), fmt)
    return out


_POSTAL = {
    "US": "DDDDD",
    "GB": "LLD DLL",
    "CA": "LDL DLD",
    "NL": "DDDD LL",
    "JP": "DDD-DDDD",
    "BR": "DDDDD-DDD",
    "PL": "DD-DDD",
    "IN": "DDDDDD",
    "CN": "DDDDDD",
}


def postals(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    """Billing postcodes in each country's format."""
    out = np.empty(len(countries), dtype=object)
    for code in np.unique(countries):
        rows = np.flatnonzero(countries == code)
        out[rows] = pattern_strings(rng, len(rows), _POSTAL.get(str(code), "DDDDD"))
    return out


def countries_for(
    rng: np.random.Generator, n: int, only: tuple[str, ...] | None = None
) -> np.ndarray:
    """Country codes drawn by population weight (optionally among a subset)."""
    cand = [c for c in pools.COUNTRIES if only is None or c.code in only]
    w = np.array([c.weight for c in cand], dtype=float)
    return rng.choice(np.array([c.code for c in cand], dtype=object), size=n, p=w / w.sum())
