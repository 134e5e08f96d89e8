"""Encoder bytes for each reply type in RESP2 and RESP3 (Redis's downgrade rules)."""
from __future__ import annotations

import pytest

from damselfly.errors import CommandError
from damselfly.protocol.reply import (NULL_ARRAY, OK, BigNumber, Push, SetReply, Simple, Verbatim,
                                      encode, format_double)

CASES = [
    (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    (42, b":42\r\n", b":42\r\n"),
    (-1, b":-1\r\n", b":-1\r\n"),
    (None, b"$-1\r\n", b"_\r\n"),
    (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    (True, b":1\r\n", b"#t\r\n"),
    (False, b":0\r\n", b"#f\r\n"),
    (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
    (float("-inf"), b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ([b"a", None, 1], b"*3\r\n$1\r\na\r\n$-1\r\n:1\r\n", b"*3\r\n$1\r\na\r\n_\r\n:1\r\n"),
    ([], b"*0\r\n", b"*0\r\n"),
    ({b"k": b"v"}, b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n", b"%1\r\n$1\r\nk\r\n$1\r\nv\r\n"),
    (SetReply([b"x"]), b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (Push([b"message", b"c", b"p"]), b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n",
     b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n"),
    (Simple("OK"), b"+OK\r\n", b"+OK\r\n"),
    (OK, b"+OK\r\n", b"+OK\r\n"),
    (CommandError("ERR bad\r\nthing"), b"-ERR bad  thing\r\n", b"-ERR bad  thing\r\n"),
    (BigNumber(12345678901234567890), b"$20\r\n12345678901234567890\r\n", b"(12345678901234567890\r\n"),
    (Verbatim(b"hi"), b"$2\r\nhi\r\n", b"=6\r\ntxt:hi\r\n"),
    ([[b"a", 1.0]], b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"),
]


@pytest.mark.parametrize("value,resp2,resp3", CASES)
def test_encoding(value: object, resp2: bytes, resp3: bytes) -> None:
    assert encode(value, 2) == resp2
    assert encode(value, 3) == resp3


def test_large_bulk_is_not_reformatted() -> None:
    big = b"x" * 100_000
    assert encode(big, 2) == b"$100000\r\n" + big + b"\r\n"


def test_format_double_matches_redis_7_0() -> None:
    assert format_double(3.0) == b"3"
    assert format_double(1e20) == b"1e+20"
    assert format_double(-0.5) == b"-0.5"


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(TypeError):
        encode(object(), 2)
