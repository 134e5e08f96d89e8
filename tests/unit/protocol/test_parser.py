"""The sans-IO request parser: every frame split at every offset, and hostile input."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from damselfly.protocol.parser import INLINE_MAX_SIZE, RequestParser, split_args, strict_int

VALID = [
    (b"*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", [[b"SET", b"k", b""]]),
    (b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n", [[b"GET", b"a\r\nb"]]),  # binary-safe body
    (b"PING\r\n", [[b"PING"]]),
    (b"PING\n", [[b"PING"]]),
    (b"set k \"a b\"\r\n", [[b"set", b"k", b"a b"]]),
    (b"echo 'it''s'\r\n", None),  # unbalanced: closing quote followed by a quote
    (b"echo \"\\x41\\n\"\r\n", [[b"echo", b"A\n"]]),
    (b"\r\n", []),              # empty inline line: nothing to run
    (b"*0\r\n", []),            # empty multibulk: skipped
    (b"*-1\r\n", []),           # negative count: skipped, as Redis
    (b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\nPING\r\n", [[b"PING"]] * 3),
]


@pytest.mark.parametrize("frame,expected", [v for v in VALID if v[1] is not None])
def test_frame_split_at_every_offset(frame: bytes, expected: list[list[bytes]]) -> None:
    for cut in range(len(frame) + 1):
        p = RequestParser()
        got = p.feed(frame[:cut]) + p.feed(frame[cut:])
        assert got == expected, cut
        assert p.error is None
        assert p.pending_bytes == 0


@pytest.mark.parametrize("frame,expected", [v for v in VALID if v[1] is not None])
def test_frame_fed_byte_by_byte(frame: bytes, expected: list[list[bytes]]) -> None:
    p = RequestParser()
    got: list[list[bytes]] = []
    for i in range(len(frame)):
        got += p.feed(frame[i:i + 1])
    assert got == expected


ERRORS = [
    (b"*x\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*01\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*+1\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*3000000000\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
    (b"set k \"abc\r\n", "ERR Protocol error: unbalanced quotes in request"),
    (b"set k 'a'b\r\n", "ERR Protocol error: unbalanced quotes in request"),
]


@pytest.mark.parametrize("frame,message", ERRORS)
def test_protocol_errors_use_redis_texts(frame: bytes, message: str) -> None:
    p = RequestParser()
    assert p.feed(b"PING\r\n" + frame) == [[b"PING"]]  # commands before the error still run
    assert p.error == message
    assert p.feed(b"PING\r\n") == []  # nothing after an error


def test_too_big_inline_and_count_strings() -> None:
    p = RequestParser()
    p.feed(b"a" * (INLINE_MAX_SIZE + 1))
    assert p.error == "ERR Protocol error: too big inline request"
    p = RequestParser()
    p.feed(b"*" + b"1" * (INLINE_MAX_SIZE + 1))
    assert p.error == "ERR Protocol error: too big mbulk count string"
    p = RequestParser()
    p.feed(b"*1\r\n$" + b"1" * (INLINE_MAX_SIZE + 1))
    assert p.error == "ERR Protocol error: too big bulk count string"


def test_max_bulk_len_is_configurable() -> None:
    p = RequestParser(max_bulk_len=1024 * 1024)
    p.feed(b"*1\r\n$1048577\r\n")
    assert p.error == "ERR Protocol error: invalid bulk length"


def test_unauthenticated_limits() -> None:
    p = RequestParser()
    p.auth_required = True
    p.feed(b"*11\r\n")
    assert p.error == "ERR Protocol error: unauthenticated multibulk length"
    p = RequestParser()
    p.auth_required = True
    p.feed(b"*1\r\n$16385\r\n")
    assert p.error == "ERR Protocol error: unauthenticated bulk length"


def test_huge_length_header_allocates_nothing_up_front() -> None:
    p = RequestParser()
    assert p.feed(b"*1\r\n$536870912\r\n") == []
    assert p.error is None
    assert p.pending_bytes < 64  # only what was received


def test_large_body_in_many_chunks_is_collected_linearly() -> None:
    body = os.urandom(1 << 20)
    frame = b"*2\r\n$3\r\nSET\r\n$%d\r\n%s\r\n" % (len(body), body)
    p = RequestParser()
    got: list[list[bytes]] = []
    for i in range(0, len(frame), 1000):
        got += p.feed(frame[i:i + 1000])
    assert got == [[b"SET", body]]


def test_many_args_dripped_keep_partial_state() -> None:
    args = [b"%d" % i for i in range(2000)]
    frame = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    p = RequestParser()
    got: list[list[bytes]] = []
    for i in range(0, len(frame), 7):
        got += p.feed(frame[i:i + 7])
    assert got == [args]


def test_strict_int() -> None:
    assert strict_int(b"0") == 0
    assert strict_int(b"-5") == -5
    for bad in (b"", b"01", b"+1", b" 1", b"1 ", b"-0", b"1_0", b"9" * 21):
        assert strict_int(bad) is None, bad


def test_split_args_like_sdssplitargs() -> None:
    assert split_args(b"  a   b ") == [b"a", b"b"]
    assert split_args(b"\"a\\tb\" 'c\\'d'") == [b"a\tb", b"c'd"]
    assert split_args(b"\"unterminated") is None
    assert split_args(b"a\x0bb") == [b"a\x0bb"]
    assert split_args(b"a b\x00c d") == [b"a", b"b"]  # NUL ends the C string
    assert split_args(b"a\x00") == [b"a"]
    assert split_args(b"\"a\x00b\"") is None


# The random-input and pipeline fuzzing lives in test_parser_fuzz.py (both parsers, any split).


def _pure() -> RequestParser:
    p = RequestParser()
    p._reader = None  # the exact Python parser only
    return p


_frame_items = st.one_of(
    st.binary(max_size=12).map(lambda b: b"$%d\r\n%s\r\n" % (len(b), b)),
    st.sampled_from([b"+OK\r\n", b":1\r\n", b"$-1\r\n", b"*1\r\n$1\r\na\r\n", b"$03\r\nabc\r\n",
                     b"_\r\n", b",1.5\r\n", b"#t\r\n", b"-ERR x\r\n", b"$+3\r\nabc\r\n",
                     # hiredis builds bytes or lists from these too; a bulk's trailer goes unchecked
                     b"=7\r\ntxt:abc\r\n", b"=14\r\ntxt:value00001\r\n", b"(12\r\n", b"~1\r\n$1\r\na\r\n",
                     b"|1\r\n+a\r\n+b\r\n", b">1\r\n$1\r\na\r\n", b"$1\r\naXY", b"+key0000001\r\n"]),
)


@settings(max_examples=int(os.environ.get("DAMSELFLY_FUZZ_EXAMPLES", "300")), deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=-1, max_value=4), st.lists(_frame_items, max_size=4)),
                min_size=1, max_size=4),
       st.integers(min_value=1, max_value=64))
def test_hiredis_fast_path_agrees_with_exact_parser(frames: list, step: int) -> None:
    """The hiredis path must give byte-identical outcomes to the Python parser, errors included."""
    data = b"".join(b"*%d\r\n" % n + b"".join(items) for n, items in frames)
    outcomes = []
    for parser in (RequestParser(), _pure()):
        got: list[list[bytes]] = []
        for i in range(0, len(data), step):
            got += parser.feed(data[i:i + step])
        outcomes.append((got, parser.error))
    assert outcomes[0] == outcomes[1]


# Reads hiredis parses into a flat list of bytes, with the exact size of the
# canonical encoding of that list, which Redis still refuses (or reads otherwise).
HIREDIS_LOOKALIKES = [
    # '+' is 4 bytes shorter than its '$' form, '=' 4 longer: SET key value to hiredis
    (b"*3\r\n$3\r\nSET\r\n+key0000001\r\n=14\r\ntxt:value00001\r\n",
     [], "ERR Protocol error: expected '$', got '+'"),
    # a set is as long as an array: Redis reads "~1" and "$4" as inline commands
    (b"*1\r\n$4\r\nPING\r\n~1\r\n$4\r\nPING\r\n", [[b"PING"], [b"~1"], [b"$4"], [b"PING"]], None),
    # the two bytes after a bulk are skipped unchecked, by hiredis and Redis alike
    (b"*2\r\n$3\r\nGET\r\n$1\r\nkXY", [[b"GET", b"k"]], None),
]


@pytest.mark.parametrize("frame,commands,error", HIREDIS_LOOKALIKES)
def test_hiredis_lookalikes_get_redis_grammar(frame: bytes, commands: list, error: str | None) -> None:
    for parser in (RequestParser(), _pure()):
        assert parser.feed(frame) == commands
        assert parser.error == error


def test_hiredis_path_handles_large_arguments_and_counts() -> None:
    big = b"v" * 70_000
    many = [b"%d" % i for i in range(5000)]
    frame = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c)
                     for c in ([b"SET", b"k", big], [b"DEL", *many]))
    p = RequestParser()
    assert p._feed_fast(frame) == [[b"SET", b"k", big], [b"DEL", *many]]
