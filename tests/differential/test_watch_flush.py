"""WATCH across FLUSHDB / FLUSHALL / SWAPDB, against redis-server.

Redis touches only watched keys that exist in the emptied database or in the
one replacing it (``touchAllWatchedKeysInDb``): a transaction watching a key
absent from both still runs.
"""
from __future__ import annotations

import time

import pytest

from ..resp import RawConnection

pytestmark = pytest.mark.differential

CASES = [
    ([], 0, "SWAPDB 0 1"),
    (["SELECT 1", "SET k v", "SELECT 0"], 0, "SWAPDB 0 1"),
    (["SET k v"], 0, "SWAPDB 0 1"),
    (["SELECT 2", "SET k v", "SELECT 0"], 0, "SWAPDB 0 1"),
    (["SET k v"], 1, "SWAPDB 0 1"),
    (["SET k v"], 1, "SWAPDB 1 0"),
    (["SET j v"], 0, "FLUSHDB"),
    (["SET k v"], 0, "FLUSHDB"),
    (["SET j v"], 0, "FLUSHALL"),
    (["SET k v"], 0, "FLUSHALL"),
    (["SELECT 1", "SET k v", "SELECT 0"], 0, "FLUSHALL"),
    (["SET k v", "PEXPIRE k 100000"], 0, "SWAPDB 0 3"),
]


def _exec_reply(host: str, port: int, setup: list[str], watch_db: int, action: str) -> bytes:
    other, watcher = RawConnection(host, port), RawConnection(host, port)
    try:
        other.command("FLUSHALL")
        for line in setup:
            other.command(*line.split())
        watcher.command("SELECT", watch_db)
        watcher.command("WATCH", "k")
        watcher.command("MULTI")
        watcher.command("PING")
        other.command(*action.split())
        reply = watcher.command("EXEC")
        other.command("FLUSHALL")
        return reply
    finally:
        other.close()
        watcher.close()


@pytest.mark.parametrize("setup,watch_db,action", CASES)
def test_watch_survives_bulk_changes_that_miss_the_key(server, redis_server, setup, watch_db, action) -> None:
    ours = _exec_reply(server.host, server.port, setup, watch_db, action)
    theirs = _exec_reply(redis_server.host, redis_server.port, setup, watch_db, action)
    assert ours == theirs


# -- expiry is a change: WATCH k; k expires; EXEC -> null array ---------------------------------

def _watch_expiry_setup(host: str, port: int) -> tuple[RawConnection, list[RawConnection]]:
    """Watchers of a (expires, untouched), b (expires, then read by another client) and d (stays).

    Each queues one INCR. c expires at once; it is watched only after it is gone.
    """
    other = RawConnection(host, port)
    other.command("FLUSHALL")
    other.command("SET", "c", "v", "PX", "1")
    other.command("SET", "d", "v", "PX", "100000")
    for key in ("a", "b"):
        other.command("SET", key, "v", "PX", "400")
    watchers = [RawConnection(host, port) for _ in range(3)]
    for conn, key in zip(watchers, ("a", "b", "d")):
        assert conn.command("WATCH", key) == b"+OK\r\n"
        conn.command("MULTI")
        conn.command("INCR", "n:" + key)
    return other, watchers


def test_watch_is_broken_by_expiry(server, redis_server) -> None:
    sides = [(s, *_watch_expiry_setup(s.host, s.port)) for s in (server, redis_server)]
    time.sleep(0.8)  # a and b are due on both servers (c long since)
    replies = []
    for srv, other, (wa, wb, wd) in sides:
        late = RawConnection(srv.host, srv.port)
        late.command("WATCH", "c")  # gone already: its reclaiming later is no change
        late.command("MULTI")
        late.command("INCR", "n:c")
        other.command("GET", "b")
        replies.append((wa.command("EXEC"), wb.command("EXEC"), late.command("EXEC"), wd.command("EXEC"),
                        other.command("MGET", "n:a", "n:b", "n:c", "n:d")))
        other.command("FLUSHALL")
        for conn in (other, wa, wb, wd, late):
            conn.close()
    ours, theirs = replies
    assert ours == theirs == (b"*-1\r\n", b"*-1\r\n", b"*1\r\n:1\r\n", b"*1\r\n:1\r\n",
                              b"*4\r\n$-1\r\n$-1\r\n$1\r\n1\r\n$1\r\n1\r\n")
