"""Where a command's reply falls among its own keyspace events, against redis-server.

A RESP3 client subscribed to every keyspace and keyevent notification of
database 0 receives the events of its own writes on its own connection.
Redis 7.0 writes each push into the client's output the moment the command's
C code notifies, so the reply lands before, between or after them depending
on where that code adds it: HSET replies first, SPOP replies between its
``spop`` and the ``del`` of an emptied set, SET replies last. damselfly
declares the first kind ``reply_first`` and marks the second with
``reply_here`` (``commands/registry.py``).

For every write command of the table (:data:`CASES` must name them all), one
or more argument lists run on the same keys on both servers, and every frame
up to a PING fence must be byte-identical. Each case runs under its name in
upper case (the connection's plain branch, for plain commands) and in mixed
case (``execute``, the general branch). Blocking commands take their
non-blocking path (the data is there); :data:`SERVED` checks a blocked
client that a write serves (``resume_blocked``), and a tracking client checks
that its own invalidation still follows the reply and the events. Nothing
here runs inside MULTI: damselfly writes a transaction's events before EXEC's
reply, never inside its array (DESIGN section 3, rule 6).

The ZPOPMIN family is a strict xfail: Redis writes those pushes inside the
array reply (after its header, or between its elements), which rule 6 rules
out; damselfly sends them before the reply. Not covered here, as it needs a
key that expires between two commands without the active cycle catching it:
the ``expired`` event of a key that a ``reply_first`` command's lookup finds
expired precedes the reply in Redis and follows it in damselfly (a strict
xfail in tests/unit/net/test_plain_path.py).
"""
from __future__ import annotations

import time
from typing import Any, Iterator, Sequence

import pytest

from damselfly.commands import build_table

from ..resp import RawConnection, encode_command
from .test_hostile_table import SETUP as HOSTILE_SETUP

pytestmark = pytest.mark.differential

Args = tuple[str | bytes, ...]

#: The hostile tables' keys of every type, plus a TTL on "e" (PERSIST, GETEX PERSIST).
SETUP: tuple[Args, ...] = (*HOSTILE_SETUP, ("EXPIRE", "e", "100000"))

#: DUMP of the string "hello world" in Redis 7.0 (RDB version 10, with its CRC64).
DUMP_HELLO = b"\x00\x0bhello world\n\x00\x0b\xfcI\xb9\xa6\xc7\xa04"

FENCE = encode_command("PING", "fence")
FENCE_REPLY = b"$5\r\nfence\r\n"

