"""Set commands against redis-server (unordered replies sorted where Redis leaves order open)."""
from __future__ import annotations

import pytest

from .conftest import Pair

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def test_sadd_srem_membership(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "s", "a", "b", "a"), ("SADD", "s", "b", "c"), ("SCARD", "s"), ("SCARD", "nokey"),
        ("SISMEMBER", "s", "a"), ("SISMEMBER", "s", "zz"), ("SISMEMBER", "nokey", "a"),
        ("SMISMEMBER", "s", "a", "zz", "c"), ("SMISMEMBER", "nokey", "a", "b"),
        ("SREM", "s", "zz"), ("SREM", "s", "a", "a", "zz"), ("SREM", "nokey", "a"),
        ("SREM", "s", "b", "c"), ("EXISTS", "s"),
    ])
    pair.check("SADD", "s", "x", "y", "z")
    pair.check("SMEMBERS", "s", unordered=True)
    pair.check("SMEMBERS", "nokey")


def test_intset_order_is_numeric(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "s", "10", "-5", "3", "1", "100", "-9223372036854775808", "9223372036854775807"),
        ("SMEMBERS", "s"), ("OBJECT", "ENCODING", "s"), ("SSCAN", "s", "0"), ("SSCAN", "s", "0", "MATCH", "1*"),
        ("SRANDMEMBER", "s", "100"), ("SUNION", "s"), ("SDIFF", "s", "nokey"), ("SINTER", "s"),
        ("SPOP", "s", "100"), ("EXISTS", "s"),
    ])


def test_resp3_reply_types(pair3: Pair) -> None:
    pair3.check_all([
        ("SADD", "s", "3", "1", "2"), ("SADD", "t", "2", "3", "4"),
        ("SMEMBERS", "s"), ("SMEMBERS", "nokey"), ("SINTER", "s", "t"), ("SINTER", "s", "nokey"),
        ("SUNION", "s", "t"), ("SDIFF", "s", "t"), ("SRANDMEMBER", "s", "10"), ("SRANDMEMBER", "s", "0"),
        ("SRANDMEMBER", "nokey", "2"), ("SRANDMEMBER", "nokey"), ("SPOP", "nokey"), ("SPOP", "nokey", "2"),
        ("SPOP", "s", "0"), ("SMISMEMBER", "s", "1", "9"), ("SISMEMBER", "s", "1"), ("SINTERCARD", "2", "s", "t"),
        ("SSCAN", "s", "0"), ("SPOP", "t", "10"),
    ])


def test_encodings(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "i", "1", "2"), ("OBJECT", "ENCODING", "i"), ("TYPE", "i"),
        ("SADD", "i", "a"), ("OBJECT", "ENCODING", "i"), ("SREM", "i", "a"), ("OBJECT", "ENCODING", "i"),
        ("SADD", "z", "007"), ("OBJECT", "ENCODING", "z"), ("SADD", "m", "-0"), ("OBJECT", "ENCODING", "m"),
        ("SADD", "p", "+1"), ("OBJECT", "ENCODING", "p"), ("SADD", "o", "9223372036854775808"),
        ("OBJECT", "ENCODING", "o"), ("SADD", "n", "-9223372036854775808"), ("OBJECT", "ENCODING", "n"),
    ])
    pair.check("SADD", "big", *[str(i) for i in range(512)])
    pair.check("OBJECT", "ENCODING", "big")
    pair.check("SADD", "big", "512")
    pair.check("OBJECT", "ENCODING", "big")
    # a hashtable set of integers: SUNION/SDIFF/SPOP-all answer from a fresh intset (sorted)
    pair.check_all([
        ("SADD", "h", "3", "1", "x", "2"), ("SREM", "h", "x"), ("OBJECT", "ENCODING", "h"),
        ("SUNION", "h"), ("SDIFF", "h", "nokey"), ("SUNIONSTORE", "d", "h"), ("OBJECT", "ENCODING", "d"),
        ("SINTERSTORE", "e", "h", "h"), ("OBJECT", "ENCODING", "e"), ("SPOP", "h", "10"),
    ])


