"""Blocking list commands over real TCP: several clients, wake-up order, timeouts, disconnects."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import pytest
import redis
import redis.asyncio as aioredis

from tests.resp import RawConnection, encode_command


def _registry(server: Any) -> Any:
    return server.state.extensions["blocking"]


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll (no timing assertion: the deadline only stops a hung test)."""
    deadline = time.monotonic() + 10
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def wait_blocked(server: Any, n: int) -> None:
    wait_until(lambda: _registry(server).blocked_clients == n, f"{n} blocked clients")


@pytest.fixture
def conns(server: Any) -> Any:
    opened: list[RawConnection] = []

    def open_conn() -> RawConnection:
        conn = RawConnection(server.host, server.port)
        opened.append(conn)
        return conn

    yield open_conn
    for conn in opened:
        try:
            conn.close()
        except OSError:
            pass
    wait_blocked(server, 0)


def test_fifo_wake_up_order(server: Any, r: redis.Redis, conns: Any) -> None:
    waiters = []
    for i in range(4):
        c = conns()
        c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
        wait_blocked(server, i + 1)
        waiters.append(c)
    assert r.rpush("k", "a", "b") == 2
    assert waiters[0].read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
    assert waiters[1].read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nb\r\n"
    wait_blocked(server, 2)
    assert r.exists("k") == 0
    r.lpush("k", "c")
    assert waiters[2].read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nc\r\n"
    r.rpush("k", "d")
    assert waiters[3].read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nd\r\n"


def test_timeout_replies_null_in_both_protocols(server: Any, conns: Any) -> None:
    c2, c3 = conns(), conns()
    c3.command("HELLO", "3")
    assert c2.command("BLPOP", "nokey", "0.05") == b"*-1\r\n"
    assert c3.command("BLPOP", "nokey", "0.05") == b"_\r\n"
    assert c2.command("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.05") == b"*-1\r\n"
    assert c3.command("BLMPOP", "0.05", "1", "nokey", "LEFT") == b"_\r\n"
    assert _registry(server).clients_in_timeout_table == 0


