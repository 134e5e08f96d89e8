"""Hash commands against a real redis-server: raw replies must be identical."""
from __future__ import annotations

import pytest

from .conftest import Pair

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_hset_hget_hmget_and_counts(pair: Pair) -> None:
    pair.check_all([
        ("HSET", "h", "a", "1", "b", "2"),
        ("HSET", "h", "a", "10", "c", "3"),
        ("HGET", "h", "a"), ("HGET", "h", "zz"), ("HGET", "nokey", "a"),
        ("HMGET", "h", "a", "zz", "c"), ("HMGET", "nokey", "a", "b"),
        ("HLEN", "h"), ("HLEN", "nokey"),
        ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a"),
        ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "a"),
        ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "h"),
        ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HGETALL", "nokey"),
        ("HSET", "h", "a"), ("HSET", "h", "a", "1", "b"), ("HMSET", "h", "a"),
        ("HMSET", "h", "x", "1", "y"), ("HMSET", "h", "x", "1", "y", "2"), ("HGETALL", "h"),
        ("HSETNX", "h", "x", "new"), ("HSETNX", "h", "n", "new"), ("HSETNX", "h2", "n", "v"),
        ("HGET", "h", "n"), ("HGETALL", "h2"),
    ])


def test_hdel_deletes_emptied_hash(pair: Pair) -> None:
    pair.check_all([
        ("HSET", "h", "a", "1", "b", "2"),
        ("HDEL", "h", "zz"), ("HDEL", "h", "a", "a", "zz"), ("EXISTS", "h"),
        ("HDEL", "h", "b", "c"), ("EXISTS", "h"), ("HDEL", "nokey", "a"),
    ])


def test_wrongtype_everywhere(pair: Pair) -> None:
    pair.check("SET", "s", "x")
    for cmd in [("HSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"), ("HGET", "s", "a"),
                ("HMGET", "s", "a"), ("HMSET", "s", "a", "1"), ("HDEL", "s", "a"), ("HLEN", "s"),
                ("HSTRLEN", "s", "a"), ("HEXISTS", "s", "a"), ("HKEYS", "s"), ("HVALS", "s"),
                ("HGETALL", "s"), ("HINCRBY", "s", "a", "1"), ("HINCRBYFLOAT", "s", "a", "1"),
                ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "1"), ("HSCAN", "s", "0")]:
        assert pair.check(*cmd) == WRONGTYPE
    # argument errors that Redis checks before the key type
    pair.check("HINCRBY", "s", "a", "x")
    pair.check("HINCRBYFLOAT", "s", "a", "x")
    pair.check("HRANDFIELD", "s", "x")
    pair.check("HSCAN", "s", "x")


def test_hincrby(pair: Pair) -> None:
    pair.check_all([
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-7"), ("HGET", "h", "n"),
        ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"), ("HINCRBY", "h", "n", ""),
        ("HSET", "h", "s", "abc", "sp", " 1", "lead", "01", "neg0", "-0", "plus", "+1"),
        ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "sp", "1"), ("HINCRBY", "h", "lead", "1"),
        ("HINCRBY", "h", "neg0", "1"), ("HINCRBY", "h", "plus", "1"),
        ("HSET", "h", "big", "9223372036854775807", "small", "-9223372036854775808"),
        ("HINCRBY", "h", "big", "1"), ("HINCRBY", "h", "big", "0"), ("HINCRBY", "h", "small", "-1"),
        ("HINCRBY", "h", "n", "9223372036854775808"), ("HINCRBY", "h", "n", "-9223372036854775808"),
        ("HGETALL", "h"),
    ])


@pytest.mark.parametrize("increments", [
    ["1.5", "1.5"], ["0.1", "0.2"], ["3.0"], ["1e308", "1e308"], ["-0"], ["1.23456789012345678901234"],
    ["5", "-5"], ["1e-20"], ["-1e-20"], ["0x10"], ["10.50", "0.25"], ["1e17", "1"], ["2.5e-5"],
    ["1.7976931348623157e308", "1.7976931348623157e308"], ["3", "0.0000000000000000001"],
])
def test_hincrbyfloat_long_double_arithmetic(pair: Pair, increments: list[str]) -> None:
    for inc in increments:
        pair.check("HINCRBYFLOAT", "h", "f", inc)
    pair.check("HGET", "h", "f")


