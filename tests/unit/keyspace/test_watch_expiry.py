"""An expiry is a change for WATCH (Redis's signalModifiedKey on expiry), on a manual clock.

Whichever way the key goes (the active cycle, another client's read, or
EXEC's own look at its watched keys), EXEC after it answers a null array.
A key already gone when WATCH ran, or one still alive at EXEC, is no change.
"""
from __future__ import annotations

from typing import Any

import pytest

from damselfly.protocol.reply import NULL_ARRAY, OK

from ..state_harness import Harness


@pytest.fixture
def h() -> Harness:
    return Harness(save="")


def _watch_then(h: Harness, ttl_ms: int, advance_ms: int, between: str) -> Any:
    """SET k PX ttl; WATCH k; MULTI; INCR n; time passes; ``between`` happens; EXEC."""
    watcher, other = h.connect(), h.connect()
    h.call(other, "SET", "k", "v", "PX", str(ttl_ms))
    assert h.call(watcher, "WATCH", "k") is OK
    h.call(watcher, "MULTI")
    h.call(watcher, "INCR", "n")
    h.clock.advance(advance_ms)
    if between == "cycle":
        assert h.state.keyspace.active_expire_cycle() == (1 if advance_ms >= ttl_ms else 0)
    elif between == "read":
        h.call(other, "GET", "k")
    return h.call(watcher, "EXEC")


@pytest.mark.parametrize("between", ["nothing", "cycle", "read"])
def test_expiry_of_a_watched_key_aborts_exec(h: Harness, between: str) -> None:
    assert _watch_then(h, 100, 100, between) is NULL_ARRAY
    assert h.call(h.connect(), "GET", "n") is None  # the queued INCR never ran


@pytest.mark.parametrize("between", ["nothing", "cycle", "read"])
def test_a_watched_key_still_alive_at_exec_is_no_change(h: Harness, between: str) -> None:
    assert _watch_then(h, 100, 99, between) == [1]


def test_a_key_expired_before_watch_is_no_change(h: Harness) -> None:
    watcher, other = h.connect(), h.connect()
    h.call(other, "SET", "k", "v", "PX", "100")
    h.clock.advance(100)  # due, not yet reclaimed: WATCH sees it gone
    h.call(watcher, "WATCH", "k")
    h.state.keyspace.active_expire_cycle()
    h.call(watcher, "MULTI")
    h.call(watcher, "INCR", "n")
    assert h.call(watcher, "EXEC") == [1]


def test_expiry_in_another_database_is_no_change(h: Harness) -> None:
    watcher, other = h.connect(), h.connect()
    h.call(other, "SELECT", "1")
    h.call(other, "SET", "k", "v", "PX", "100")
    h.call(watcher, "SET", "k", "v")
    h.call(watcher, "WATCH", "k")
    h.clock.advance(100)
    assert h.state.keyspace.active_expire_cycle() == 1
    h.call(watcher, "MULTI")
    h.call(watcher, "INCR", "n")
    assert h.call(watcher, "EXEC") == [1]