#: Write command -> argument lists run one at a time on a fresh SETUP. Where a
#: command's events depend on what it does (emptying a key, a deadline in the
#: past, a store of nothing over a key, GET), both ways are listed.
CASES: dict[str, list[Args]] = {
    # strings
    "set": [("SET", "s", "x"), ("SET", "s", "x", "GET", "EX", "100"), ("SET", "new", "x", "NX", "GET"),
            ("SET", "s", "x", "NX", "GET"), ("SET", "s", "y", "KEEPTTL")],
    "setnx": [("SETNX", "new", "x")],
    "setex": [("SETEX", "s", "100", "x")],
    "psetex": [("PSETEX", "s", "100000", "x")],
    "getset": [("GETSET", "s", "x"), ("GETSET", "new", "x")],
    "getdel": [("GETDEL", "s")],
    "getex": [("GETEX", "s", "EX", "100"), ("GETEX", "e", "PERSIST"), ("GETEX", "s", "PXAT", "1")],
    "mset": [("MSET", "s", "x", "new", "y")],
    "msetnx": [("MSETNX", "new", "x", "new2", "y")],
    "append": [("APPEND", "s", "x"), ("APPEND", "new", "x")],
    "setrange": [("SETRANGE", "s", "0", "x"), ("SETRANGE", "new", "2", "x")],
    "incr": [("INCR", "n")],
    "decr": [("DECR", "n")],
    "incrby": [("INCRBY", "n", "5")],
    "decrby": [("DECRBY", "n", "5")],
    "incrbyfloat": [("INCRBYFLOAT", "n", "1.5")],
    # bitmaps, hyperloglog
    "setbit": [("SETBIT", "b", "3", "1"), ("SETBIT", "newb", "7", "1")],
    "bitfield": [("BITFIELD", "b", "SET", "u8", "0", "255"), ("BITFIELD", "newbf", "INCRBY", "u8", "0", "1")],
    "bitop": [("BITOP", "AND", "dst", "s", "n"), ("BITOP", "AND", "s", "missing")],
    "pfadd": [("PFADD", "hll", "x"), ("PFADD", "newhll")],
    "pfmerge": [("PFMERGE", "hll2", "hll")],
    # generic
    "del": [("DEL", "s", "l", "missing")],
    "unlink": [("UNLINK", "s", "l")],
    "copy": [("COPY", "s", "s2"), ("COPY", "l", "s", "REPLACE")],
    "rename": [("RENAME", "s", "s3"), ("RENAME", "s", "s")],
    "renamenx": [("RENAMENX", "s", "s3")],
    "move": [("MOVE", "s", "1")],
    "expire": [("EXPIRE", "s", "100"), ("EXPIRE", "s", "-1")],
    "pexpire": [("PEXPIRE", "s", "100000"), ("PEXPIRE", "s", "-1")],
    "expireat": [("EXPIREAT", "s", "99999999999"), ("EXPIREAT", "s", "1")],
    "pexpireat": [("PEXPIREAT", "s", "99999999999000"), ("PEXPIREAT", "s", "1")],
    "persist": [("PERSIST", "e")],
    "restore": [("RESTORE", "r", "0", DUMP_HELLO), ("RESTORE", "s", "0", DUMP_HELLO, "REPLACE")],
    "sort": [("SORT", "l", "ALPHA", "STORE", "out"), ("SORT", "missing", "STORE", "s")],
    "flushall": [("FLUSHALL",)],
    "flushdb": [("FLUSHDB",)],
    "swapdb": [("SWAPDB", "0", "1")],
    # hashes
    "hset": [("HSET", "h", "f", "x", "g", "y"), ("HSET", "new", "f", "x")],
    "hmset": [("HMSET", "h", "f", "x")],
    "hsetnx": [("HSETNX", "h", "new", "x")],
    "hincrby": [("HINCRBY", "h", "num", "1")],
    "hincrbyfloat": [("HINCRBYFLOAT", "h", "fl", "1")],
    "hdel": [("HDEL", "h", "f"), ("HDEL", "h1", "only")],
    # lists
    "lpush": [("LPUSH", "l", "x"), ("LPUSH", "new", "x", "y")],
    "rpush": [("RPUSH", "l", "x"), ("RPUSH", "new", "x")],
    "lpushx": [("LPUSHX", "l", "x")],
    "rpushx": [("RPUSHX", "l", "x")],
    "lpop": [("LPOP", "l"), ("LPOP", "l1")],
    "rpop": [("RPOP", "l", "2"), ("RPOP", "l1")],
    "lmpop": [("LMPOP", "1", "l", "LEFT", "COUNT", "2"), ("LMPOP", "2", "missing", "l1", "RIGHT")],
    "blpop": [("BLPOP", "l", "0"), ("BLPOP", "l1", "0")],
    "brpop": [("BRPOP", "missing", "l", "0"), ("BRPOP", "l1", "0")],
    "blmpop": [("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2"), ("BLMPOP", "0", "1", "l1", "LEFT")],
    "lmove": [("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMOVE", "l1", "l", "LEFT", "LEFT")],
    "rpoplpush": [("RPOPLPUSH", "l", "l2"), ("RPOPLPUSH", "l1", "l1")],
    "blmove": [("BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"), ("BLMOVE", "l1", "l2", "LEFT", "RIGHT", "0")],
    "brpoplpush": [("BRPOPLPUSH", "l", "l2", "0"), ("BRPOPLPUSH", "l1", "l1x", "0")],
    "lset": [("LSET", "l", "0", "x")],
    "linsert": [("LINSERT", "l", "BEFORE", "b", "x")],
    "lrem": [("LREM", "l", "0", "b"), ("LREM", "l1", "0", "only")],
    "ltrim": [("LTRIM", "l", "1", "-2"), ("LTRIM", "l", "5", "1")],
    # sets (SPOP on one-member sets: its pick is random)
    "sadd": [("SADD", "st", "x"), ("SADD", "new", "x")],
    "srem": [("SREM", "st", "a"), ("SREM", "st1", "only")],
    "smove": [("SMOVE", "st", "st2", "a"), ("SMOVE", "st1", "st", "only")],
    "spop": [("SPOP", "st1"), ("SPOP", "st1", "5"), ("SPOP", "sti", "0")],
    # the stores: a result, an empty result over a key, and a missing source over a key
    "sinterstore": [("SINTERSTORE", "d", "st", "sti"), ("SINTERSTORE", "d", "st", "st"),
                    ("SINTERSTORE", "s", "sti", "st"), ("SINTERSTORE", "s", "st", "missing")],
    "sunionstore": [("SUNIONSTORE", "d", "st", "st1"), ("SUNIONSTORE", "s", "missing", "missing2")],
    "sdiffstore": [("SDIFFSTORE", "d", "st", "sti"), ("SDIFFSTORE", "s", "sti", "sti"),
                   ("SDIFFSTORE", "s", "missing", "st")],
    # sorted sets
    "zadd": [("ZADD", "z", "5", "a"), ("ZADD", "new", "1", "x"), ("ZADD", "z", "INCR", "1", "a")],
    "zincrby": [("ZINCRBY", "z", "1", "a")],
    "zrem": [("ZREM", "z", "a"), ("ZREM", "z1", "only")],
    "zremrangebylex": [("ZREMRANGEBYLEX", "zl", "[a", "[b"), ("ZREMRANGEBYLEX", "z1", "-", "+")],
    "zremrangebyrank": [("ZREMRANGEBYRANK", "z", "0", "1"), ("ZREMRANGEBYRANK", "z1", "0", "-1")],
    "zremrangebyscore": [("ZREMRANGEBYSCORE", "z", "1", "2"), ("ZREMRANGEBYSCORE", "z1", "-inf", "+inf")],
    "zunionstore": [("ZUNIONSTORE", "d", "2", "z", "z1"), ("ZUNIONSTORE", "s", "1", "missing")],
    "zinterstore": [("ZINTERSTORE", "d", "2", "z", "zl"), ("ZINTERSTORE", "s", "2", "z", "st1"),
                    ("ZINTERSTORE", "s", "2", "z", "missing")],
    "zdiffstore": [("ZDIFFSTORE", "d", "2", "z", "z1"), ("ZDIFFSTORE", "s", "1", "missing"),
                   ("ZDIFFSTORE", "s", "2", "missing", "z")],
    "zrangestore": [("ZRANGESTORE", "d", "z", "0", "-1"), ("ZRANGESTORE", "s", "z", "5", "9"),
                    ("ZRANGESTORE", "s", "missing", "0", "-1")],
    "zpopmin": [("ZPOPMIN", "z"), ("ZPOPMIN", "z1")],
    "zpopmax": [("ZPOPMAX", "z", "2"), ("ZPOPMAX", "z1")],
    "zmpop": [("ZMPOP", "1", "z", "MIN", "COUNT", "2"), ("ZMPOP", "1", "z1", "MAX")],
    "bzpopmin": [("BZPOPMIN", "z", "0"), ("BZPOPMIN", "z1", "0")],
    "bzpopmax": [("BZPOPMAX", "missing", "z", "0"), ("BZPOPMAX", "z1", "0")],
    "bzmpop": [("BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"), ("BZMPOP", "0", "1", "z1", "MAX")],
}