def test_resp3_blocked_client_gets_resp3_reply(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c.command("HELLO", "3")
    c.send(encode_command("BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "2"))
    wait_blocked(server, 1)
    r.rpush("k", "1", "2", "3")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"


def test_pipelined_commands_wait_behind_the_blocked_one(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c.send(b"BLPOP k 0\r\nPING\r\nLLEN k\r\n")
    wait_blocked(server, 1)
    r.rpush("k", "a", "b")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
    assert c.read_reply() == b"+PONG\r\n"
    assert c.read_reply() == b":1\r\n"


def test_pipeline_that_blocks_again(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c.send(b"BLPOP k 0\r\nBLPOP k 0\r\nECHO done\r\n")
    wait_blocked(server, 1)
    r.rpush("k", "1")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n"
    wait_blocked(server, 1)
    r.rpush("k", "2")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\n2\r\n"
    assert c.read_reply() == b"$4\r\ndone\r\n"


def test_disconnect_while_blocked_leaves_no_state(server: Any, r: redis.Redis, conns: Any) -> None:
    gone = conns()
    gone.send(b"BLPOP k 0\r\n")
    wait_blocked(server, 1)
    stays = conns()
    stays.send(b"BRPOP k 5\r\n")
    wait_blocked(server, 2)
    gone.close()
    wait_blocked(server, 1)
    r.rpush("k", "x")
    assert stays.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"
    wait_blocked(server, 0)
    assert not _registry(server).waiting


def test_transaction_serves_after_exec(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c.send(b"BLPOP a b 0\r\n")
    wait_blocked(server, 1)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("b", "from-b").rpush("a", "from-a").llen("b")
    assert pipe.execute() == [1, 1, 1]  # nothing was served inside the transaction
    assert c.read_reply() == b"*2\r\n$1\r\nb\r\n$6\r\nfrom-b\r\n"
    assert r.lrange("a", 0, -1) == [b"from-a"]


def test_blmove_chain_across_clients(server: Any, r: redis.Redis, conns: Any) -> None:
    mover, reader = conns(), conns()
    mover.send(b"BLMOVE src mid RIGHT LEFT 0\r\n")
    wait_blocked(server, 1)
    reader.send(b"BRPOPLPUSH mid dst 0\r\n")
    wait_blocked(server, 2)
    r.lpush("src", "v")
    assert mover.read_reply() == b"$1\r\nv\r\n"
    assert reader.read_reply() == b"$1\r\nv\r\n"
    assert r.lrange("dst", 0, -1) == [b"v"] and r.exists("src", "mid") == 0


@pytest.mark.parametrize("command", [
    ("RENAME", "tmp", "k"), ("COPY", "tmp", "k"), ("MOVE", "k", "0"), ("SWAPDB", "0", "1"),
])
def test_served_when_the_key_is_created_by_generic_commands(server: Any, conns: Any, command: tuple) -> None:
    admin = redis.Redis(host=server.host, port=server.port)
    admin.flushall()
    source_db = 1 if command[0] in ("MOVE", "SWAPDB") else 0
    admin.execute_command("SELECT", source_db)
    key = "k" if source_db else "tmp"
    admin.rpush(key, "v")
    c = conns()
    c.send(b"BLPOP k 0\r\n")
    wait_blocked(server, 1)
    admin.execute_command(*command)
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
    admin.close()


def test_client_unblock(server: Any, r: redis.Redis, conns: Any) -> None:
    a, b = conns(), conns()
    a_id = int(a.command("CLIENT", "ID")[1:-2])
    b_id = int(b.command("CLIENT", "ID")[1:-2])
    a.send(b"BLPOP k 0\r\nPING\r\n")
    b.send(b"BLMOVE k d LEFT LEFT 0\r\n")
    wait_blocked(server, 2)
    assert r.client_unblock(a_id) is True
    assert a.read_reply() == b"*-1\r\n"
    assert a.read_reply() == b"+PONG\r\n"
    assert r.client_unblock(b_id, error=True) is True
    assert b.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert r.client_unblock(a_id) is False
    with pytest.raises(redis.ResponseError, match="reason should be TIMEOUT or ERROR"):
        r.execute_command("CLIENT", "UNBLOCK", a_id, "FOO")


def test_blocked_client_is_flagged_and_counted(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c_id = int(c.command("CLIENT", "ID")[1:-2])
    c.send(b"BLPOP k 0\r\n")
    wait_blocked(server, 1)
    entry = next(e for e in r.client_list() if int(e["id"]) == c_id)
    assert "b" in entry["flags"]
    assert r.info("clients")["blocked_clients"] == 1
    r.rpush("k", "x")
    c.read_reply()
    entry = next(e for e in r.client_list() if int(e["id"]) == c_id)
    assert "b" not in entry["flags"]
    assert r.info("clients")["blocked_clients"] == 0


def test_wrong_type_blocks_then_error_only_for_blmove_destination(server: Any, r: redis.Redis, conns: Any) -> None:
    c = conns()
    c.send(b"BLMOVE src dst LEFT LEFT 0\r\n")
    wait_blocked(server, 1)
    r.set("dst", "string")
    r.rpush("src", "v")
    assert c.read_reply().startswith(b"-WRONGTYPE")
    assert r.lrange("src", 0, -1) == [b"v"]


def test_redis_py_sync_blocking_api(server: Any, r: redis.Redis, r3: redis.Redis) -> None:
    r.rpush("q", "job")
    assert list(r.blpop(["q"], timeout=1)) == [b"q", b"job"]
    assert r.brpop(["q"], timeout=0.05) is None
    assert r3.blpop(["q"], timeout=0.05) is None
    r3.rpush("q", "a")
    assert r3.blmpop(0.05, 1, "q", direction="LEFT", count=3) == [b"q", [b"a"]]
    assert r3.blmove("q", "d", 0.05) is None


def test_asyncio_many_waiters_each_get_one(server: Any) -> None:
    async def run() -> list[Any]:
        clients = [aioredis.Redis(host=server.host, port=server.port, protocol=proto)
                   for proto in (2, 3, 2, 3, 2)]
        pusher = aioredis.Redis(host=server.host, port=server.port)
        await pusher.delete("jobs")
        tasks = [asyncio.create_task(c.blpop(["jobs"], timeout=5)) for c in clients]
        while _registry(server).blocked_clients < len(clients):
            await asyncio.sleep(0.005)
        await pusher.rpush("jobs", *[f"j{i}" for i in range(len(clients))])
        results = await asyncio.gather(*tasks)
        for c in clients + [pusher]:
            await c.aclose()
        return results

    results = asyncio.run(run())
    values = sorted(bytes(res[1]) for res in results)
    assert values == [f"j{i}".encode() for i in range(5)]


def test_asyncio_timeout_then_serve(server: Any) -> None:
    async def run() -> tuple[Any, Any]:
        c = aioredis.Redis(host=server.host, port=server.port, protocol=3)
        pusher = aioredis.Redis(host=server.host, port=server.port)
        await pusher.delete("k")
        timed_out = await c.brpop(["k"], timeout=0.05)
        task = asyncio.create_task(c.brpop(["k"], timeout=0))
        while _registry(server).blocked_clients < 1:
            await asyncio.sleep(0.005)
        await pusher.lpush("k", "v")
        served = await task
        await c.aclose()
        await pusher.aclose()
        return timed_out, served

    timed_out, served = asyncio.run(run())
    assert timed_out is None
    assert list(served) == [b"k", b"v"]
