"""WATCH across FLUSHDB / FLUSHALL / SWAPDB, against redis-server.

Redis touches only watched keys that exist in the emptied database or in the
one replacing it (``touchAllWatchedKeysInDb``): a transaction watching a key
absent from both still runs.
"""
from __future__ import annotations

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