#: Commands whose pushes Redis writes inside their array reply.
INSIDE_THE_REPLY = frozenset({"zpopmin", "zpopmax", "zmpop", "bzpopmin", "bzpopmax", "bzmpop"})
_INSIDE = pytest.mark.xfail(strict=True, reason="Redis writes these pushes inside the array reply; "
                                                "damselfly never puts a push inside a reply (rule 6)")


def _mixed_case(name: str | bytes) -> str | bytes:
    """``hSeT``: a name in neither lower nor upper case misses the plain branch's lookup."""
    if isinstance(name, bytes):
        return name
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))


def _params() -> list[Any]:
    out = []
    for name, arg_lists in CASES.items():
        for i, args in enumerate(arg_lists):
            for branch in ("plain", "general"):
                marks = (_INSIDE,) if name in INSIDE_THE_REPLY else ()
                out.append(pytest.param(args, branch, id=f"{name}-{i}-{branch}", marks=marks))
    return out


class Own:
    """One RESP3 connection per server, subscribed to every event of database 0."""

    def __init__(self, server: Any, redis_server: Any) -> None:
        self.conns = [RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port)]
        for conn in self.conns:
            conn.command("HELLO", "3")
            conn.command("PSUBSCRIBE", "__keyspace@0__:*")
            conn.command("PSUBSCRIBE", "__keyevent@0__:*")

    @staticmethod
    def prepare(conn: RawConnection, setup: Sequence[Args]) -> None:
        """Fresh keys, written while notifications are off, then notifications on (KEA)."""
        assert conn.command("CONFIG", "SET", "notify-keyspace-events", "") == b"+OK\r\n"
        conn.command("FLUSHALL")
        for args in setup:
            assert not conn.command(*args).startswith(b"-"), args
        assert conn.command("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"

    @staticmethod
    def until_fence(conn: RawConnection) -> list[bytes]:
        """Every frame the connection gets before the reply to the PING fence sent after the command."""
        frames = []
        while True:
            frame = conn.read_reply()
            if frame == FENCE_REPLY:
                return frames
            frames.append(frame)

    def run(self, args: Args, setup: Sequence[Args] = SETUP) -> list[list[bytes]]:
        """``args`` on each server, sent with the fence in one write; the frames each one got."""
        seen = []
        for conn in self.conns:
            self.prepare(conn, setup)
            conn.send(encode_command(*args) + FENCE)
            seen.append(self.until_fence(conn))
        return seen

    def close(self) -> None:
        for conn in self.conns:
            conn.command("CONFIG", "SET", "notify-keyspace-events", "")  # both servers are shared
            conn.close()


@pytest.fixture
def own(server, redis_server) -> Iterator[Own]:
    o = Own(server, redis_server)
    yield o
    o.close()


def _shape(frames: list[bytes]) -> str:
    """One word per frame for assertion messages: ``reply``, ``event:NAME`` (keyevent), ``-`` (keyspace)."""
    words = []
    for frame in frames:
        if frame.startswith(b">4\r\n$8\r\npmessage\r\n$16\r\n__keyevent"):
            words.append("event:" + frame.split(b"\r\n")[6].split(b":", 1)[1].decode(errors="replace"))
        else:
            words.append("-" if frame.startswith(b">") else "reply")
    return " ".join(words)


def test_every_write_command_has_a_case() -> None:
    writes = {spec.full_name for spec in build_table().all_specs() if spec.is_write}
    assert writes - set(CASES) == set(), "write commands without a case here"
    assert set(CASES) - writes == set(), "cases for commands that are not write commands"


@pytest.mark.parametrize("args, branch", _params())
def test_reply_among_own_events(own: Own, args: Args, branch: str) -> None:
    if branch == "general":
        args = (_mixed_case(args[0]), *args[1:])
    ours, theirs = own.run(args)
    assert ours == theirs, f"{args!r}\n damselfly {_shape(ours)}\n redis     {_shape(theirs)}"
    assert any(f[:1] != b">" for f in ours), "the reply is among the frames"


def _until_blocked(conn: RawConnection) -> None:
    """Wait (bounded) until the server counts a blocked client."""
    for _ in range(500):
        if b"blocked_clients:1\r\n" in conn.command("INFO", "clients"):
            return
        time.sleep(0.002)
    raise AssertionError("the client never blocked")


#: (blocking command, write that serves it): the served client's reply and the
#: events of the serving, after the writer's own event (already queued for it).
SERVED: list[Any] = [
    pytest.param(("BLPOP", "q", "0"), ("RPUSH", "q", "x"), id="blpop-emptied"),
    pytest.param(("BRPOP", "q", "0"), ("RPUSH", "q", "x", "y"), id="brpop"),
    pytest.param(("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"), ("RPUSH", "q", "x", "y"), id="blmpop"),
    pytest.param(("BLMOVE", "q", "d", "LEFT", "RIGHT", "0"), ("RPUSH", "q", "x"), id="blmove-emptied"),
    pytest.param(("BRPOPLPUSH", "q", "d", "0"), ("RPUSH", "q", "x", "y"), id="brpoplpush"),
    pytest.param(("BZPOPMIN", "zq", "0"), ("ZADD", "zq", "1", "x"), id="bzpopmin", marks=_INSIDE),
    pytest.param(("BZMPOP", "0", "1", "zq", "MIN"), ("ZADD", "zq", "1", "x", "2", "y"), id="bzmpop", marks=_INSIDE),
]


@pytest.mark.parametrize("blocking, write", SERVED)
def test_served_blocked_client(own: Own, server, redis_server, blocking: Args, write: Args) -> None:
    seen = []
    for conn, srv in zip(own.conns, (server, redis_server)):
        writer = RawConnection(srv.host, srv.port)
        own.prepare(conn, ())
        conn.send(encode_command(*blocking))
        _until_blocked(writer)
        assert not writer.command(*write).startswith(b"-")
        writer.close()
        conn.send(FENCE)
        seen.append(own.until_fence(conn))
    ours, theirs = seen
    assert ours == theirs, f"{blocking!r}\n damselfly {_shape(ours)}\n redis     {_shape(theirs)}"


@pytest.mark.parametrize("setup, read, args", [
    (("HSET", "h", "f", "v"), ("HGET", "h", "f"), ("HSET", "h", "f", "x")),
    (("SADD", "h", "only"), ("SISMEMBER", "h", "only"), ("SPOP", "h")),
    (("SET", "h", "v"), ("GET", "h"), ("SET", "h", "x", "GET")),
    (("SET", "h", "v"), ("GET", "h"), ("SET", "h", "x")),
], ids=["reply-first", "mid-reply", "set-get", "events-first"])
def test_own_invalidation_follows_reply_and_events(own: Own, setup: Args, read: Args, args: Args) -> None:
    """CLIENT TRACKING on the same RESP3 connection: the invalidation of a key the client
    read comes after the reply and after every event of the write. (Tracking also sends
    every command through ``execute``.)"""
    seen = []
    for conn in own.conns:
        own.prepare(conn, [setup])
        assert conn.command("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
        conn.command(*read)
        conn.send(encode_command(*args) + FENCE)
        seen.append(own.until_fence(conn))
        assert conn.command("CLIENT", "TRACKING", "OFF") == b"+OK\r\n"
    ours, theirs = seen
    assert ours == theirs, f"{args!r}\n damselfly {_shape(ours)}\n redis     {_shape(theirs)}"
    assert b"invalidate" in ours[-1]


def test_pipelined_reply_first_commands(own: Own) -> None:
    """Several commands in one read: each reply sits among its own events, none overtakes another's."""
    pipeline = [("HSET", "h", "f", "1"), ("SPOP", "st1"), ("SET", "s", "v"), ("LMOVE", "l", "d", "LEFT", "LEFT"),
                ("hIncrBy", "h", "f", "2"), ("EXPIRE", "s", "100"), ("GETDEL", "s")]
    seen = []
    for conn in own.conns:
        own.prepare(conn, SETUP)
        conn.send(b"".join(encode_command(*args) for args in pipeline) + FENCE)
        seen.append(own.until_fence(conn))
    ours, theirs = seen
    assert ours == theirs, f"damselfly {_shape(ours)}\n redis     {_shape(theirs)}"

