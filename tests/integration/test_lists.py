"""List commands through redis-py (sync and asyncio, RESP2 and RESP3)."""
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


def test_queue_operations(rc: redis.Redis) -> None:
    assert rc.rpush("q", *range(10)) == 10
    assert rc.lpop("q") == b"0" and rc.rpop("q") == b"9"
    assert rc.lpop("q", 2) == [b"1", b"2"] and rc.rpop("q", 2) == [b"8", b"7"]
    assert rc.lrange("q", 0, -1) == [b"3", b"4", b"5", b"6"]
    assert rc.lindex("q", -1) == b"6" and rc.llen("q") == 4
    assert rc.lpop("nokey") is None and rc.lpop("nokey", 3) is None
    assert rc.lmove("q", "d", "RIGHT", "LEFT") == b"6" and rc.rpoplpush("q", "d") == b"5"
    assert rc.lrange("d", 0, -1) == [b"5", b"6"]
    assert rc.lmpop(2, "nokey", "q", direction="LEFT", count=5) == [b"q", [b"3", b"4"]]
    assert rc.exists("q") == 0


def test_edits(rc: redis.Redis) -> None:
    rc.rpush("l", "a", "b", "a", "c")
    assert rc.linsert("l", "BEFORE", "c", "x") == 5
    assert rc.lset("l", 0, "z") is True
    assert rc.lrem("l", 0, "a") == 1
    assert rc.lpos("l", "x") == 2 and rc.lpos("l", "q", count=0) == []
    assert rc.ltrim("l", 1, -1) is True and rc.lrange("l", 0, -1) == [b"b", b"x", b"c"]
    with pytest.raises(redis.ResponseError, match="index out of range"):
        rc.lset("l", 10, "v")
    with pytest.raises(redis.ResponseError, match="no such key"):
        rc.lset("nokey", 0, "v")


def test_large_list_both_ends(rc: redis.Redis) -> None:
    rc.rpush("big", *range(20000))
    assert rc.lindex("big", 0) == b"0" and rc.lindex("big", -1) == b"19999"
    assert rc.lindex("big", 10000) == b"10000"
    assert rc.lrange("big", -3, -1) == [b"19997", b"19998", b"19999"]
    assert rc.lrange("big", 5, 7) == [b"5", b"6", b"7"]
    rc.ltrim("big", 100, 199)
    assert rc.llen("big") == 100 and rc.lindex("big", 0) == b"100"


def test_asyncio_push_pop(server: Any) -> None:
    async def run() -> Any:
        c = aioredis.Redis(host=server.host, port=server.port)
        await c.delete("l")
        await c.lpush("l", "a", "b")
        out = (await c.lrange("l", 0, -1), await c.rpop("l", 5), await c.exists("l"))
        await c.aclose()
        return out

    assert asyncio.run(run()) == ([b"b", b"a"], [b"a", b"b"], 0)
