"""Card numbers (found and removed, never kept) and keyed hashes: golden and property tests."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines.sql import load_macros, set_hmac_key


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def with_check_digit(body: str) -> str:
    """body + the digit that makes it pass Luhn."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A valid card number: 13-19 digits, starting 2-6 (the card networks), passing Luhn."""
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("23456"))
    body = draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    return with_check_digit(first + body)


def grouped(number: str, sep: str) -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


# Text around a card number: words and punctuation, never a digit or letter touching it.
_filler = st.text(alphabet="abcdefghij XYZ.,;:()/éü日本", max_size=20)


@pytest.fixture(scope="module")
def mcon() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    load_macros(con)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, expr: str, value: object) -> object:
    return con.execute(f"select {expr}", [value]).fetchall()[0][0]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("card: 4111111111111111.", True),
        ("378282246310005", True),  # Amex, 15 digits
        ("4111111111111111 5500000000000004", True),  # two, side by side
        ("4111111111111112", False),  # fails Luhn
        ("0000000000000000", False),  # passes Luhn, but no card starts with 0
        ("1767225600000", False),  # epoch milliseconds
        ("+4915123456789", False),  # a phone in E.164
        ("a4111111111111111", False),  # part of a word (a hex fingerprint)
        ("acc_4111111111111111", False),  # part of an id
        ("2026-07-03T00:00:00.000000+0000", False),
        ("", False),
        (None, False),
    ],
)
def test_card_number_golden(mcon, text, found):
    assert one(mcon, "has_card_number(?)", text) is found


@settings(max_examples=150, deadline=None)
@given(number=card_numbers(), sep=st.sampled_from(["", " ", "-"]), pre=_filler, post=_filler)
def test_valid_card_numbers_are_found_in_text_and_removed(mcon, number, sep, pre, post):
    written = grouped(number, sep) if sep else number
    text = f"{pre} {written} {post}"
    assert one(mcon, "has_card_number(?)", text) is True
    redacted = one(mcon, "redact_card_numbers(?)", text)
    assert written not in redacted
    assert "[card number removed]" in redacted
    assert redacted.startswith(pre)
    assert redacted.endswith(post)


@settings(max_examples=150, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_luhn_macro_agrees_with_python(mcon, digits):
    assert one(mcon, "luhn_valid(?)", digits) is luhn_ok(digits)
    expected = luhn_ok(digits) and digits[0] in "23456"
    assert one(mcon, "has_card_number(?)", digits) is expected


@settings(max_examples=100, deadline=None)
@given(number=card_numbers())
def test_a_wrong_check_digit_is_not_a_card(mcon, number):
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assume(not luhn_ok(wrong))
    assert one(mcon, "has_card_number(?)", wrong) is False


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="0123456789"),
        max_size=40,
    )
)
def test_text_without_digits_is_never_a_card(mcon, text):
    assert one(mcon, "has_card_number(?)", text) is False
    assert one(mcon, "redact_card_numbers(?)", text) == text


@pytest.fixture(scope="module")
def kcon() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    load_macros(con)
    yield con
    con.close()


@settings(max_examples=100, deadline=None)
@given(
    secret=st.binary(min_size=1, max_size=100),  # longer than a block (64) is hashed first
    value=st.text(max_size=60),
)
def test_keyed_hash_is_hmac_sha256(kcon, secret, value):
    """Oracle: Python's hmac module."""
    set_hmac_key(kcon, secret)
    expected = hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()
    assert one(kcon, "keyed_hash(?)", value) == expected
    assert one(kcon, "keyed_hash(?)", None) is None


def test_keyed_hash_needs_a_key(mcon):
    with pytest.raises(duckdb.Error, match="no HMAC key"):
        one(mcon, "keyed_hash(?)", "a@b.com")
