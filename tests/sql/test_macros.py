"""Golden and property tests for the normalizing macros in sql/macros/."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.sql import SQL_DIR, load_macros


def one(con: duckdb.DuckDBPyConnection, expr: str, value: object) -> object:
    return con.execute(f"select {expr}", [value]).fetchall()[0][0]


@pytest.fixture(scope="module")
def mcon() -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection for property tests: the macros are pure, nothing leaks between examples."""
    connection = duckdb.connect()
    load_macros(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("raw", "norm", "prefix"),
    [
        ("1.2.3.4", "1.2.3.4", "1.2.3.0/24"),
        (" 10.0.0.255 ", "10.0.0.255", "10.0.0.0/24"),
        ("2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:0db8:0000:0000::/64"),
        ("2001:db8:a::12", "2001:0db8:000a:0000:0000:0000:0000:0012", "2001:0db8:000a:0000::/64"),
        ("::ffff:1.2.3.4", "1.2.3.4", "1.2.3.0/24"),
        ("::ffff:0102:0304", "1.2.3.4", "1.2.3.0/24"),
        ("[2001:db8::2]", "2001:0db8:0000:0000:0000:0000:0000:0002", "2001:0db8:0000:0000::/64"),
        ("fe80::1%eth0", "fe80:0000:0000:0000:0000:0000:0000:0001", "fe80:0000:0000:0000::/64"),
        ("::", "0000:0000:0000:0000:0000:0000:0000:0000", "0000:0000:0000:0000::/64"),
    ],
)
def test_ip_norm_and_prefix(con, raw, norm, prefix):
    assert one(con, "ip_norm(?)", raw) == norm
    assert one(con, "ip_prefix(ip_norm(?))", raw) == prefix


@pytest.mark.parametrize(
    "raw",
    [
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        "not-an-ip",
        "1::2::3",
        "12345::",
        ":1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "",
        "   ",
        None,
    ],
)
def test_ip_norm_rejects_invalid(con, raw):
    assert one(con, "ip_norm(?)", raw) is None


