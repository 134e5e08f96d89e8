"""Clients that vanish at the worst moment leave nothing behind.

Each test drives an embedded server (so its state objects can be inspected)
into one state -- mid-pipeline, mid-reply, blocked, subscribed, in MULTI with
WATCH, MONITORing, tracking -- then drops the socket (an RST where it matters,
so the server sees an error rather than an orderly EOF) and checks, from
outside (INFO, CLIENT LIST, PUBSUB NUMSUB) and inside (the registries in
``state.extensions``), that the client is gone and took all of its state
with it.
"""
from __future__ import annotations

import socket
import struct
from typing import Any, Callable

import pytest
import redis

from damselfly.net.connection import CHECK_CHUNKS

from ..resp import RawConnection
from ..waiting import wait_until


def cmd(*args: bytes | str) -> bytes:
    parts = [a.encode() if isinstance(a, str) else a for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0): what a crashed or killed client looks like."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def assert_nothing_left(srv: Any, observer: redis.Redis) -> None:
    """Only the observer remains, and no registry remembers anyone else."""
    state = srv.state
    assert wait_until(lambda: len(state.clients) == 1), list(state.clients.values())
    ext = state.extensions
    listener = ext["listener"]
    assert wait_until(lambda: len(listener.connections) == 1)
    (conn,) = listener.connections
    assert conn.client is not None and conn.client.id in state.clients
    info = observer.info()
    assert info["connected_clients"] == 1
    assert info["blocked_clients"] == 0
    assert info["tracking_clients"] == 0
    assert info["pubsub_clients"] == 0
    assert info["pubsub_channels"] == 0 and info["pubsub_patterns"] == 0 and info["pubsubshard_channels"] == 0
    assert info["dispatch_queue_bytes"] == 0
    assert len(observer.client_list()) == 1
    pubsub = ext["pubsub"]
    assert not pubsub.channels and not pubsub.patterns and not pubsub.shard_channels
    blocking = ext["blocking"]
    assert not blocking.waiting and blocking.blocked_clients == 0
    assert not ext["watch"].keys
    assert state.monitors == []
    tracking = ext["tracking"]
    assert not tracking.tracking
    assert all(not prefix.clients for prefix in tracking.prefix_table.values())
    assert conn.output_bytes() == 0 and conn.queued_bytes() == 0 and not conn._pending


@pytest.fixture
def srv(start_server: Callable[..., Any]) -> Any:
    return start_server()


@pytest.fixture
def observer(srv: Any) -> Any:
    client = redis.Redis(host=srv.host, port=srv.port)
    client.ping()  # connected before anything else happens
    yield client
    client.close()


