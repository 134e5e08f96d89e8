"""Bitmaps over real TCP with redis-py (sync, asyncio; RESP2 and RESP3)."""
from __future__ import annotations

import pytest
import redis.asyncio as aioredis


def test_setbit_bitcount_bitpos(r):
    assert r.setbit("b", 7, 1) == 0
    assert r.setbit("b", 7, 1) == 1
    assert r.get("b") == b"\x01"
    assert r.bitcount("b") == 1
    assert r.bitpos("b", 1) == 7
    assert r.bitcount("b", 0, 6, "BIT") == 0
    assert r.object("encoding", "b") == b"raw"


def test_bitop_and_bitfield(r3):
    r3.set("a", b"\xff\x0f")
    r3.set("c", b"\x0f")
    assert r3.bitop("AND", "d", "a", "c") == 2
    assert r3.get("d") == b"\x0f\x00"
    bf = r3.bitfield("f")
    bf.set("u8", 0, 200).incrby("u8", 0, 100).overflow("FAIL").incrby("u8", 0, 250)
    assert bf.execute() == [0, 44, None]
    assert r3.bitfield_ro("f", "u8", 0) == [44]


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio(server, protocol):
    client = aioredis.Redis(host=server.host, port=server.port, protocol=protocol)
    try:
        await client.flushall()
        assert await client.setbit("x", 100, 1) == 0
        assert await client.getbit("x", 100) == 1
        assert await client.strlen("x") == 13
    finally:
        await client.aclose()
