"""String commands over TCP with redis-py: sync and asyncio clients, RESP2 and RESP3, raw bytes."""
from __future__ import annotations

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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SETEX, PSETEX, SETNX wrappers
def test_get_set_variants(client):
    assert client.get("k") is None
    assert client.set("k", "v") is True
    assert client.get("k") == b"v"
    assert client.set("k", "w", nx=True) is None
    assert client.set("k", "w", xx=True, get=True) == b"v"
    assert client.set("k", "x", ex=100, get=True) == b"w"
    assert 99 <= client.ttl("k") <= 100
    assert client.set("k", "y", keepttl=True) is True
    assert client.ttl("k") > 0
    assert client.setnx("n", 1) is True and client.setnx("n", 2) is False
    assert client.setex("e", 100, "v") is True
    assert client.psetex("p", 100_000, "v") is True
    assert client.getset("p", "w") == b"v"
    assert client.ttl("p") == -1
    assert client.getdel("p") == b"w" and client.exists("p") == 0


def test_getex(client):
    client.set("k", "v")
    assert client.getex("k", ex=100) == b"v"
    assert 99 <= client.ttl("k") <= 100
    assert client.getex("k", persist=True) == b"v"
    assert client.ttl("k") == -1
    assert client.getex("missing") is None


def test_multi_key(client):
    assert client.mset({"a": 1, "b": 2}) is True
    assert client.mget("a", "b", "c") == [b"1", b"2", None]
    assert client.msetnx({"a": 9, "z": 9}) is False
    assert client.msetnx({"y": 1, "z": 2}) is True


def test_counters(client):
    assert client.incr("n") == 1
    assert client.incrby("n", 10) == 11
    assert client.decr("n") == 10
    assert client.decrby("n", 20) == -10
    assert client.incrbyfloat("f", 1.5) == 1.5
    assert client.incrbyfloat("f", "0.1") == pytest.approx(1.6)
    assert client.get("f") == b"1.6"
    client.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
        client.incr("s")
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        client.incrbyfloat("s", 1)


def test_ranges_and_append(client):
    assert client.append("s", "Hello") == 5
    assert client.append("s", " World") == 11
    assert client.strlen("s") == 11
    assert client.getrange("s", 0, 4) == b"Hello"
    assert client.substr("s", -5, -1) == b"World"
    assert client.setrange("s", 6, "Redis") == 11
    assert client.get("s") == b"Hello Redis"
    assert client.setrange("pad", 3, "x") == 4
    assert client.get("pad") == b"\x00\x00\x00x"


def test_lcs(client):
    client.mset({"a": "ohmytext", "b": "mynewtext"})
    assert client.lcs("a", "b") == b"mytext"
    assert client.lcs("a", "b", len=True) == 6
    reply = client.lcs("a", "b", idx=True, minmatchlen=4, withmatchlen=True)
    flat = reply if isinstance(reply, list) else [x for kv in reply.items() for x in kv]
    assert flat == [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]


def test_wrongtype(client):
    client.rpush("l", "x")
    for call in (lambda: client.get("l"), lambda: client.append("l", "x"), lambda: client.incr("l"),
                 lambda: client.getrange("l", 0, 1), lambda: client.set("l", "v", get=True)):
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            call()
    assert client.mget("l") == [None]


def test_transaction_with_watch(client, server):
    client.set("counter", 1)
    with client.pipeline() as pipe:
        pipe.watch("counter")
        value = int(pipe.get("counter"))
        pipe.multi()
        pipe.set("counter", value + 1)
        pipe.incr("counter")
        assert pipe.execute() == [True, 3]
    other = redis.Redis(host=server.host, port=server.port)
    with client.pipeline() as pipe:
        pipe.watch("counter")
        other.incr("counter")  # a concurrent change aborts the transaction
        pipe.multi()
        pipe.set("counter", 100)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    other.close()
    assert client.get("counter") == b"4"


def test_pipeline_of_many_sets(client):
    with client.pipeline(transaction=False) as pipe:
        for i in range(500):
            pipe.set(f"k{i}", i)
            pipe.incr(f"k{i}")
        replies = pipe.execute()
    assert replies[1::2] == [i + 1 for i in range(500)]
    assert client.mget([f"k{i}" for i in range(3)]) == [b"1", b"2", b"3"]


async def test_asyncio_client(server: Server):
    for protocol in (2, 3):
        c = redis.asyncio.Redis(host=server.host, port=server.port, protocol=protocol)
        await c.flushall()
        assert await c.set("a", "1") is True
        assert await c.incrby("a", 41) == 42
        assert await c.mget(["a", "missing"]) == [b"42", None]
        assert await c.getex("a", px=500_000) == b"42"
        assert await c.pttl("a") > 0
        assert await c.lcs("a", "a") == b"42"
        await c.aclose()


def test_raw_replies(raw):
    assert raw.command("SET", "k", "v") == b"+OK\r\n"
    assert raw.command("GET", "nope") == b"$-1\r\n"
    assert raw.command("SET", "k", "v", "NX") == b"$-1\r\n"
    assert raw.command("SETNX", "k", "v") == b":0\r\n"
    assert raw.command("MGET", "k", "nope") == b"*2\r\n$1\r\nv\r\n$-1\r\n"
    assert raw.command("INCRBYFLOAT", "f", "1.5") == b"$3\r\n1.5\r\n"
    assert raw.command("GETRANGE", "nope", "0", "1") == b"$0\r\n\r\n"
    assert raw.command("SET", "k", "v", "EX", "0") == b"-ERR invalid expire time in 'set' command\r\n"
    raw.command("HELLO", "3")
    assert raw.command("GET", "nope") == b"_\r\n"
    assert raw.command("MGET", "nope") == b"*1\r\n_\r\n"
    assert raw.command("LCS", "k", "k", "IDX") == (
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:1\r\n")


def test_inline_commands(raw):
    raw.send(b"SET inline value\r\nGET inline\r\n")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$5\r\nvalue\r\n"
