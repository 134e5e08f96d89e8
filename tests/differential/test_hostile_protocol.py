"""Hostile request bytes against both servers: the whole byte stream each one answers.

Each input is written on a fresh connection, the write side is shut, and
everything the server sends until it closes is compared byte for byte (so
commands before a protocol error, the error text, and silence for an
incomplete request all count). The inputs are named shapes and hypothesis
mutations of pipelines built from a few harmless commands; an input that would
run any other real command (a flipped byte could spell one) is not sent.
"""
from __future__ import annotations

import os
import socket
from typing import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from damselfly.protocol.parser import RequestParser

from ..resp import RawConnection
from .conftest import Pair

EXAMPLES = int(os.environ.get("DAMSELFLY_FUZZ_EXAMPLES", "60"))

pytestmark = [pytest.mark.differential, pytest.mark.timeout(300 + EXAMPLES // 5)]

#: Commands the generated pipelines use; anything else that is a real command is not sent.
SAFE = {b"ECHO", b"PING", b"SET", b"GET", b"EXISTS", b"STRLEN", b"APPEND", b"DEL", b"INCR",
        b"RPUSH", b"LRANGE", b"TYPE", b"GETRANGE"}


def exchange(host: str, port: int, data: bytes) -> bytes:
    """Send ``data`` on a new connection, shut writing, return all bytes until the server closes."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        out = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(out)
            out.append(chunk)


@pytest.fixture
def servers(pair: Pair, server, redis_server) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
    yield (server.host, server.port), (redis_server.host, redis_server.port)


def compare(pair: Pair, servers, data: bytes) -> None:
    for conn in (pair.ours, pair.theirs):
        conn.command("FLUSHALL")
    (oh, op), (th, tp) = servers
    ours, theirs = exchange(oh, op, data), exchange(th, tp, data)
    assert ours == theirs, f"{data!r}: damselfly {ours[:300]!r} != redis {theirs[:300]!r}"


SHAPES = [
    b"*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n",
    b"*1\r\n$-5\r\n", b"*-5\r\n*1\r\n$4\r\nPING\r\n", b"*0\r\nPING\r\n",
    b"*1\r\n$9223372036854775808\r\n", b"*9223372036854775808\r\n", b"*2147483648\r\n",
    b"*2147483647\r\n", b"*10000000\r\n$4\r\nPING\r\n", b"*1\r\n$536870913\r\n",
    b"*1\r\n$536870912\r\nabc", b"*01\r\n", b"*+1\r\n", b"*1\r\n$01\r\n", b"*1\r\n$+4\r\nPING\r\n",
    b"*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\na\r\n", b"*1\r\n:1\r\n", b"*1\r\n+PING\r\n",
    b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", b"*1\rX$4\r\nPING\r\n", b"*1\r\n$4\r\nPING\n\n",
    b"PING\x00 x\r\nPING\r\n", b"*1\r\n\x00\r\n", b"ECHO \"a\x00b\"\r\n", b"*1\r\n$1\x00\r\n",
    b"*1\r\n$4\r\nP\x00NG\r\n", b"*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n", b"\x00" * 5,
    b"ECHO \"a\r\n", b"ECHO 'a'b\r\n", b"ECHO \"\\x41\\x4\" x\r\n", b"ECHO \"\\xZZ\"\r\n",
    b"\r\n\r\n\n PING \r\n", b"  \t\r\n", b"PING\r", b"PING", b"\xff\xfe x\r\n",
    b"ECHO " + b"a" * 70000 + b"\r\n", b"*1\r\n$" + b"1" * 70000, b"*" + b"1" * 70000,
    b"ECHO\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    b"set k \"a b\"\r\nget k\r\nGETRANGE k -9223372036854775808 9223372036854775807\r\n",
    # unknown-command texts: arguments quoted while under 128 bytes, each cut to the rest
    b"NOPE " + b"a" * 200 + b" b\r\n", b"NOPE " + b"a" * 100 + b" " + b"b" * 100 + b" c\r\n",
    b"NOPE \xff\xfe \x8a\r\n", b"*3\r\n$4\r\nNOPE\r\n$3\r\na\x00b\r\n$1\r\nc\r\n",
    b"*2\r\n$4\r\nN\x00PE\r\n$1\r\nc\r\n", b"*2\r\n$200\r\n" + b"\xc3\xa9" * 100 + b"\r\n$1\r\nc\r\n",
    b"*2\r\n$4\r\nNOPE\r\n$130\r\n" + b"\xc3\xa9" * 65 + b"\r\n",
    b"*2\r\n$4\r\nECHO\r\n\n$1\r\na\r\n", b"*2\r\n$4\r\nECHO\r\n\r\n",  # got ' ' for LF and CR
    b"*1\r\n\xff\r\n", b"*1\r\n\xc3\xa9\r\n", b"*1\r\n\x7f\r\n",  # got '<the raw byte>'
]

@pytest.mark.parametrize("data", SHAPES)
def test_named_shapes(pair: Pair, servers, data: bytes) -> None:
    compare(pair, servers, data)


# -- generated: harmless pipelines, mutated ----------------------------------------------

_arg = st.sampled_from([b"k", b"l", b"v", b"", b"a b", b"x\r\ny", b"1", b"-1", b"9223372036854775808"])
_command = st.one_of(
    st.tuples(st.just(b"ECHO"), _arg).map(list),
    st.just([b"PING"]),
    st.tuples(st.just(b"SET"), _arg, _arg).map(list),
    st.tuples(st.sampled_from([b"GET", b"EXISTS", b"STRLEN", b"DEL", b"INCR", b"TYPE"]), _arg).map(list),
    st.tuples(st.just(b"APPEND"), _arg, _arg).map(list),
    st.tuples(st.just(b"RPUSH"), _arg, _arg).map(list),
    st.tuples(st.just(b"GETRANGE"), _arg, _arg, _arg).map(list),
)


def _encode(cmd: list[bytes], inline: bool) -> bytes:
    if inline:
        return b" ".join(b'"' + a.replace(b"\r\n", b"\\r\\n") + b'"' if not a or b" " in a or b"\r" in a
                         else a for a in cmd) + b"\r\n"
    return b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in cmd)


_TOKENS = [b"*", b"$", b"\r", b"\n", b"\r\n", b"\x00", b'"', b"'", b"\\", b" ", b"-", b"0", b"$-1\r\n",
           b"*-1\r\n", b"$536870913\r\n", b"*2147483648\r\n", b"*1\r\n", b":1\r\n", b"$01\r\n"]


@st.composite
def hostile_stream(draw: st.DrawFn) -> bytes:
    cmds = draw(st.lists(st.tuples(_command, st.booleans()), min_size=1, max_size=5))
    data = bytearray(b"".join(_encode(c, inline) for c, inline in cmds))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        if kind == "flip" and data:
            data[at] ^= draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128, 0xFF]))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(_TOKENS))
        elif kind == "delete":
            del data[at:at + draw(st.integers(min_value=1, max_value=3))]
    return bytes(data)


@pytest.fixture(scope="module")
def redis_commands(redis_server) -> set[bytes]:
    conn = RawConnection(redis_server.host, redis_server.port)
    reply = conn.command("COMMAND", "LIST")
    conn.close()
    return {line.upper() for line in reply.split(b"\r\n")[2::2]}


def harmless(data: bytes, redis_commands: set[bytes]) -> bool:
    """True when every command in ``data`` is one of SAFE or unknown to Redis."""
    parser = RequestParser()
    parser._reader = None
    names = [cmd[0].upper() for cmd in parser.feed(data)]
    return all(n in SAFE or n not in redis_commands for n in names)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(data=hostile_stream())
def test_fuzz_mutated_streams(pair: Pair, servers, redis_commands: set[bytes], data: bytes) -> None:
    assume(harmless(data, redis_commands))
    compare(pair, servers, data)
