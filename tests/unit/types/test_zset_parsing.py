"""Score and range parsing as Redis 7.0 does it (glibc strtod rules), and listpack score text."""
from __future__ import annotations

import math

import pytest

from damselfly.commands.zsets import d2string, parse_bound, parse_lex, parse_score, strtod
from damselfly.errors import CommandError


@pytest.mark.parametrize("text,value,used,erange", [
    (b"1.5", 1.5, 3, False), (b"  -2", -2.0, 4, False), (b"0x10", 16.0, 4, False), (b"0x1p3", 8.0, 5, False),
    (b"0x", 0.0, 1, False), (b"1e", 1.0, 1, False), (b"inf", math.inf, 3, False), (b"-Infinity", -math.inf, 9, False),
    (b"1e400", math.inf, 5, True), (b"1e-400", 0.0, 6, True), (b"0e-400", 0.0, 6, False), (b"abc", 0.0, 0, False),
    (b"", 0.0, 0, False), (b".5x", 0.5, 2, False),
])
def test_strtod(text, value, used, erange):
    got, n, er = strtod(text)
    assert (got, n, er) == (value, used, erange)


def test_strtod_nan():
    got, n, _ = strtod(b"nan(123)")
    assert math.isnan(got) and n == 8


@pytest.mark.parametrize("text,value", [(b"1", 1.0), (b"-0", -0.0), (b"0x10", 16.0), (b"+inf", math.inf),
                                        (b"5e-324", 5e-324), (b".5", 0.5), (b"5.", 5.0), (b"1e308", 1e308)])
def test_parse_score_accepts(text, value):
    got = parse_score(text)
    assert got == value and math.copysign(1, got) == math.copysign(1, value)


@pytest.mark.parametrize("text", [b"", b" 1", b"1 ", b"1_0", b"nan", b"1e400", b"1e-400", b"abc", b"(1", b"1\x00"])
def test_parse_score_rejects(text):
    with pytest.raises(CommandError, match="not a valid float"):
        parse_score(text)


@pytest.mark.parametrize("text,expected", [(b"(1", (1.0, True)), (b"1", (1.0, False)), (b"", (0.0, False)),
                                           (b"(", (0.0, True)), (b" 2", (2.0, False)), (b"1e400", (math.inf, False)),
                                           (b"3\x00junk", (3.0, False)), (b"-inf", (-math.inf, False))])
def test_parse_bound(text, expected):
    assert parse_bound(text) == expected


@pytest.mark.parametrize("text", [b"x", b"2 ", b"((1", b"nan", b"  ", b"1_0"])
def test_parse_bound_rejects(text):
    with pytest.raises(CommandError, match="min or max is not a float"):
        parse_bound(text)


def test_parse_lex():
    assert parse_lex(b"-") == (-1, b"", True)
    assert parse_lex(b"+") == (1, b"", True)
    assert parse_lex(b"[a") == (0, b"a", False)
    assert parse_lex(b"(a") == (0, b"a", True)
    for bad in (b"", b"a", b"-x", b"+x"):
        with pytest.raises(CommandError, match="not valid string range item"):
            parse_lex(bad)


@pytest.mark.parametrize("value,text", [(1.0, b"1"), (-0.0, b"-0"), (0.1, b"0.10000000000000001"), (1e20, b"1e+20"),
                                        (123456789012345678.0, b"123456789012345680"), (math.inf, b"inf"),
                                        (-4611686018427387904.0, b"-4611686018427387904"),
                                        (4611686018427387905.0 * 2, b"9.2233720368547758e+18")])
def test_d2string(value, text):
    assert d2string(value) == text
