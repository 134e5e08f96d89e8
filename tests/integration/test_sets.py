"""Set commands through redis-py (sync and asyncio, RESP2 and RESP3)."""
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


def test_membership_and_algebra(rc: redis.Redis) -> None:
    assert rc.sadd("a", "1", "2", "3") == 3 and rc.sadd("b", "2", "3", "4") == 3
    assert rc.smembers("a") == {b"1", b"2", b"3"}
    assert rc.sismember("a", "1") in (1, True) and rc.smismember("a", ["1", "9"]) in ([1, 0], [True, False])
    assert rc.sinter("a", "b") == {b"2", b"3"} and rc.sunion("a", "b") == {b"1", b"2", b"3", b"4"}
    assert rc.sdiff("a", "b") == {b"1"} and rc.sintercard(2, ["a", "b"], limit=1) == 1
    assert rc.sinterstore("d", ["a", "b"]) == 2 and rc.smembers("d") == {b"2", b"3"}
    assert rc.smove("a", "b", "1") is True and rc.scard("b") == 4
    assert rc.srem("a", "2", "3") == 2 and rc.exists("a") == 0


def test_random_members(rc: redis.Redis) -> None:
    members = {f"m{i}".encode() for i in range(100)}
    rc.sadd("s", *members)
    assert rc.srandmember("s") in members
    sample = rc.srandmember("s", 10)
    assert len(set(sample)) == 10 and set(sample) <= members
    assert len(rc.srandmember("s", -300)) == 300
    popped = rc.spop("s", 30)
    assert len(set(popped)) == 30 and rc.scard("s") == 70
    assert rc.spop("s") in members and rc.scard("s") == 69
    rest = rc.spop("s", 1000)
    assert len(rest) == 69 and rc.exists("s") == 0


def test_sscan_iter(rc: redis.Redis) -> None:
    rc.sadd("s", *[f"m{i}" for i in range(1000)])
    assert len(set(rc.sscan_iter("s", count=37))) == 1000
    assert set(rc.sscan_iter("s", match="m99?")) == {f"m99{i}".encode() for i in range(10)}


def test_asyncio_client(server: Any) -> None:
    async def run() -> Any:
        c = aioredis.Redis(host=server.host, port=server.port, protocol=3)
        await c.delete("s")
        await c.sadd("s", "x", "y")
        out = await c.smembers("s")
        await c.aclose()
        return out

    assert asyncio.run(run()) == {b"x", b"y"}