@settings(max_examples=150, deadline=None)
@given(st.ip_addresses())
def test_ip_norm_agrees_with_python_ipaddress(mcon, addr):
    con = mcon
    """Oracle: Python's ipaddress, IPv4-mapped IPv6 folded to IPv4."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        expected = str(addr.ipv4_mapped)
    elif isinstance(addr, ipaddress.IPv6Address):
        expected = addr.exploded
    else:
        expected = str(addr)
    assert one(con, "ip_norm(?)", str(addr)) == expected
    assert one(con, "ip_norm(?)", addr.exploded) == expected


@pytest.mark.parametrize(
    ("raw", "local", "domain", "usable"),
    [
        ("  John.Doe+promo@Gmail.com ", "john.doe+promo", "gmail.com", True),
        ("x@gmail.com.", "x", "gmail.com", True),
        ("x@müller.de", "x", "müller.de", True),
        ("😀@emoji.com", "😀", "emoji.com", True),
        ("no-at-sign", None, None, False),
        ("a@b", "a", "b", False),
        ("@gmail.com", "", "gmail.com", False),
        ("a@b@c.com", "a@b", "c.com", False),
        (None, None, None, False),
    ],
)
def test_email_parts(con, raw, local, domain, usable):
    assert one(con, "email_local(email_clean(?))", raw) == local
    assert one(con, "email_domain(email_clean(?))", raw) == domain
    assert one(con, "email_usable(email_clean(?))", raw) is usable


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+1 (415) 555-0134", "4155550134"),
        ("415.555.0134", "4155550134"),
        ("+44 7700 900123", "7700900123"),
        ("07700 900123", "7700900123"),
        ("0044 7700 900123", "7700900123"),
        ("12", None),
        ("+1 000 000 0000", None),
        ("10000000000", None),
        ("000000", None),
        (None, None),
    ],
)
def test_phone_key(con, raw, key):
    assert one(con, "phone_key(?)", raw) == key


@given(st.text(alphabet="0123456789 +-().", max_size=25))
@settings(max_examples=100, deadline=None)
def test_phone_key_is_digits_and_idempotent(mcon, raw):
    con = mcon
    key = one(con, "phone_key(?)", raw)
    if key is not None:
        assert key.isdigit()
        assert len(key) <= 10
        assert one(con, "phone_key(?)", key) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Smith, John", "john smith"),
        ("john  SMITH", "john smith"),
        ("Zoë Müller", "muller zoe"),
        ("محمد علي", "علي محمد"),
        ("Madonna", None),
        (None, None),
    ],
)
def test_name_key(con, raw, key):
    assert one(con, "name_key(?)", raw) == key


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèüø", min_size=1, max_size=8),
        min_size=2,
        max_size=4,
    )
)
@settings(max_examples=100, deadline=None)
def test_name_key_ignores_order_case_and_punctuation(mcon, tokens):
    plain = " ".join(tokens)
    shuffled = ", ".join(reversed(tokens)).upper()
    assert one(mcon, "name_key(?)", plain) == one(mcon, "name_key(?)", shuffled)


# Every macro of identity.sql, each applied to every sign-up (all take one text).
_IDENTITY_MACROS = re.findall(
    r"create or replace macro (\w+)\(\w+\)", (SQL_DIR / "macros" / "identity.sql").read_text()
)


def test_the_identity_macros_are_all_checked_for_joins():
    assert {"phone_digits", "phone_key", "name_key", "email_clean"} <= set(_IDENTITY_MACROS)


@pytest.mark.parametrize("macro", _IDENTITY_MACROS)
def test_row_macros_are_plain_expressions_without_joins(mcon, macro):
    """Macros applied to every sign-up must not hold a subquery: DuckDB runs one as a join of
    every row back to its result, which at 10M sign-ups cost about a minute of staging."""
    mcon.execute("create or replace temp table people (v varchar)")
    plan = "\n".join(
        str(r[1]) for r in mcon.sql(f"explain select {macro}(v) from people").fetchall()
    )
    assert "JOIN" not in plan.upper(), plan


# Characters that show nothing: zero-width space/joiners, bidi marks and overrides, soft hyphen,
# byte order mark. Padding an address with them must not make a new mailbox.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2069\u00ad\ufeff"


@settings(max_examples=150, deadline=None)
@given(
    local=st.text(alphabet="abcdefghijklmnop.+_-0123456789éü", min_size=1, max_size=12),
    domain=st.sampled_from(["gmail.com", "müller.de", "example.org", "xn--mller-kva.de"]),
    noise=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(_INVISIBLE + " \t")), max_size=4),
)
def test_email_clean_ignores_invisible_characters_and_is_idempotent(mcon, local, domain, noise):
    address = f"{local}@{domain}"
    noisy = address
    for position, char in noise:
        cut = min(position, len(noisy))
        noisy = noisy[:cut] + char + noisy[cut:]
    clean = one(mcon, "email_clean(?)", address)
    assert one(mcon, "email_clean(?)", noisy) == clean
    assert one(mcon, "email_clean(?)", clean) == clean
    assert not any(ch.isspace() or ch in _INVISIBLE for ch in clean)


@settings(max_examples=150, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(2000, 1, 2),
        max_value=dt.datetime(2099, 12, 30),
        timezones=st.sampled_from(
            [dt.timezone(dt.timedelta(minutes=m)) for m in (-720, -330, 0, 60, 330, 345, 840)]
        ),
    ),
    style=st.sampled_from(["T", " "]),
)
def test_timestamps_with_offsets_parse_to_utc(mcon, moment, style):
    """Oracle: Python's datetime. Any ISO 8601 offset gives the same UTC instant."""
    text = moment.isoformat(sep=style)
    parsed = one(mcon, "timezone('UTC', try_cast(? as timestamptz))", text)
    expected = moment.astimezone(dt.UTC).replace(tzinfo=None)
    assert parsed == expected
    assert one(mcon, "ts_plausible(try_cast(? as timestamptz))", text) is True


@pytest.mark.parametrize(
    "text", ["01/02/2026", "1767225600", "2026-13-01", "yesterday", "", "2026-01-01T25:00:00"]
)
def test_unparseable_timestamps_are_null(mcon, text):
    assert one(mcon, "try_cast(? as timestamptz)", text) is None


@pytest.mark.parametrize(
    "text", ["infinity", "-infinity", "1970-01-01", "2150-01-01", "0001-01-01"]
)
def test_implausible_timestamps_are_flagged(mcon, text):
    assert one(mcon, "ts_plausible(try_cast(? as timestamptz))", text) is False
