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