def test_vanishing_mid_pipeline(srv: Any, observer: redis.Redis) -> None:
    sock = socket.create_connection((srv.host, srv.port))
    sock.sendall(cmd("SET", "a", "1") * 500 + b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100\r\nhalf")
    assert wait_until(lambda: observer.get("a") == b"1")
    reset(sock)
    assert_nothing_left(srv, observer)
    assert observer.exists("b") == 0  # the unfinished command never ran


def test_vanishing_mid_reply(srv: Any, observer: redis.Redis) -> None:
    big = b"v" * (1024 * 1024)
    observer.set("big", big)
    sock = socket.create_connection((srv.host, srv.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.sendall(cmd("GET", "big") * 400)  # 400 MB of replies, read by nobody
    got = sock.recv(65536)
    assert got.startswith(b"$1048576\r\n")

    connections = srv.state.extensions["listener"].connections
    assert wait_until(lambda: any(c._write_paused and c._pending for c in connections))
    # the server stopped producing replies for it: some MB buffered, not the 400 MB asked for
    assert sum(c.output_bytes() for c in connections) < (CHECK_CHUNKS // 3 + 2) * len(big)
    reset(sock)
    assert_nothing_left(srv, observer)


def test_vanishing_while_blocked(srv: Any, observer: redis.Redis) -> None:
    for key_args in (("BLPOP", "q", "0"), ("BRPOPLPUSH", "q", "dst", "0"), ("BZPOPMIN", "z", "0")):
        sock = socket.create_connection((srv.host, srv.port))
        sock.sendall(cmd(*key_args))
        assert wait_until(lambda: observer.info("clients")["blocked_clients"] == 1)
        reset(sock)
        assert_nothing_left(srv, observer)
    observer.lpush("q", "x")
    assert observer.lrange("q", 0, -1) == [b"x"]  # nobody gone took it
    assert observer.exists("dst") == 0


def test_vanishing_while_subscribed(srv: Any, observer: redis.Redis) -> None:
    for resp in (2, 3):
        conn = RawConnection(srv.host, srv.port)
        if resp == 3:
            conn.command("HELLO", "3")
        conn.command("SUBSCRIBE", "c1", "c2")
        conn.read_reply()
        conn.command("PSUBSCRIBE", "p*")
        conn.command("SSUBSCRIBE", "s1")
        assert observer.pubsub_numsub("c1", "c2") == [(b"c1", 1), (b"c2", 1)]
        for _ in range(100):
            observer.publish("c1", "x" * 1000)  # some of it queued or unread when it goes
        reset(conn.sock)
        assert_nothing_left(srv, observer)
        assert observer.pubsub_numsub("c1", "c2") == [(b"c1", 0), (b"c2", 0)]
        assert observer.pubsub_numpat() == 0
        assert observer.execute_command("PUBSUB", "SHARDNUMSUB", "s1") == [b"s1", 0]
        assert observer.publish("c1", "after") == 0


def test_vanishing_in_multi_with_watch(srv: Any, observer: redis.Redis) -> None:
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("WATCH", "w1", "w2") == b"+OK\r\n"
    assert conn.command("MULTI") == b"+OK\r\n"
    assert conn.command("SET", "w1", "queued") == b"+QUEUED\r\n"
    assert srv.state.extensions["watch"].keys
    conn.send(cmd("INCR", "w2"))  # and EXEC never comes
    reset(conn.sock)
    assert_nothing_left(srv, observer)
    assert observer.exists("w1", "w2") == 0  # nothing queued ran


def test_vanishing_while_monitoring(srv: Any, observer: redis.Redis) -> None:
    conn = RawConnection(srv.host, srv.port)
    assert conn.command("MONITOR") == b"+OK\r\n"
    assert srv.state.monitors
    for i in range(200):
        observer.set("m", i)  # a backlog of feed lines when it goes
    reset(conn.sock)
    assert_nothing_left(srv, observer)
    observer.set("m", "after")  # the feed has nobody to write to and does not fail


def test_vanishing_while_tracking(srv: Any, observer: redis.Redis) -> None:
    observer.set("t1", "v")
    for options in ((), ("BCAST", "PREFIX", "t")):
        conn = RawConnection(srv.host, srv.port)
        conn.command("HELLO", "3")
        assert conn.command("CLIENT", "TRACKING", "on", *options) == b"+OK\r\n"
        assert conn.command("GET", "t1") == b"$1\r\nv\r\n"
        assert observer.info()["tracking_clients"] == 1
        reset(conn.sock)
        assert_nothing_left(srv, observer)
        observer.set("t1", "v")  # invalidates nobody, fails nowhere
    assert not srv.state.extensions["tracking"].table  # the gone reader's keys were dropped on write


def test_every_fault_at_once_then_the_server_is_still_whole(srv: Any, observer: redis.Redis) -> None:
    """All of the above concurrently, twice: the client count is back to one each time."""
    observer.set("big", b"v" * (1024 * 1024))
    for _ in range(2):
        socks = []
        for payload in (cmd("BLPOP", "q", "0"), cmd("SUBSCRIBE", "c"), cmd("MONITOR"),
                        cmd("GET", "big") * 20, cmd("WATCH", "k") + cmd("MULTI"),
                        cmd("HELLO", "3") + cmd("CLIENT", "TRACKING", "on") + cmd("GET", "k"),
                        b"*2\r\n$3\r\nGET\r\n$5\r\nhal"):
            sock = socket.create_connection((srv.host, srv.port))
            sock.sendall(payload)
            socks.append(sock)
        assert wait_until(lambda: len(srv.state.clients) == 1 + len(socks))
        assert wait_until(lambda: observer.info("clients")["blocked_clients"] == 1)
        for sock in socks:
            reset(sock)
        assert_nothing_left(srv, observer)
