"""Hash commands through redis-py (sync and asyncio, RESP2 and RESP3) and raw bytes."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def rc(request: Any, server: Any) -> Any:
    client = redis.Redis(host=server.host, port=server.port, protocol=request.param)
    client.flushall()
    yield client
    client.close()


def test_basic_hash_round_trip(rc: redis.Redis) -> None:
    assert rc.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert rc.hset("h", "a", "10") == 0
    assert rc.hget("h", "a") == b"10"
    assert rc.hmget("h", ["a", "zz", "b"]) == [b"10", None, b"2"]
    assert rc.hgetall("h") == {b"a": b"10", b"b": b"2"}
    assert rc.hgetall("nokey") == {}
    assert rc.hkeys("h") == [b"a", b"b"] and rc.hvals("h") == [b"10", b"2"]
    assert rc.hlen("h") == 2 and rc.hstrlen("h", "a") == 2
    assert rc.hexists("h", "a") is True and rc.hexists("h", "zz") is False
    assert rc.hsetnx("h", "a", "x") == 0 and rc.hsetnx("h", "c", "x") == 1
    assert rc.hincrby("h", "n", 5) == 5 and rc.hincrbyfloat("h", "f", "1.5") == 1.5
    assert rc.hdel("h", "a", "b", "c", "n", "f") == 5 and rc.exists("h") == 0


def test_hrandfield_shapes(rc: redis.Redis) -> None:
    rc.hset("h", mapping={"a": "1", "b": "2"})
    assert rc.hrandfield("h") in (b"a", b"b")
    assert sorted(rc.hrandfield("h", 5)) == [b"a", b"b"]
    pairs = rc.hrandfield("h", -4, withvalues=True)
    if rc.get_connection_kwargs().get("protocol") == 3:
        assert len(pairs) == 4 and all(list(p) in ([b"a", b"1"], [b"b", b"2"]) for p in pairs)
    else:
        assert len(pairs) == 8 and all(pairs[i] + pairs[i + 1] in (b"a1", b"b2") for i in range(0, 8, 2))


def test_hscan_iter_covers_big_hash(rc: redis.Redis) -> None:
    rc.hset("h", mapping={f"f{i}": str(i) for i in range(600)})
    seen = dict(rc.hscan_iter("h", count=50))
    assert len(seen) == 600 and seen[b"f599"] == b"599"
    assert dict(rc.hscan_iter("h", match="f1?")) == {f"f1{i}".encode(): f"1{i}".encode() for i in range(10)}


def test_errors_surface_as_response_errors(rc: redis.Redis) -> None:
    rc.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        rc.hget("s", "a")
    rc.hset("h", "s", "abc")
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        rc.hincrby("h", "s", 1)
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        rc.hincrbyfloat("h", "s", 1)


def test_raw_resp3_map_and_pairs(raw: Any) -> None:
    raw.command("HELLO", "3")
    raw.command("HSET", "h", "a", "1")
    assert raw.command("HGETALL", "h") == b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("HRANDFIELD", "h", "1", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("HRANDFIELD", "nokey") == b"_\r\n"


def test_asyncio_client(server: Any) -> None:
    async def run() -> Any:
        c = aioredis.Redis(host=server.host, port=server.port, protocol=3)
        await c.delete("h")
        await c.hset("h", mapping={"x": "1", "y": "2"})
        result = (await c.hgetall("h"), await c.hincrbyfloat("h", "x", 0.5))
        await c.aclose()
        return result

    assert asyncio.run(run()) == ({b"x": b"1", b"y": b"2"}, 1.5)
