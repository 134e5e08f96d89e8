"""Keyspace notifications of the hash, set and SORT ... STORE commands against redis-server.

Each script runs on both servers with a subscriber to every keyspace and
keyevent channel (connection 0) fenced after every step, so each command's
events are compared message for message, in order: which events a command
sends, on which key, how many (none for a no-op), the ``del`` that follows a
type event when the key is emptied, and the class letters that filter them
(``h`` hash, ``s`` set, ``l`` list for ``sortstore``, ``g`` for ``del``).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import pytest

from .test_pubsub import Duo, duo  # noqa: F401  (fixture)

pytestmark = pytest.mark.differential

SUBSCRIBE_ALL = (0, "PSUBSCRIBE", "__key*__:*")


@pytest.fixture
def notify(duo: Callable[..., Duo]) -> Iterator[Callable[..., Duo]]:  # noqa: F811
    """A Duo of a subscriber and a writer, with ``notify-keyspace-events`` set on both servers."""
    made: list[Duo] = []

    def make(classes: str, normalize: Callable[[bytes], bytes] | None = None) -> Duo:
        d = duo(2, normalize)
        made.append(d)
        for side in (d.ours, d.theirs):
            assert side.conns[1].command("CONFIG", "SET", "notify-keyspace-events", classes) == b"+OK\r\n"
        return d

    yield make
    for d in made:  # both servers are shared: switch notifications off again
        for side in (d.ours, d.theirs):
            side.conns[-1].command("CONFIG", "SET", "notify-keyspace-events", "")


def run(d: Duo, steps: list[tuple[Any, ...]]) -> None:
    d.run([SUBSCRIBE_ALL, *steps], fence=[0])


def test_hash_commands(notify) -> None:
    run(notify("KEA"), [
        (1, "HSET", "h", "f1", "1"), (1, "HSET", "h", "f1", "2", "f2", "x"),  # one event, new fields or not
        (1, "HSETNX", "h", "f1", "3"), (1, "HSETNX", "h", "f3", "3"),  # an existing field: no event
        (1, "HMSET", "h", "f4", "4"), (1, "HINCRBY", "h", "f1", "5"), (1, "HINCRBY", "h", "n", "-1"),
        (1, "HINCRBYFLOAT", "h", "f1", "0.5"), (1, "HINCRBYFLOAT", "h", "m", "1e2"),
        (1, "HINCRBY", "h", "f2", "1"), (1, "HINCRBYFLOAT", "h", "f2", "1"),  # errors: no event
        (1, "HDEL", "h", "nofield"), (1, "HDEL", "nokey", "f1"),  # nothing removed: no event
        (1, "HDEL", "h", "f1", "f2", "nofield"),  # one hdel for several fields
        (1, "HGET", "h", "f3"), (1, "HGETALL", "h"), (1, "HLEN", "h"), (1, "HSTRLEN", "h", "f3"),
        (1, "HEXISTS", "h", "f3"), (1, "HKEYS", "h"),
        (1, "HDEL", "h", "f3", "f4", "n", "m"),  # emptied: hdel, then del
        (1, "EXISTS", "h"), (1, "SET", "str", "v"), (1, "HSET", "str", "f", "v"),  # WRONGTYPE: no event
        (1, "SELECT", "9"), (1, "HSET", "h9", "a", "1"), (1, "HDEL", "h9", "a"), (1, "SELECT", "0"),
    ])


def _any_member(frame: bytes) -> bytes:
    """SPOP and SRANDMEMBER pick at random: the members m1..m4 compare as one (no key has such a name)."""
    return re.sub(rb"\$2\r\nm[1-4]\r\n", b"$2\r\nm?\r\n", frame)


def test_set_commands(notify) -> None:
    run(notify("KEA", _any_member), [
        (1, "SADD", "s", "a", "b", "c"), (1, "SADD", "s", "a"), (1, "SADD", "s", "a", "d"),  # a no-op: no event
        (1, "SREM", "s", "zz"), (1, "SREM", "nokey", "a"), (1, "SREM", "s", "a", "zz"),
        (1, "SISMEMBER", "s", "b"), (1, "SMISMEMBER", "s", "b", "q"), (1, "SCARD", "s"),
        (1, "SMOVE", "s", "t", "zz"), (1, "SMOVE", "s", "s", "b"),  # absent member, same key: no events
        (1, "SMOVE", "s", "t", "b"), (1, "SMOVE", "s", "t", "b"),  # srem on s, sadd on t; then nothing
        (1, "SADD", "t", "c"), (1, "SMOVE", "s", "t", "c"),  # c already in t: srem only
        (1, "SADD", "one", "x"), (1, "SMOVE", "one", "t", "x"),  # source emptied: srem, del, then sadd
        (1, "SPOP", "nokey"), (1, "SPOP", "nokey", "3"), (1, "SPOP", "t", "0"),  # no events
        (1, "SADD", "p", "only"), (1, "SPOP", "p"),  # the last member: spop, then del
        (1, "SADD", "p", "m1", "m2", "m3", "m4"), (1, "SRANDMEMBER", "p", "-5"),
        (1, "SPOP", "p", "2"),  # one spop for a count
        (1, "SPOP", "p", "10"),  # the whole set: spop, then del
        (1, "SREM", "t", "b", "c", "d", "x"),  # emptied: srem, then del
        (1, "SET", "str", "v"), (1, "SADD", "str", "a"), (1, "SMOVE", "s", "str", "d"),  # errors: no events
    ])


def test_set_store_commands(notify) -> None:
    run(notify("KEA"), [
        (1, "SADD", "a", "1", "2", "3"), (1, "SADD", "b", "2", "3", "4"), (1, "SADD", "c", "9"),
        (1, "SINTERSTORE", "d", "a", "b"), (1, "SUNIONSTORE", "d", "a", "b"), (1, "SDIFFSTORE", "d", "a", "b"),
        (1, "SINTERSTORE", "d", "a", "c"),  # an empty result over an existing key: del
        (1, "SINTERSTORE", "d", "a", "c"), (1, "SDIFFSTORE", "e", "c", "c"),  # empty over nothing: no event
        (1, "SUNIONSTORE", "a", "a", "c"),  # the destination among the sources
        (1, "SET", "str", "v"), (1, "SUNIONSTORE", "str", "a"),  # over a string: the store's event only
        (1, "SINTERSTORE", "d", "str", "a"),  # WRONGTYPE: no event
        (1, "SINTERCARD", "2", "a", "b"),  # a read: no event
        (1, "SELECT", "3"), (1, "SADD", "x", "1"), (1, "SUNIONSTORE", "y", "x"), (1, "FLUSHDB"), (1, "SELECT", "0"),
    ])


def test_sort_store(notify) -> None:
    run(notify("KEA"), [
        (1, "RPUSH", "l", "3", "1", "2"), (1, "SORT", "l", "STORE", "out"), (1, "SORT", "l", "DESC", "STORE", "out"),
        (1, "SADD", "s", "b", "a"), (1, "SORT", "s", "ALPHA", "STORE", "out"),
        (1, "MSET", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "x", "o_2", "y"),
        (1, "SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#", "STORE", "out2"),
        (1, "SORT", "l", "LIMIT", "5", "10", "STORE", "out"),  # an empty result over an existing key: del
        (1, "SORT", "l", "LIMIT", "5", "10", "STORE", "out"), (1, "SORT", "nokey", "STORE", "new"),  # no event
        (1, "SORT", "l", "STORE", "l"),  # the source is its own destination
        (1, "SORT", "l"), (1, "SORT_RO", "l"),  # no store: no event
        (1, "SORT", "s", "STORE", "out"),  # an error (not numbers): no event
    ])


def test_class_letters_filter_these_events(notify) -> None:
    d = notify("Kh")
    run(d, [
        (1, "HSET", "h", "f", "1"), (1, "SADD", "s", "a"), (1, "HDEL", "h", "f"),  # hdel only: del is g
        (1, "CONFIG", "SET", "notify-keyspace-events", "Es"),
        (1, "HSET", "h", "f", "1"), (1, "SADD", "s", "b"), (1, "SREM", "s", "a", "b"), (1, "SUNIONSTORE", "u", "h2"),
        (1, "SADD", "s", "a"), (1, "SINTERSTORE", "u", "s"), (1, "SORT", "s", "ALPHA", "STORE", "o"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "El"),
        (1, "SORT", "s", "ALPHA", "STORE", "o"), (1, "SPOP", "s"), (1, "SORT", "s", "ALPHA", "STORE", "o"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Eg"),
        (1, "HDEL", "h", "f"), (1, "SADD", "s", "z"), (1, "SPOP", "s", "5"), (1, "SORT", "s", "STORE", "o"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "KA"),
        (1, "HSET", "h", "f", "1"), (1, "SADD", "s", "a"), (1, "SORT", "s", "ALPHA", "STORE", "o"), (1, "DEL", "h"),
    ])


def test_resp3_subscriber_gets_its_own_events_before_the_reply(notify) -> None:
    """Commands that notify before they add their reply in Redis: the pushes precede the reply."""
    d = notify("KEA")
    d.run([
        (0, "HELLO", "3"), (0, "PSUBSCRIBE", "__keyevent@0__:*"),
        (1, "HSET", "h", "f", "1", "g", "2"), (0, "HDEL", "h", "f"), (0, "HDEL", "h", "g"),  # hdel; hdel, del
        (0, "SADD", "s", "a", "b", "c"), (0, "SREM", "s", "c"), (0, "SMOVE", "s", "t", "b"),
        (0, "SADD", "s", "a"), (0, "SORT", "s", "ALPHA", "STORE", "o"), (0, "SINTERSTORE", "o", "nokey"),
        (0, "SORT", "nokey", "STORE", "t"), (1, "SADD", "s", "b"),
    ], fence=[0])


# Redis adds these commands' replies before it notifies (and SPOP's reply between its spop and
# its del), so a RESP3 client's own events follow the reply (tests/differential/test_own_event_order.py
# covers every write command).
@pytest.mark.parametrize("setup, command", [
    ((), ("HSET", "h", "f", "1")), ((), ("HSETNX", "h", "f", "1")), ((), ("HMSET", "h", "f", "1")),
    ((), ("HINCRBY", "h", "f", "1")), ((), ("HINCRBYFLOAT", "h", "f", "1.5")),
    (("SADD", "a", "1"), ("SINTERSTORE", "d", "a")), (("SADD", "a", "1"), ("SUNIONSTORE", "d", "a")),
    (("SADD", "a", "1"), ("SDIFFSTORE", "d", "a")), (("SADD", "a", "1"), ("SPOP", "a")),
], ids=["hset", "hsetnx", "hmset", "hincrby", "hincrbyfloat", "sinterstore", "sunionstore", "sdiffstore", "spop"])
def test_resp3_subscriber_gets_its_own_event_after_a_reply_first_command(notify, setup, command) -> None:
    d = notify("KEA")
    steps: list[tuple[Any, ...]] = [(0, "HELLO", "3"), (0, "PSUBSCRIBE", "__keyevent@0__:*")]
    if setup:
        steps.append((1, *setup))
    d.run([*steps, (0, *command)], fence=[0])
