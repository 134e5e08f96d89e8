"""DUMP and RESTORE against redis-server: payloads are interchangeable, replies identical."""
from __future__ import annotations

import pytest
import redis

from damselfly.persistence.crc64 import crc64

from .conftest import Pair
from .test_persistence_data import assert_same, dataset, fill_redis, on_loop, snapshot_redis, snapshot_state

pytestmark = pytest.mark.differential


def _payload(frame: bytes) -> bytes:
    assert frame.startswith(b"$"), frame
    return frame[frame.index(b"\r\n") + 2:-2]


def test_payloads_cross_both_ways(pair: Pair, server, redis_server) -> None:
    data = {k: v for k, v in dataset(seed=21, random_keys=120).items() if k[0] == 0}
    fill_redis(redis_server.port, data)
    expected = snapshot_redis(redis_server.port, range(1))
    # Redis -> damselfly
    for (_, key), _ in data.items():
        payload = _payload(pair.theirs.command("DUMP", key))
        pttl = pair.theirs.command("PTTL", key)[1:-2]
        ttl = max(0, int(pttl))
        assert pair.ours.command("RESTORE", key, ttl, payload) == b"+OK\r\n", key
    ours = on_loop(server, snapshot_state)
    assert_same(ours, expected)
    # damselfly -> Redis
    pair.theirs.command("FLUSHALL")
    for (_, key), _ in data.items():
        payload = _payload(pair.ours.command("DUMP", key))
        ttl = on_loop(server, lambda st, k=key: st.keyspace.dbs[0].ttl_ms(k)) or 0
        assert pair.theirs.command("RESTORE", key, ttl, payload) == b"+OK\r\n", key
    assert_same(snapshot_redis(redis_server.port, range(1)), expected)


def test_string_payloads_are_byte_identical(pair: Pair) -> None:
    for value in (b"v", b"0", b"-1", b"65535", b"2147483648", b"hello world", b"x" * 20, bytes(range(64))):
        pair.check("SET", "k", value)
        pair.check("DUMP", "k")
    pair.check("DUMP", "missing")


def test_restore_replies_match(pair: Pair) -> None:
    pair.check("SET", "s", "hello")
    payload = _payload(pair.ours.command("DUMP", "s"))
    bad_crc = payload[:-1] + bytes((payload[-1] ^ 1,))
    newer = payload[:-10] + b"\x0b\x00"
    newer += crc64(0, newer).to_bytes(8, "little")
    trailing = b"\x00\x03abcXYZ\n\x00"
    trailing += crc64(0, trailing).to_bytes(8, "little")
    into_footer = b"\x00\x03ab\n\x00"
    into_footer += crc64(0, into_footer).to_bytes(8, "little")
    unknown_type = b"\x63\x03abc\n\x00"
    unknown_type += crc64(0, unknown_type).to_bytes(8, "little")
    empty_set = b"\x02\x00\n\x00"
    empty_set += crc64(0, empty_set).to_bytes(8, "little")
    for args in (
        ("RESTORE", "s", "0", payload),
        ("RESTORE", "s", "0", "junk"),
        ("RESTORE", "t", "0", "junk"),
        ("RESTORE", "t", "0", bad_crc),
        ("RESTORE", "t", "0", newer),
        ("RESTORE", "t", "-1", payload),
        ("RESTORE", "t", "abc", payload),
        ("RESTORE", "t", "0", payload, "foo"),
        ("RESTORE", "t", "0", payload, "IDLETIME"),
        ("RESTORE", "t", "0", payload, "IDLETIME", "-1"),
        ("RESTORE", "t", "0", payload, "IDLETIME", "x"),
        ("RESTORE", "t", "0", payload, "FREQ", "256"),
        ("RESTORE", "t", "0", payload, "FREQ", "1", "IDLETIME", "1"),
        ("RESTORE", "t", "0", unknown_type),
        ("RESTORE", "t", "0", empty_set),
        ("RESTORE", "t", "0", trailing),
        ("GET", "t"),
        ("RESTORE", "u", "0", into_footer),
        ("GET", "u"),
        ("RESTORE", "s", "0", payload, "REPLACE", "IDLETIME", "10"),
        ("RESTORE", "s", "1", payload, "REPLACE", "ABSTTL"),
        ("EXISTS", "s"),
        ("RESTORE", "s", "1", payload, "ABSTTL"),
        ("EXISTS", "s"),
        ("RESTORE",),
        ("RESTORE", "s", "0"),
        ("DUMP",),
        ("DUMP", "a", "b"),
    ):
        pair.check(*args)