def test_hincrbyfloat_errors(pair: Pair) -> None:
    pair.check_all([
        ("HINCRBYFLOAT", "h", "f", "x"), ("HINCRBYFLOAT", "h", "f", "inf"), ("HINCRBYFLOAT", "h", "f", "-inf"),
        ("HINCRBYFLOAT", "h", "f", "nan"), ("HINCRBYFLOAT", "h", "f", " 1"), ("HINCRBYFLOAT", "h", "f", "1 "),
        ("HINCRBYFLOAT", "h", "f", ""), ("HINCRBYFLOAT", "h", "f", "1e5000"), ("EXISTS", "h"),
        ("HSET", "h", "s", "abc", "i", "inf", "n", "12", "e", "1e3"),
        ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBYFLOAT", "h", "i", "1"),
        ("HINCRBYFLOAT", "h", "n", "0.5"), ("HINCRBYFLOAT", "h", "e", "1"),
        ("HSET", "h", "m", "1.1e4932"), ("HINCRBYFLOAT", "h", "m", "1.1e4932"),
        ("HGETALL", "h"),
    ])


def test_hrandfield_arguments_and_whole_hash(pair: Pair) -> None:
    pair.check_all([
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "3"), ("HRANDFIELD", "nokey", "3", "WITHVALUES"),
        ("HRANDFIELD", "nokey", "x"), ("HRANDFIELD", "nokey", "1", "x"),
        ("HRANDFIELD", "nokey", "-9223372036854775808"),
        ("HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"),
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "100", "WITHVALUES"),  # whole hash, in order
        ("HRANDFIELD", "h", "1", "WITHVALUES", "x"), ("HRANDFIELD", "h", "1", "WITHVALUE"),
        ("HSET", "one", "f", "v"), ("HRANDFIELD", "one"), ("HRANDFIELD", "one", "-3"),
        ("HRANDFIELD", "one", "-2", "WITHVALUES"), ("HRANDFIELD", "one", "1", "withvalues"),
    ])


def test_hrandfield_resp3_pairs(pair3: Pair) -> None:
    pair3.check_all([
        ("HSET", "h", "a", "1", "b", "2"),
        ("HRANDFIELD", "h", "5", "WITHVALUES"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "2", "WITHVALUES"),
        ("HSET", "one", "f", "v"), ("HRANDFIELD", "one", "-2", "WITHVALUES"),
        ("HGETALL", "h"), ("HGETALL", "nokey"), ("HKEYS", "h"), ("HINCRBYFLOAT", "h", "x", "1.5"),
    ])


def test_hrandfield_samples_are_members(pair: Pair) -> None:
    fields = [f"f{i}" for i in range(50)]
    args = [x for f in fields for x in (f, "v" + f)]
    pair.check("HSET", "h", *args)
    reply = pair.ours.command("HRANDFIELD", "h", "10")
    items = reply.split(b"\r\n")[2::2][:10]
    assert reply.startswith(b"*10\r\n") and len(set(items)) == 10
    assert all(i.decode() in fields for i in items)
    reply = pair.ours.command("HRANDFIELD", "h", "-100", "WITHVALUES")
    assert reply.startswith(b"*200\r\n")


