"""Golden and property tests for the normalizing macros in sql/macros/."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.sql import load_macros


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
