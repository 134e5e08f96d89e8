"""The x87 long double emulation behind INCRBYFLOAT: parsing, rounding, ``%.17Lf`` text.

Fixed cases are replies captured from redis-server 7.0.15 on x86-64; the
properties tie the emulation to facts that hold for any correct one (every
double is a long double; Python's ``%.17f`` rounds a double's exact value
half-to-even exactly as glibc does).
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from damselfly.commands.longdouble import add_ld, format_ld, incr_by_float, parse_ld, round_ld
from damselfly.errors import CommandError

REDIS_REPLIES = [
    # (stored value or None, increment, INCRBYFLOAT reply)
    (None, b"1.5", b"1.5"),
    (b"1.1", b"2.2", b"3.3"),
    (b"0.1", b"0.2", b"0.3"),
    (b"1.5", b"-3", b"-1.5"),
    (None, b"0x1p-18", b"0.00000381469726562"),   # an exact tie, rounded to even
    (None, b"0x3p-18", b"0.00001144409179688"),
    (None, b"-0x1p-18", b"-0.00000381469726562"),
    (None, b"1e-20", b"0"),
    (None, b"-1e-20", b"0"),                       # "-0" is printed as "0"
    (None, b"1e-4940", b"0"),                      # a subnormal long double
    (None, b"0e99999", b"0"),
    (b"9223372036854775807", b"1", b"9223372036854775808"),
    (None, b".5", b"0.5"),
    (None, b"5.", b"5"),
    (None, b"+5", b"5"),
    (None, b"0X1.8P1", b"3"),
    (None, b"0x.8", b"0.5"),
    (None, b"0x1.", b"1"),
    (None, b"-.5e-1", b"-0.05"),
    (b"1e3", b"0", b"1000"),
]


@pytest.mark.parametrize("current, increment, expected", REDIS_REPLIES)
def test_matches_redis(current, increment, expected):
    assert incr_by_float(current, increment) == expected


def test_large_values_keep_extended_precision():
    """A double would print 1e300 with different digits, and overflow at 2 * 1.8e308."""
    text = incr_by_float(None, b"1e300")
    assert text.startswith(b"100000000000000000000899732407955919387052394427329074793826008232126564659618093")
    assert len(text) == 301
    twice = incr_by_float(b"1.7976931348623157e308", b"1.7976931348623157e308")
    assert twice.startswith(b"35953862697246313999184209354820886809677289388865")
    huge = incr_by_float(b"1e4931", b"1e4932")   # past Python's 4300-digit int text limit
    assert len(huge) == 4933 and huge.startswith(b"1100000000000000000038868581125278743253")


@pytest.mark.parametrize("text", [b"", b" 1", b"1 ", b"abc", b"nan", b"NaN(12)", b"1e", b"0x", b"0x1p",
                                  b"1_0", b"1e5000", b"-1e5000", b"1e-5000", b"0x1p-16500", b"1\x00",
                                  b".", b"e5", b"+", b"--1", b"1" * 5120])
def test_rejected_texts(text):
    assert parse_ld(text) is None
    with pytest.raises(CommandError, match="ERR value is not a valid float"):
        incr_by_float(None, text)


def test_stored_value_is_checked_before_the_increment():
    with pytest.raises(CommandError, match="not a valid float"):
        incr_by_float(b"abc", b"also bad")


@pytest.mark.parametrize("current, increment", [(None, b"inf"), (None, b"-Infinity"), (b"inf", b"-inf"),
                                                (b"1e4932", b"1e4932")])
def test_non_finite_results(current, increment):
    with pytest.raises(CommandError, match="ERR increment would produce NaN or Infinity"):
        incr_by_float(current, increment)


def test_infinity_plus_a_huge_finite_value_does_not_overflow_python():
    assert add_ld(math.inf, Fraction(10) ** 4000) == math.inf
    assert add_ld(Fraction(10) ** 4000, -math.inf) == -math.inf
    assert math.isnan(add_ld(math.inf, -math.inf))


def test_rounding_keeps_64_significant_bits():
    one = Fraction(1)
    assert round_ld(one + Fraction(1, 2**63)) == one + Fraction(1, 2**63)
    assert round_ld(one + Fraction(1, 2**64)) == one                    # tie: to even
    assert round_ld(one + Fraction(3, 2**65)) == one + Fraction(1, 2**63)
    assert round_ld(Fraction(2**64 - 1) + Fraction(1, 2)) == 2**64     # carry into a new binade
    assert round_ld(Fraction(2) ** 16384) == math.inf
    assert round_ld(-(Fraction(2) ** 16384)) == -math.inf
    assert round_ld(Fraction(1, 2**16445)) == Fraction(1, 2**16445)     # smallest subnormal
    assert round_ld(Fraction(1, 2**16446)) == 0                         # half of it: tie to even, zero


finite_doubles = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(finite_doubles)
def test_every_double_is_a_long_double(x):
    assert round_ld(Fraction(x)) == Fraction(x)


@given(finite_doubles.filter(lambda x: abs(x) < 1e30))
def test_format_agrees_with_correctly_rounded_printf(x):
    """``%.17f`` on a double rounds its exact value half-to-even, as glibc's ``%.17Lf`` does."""
    expected = ("%.17f" % x).encode().rstrip(b"0").rstrip(b".")
    if expected == b"-0":
        expected = b"0"
    assert format_ld(Fraction(x)) == expected


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_integers_print_without_a_fraction(n):
    assert format_ld(round_ld(Fraction(n))) == b"%d" % n  # 64 significant bits hold any int64


@given(finite_doubles.filter(lambda x: x != 0 and 1e-300 < abs(x) < 1e300))
def test_parse_of_repr_is_exact_for_doubles(x):
    """repr() gives the shortest text that round-trips; as a long double it is at least as close."""
    value = parse_ld(repr(x).encode())
    assert value is not None
    assert abs(value - Fraction(x)) <= abs(Fraction(x)) / 2**52