def test_wrongtype_everywhere(pair: Pair) -> None:
    pair.check("SET", "str", "x")
    pair.check("SADD", "s", "a")
    for cmd in [("SADD", "str", "a"), ("SREM", "str", "a"), ("SCARD", "str"), ("SISMEMBER", "str", "a"),
                ("SMISMEMBER", "str", "a"), ("SMEMBERS", "str"), ("SRANDMEMBER", "str"),
                ("SRANDMEMBER", "str", "2"), ("SPOP", "str"), ("SPOP", "str", "0"), ("SMOVE", "str", "s", "a"),
                ("SMOVE", "s", "str", "a"), ("SINTER", "s", "str"), ("SINTER", "nokey", "str"),
                ("SINTERCARD", "2", "nokey", "str"), ("SINTERSTORE", "d", "nokey", "str"),
                ("SUNION", "s", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFF", "nokey", "str"),
                ("SDIFFSTORE", "d", "s", "str"), ("SSCAN", "str", "0")]:
        assert pair.check(*cmd) == WRONGTYPE, cmd
    pair.check_all([
        ("SPOP", "str", "-1"), ("SPOP", "str", "x"), ("SRANDMEMBER", "str", "x"), ("SSCAN", "str", "x"),
        ("SMOVE", "nokey", "str", "a"),  # a missing source wins over a bad destination
        ("SINTERSTORE", "str", "s"), ("TYPE", "str"),  # the destination may hold any type
    ])


def test_srandmember_and_spop_arguments(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "s", "a"), ("SRANDMEMBER", "s", "1", "2"), ("SPOP", "s", "1", "2"),
        ("SRANDMEMBER", "s", "-9223372036854775808"), ("SRANDMEMBER", "s", "9223372036854775807"),
        ("SRANDMEMBER", "s", "-3"), ("SRANDMEMBER", "s"), ("SRANDMEMBER", "s", "0"),
        ("SRANDMEMBER", "nokey", "-5"), ("SRANDMEMBER", "nokey", "x"),
        ("SPOP", "s", "0"), ("SPOP", "s", "-1"), ("SPOP", "nokey", "1"), ("SPOP", "nokey", "x"),
        ("SPOP", "s"), ("EXISTS", "s"), ("SPOP", "s"),
    ])


@pytest.mark.parametrize("size,count", [(10, 3), (10, 9), (100, 5), (100, 90), (20, 20), (5, 1)])
def test_spop_with_count_pops_distinct_members(pair: Pair, size: int, count: int) -> None:
    members = [f"m{i}" for i in range(size)]
    pair.check("SADD", "s", *members)
    reply = pair.ours.command("SPOP", "s", count)
    popped = reply.split(b"\r\n")[2::2][:count]
    assert reply.startswith(b"*%d\r\n" % count) and len(set(popped)) == count
    remaining = pair.ours.command("SMEMBERS", "s").split(b"\r\n")[2::2]
    assert set(popped).isdisjoint(remaining)
    assert len(set(remaining) - {b""}) == size - count
    assert set(popped) | (set(remaining) - {b""}) == {m.encode() for m in members}


def test_srandmember_counts(pair: Pair) -> None:
    members = [f"m{i}" for i in range(30)]
    pair.check("SADD", "s", *members)
    for count in (5, 25, -40):
        reply = pair.ours.command("SRANDMEMBER", "s", count)
        items = reply.split(b"\r\n")[2::2][:abs(count)]
        assert reply.startswith(b"*%d\r\n" % abs(count))
        assert all(i.decode() in members for i in items)
        if count > 0:
            assert len(set(items)) == count
    pair.check("SCARD", "s")


def test_smove(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "a", "1", "2"), ("SADD", "b", "x"),
        ("SMOVE", "a", "b", "1"), ("SMOVE", "a", "b", "zz"), ("SMOVE", "nokey", "b", "x"),
        ("SMOVE", "a", "a", "2"), ("SMOVE", "a", "a", "zz"), ("SMOVE", "a", "new", "2"), ("EXISTS", "a"),
        ("SMOVE", "b", "new", "x"), ("SCARD", "b"), ("SCARD", "new"), ("OBJECT", "ENCODING", "new"),
        ("SADD", "c", "1"), ("SMOVE", "new", "c", "1"), ("SCARD", "c"),
    ])


