"""MEMORY against redis-server 7.0.15: HELP, errors and arity, PURGE, DOCTOR, MALLOC-STATS, STATS's shape.

The reference server is built with jemalloc, damselfly runs on glibc malloc:
MALLOC-STATS is compared by reply type in RESP2 only (Redis without jemalloc
answers a bulk string in both protocols), STATS by keys, order and value
types (its numbers are each server's own), DOCTOR's problem paragraphs by
finding their text in the redis-server binary.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from damselfly import memory_report

from ..resp import parse_reply
from .conftest import Pair

pytestmark = pytest.mark.differential
PROTOCOLS = pytest.mark.parametrize("protocol", [2, 3])


def _hello(pair: Pair, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")


@PROTOCOLS
def test_help_is_redis_full_list(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check("MEMORY", "HELP")


@PROTOCOLS
def test_errors_and_arity(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("MEMORY",), ("MEMORY", "STATS", "x"), ("MEMORY", "stats", "x", "y"), ("MEMORY", "DOCTOR", "x"),
        ("MEMORY", "Malloc-Stats", "x"), ("MEMORY", "PURGE", "x"), ("MEMORY", "HELP", "x"), ("MEMORY", "NOPE"),
        ("MEMORY", "USAGE"),
    ])


@PROTOCOLS
def test_purge(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.both("SET", "k", "v" * 1000)
    pair.check("MEMORY", "PURGE")
    pair.check("MEMORY", "purge")


def test_malloc_stats_is_a_bulk_string(pair: Pair) -> None:
    ours, theirs = pair.both("MEMORY", "MALLOC-STATS")
    assert ours == b"$45\r\nStats not supported for the current allocator\r\n"
    assert theirs[:1] == b"$"  # jemalloc's report, a bulk string too in RESP2


@PROTOCOLS
def test_doctor_on_an_empty_instance(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    frame = pair.check("MEMORY", "DOCTOR")
    assert frame[:1] == (b"=" if protocol == 3 else b"$")
    assert b"this instance is empty" in frame


def test_doctor_paragraphs_are_redis_texts() -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    data = Path(binary).read_bytes()
    texts = [memory_report._NO_ISSUES, memory_report._HEADER, memory_report._PEAK,
             memory_report._HIGH_ALLOC_FRAG, memory_report._HIGH_ALLOC_RSS, memory_report._HIGH_PROC_RSS,
             memory_report._BIG_REPLICA_BUF, memory_report._BIG_CLIENT_BUF, memory_report._MANY_SCRIPTS,
             memory_report._CLOSING, memory_report._EMPTY]
    for text in texts:
        # C strings: each literal is stored once, newlines included, NUL-terminated
        assert text.encode() + b"\0" in data, text[:60]
    fmt = memory_report._HIGH_FRAG.replace('"{allocator}"', '"%s"')
    assert fmt.encode() + b"\0" in data


def _shape(reply: Any, protocol: int) -> list[tuple[bytes, Any]]:
    """(key, value type) pairs; nested maps as their own shape."""
    items = list(reply.items()) if protocol == 3 else list(zip(reply[::2], reply[1::2]))
    out = []
    for key, value in items:
        if isinstance(value, (dict, list)):
            out.append((key, _shape(value, protocol)))
        else:
            out.append((key, type(value).__name__))
    return out


@PROTOCOLS
def test_stats_keys_order_and_types(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    for db in ("0", "2"):
        pair.both("SELECT", db)
        pair.both("SET", "k", "v")
        pair.both("SET", "t", "v", "EX", "100")
    pair.both("SELECT", "0")
    ours, theirs = pair.both("MEMORY", "STATS")
    assert ours[:1] == theirs[:1] == (b"%" if protocol == 3 else b"*")
    assert ours.split(b"\r\n", 1)[0] == theirs.split(b"\r\n", 1)[0]  # 27 + 2 databases
    ours_shape, theirs_shape = _shape(parse_reply(ours), protocol), _shape(parse_reply(theirs), protocol)
    assert ours_shape == theirs_shape
    assert [k for k, _ in ours_shape][10:12] == [b"db.0", b"db.2"]
    pair.both("FLUSHALL")
    pair.check("MEMORY", "STATS", "x")
    ours, theirs = pair.both("MEMORY", "STATS")
    assert _shape(parse_reply(ours), protocol) == _shape(parse_reply(theirs), protocol)
    assert b"db.0" not in ours
