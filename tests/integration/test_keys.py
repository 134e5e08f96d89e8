"""Generic key commands over TCP with redis-py: sync and asyncio, RESP2 and RESP3, raw bytes."""
from __future__ import annotations

import time

import pytest
import redis
import redis.asyncio

from damselfly import Server


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def client(request, server: Server):
    c = redis.Redis(host=server.host, port=server.port, protocol=request.param)
    c.flushall()
    yield c
    c.close()


def test_delete_exists_type(client):
    client.mset({"a": 1, "b": 2})
    client.rpush("l", "x")
    assert client.exists("a", "a", "nope") == 2
    assert client.type("a") == b"string" and client.type("l") == b"list" and client.type("x") == b"none"
    assert client.delete("a", "nope") == 1
    assert client.unlink("b", "l") == 2
    assert client.dbsize() == 0


def test_rename_move_copy(client):
    client.set("a", "v", ex=500)
    assert client.rename("a", "b") is True
    assert client.ttl("b") > 0
    assert client.renamenx("b", "b") is False
    with pytest.raises(redis.ResponseError, match="no such key"):
        client.rename("nope", "x")
    assert client.copy("b", "c") is True
    assert client.copy("b", "c") is False
    assert client.copy("b", "c", replace=True, destination_db=2) is True
    assert client.move("c", 3) is True
    assert client.move("c", 3) is False
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        client.move("b", 0)


def test_expiry_commands(client):
    client.set("k", "v")
    assert client.expire("k", 100) is True
    assert client.expire("k", 50, gt=True) is False
    assert client.expire("k", 50, lt=True) is True
    assert 49 <= client.ttl("k") <= 50
    assert client.pexpire("k", 200_000) is True
    assert client.pttl("k") > 100_000
    assert client.expireat("k", 4102444800) is True
    assert client.expiretime("k") == 4102444800
    assert client.pexpiretime("k") == 4102444800000
    assert client.persist("k") is True
    assert client.ttl("k") == -1
    assert client.ttl("nope") == -2


def test_short_ttl_really_expires(client):
    client.set("k", "v", px=50)
    deadline = time.monotonic() + 5
    while client.exists("k") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.get("k") is None


def test_active_expiry_reclaims_without_access(client):
    client.set("k", "v", px=30)
    deadline = time.monotonic() + 5
    while client.dbsize() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.dbsize() == 0


def test_keys_scan_randomkey(client):
    client.mset({f"user:{i}": i for i in range(300)})
    client.mset({"other": 1})
    assert sorted(client.keys("user:1?")) == sorted(f"user:1{i}".encode() for i in range(10))
    expected = {f"user:{i}".encode() for i in range(300) if str(i).startswith("2")}
    assert set(client.scan_iter(match="user:2*", count=17)) == expected
    assert len(set(client.scan_iter(count=50))) == 301
    assert client.randomkey() is not None
    cursor, keys = client.scan(0, count=1000, _type="string")
    assert cursor == 0 and len(keys) == 301


def test_swapdb_and_flush(client, server):
    client.set("a", "1")
    assert client.swapdb(0, 1) is True
    assert client.get("a") is None
    other = redis.Redis(host=server.host, port=server.port, db=1)
    assert other.get("a") == b"1"
    other.close()
    assert client.flushall() is True


def test_object_subcommands(client):
    client.set("i", 5)
    client.set("s", "hello")
    assert client.object("encoding", "i") == b"int"
    assert client.object("encoding", "s") == b"embstr"
    assert client.object("refcount", "i") == 2147483647
    assert client.object("idletime", "s") in (0, 1)  # seconds: a boundary may fall in between
    assert client.object("encoding", "nope") is None
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        client.object("freq", "s")
    help_lines = client.execute_command("OBJECT", "HELP")
    assert help_lines[0].startswith(b"OBJECT <subcommand>") or help_lines[0].startswith("OBJECT")


def test_watch_sees_generic_writes(client, server):
    other = redis.Redis(host=server.host, port=server.port)
    client.set("w", "1")
    for change in (lambda: other.expire("w", 100), lambda: other.rename("w", "w2"),
                   lambda: other.copy("w2", "w", replace=True), lambda: other.move("w", 4)):
        with client.pipeline() as pipe:
            pipe.watch("w")
            change()
            pipe.multi()
            pipe.get("w")
            with pytest.raises(redis.WatchError):
                pipe.execute()
    other.close()


async def test_asyncio_client(server: Server):
    for protocol in (2, 3):
        c = redis.asyncio.Redis(host=server.host, port=server.port, protocol=protocol)
        await c.flushall()
        await c.mset({"a": 1, "b": 2})
        assert await c.exists("a", "b") == 2
        assert sorted([k async for k in c.scan_iter()]) == [b"a", b"b"]
        assert await c.expire("a", 100) is True
        assert await c.type("a") == b"string"
        assert await c.delete("a", "b") == 2
        await c.aclose()


def test_raw_replies(raw):
    assert raw.command("TYPE", "nope") == b"+none\r\n"
    raw.command("SET", "k", "v")
    assert raw.command("TYPE", "k") == b"+string\r\n"
    assert raw.command("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"
    assert raw.command("SCAN", "x") == b"-ERR invalid cursor\r\n"
    assert raw.command("OBJECT", "HELP").startswith(b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]")
    assert raw.command("EXPIRE", "k", "1", "NX", "XX") == (
        b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n")
    raw.command("HELLO", "3")
    assert raw.command("OBJECT", "ENCODING", "nope") == b"_\r\n"
    assert raw.command("RANDOMKEY") == b"$1\r\nk\r\n"
