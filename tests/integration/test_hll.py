"""HyperLogLog over real TCP with redis-py."""
from __future__ import annotations

import pytest
import redis
import redis.asyncio as aioredis


def test_pfadd_pfcount_pfmerge(r):
    assert r.pfadd("h", *[f"e{i}" for i in range(1000)]) == 1
    assert r.pfadd("h", "e1") == 0
    count = r.pfcount("h")
    assert 970 <= count <= 1030
    r.pfadd("g", *[f"e{i}" for i in range(500, 1500)])
    assert r.pfmerge("m", "h", "g")
    assert 1450 <= r.pfcount("m") <= 1550
    assert r.pfcount("h", "g") == r.pfcount("m")
    assert r.get("h").startswith(b"HYLL")


def test_not_an_hll(r3):
    r3.set("s", "plain")
    with pytest.raises(redis.ResponseError, match="not a valid HyperLogLog"):
        r3.pfcount("s")


def test_pfcount_refresh_is_seen_by_watch(r):
    """PFCOUNT rewrites the cached cardinality: a WATCHing transaction aborts, as in Redis."""
    r.pfadd("h", "a")
    pipe = r.pipeline(transaction=True)
    pipe.watch("h")
    r.pfcount("h")
    pipe.multi()
    pipe.set("x", 1)
    with pytest.raises(redis.WatchError):
        pipe.execute()


async def test_asyncio(server):
    client = aioredis.Redis(host=server.host, port=server.port, protocol=3)
    try:
        await client.flushall()
        await client.pfadd("h", "a", "b", "c")
        assert await client.pfcount("h") == 3
    finally:
        await client.aclose()