def test_restore_of_every_type_from_redis_keeps_redis_encodings(pair: Pair, server, redis_server) -> None:
    r = redis.Redis(port=redis_server.port)
    r.rpush("l", "a", "b")
    r.sadd("si", 1, 2, 3)
    r.sadd("ss", "a")
    r.hset("h", "f", "v")
    r.zadd("z", {"a": 1})
    for key in ("l", "si", "ss", "h", "z"):
        payload = _payload(pair.theirs.command("DUMP", key))
        assert pair.ours.command("RESTORE", key, "0", payload) == b"+OK\r\n"
        enc = on_loop(server, lambda st, k=key.encode(): getattr(st.keyspace.dbs[0].data[k], "encoding", None))
        if enc is not None:
            assert enc.encode() == r.object("encoding", key), key
    r.close()


# Small containers of every compact kind, filled the same way on both servers.
_COMPACT = [
    ("HSET", "h", "f1", "v1", "n", "123", "neg", "-5", "big", "100000", "huge", "99999999999", "s", "hello"),
    ("HSET", "h:updated", "a", "1", "b", "2", "c", "3"),
    ("HSET", "h:updated", "a", "x"),
    ("HDEL", "h:updated", "b"),
    ("ZADD", "z", "1", "a", "2.5", "b", "-3", "c", "0.1", "d", "1e17", "e", "5e18", "f",
     "inf", "g", "-inf", "h", "12345", "i"),
    ("ZADD", "z:wide", "1", "a", "2.5", "b", "-3", "c", "0.1", "d", "1e17", "e", "5e18", "f",
     "inf", "g", "-inf", "h", "12345", "i", "-0", "j", "4611686018427387904", "k", "1.5e-300", "l"),
    ("SADD", "s16", "3", "1", "-2"),
    ("SADD", "s32", "1", "70000"),
    ("SADD", "s64", "1", str(2**40), "-5", str(-(2**63))),
    ("RPUSH", "l", "a", "1", "-1", "200", "bb", "70000", "4096", "-4097", str(2**63 - 1)),
    ("LPUSH", "l:left", "x", "y", "z"),
]


_COMPACT_KEYS = (("h", b"listpack"), ("h:updated", b"listpack"), ("z", b"listpack"),
                 ("z:wide", b"listpack"), ("s16", b"intset"), ("s32", b"intset"), ("s64", b"intset"),
                 ("l", b"quicklist"), ("l:left", b"quicklist"))


@pytest.mark.parametrize("compression", ["yes", "no"])
def test_small_container_payloads_are_byte_identical(pair: Pair, compression: str) -> None:
    """listpack hashes and zsets, intset sets and quicklist lists: Redis's exact bytes.

    With rdbcompression on, the blobs of ``z:wide`` and ``s64`` are
    LZF-compressed: liblzf (python-lzf) picks Redis's matches, so they compare too.
    """
    try:
        pair.check("CONFIG", "SET", "rdbcompression", compression)
        for command in _COMPACT:
            pair.check(*command)
        for key, encoding in _COMPACT_KEYS:
            assert pair.check("OBJECT", "ENCODING", key) == b"$%d\r\n%s\r\n" % (len(encoding), encoding)
            pair.check("DUMP", key)
    finally:
        pair.both("CONFIG", "SET", "rdbcompression", "yes")


@pytest.mark.parametrize("compression", ["yes", "no"])
def test_multi_node_list_and_large_listpack_payloads_are_byte_identical(pair: Pair, compression: str) -> None:
    """Quicklist node boundaries of an appended list and 100-field listpacks, LZF-compressed or not."""
    try:
        pair.check("CONFIG", "SET", "rdbcompression", compression)
        pair.check("RPUSH", "l:short", *[str(i) for i in range(5000)])
        pair.check("RPUSH", "l:text", *[("x%d" % i) * 10 for i in range(2000)])
        pair.check("RPUSH", "l:big", *["y" * 5000] * 3, "z" * 10000, "q")
        pair.check("HSET", "h", *[x for i in range(100) for x in ("f%d" % i, "v" * 30)])
        pair.check("ZADD", "z", *[x for i in range(100) for x in (repr(i / 7), "m%d" % i)])
        for key in ("l:short", "l:text", "l:big", "h", "z"):
            pair.check("DUMP", key)
    finally:
        pair.both("CONFIG", "SET", "rdbcompression", "yes")


def test_plain_encodings_stay_plain(pair: Pair) -> None:
    """hashtable hashes and sets and skiplist zsets keep the plain RDB types Redis uses for them."""
    pair.check("HSET", "h", "f", "v" * 100)
    pair.check("SADD", "s", "a", "1")
    pair.check("ZADD", "z", "1", "m" * 100)
    for key, rtype in (("h", 4), ("s", 2), ("z", 5)):
        ours, theirs = pair.both("DUMP", key)
        assert _payload(ours)[0] == _payload(theirs)[0] == rtype
