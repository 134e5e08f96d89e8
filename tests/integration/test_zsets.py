"""Sorted sets over real TCP with redis-py: sync and asyncio, RESP2 and RESP3, blocking pops."""
from __future__ import annotations

import threading
import time

import pytest
import redis
import redis.asyncio as aioredis


def test_zadd_range_rank_resp2(r):
    assert r.zadd("z", {"a": 1, "b": 2.5, "c": -1}) == 3
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", -1.0), (b"a", 1.0), (b"b", 2.5)]
    assert r.zrank("z", "b") == 2 and r.zrevrank("z", "b") == 0
    assert r.zscore("z", "b") == 2.5 and r.zscore("z", "x") is None
    assert r.zincrby("z", 0.5, "b") == 3.0
    assert r.zadd("z", {"a": 5}, gt=True, ch=True) == 1
    assert r.zadd("z", {"a": 1}, gt=True, ch=True) == 0
    assert r.zrangebyscore("z", "(0", "+inf") == [b"b", b"a"]
    assert r.zcount("z", "-inf", "+inf") == 3
    assert r.zmscore("z", ["a", "nope"]) == [5.0, None]


def test_resp3_shapes(r3):
    r3.zadd("z", {"a": 1, "b": 2})
    raw = r3.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES")
    assert raw == [[b"a", 1.0], [b"b", 2.0]]
    assert r3.execute_command("ZSCORE", "z", "a") == 1.0
    assert r3.execute_command("ZPOPMIN", "z") == [b"a", 1.0]
    assert r3.execute_command("ZMPOP", 1, "z", "MAX") == [b"z", [[b"b", 2.0]]]
    assert r3.execute_command("ZMPOP", 1, "z", "MAX") is None


def test_union_inter_diff_with_sets(r):
    r.zadd("a", {"x": 1, "y": 2})
    r.sadd("s", "y", "w")
    assert r.zunion(["a", "s"], withscores=True) == [(b"w", 1.0), (b"x", 1.0), (b"y", 3.0)]
    assert r.zinterstore("d", {"a": 2, "s": 10}, aggregate="MAX") == 1
    assert r.zrange("d", 0, -1, withscores=True) == [(b"y", 10.0)]
    assert r.zdiff(["a", "s"]) == [b"x"]
    assert r.zintercard(2, ["a", "s"]) == 1


def test_encoding_switches_to_skiplist(r):
    r.zadd("z", {f"m{i}": i for i in range(128)})
    assert r.object("encoding", "z") == b"listpack"
    r.zadd("z", {"one-more": 0})
    assert r.object("encoding", "z") == b"skiplist"
    assert r.type("z") == b"zset"


def test_config_thresholds(r):
    try:
        r.config_set("zset-max-ziplist-entries", 2)
        assert r.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "2"}
        r.zadd("z", {"a": 1, "b": 2, "c": 3})
        assert r.object("encoding", "z") == b"skiplist"
    finally:
        r.config_set("zset-max-listpack-entries", 128)


def test_zscan_iterates_everything(r):
    r.zadd("z", {f"member:{i}": i for i in range(500)})
    seen = dict(r.zscan_iter("z", count=37))
    assert len(seen) == 500 and seen[b"member:7"] == 7.0
    assert dict(r.zscan_iter("z", match="member:1?")) == {f"member:1{i}".encode(): 10.0 + i for i in range(10)}


def test_bzpopmin_wakes_on_zadd(server, r):
    other = redis.Redis(host=server.host, port=server.port)
    result: list = []
    t = threading.Thread(target=lambda: result.append(other.bzpopmin(["z1", "z2"], timeout=5)))
    t.start()
    time.sleep(0.2)
    r.zadd("z2", {"a": 3, "b": 1})
    t.join(5)
    assert result == [(b"z2", b"b", 1.0)]
    assert r.zrange("z2", 0, -1) == [b"a"]
    other.close()


def test_bzmpop_serves_count_and_times_out(server, r):
    other = redis.Redis(host=server.host, port=server.port)
    t0 = time.monotonic()
    assert other.execute_command("BZMPOP", "0.2", 1, "nokey", "MIN") is None
    assert time.monotonic() - t0 >= 0.15
    result: list = []
    t = threading.Thread(target=lambda: result.append(other.execute_command("BZMPOP", 5, 2, "k1", "k2", "MAX",
                                                                             "COUNT", 2)))
    t.start()
    time.sleep(0.2)
    r.set("k1", "not a zset")  # a write to a waited-on key of the wrong type keeps it blocked
    r.zadd("k2", {"a": 1, "b": 2, "c": 3})
    t.join(5)
    assert result == [[b"k2", [[b"c", b"3"], [b"b", b"2"]]]]
    other.close()


def test_bzpopmax_inside_multi_does_not_block(r):
    pipe = r.pipeline(transaction=True)
    pipe.bzpopmax("nokey", timeout=0)
    assert pipe.execute() == [None]


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio_client(server, protocol):
    client = aioredis.Redis(host=server.host, port=server.port, protocol=protocol)
    try:
        await client.flushall()
        assert await client.zadd("z", {"a": 1, "b": 2}) == 2
        assert await client.zrange("z", 0, -1, withscores=True) in ([(b"a", 1.0), (b"b", 2.0)],
                                                                    [[b"a", 1.0], [b"b", 2.0]])
        assert await client.zpopmax("z") in ([(b"b", 2.0)], [b"b", 2.0])  # RESP3: one flat pair
        assert await client.zcard("z") == 1
        assert await client.zrem("z", "a") == 1
        assert await client.exists("z") == 0
    finally:
        await client.aclose()