def test_set_algebra(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "a", "1", "2", "3", "x"), ("SADD", "b", "2", "3", "4", "y"), ("SADD", "c", "3", "x", "y"),
        ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "3", "a", "b", "c"), ("SINTERCARD", "2", "a", "nokey"),
        ("SINTERCARD", "1", "a", "LIMIT", "2"), ("SINTERCARD", "1", "a", "LIMIT", "0"),
        ("SINTERCARD", "1", "a", "limit", "100"), ("SINTERCARD", "0", "a"), ("SINTERCARD", "x", "a"),
        ("SINTERCARD", "3", "a", "b"), ("SINTERCARD", "1", "a", "LIMIT", "-1"), ("SINTERCARD", "1", "a", "LIMIT", "x"),
        ("SINTERCARD", "1", "a", "LIMIT"), ("SINTERCARD", "1", "a", "FOO", "1"),
        ("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3"), ("SINTERCARD", "-1", "a"),
    ])
    for cmd in [("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "nokey"), ("SINTER", "a"),
                ("SUNION", "a", "b", "c"), ("SUNION", "nokey"), ("SUNION", "a", "nokey"),
                ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "nokey", "a"), ("SDIFF", "a", "a"),
                ("SDIFF", "a", "nokey")]:
        pair.check(*cmd, unordered=True)
    for cmd in [("SINTERSTORE", "d", "a", "b"), ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a", "c"),
                ("SDIFFSTORE", "d", "a", "a"), ("SINTERSTORE", "d", "a", "nokey"), ("SUNIONSTORE", "d", "a"),
                ("SINTERSTORE", "a", "a", "b"), ("SUNIONSTORE", "b", "b", "c"), ("SDIFFSTORE", "c", "c", "nokey")]:
        pair.check(*cmd)
        pair.check("SMEMBERS", cmd[1], unordered=True)
        pair.check("EXISTS", cmd[1])


def test_store_replaces_any_type_and_drops_ttl(pair: Pair) -> None:
    pair.check_all([
        ("SADD", "a", "1"), ("SET", "d", "x"), ("EXPIRE", "d", "100"), ("SUNIONSTORE", "d", "a"),
        ("TYPE", "d"), ("TTL", "d"), ("SET", "e", "x"), ("SINTERSTORE", "e", "nokey"), ("EXISTS", "e"),
        ("SDIFFSTORE", "e", "nokey"), ("RPUSH", "l", "v"), ("SDIFFSTORE", "l", "a"), ("TYPE", "l"),
    ])


def test_sscan(pair: Pair) -> None:
    pair.check_all([
        ("SSCAN", "nokey", "0"), ("SSCAN", "nokey", "x"), ("SSCAN", "nokey", "0", "COUNT", "0"),
        ("SADD", "s", "1", "2", "3"), ("SSCAN", "s", "0", "COUNT", "0"), ("SSCAN", "s", "0", "MATCH"),
        ("SSCAN", "s", "0", "TYPE", "set"), ("SSCAN", "s", "5"), ("SSCAN", "s", "-1"),
        ("SADD", "e", ""), ("SSCAN", "e", "0", "MATCH", "*"), ("SSCAN", "e", "0", "MATCH", "*a"),
    ])
    pair.check("SADD", "w", "a", "b", "ab", "")
    ours, theirs = pair.both("SSCAN", "w", "0", "MATCH", "a*", "COUNT", "100")
    assert sorted(ours.split(b"\r\n")) == sorted(theirs.split(b"\r\n"))


def test_sscan_hashtable_returns_every_member(pair: Pair) -> None:
    pair.check("SADD", "s", *[f"m{i}" for i in range(700)])
    for conn in (pair.ours, pair.theirs):
        cursor, seen = b"0", []
        for _ in range(10000):
            lines = conn.command("SSCAN", "s", cursor, "COUNT", 13).split(b"\r\n")
            cursor = lines[2]
            seen.extend(lines[5::2])
            if cursor == b"0":
                break
        assert sorted(set(seen)) == sorted(f"m{i}".encode() for i in range(700))
