"""Keyspace events of hash, list and set writes (names and order) against redis-server.

Both servers get ``notify-keyspace-events KEA`` and a pattern subscriber on
``__keyevent@0__:*``; each command's events are read and compared. A blocked
client served by a push produces its pop events too.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

from ..resp import RawConnection
from .conftest import Pair


class Events:
    """A pattern subscriber per server; ``after(cmd)`` runs it on both and returns (ours, theirs)."""

    def __init__(self, pair: Pair, server: Any, redis_server: Any) -> None:
        self.pair = pair
        self.subs = (RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
        for sub in self.subs:
            sub.command("PSUBSCRIBE", "__keyevent@0__:*")

    def read(self, sub: RawConnection) -> list[tuple[bytes, bytes]]:
        sub.send(b"PING\r\n")  # barrier: everything before the PONG belongs to the command
        events = []
        while True:
            frame = sub.read_reply()
            if frame.startswith(b"*2\r\n$4\r\npong"):
                return events
            lines = frame.split(b"\r\n")
            events.append((lines[6].split(b":", 1)[1], lines[8]))

    def after(self, *args: Any) -> tuple[list, list]:
        self.pair.check(*args, unordered=args[0] in ("SPOP", "SRANDMEMBER", "HRANDFIELD"))
        return self.read(self.subs[0]), self.read(self.subs[1])

    def close(self) -> None:
        for sub in self.subs:
            sub.close()


@pytest.fixture
def events(pair: Pair, server: Any, redis_server: Any) -> Iterator[Events]:
    if pair.ours.command("CONFIG", "SET", "notify-keyspace-events", "KEA") != b"+OK\r\n":
        pytest.skip("keyspace notifications are not available")
    pair.theirs.command("CONFIG", "SET", "notify-keyspace-events", "KEA")
    ev = Events(pair, server, redis_server)
    yield ev
    ev.close()
    for conn in (pair.ours, pair.theirs):
        conn.command("CONFIG", "SET", "notify-keyspace-events", "")


COMMANDS = [
    # hashes
    ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "c", "3"),
    ("HMSET", "h", "d", "4"), ("HINCRBY", "h", "n", "1"), ("HINCRBYFLOAT", "h", "f", "1.5"),
    ("HINCRBY", "h", "a", "x"), ("HDEL", "h", "zz"), ("HDEL", "h", "a", "b", "c", "d", "n"), ("HDEL", "h", "f"),
    # lists
    ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("LPUSH", "l", "z"), ("LPUSHX", "nokey", "a"), ("RPUSHX", "l", "g"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LPOP", "l", "0"), ("LSET", "l", "0", "A"), ("LINSERT", "l", "BEFORE", "A", "x"),
    ("LINSERT", "l", "BEFORE", "zz", "x"), ("LREM", "l", "0", "x"), ("LREM", "l", "0", "zz"), ("LTRIM", "l", "0", "-1"),
    ("LMOVE", "l", "m", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l"), ("LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "1"),
    ("BLPOP", "l", "0"), ("BRPOPLPUSH", "m", "l", "0"), ("BLMOVE", "l", "m", "RIGHT", "LEFT", "0"),
    ("BLMPOP", "0", "1", "m", "LEFT", "COUNT", "5"), ("LTRIM", "l", "5", "1"), ("RPUSH", "l", "a"), ("LREM", "l", "1", "a"),
    # sets
    ("SADD", "s", "1", "2", "3", "a"), ("SADD", "s", "1"), ("SREM", "s", "zz"), ("SREM", "s", "a"),
    ("SMOVE", "s", "t", "1"), ("SMOVE", "s", "t", "zz"), ("SMOVE", "s", "s", "2"), ("SADD", "t", "9"),
    ("SINTERSTORE", "d", "s", "t"), ("SUNIONSTORE", "d", "s", "t"), ("SDIFFSTORE", "d", "s", "t"),
    ("SINTERSTORE", "d", "s", "nokey"), ("SADD", "one", "x"), ("SPOP", "one"), ("SPOP", "t", "0"), ("SPOP", "t", "100"),
    ("SADD", "u", "x"), ("SMOVE", "u", "v", "x"),
]


def test_event_names_and_order(events: Events) -> None:
    for cmd in COMMANDS:
        ours, theirs = events.after(*cmd)
        assert ours == theirs, f"{cmd!r}: damselfly {ours!r} != redis {theirs!r}"


def test_served_blocked_client_emits_pop_events(events: Events, server: Any, redis_server: Any) -> None:
    blocked = (RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
    for conn in blocked:
        conn.send(b"BLMOVE src dst LEFT RIGHT 0\r\n")
    time.sleep(0.1)  # let both servers park the client (no timing assertion)
    ours, theirs = events.after("RPUSH", "src", "v")
    assert ours == theirs
    assert [b.read_reply() for b in blocked] == [b"$1\r\nv\r\n"] * 2
    for conn in blocked:
        conn.close()
