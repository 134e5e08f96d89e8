"""Keyspace notifications against redis-server (strings and generic keys), message for message."""
from __future__ import annotations

import pytest

from .test_pubsub import duo  # noqa: F401  (fixture)

pytestmark = pytest.mark.differential


@pytest.fixture
def notify(duo):  # noqa: F811
    made = []

    def make(n: int):
        d = duo(n)
        made.append(d)
        return d

    yield make
    for d in made:  # both servers are shared: switch notifications off again
        for side in (d.ours, d.theirs):
            side.conns[-1].command("CONFIG", "SET", "notify-keyspace-events", "")


def test_classes_keyspace_keyevent_and_config(notify) -> None:
    d = notify(2)
    d.run([
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEA"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (0, "PSUBSCRIBE", "__key*__:*"), (1, "SET", "a", "1"), (1, "DEL", "a"), (1, "DEL", "zz"),
        (1, "SET", "b", "1"), (1, "EXPIRE", "b", "100"), (1, "PERSIST", "b"), (1, "RENAME", "b", "c"),
        (1, "SELECT", "3"), (1, "SET", "c", "x"), (1, "APPEND", "c", "y"), (1, "INCR", "n"), (1, "INCRBY", "n", "2"),
        (1, "SETRANGE", "c", "1", "zz"), (1, "FLUSHALL"), (1, "SELECT", "0"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Km"), (1, "GET", "nokey"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "E$"), (1, "SET", "q", "1"), (1, "INCR", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Eg"), (1, "SET", "q", "1"), (1, "PEXPIRE", "q", "1"),
        ("sleep", 0.2), (1, "GET", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Ex"), (1, "SET", "q", "1"), (1, "PEXPIRE", "q", "1"),
        ("sleep", 0.2), (1, "GET", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "nm$"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "An"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "q"),
        (1, "CONFIG", "SET", "notify-keyspace-events", ""),
    ], fence=[0])


def test_resp3_subscriber_gets_its_own_events_before_its_reply(notify) -> None:
    d = notify(1)
    d.run([(0, "CONFIG", "SET", "notify-keyspace-events", "KE$g"), (0, "HELLO", "3"),
           (0, "SUBSCRIBE", "__keyspace@0__:mine", "__keyevent@0__:del"), (0, "SET", "mine", "1"),
           (0, "DEL", "mine"), (0, "CONFIG", "SET", "notify-keyspace-events", "")], fence=[0])


# -- the "new" event (flag n): Redis's dbAdd, on every key creation -----------------------------

_DUMPED_V = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"  # DUMP of the string "v" (both servers)

_CREATIONS = [
    # strings and generic: new only when the key did not exist, before the command's own event
    ("SET", "a", "1"), ("SET", "a", "2"), ("SET", "x", "1", "NX"), ("SET", "y", "1", "XX"),
    ("SET", "z", "1", "GET", "EX", "100"), ("SET", "z", "2", "GET", "EX", "100"), ("GETSET", "gs", "1"),
    ("SETNX", "nx", "1"), ("SETNX", "nx", "2"), ("SETEX", "se", "100", "v"), ("PSETEX", "pse", "100000", "v"),
    ("MSET", "m1", "1", "m2", "2", "m1", "3"), ("MSETNX", "n1", "1", "n2", "2"), ("MSETNX", "n1", "1", "n3", "3"),
    ("INCR", "i"), ("INCR", "i"), ("INCRBY", "i2", "5"), ("DECR", "d"), ("DECRBY", "d2", "3"),
    ("INCRBYFLOAT", "f", "1.5"), ("APPEND", "ap", "x"), ("APPEND", "ap", "y"),
    ("SETRANGE", "sr", "3", "ab"), ("SETRANGE", "sr0", "0", ""), ("SETRANGE", "sr", "0", "z"),
    # hashes, lists, sets, sorted sets
    ("HSET", "h", "f", "v"), ("HSET", "h", "g", "v"), ("HSETNX", "h2", "f", "v"), ("HINCRBY", "h3", "f", "1"),
    ("HINCRBYFLOAT", "h4", "f", "1.5"), ("HMSET", "h5", "a", "1"),
    ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l2", "a"), ("LPUSHX", "l3", "a"), ("RPUSHX", "l3", "a"),
    ("LMOVE", "l", "lm", "LEFT", "RIGHT"), ("LMOVE", "l", "lm", "LEFT", "RIGHT"), ("RPOPLPUSH", "l2", "rpl"),
    ("LMOVE", "lm", "lm", "LEFT", "RIGHT"), ("BLMOVE", "l", "blm", "LEFT", "LEFT", "0"),
    ("BRPOPLPUSH", "blm", "brl", "0"),
    ("SADD", "s", "a", "b", "c"), ("SADD", "s", "d"), ("SMOVE", "s", "sm", "a"), ("SMOVE", "s", "sm", "b"),
    ("SMOVE", "sm", "sm", "a"), ("SADD", "s1", "a", "b"), ("SADD", "s2", "b", "c"),
    ("SINTERSTORE", "si", "s1", "s2"), ("SUNIONSTORE", "su", "s1", "s2"), ("SDIFFSTORE", "sd", "s1", "s2"),
    ("SUNIONSTORE", "su", "s1"), ("SINTERSTORE", "sie", "s1", "nokey"),
    ("ZADD", "z1", "1", "a"), ("ZADD", "z1", "2", "b"), ("ZADD", "zx", "XX", "1", "a"), ("ZINCRBY", "zi", "1", "a"),
    ("ZADD", "zn", "INCR", "1", "a"), ("ZUNIONSTORE", "zu", "1", "z1"), ("ZINTERSTORE", "zint", "2", "z1", "zi"),
    ("ZDIFFSTORE", "zd", "1", "z1"), ("ZRANGESTORE", "zr", "z1", "0", "-1"), ("ZRANGESTORE", "zr", "z1", "0", "0"),
    ("ZRANGESTORE", "zre", "z1", "5", "6"),
    # bitmaps and HyperLogLog: SETBIT of a 0 bit and a failed BITFIELD INCRBY still create the key
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "9", "1"), ("SETBIT", "b0", "0", "0"),
    ("BITFIELD", "bf", "SET", "u8", "0", "5"), ("BITFIELD", "bf2", "GET", "u8", "0"),
    ("BITFIELD", "bf3", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"), ("EXISTS", "bf2", "bf3"),
    ("BITOP", "AND", "bo", "b", "b0"), ("BITOP", "OR", "bo", "b"), ("BITOP", "OR", "boe", "nokey"),
    ("PFADD", "p", "a"), ("PFADD", "p0"), ("PFADD", "p", "b"), ("PFMERGE", "pm", "p"), ("PFMERGE", "pm", "p"),
    ("PFMERGE", "pm2"),
    # destinations: SORT STORE, RENAME (new even over an existing key), COPY, MOVE, RESTORE
    ("RPUSH", "sortme", "3", "1", "2"), ("SORT", "sortme", "STORE", "so"), ("SORT", "sortme", "STORE", "so"),
    ("SORT", "nokey", "STORE", "soe"),
    ("SET", "r", "1"), ("RENAME", "r", "r2"), ("SET", "r3", "x"), ("RENAME", "r2", "r3"), ("RENAMENX", "r3", "r4"),
    ("SET", "r5", "y"), ("RENAMENX", "r4", "r5"), ("RENAME", "r4", "r4"),
    ("COPY", "r4", "c1"), ("COPY", "r4", "c1"), ("COPY", "r4", "c1", "REPLACE"), ("COPY", "r4", "c9", "DB", "1"),
    ("MOVE", "r4", "2"), ("MOVE", "r5", "2"), ("SET", "r5", "z"), ("MOVE", "r5", "2"),
    ("RESTORE", "rs", "0", _DUMPED_V), ("RESTORE", "rs", "0", _DUMPED_V, "REPLACE"),
    ("RESTORE", "rs2", "1", _DUMPED_V, "ABSTTL"),
    ("SELECT", "2"), ("SET", "r4", "again"), ("HSET", "h2db", "f", "v"), ("SELECT", "0"),
]


def test_new_event_on_every_creation_path(notify) -> None:
    d = notify(2)
    d.run([(1, "CONFIG", "SET", "notify-keyspace-events", "KEAn"), (0, "PSUBSCRIBE", "__key*__:*")]
          + [(1, *cmd) for cmd in _CREATIONS], fence=[0])


def test_new_event_after_expiry_and_by_flags(notify) -> None:
    """A SET over an expired key reports expired, new, set; ``A`` leaves n out; n needs K or E."""
    d = notify(2)
    d.run([
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEAn"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (0, "PSUBSCRIBE", "__key*__:*"),
        # one expiring key at a time: the order of two reclaimed by the active cycles is each server's own
        (1, "SET", "t", "1", "PX", "250"), ("sleep", 0.5), (1, "SET", "t", "2"),
        (1, "SET", "u", "1", "PX", "250"), ("sleep", 0.5), (1, "SET", "u", "3", "KEEPTTL"), (1, "PTTL", "u"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEA"), (1, "SET", "k1", "1"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "Kn"), (1, "SET", "k2", "1"), (1, "HSET", "k3", "f", "v"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "En"), (1, "SET", "k4", "1"), (1, "DEL", "k4"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "n"), (1, "SET", "k5", "1"),
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEn$"), (1, "CONFIG", "GET", "notify-keyspace-events"),
        (1, "SET", "k6", "1"), (1, "LPUSH", "k7", "a"),
        (1, "CONFIG", "SET", "notify-keyspace-events", ""), (1, "SET", "k8", "1"),
    ], fence=[0])


def test_new_event_is_not_a_change_for_watch_or_tracking(notify) -> None:
    """BITFIELD ... OVERFLOW FAIL creates its key and changes nothing else: EXEC runs, no invalidation.

    The key's later SET is one change: one invalidation push, not two.
    """
    d = notify(3)
    d.run([
        (1, "CONFIG", "SET", "notify-keyspace-events", "KEAn"), (0, "PSUBSCRIBE", "__key*__:*"),
        (2, "HELLO", "3"), (2, "CLIENT", "TRACKING", "on"), (2, "GET", "w"), (2, "WATCH", "w"),
        (1, "BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"),
        (2, "MULTI"), (2, "EXISTS", "w"), (2, "EXEC"),
        (2, "GET", "v"), (1, "SET", "v", "1"), (2, "GET", "v"), (1, "DEL", "v"), (1, "SET", "v", "2"),
    ], fence=[0, 2])