def test_encoding_conversions(pair: Pair) -> None:
    pair.check_all([
        ("HSET", "h", "a", "1"), ("OBJECT", "ENCODING", "h"), ("TYPE", "h"),
        ("HSET", "h", "long", "x" * 64), ("OBJECT", "ENCODING", "h"),
        ("HSET", "h", "long", "x" * 65), ("OBJECT", "ENCODING", "h"),
        ("HDEL", "h", "long"), ("OBJECT", "ENCODING", "h"),  # never converts back
        ("HSET", "h2", "f" * 65, "1"), ("OBJECT", "ENCODING", "h2"),
        ("HSETNX", "h3", "a", "y" * 65), ("OBJECT", "ENCODING", "h3"),
        ("HINCRBY", "h4", "f" * 65, "1"), ("OBJECT", "ENCODING", "h4"),
        ("HSET", "h5", "a", "1"), ("HSETNX", "h5", "a", "y" * 65), ("OBJECT", "ENCODING", "h5"),
    ])
    args = [x for i in range(512) for x in (f"f{i}", "v")]
    pair.check("HSET", "big", *args)
    pair.check("OBJECT", "ENCODING", "big")
    pair.check("HSET", "big", "one-more", "v")
    pair.check("OBJECT", "ENCODING", "big")

def test_encoding_follows_config_set(pair: Pair) -> None:
    if pair.ours.command("CONFIG", "SET", "hash-max-listpack-entries", "2") != b"+OK\r\n":
        pytest.skip("CONFIG SET is not available")
    pair.check("CONFIG", "SET", "hash-max-listpack-entries", "2")
    try:
        pair.check_all([("HSET", "c", "a", "1", "b", "2"), ("OBJECT", "ENCODING", "c"),
                        ("HSET", "c", "c", "3"), ("OBJECT", "ENCODING", "c")])
    finally:
        pair.check("CONFIG", "SET", "hash-max-listpack-entries", "512")


def test_hscan_small_hash_and_options(pair: Pair) -> None:
    pair.check_all([
        ("HSCAN", "nokey", "0"), ("HSCAN", "nokey", "0", "COUNT", "0"), ("HSCAN", "nokey", "x"),
        ("HSET", "h", "a", "1", "b", "2", "ab", "3", "", "empty"),
        ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "MATCH", "a*"), ("HSCAN", "h", "0", "MATCH", "*"),
        ("HSCAN", "h", "0", "MATCH", "?*"), ("HSCAN", "h", "0", "COUNT", "1"),
        ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "-1"), ("HSCAN", "h", "0", "COUNT", "x"),
        ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "0", "TYPE", "string"), ("HSCAN", "h", "0", "FOO", "1"),
        ("HSCAN", "h", "0", "count", "1", "count", "2", "match", "b", "match", "a*"),
        ("HSCAN", "h", ""), ("HSCAN", "h", "+"), ("HSCAN", "h", " 1"), ("HSCAN", "h", "-1"),
        ("HSCAN", "h", "18446744073709551615"), ("HSCAN", "h", "18446744073709551616"),
        ("HSCAN", "h", "-18446744073709551616"), ("HSCAN", "h", "1.5"),
    ])


def _full_scan(conn, key: str, count: int = 10) -> list[bytes]:
    from ..resp import RawConnection  # noqa: F401  (type only)
    cursor = b"0"
    seen: list[bytes] = []
    for _ in range(10000):
        reply = conn.command("HSCAN", key, cursor, "COUNT", count)
        lines = reply.split(b"\r\n")
        cursor = lines[2]
        items = lines[5::2]
        seen.extend(items[0::2])
        if cursor == b"0":
            return seen
    raise AssertionError("HSCAN never finished")


def test_hscan_hashtable_returns_every_field(pair: Pair) -> None:
    args = [x for i in range(1000) for x in (f"f{i}", str(i))]
    pair.check("HSET", "h", *args)
    pair.check("OBJECT", "ENCODING", "h")
    ours = _full_scan(pair.ours, "h", 7)
    theirs = _full_scan(pair.theirs, "h", 7)
    assert sorted(set(ours)) == sorted(set(theirs))
    assert len(ours) == len(set(ours)) == 1000


def test_emptied_hash_is_deleted_and_type_reports(pair: Pair) -> None:
    pair.check_all([
        ("HSET", "h", "a", "1"), ("TYPE", "h"), ("HDEL", "h", "a"), ("TYPE", "h"), ("HLEN", "h"),
        ("HSET", "h", "a", "1"), ("EXPIRE", "h", "100"), ("HSET", "h", "b", "2"), ("TTL", "h"),
    ])
