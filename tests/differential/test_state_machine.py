"""Hypothesis state machine: strings, generic keys, expiry and MULTI/EXEC/WATCH, damselfly vs redis-server.

Every step sends the same command to both servers and compares the raw
replies. Keys and values come from small pools so commands collide: types
clash (WRONGTYPE), counters overflow, RENAME/COPY/MOVE overwrite, and
transactions are aborted by a second client's writes to a watched key.

Time never decides a reply: TTLs are hundreds of seconds or absolute dates
far away, TTL-like replies are compared by kind only (-2, -1 or positive),
and GT/LT are only used with absolute deadlines (two relative deadlines of
the same length may or may not fall in the same millisecond on each server).
"""
from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from ..resp import RawConnection
from .conftest import _sorted_frame

FAR = 4102444800          # 2100-01-01
KEYS = st.sampled_from(["a", "b", "c", "n", "l", ""])
VALUES = st.sampled_from(["0", "1", "-7", "10", "abc", "", "1.5", "9223372036854775807", "-9223372036854775808",
                          "x" * 50, "007"])
INTS = st.sampled_from(["1", "-1", "5", "0", "9223372036854775807", "-9223372036854775808", "x", "1.0"])
FLOATS = st.sampled_from(["0.1", "-2.5", "1e3", "3", "x", "inf", "1e308", "-0"])
REL_TTL = st.sampled_from(["500", "1000", "2000"])
ABS_TTL = st.sampled_from([str(FAR), str(FAR + 1000), str(FAR + 5000)])
SET_OPTS = st.sampled_from([
    [], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", "1000"], ["PX", "2000000"], ["EXAT", str(FAR)],
    ["PXAT", str(FAR * 1000)], ["NX", "GET"], ["XX", "GET", "EX", "500"], ["KEEPTTL", "GET"],
    ["NX", "XX"], ["EX", "0"], ["EX", "10", "PX", "10"], ["GET", "foo"],
])  # no past EXAT here: the key would linger until either server's active expiry, at its own pace
GETEX_OPTS = st.sampled_from([[], ["PERSIST"], ["EX", "1000"], ["PXAT", str(FAR * 1000)], ["EXAT", "1"],
                              ["EX", "0"], ["PERSIST", "EX", "1"], ["NX"]])
EXPIRE_FLAGS = st.sampled_from([[], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["foo"]])
ABS_FLAGS = st.sampled_from([[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["XX", "LT"]])
TTL_LIKE = re.compile(rb":(\d+)\r\n")


def _ttl_kind(frame: bytes) -> bytes:
    """-2 and -1 are exact; any positive time is just "positive"."""
    return TTL_LIKE.sub(lambda m: b":+\r\n" if int(m.group(1)) > 0 else m.group(0), frame)


class KeyspaceMachine(RuleBasedStateMachine):
    ours: RawConnection
    theirs: RawConnection
    ours2: RawConnection
    theirs2: RawConnection

    @initialize()
    def reset(self) -> None:
        for conn in (self.ours, self.theirs, self.ours2, self.theirs2):
            conn.command("SELECT", "0")
        self.ours.command("FLUSHALL")
        self.theirs.command("FLUSHALL")

    def check(self, *args: Any, unordered: bool = False, ttl: bool = False, second: bool = False) -> bytes:
        ours, theirs = (self.ours2, self.theirs2) if second else (self.ours, self.theirs)
        mine = ours.command(*args)
        ref = theirs.command(*args)
        if unordered:
            mine, ref = _sorted_frame(mine), _sorted_frame(ref)
        if ttl:
            mine, ref = _ttl_kind(mine), _ttl_kind(ref)
        assert mine == ref, f"{args!r}: damselfly {mine!r} != redis {ref!r}"
        return mine

    # -- strings -------------------------------------------------------------------
    @rule(key=KEYS, value=VALUES, opts=SET_OPTS)
    def set(self, key: str, value: str, opts: list[str]) -> None:
        self.check("SET", key, value, *opts)

    @rule(key=KEYS, cmd=st.sampled_from(["GET", "GETDEL", "STRLEN", "INCR", "DECR"]))
    def single_key(self, key: str, cmd: str) -> None:
        self.check(cmd, key)

    @rule(key=KEYS, value=VALUES, cmd=st.sampled_from(["GETSET", "SETNX", "APPEND"]))
    def key_value(self, key: str, value: str, cmd: str) -> None:
        self.check(cmd, key, value)

    @rule(key=KEYS, ttl=REL_TTL, value=VALUES, cmd=st.sampled_from(["SETEX", "PSETEX"]))
    def setex(self, key: str, ttl: str, value: str, cmd: str) -> None:
        self.check(cmd, key, ttl + ("000" if cmd == "PSETEX" else ""), value)

    @rule(key=KEYS, opts=GETEX_OPTS)
    def getex(self, key: str, opts: list[str]) -> None:
        self.check("GETEX", key, *opts)

    @rule(key=KEYS, amount=INTS, cmd=st.sampled_from(["INCRBY", "DECRBY"]))
    def incrby(self, key: str, amount: str, cmd: str) -> None:
        self.check(cmd, key, amount)

    @rule(key=KEYS, amount=FLOATS)
    def incrbyfloat(self, key: str, amount: str) -> None:
        self.check("INCRBYFLOAT", key, amount)

    @rule(key=KEYS, offset=st.integers(-1, 12), value=st.sampled_from(["", "Z", "hello"]))
    def setrange(self, key: str, offset: int, value: str) -> None:
        self.check("SETRANGE", key, offset, value)

    @rule(key=KEYS, start=st.integers(-8, 8), end=st.integers(-8, 8))
    def getrange(self, key: str, start: int, end: int) -> None:
        self.check("GETRANGE", key, start, end)

    @rule(pairs=st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=3), nx=st.booleans())
    def mset(self, pairs: list[tuple[str, str]], nx: bool) -> None:
        self.check("MSETNX" if nx else "MSET", *[x for p in pairs for x in p])

    @rule(keys=st.lists(KEYS, min_size=1, max_size=4))
    def mget(self, keys: list[str]) -> None:
        self.check("MGET", *keys)

    @rule(a=KEYS, b=KEYS, opts=st.sampled_from([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN", "MINMATCHLEN", "1"]]))
    def lcs(self, a: str, b: str, opts: list[str]) -> None:
        self.check("LCS", a, b, *opts)

    @rule(key=KEYS, values=st.lists(VALUES, min_size=1, max_size=2))
    def rpush(self, key: str, values: list[str]) -> None:
        self.check("RPUSH", key, *values)

    # -- generic keys ----------------------------------------------------------------
    @rule(keys=st.lists(KEYS, min_size=1, max_size=3), cmd=st.sampled_from(["DEL", "UNLINK", "EXISTS", "TOUCH"]))
    def multi_key(self, keys: list[str], cmd: str) -> None:
        self.check(cmd, *keys)

    @rule(key=KEYS, cmd=st.sampled_from(["TYPE", "OBJECT ENCODING"]))
    def inspect(self, key: str, cmd: str) -> None:
        self.check(*cmd.split(), key)

    @rule(src=KEYS, dst=KEYS, nx=st.booleans())
    def rename(self, src: str, dst: str, nx: bool) -> None:
        self.check("RENAMENX" if nx else "RENAME", src, dst)

    @rule(src=KEYS, dst=KEYS, opts=st.sampled_from([[], ["REPLACE"], ["DB", "1"], ["DB", "1", "REPLACE"]]))
    def copy(self, src: str, dst: str, opts: list[str]) -> None:
        self.check("COPY", src, dst, *opts)

    @rule(key=KEYS)
    def move(self, key: str) -> None:
        self.check("MOVE", key, "1")

    @rule()
    def other_db(self) -> None:
        self.check("SELECT", "1")
        self.check("KEYS", "*", unordered=True)
        self.check("MGET", "a", "b", "n")
        self.check("PTTL", "a", ttl=True)
        self.check("SELECT", "0")

    @rule()
    def swapdb(self) -> None:
        self.check("SWAPDB", "0", "1")

    @rule()
    def whole_db(self) -> None:
        self.check("DBSIZE")
        self.check("KEYS", "*", unordered=True)
        self.check("KEYS", "[ab]*", unordered=True)

    @rule()
    def scan(self) -> None:
        """Fewer keys than COUNT: one call, cursor 0 on both; the nested key array compared sorted."""
        mine, ref = self.ours.command("SCAN", "0", "COUNT", "100"), self.theirs.command("SCAN", "0", "COUNT", "100")
        head = b"*2\r\n$1\r\n0\r\n"
        assert mine.startswith(head) and ref.startswith(head)
        assert _sorted_frame(mine[len(head):]) == _sorted_frame(ref[len(head):])

    # -- expiry -----------------------------------------------------------------------
    @rule(key=KEYS, ttl=REL_TTL, flags=EXPIRE_FLAGS, ms=st.booleans())
    def expire(self, key: str, ttl: str, flags: list[str], ms: bool) -> None:
        if ms:
            self.check("PEXPIRE", key, ttl + "000", *flags)
        else:
            self.check("EXPIRE", key, ttl, *flags)

    @rule(key=KEYS, when=ABS_TTL, flags=ABS_FLAGS)
    def expireat(self, key: str, when: str, flags: list[str]) -> None:
        self.check("EXPIREAT", key, when, *flags)

    @rule(key=KEYS, when=st.sampled_from(["0", "-5", "1"]), cmd=st.sampled_from(["EXPIRE", "PEXPIREAT"]))
    def expire_past(self, key: str, when: str, cmd: str) -> None:
        self.check(cmd, key, when)

    @rule(key=KEYS)
    def persist(self, key: str) -> None:
        self.check("PERSIST", key)

    @rule(key=KEYS, cmd=st.sampled_from(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]))
    def ttl(self, key: str, cmd: str) -> None:
        self.check(cmd, key, ttl=True)

    # -- transactions ---------------------------------------------------------------------
    @rule(key=KEYS, other_writes=st.sampled_from([None, "SET", "DEL", "EXPIRE", "APPEND", "INCR", "RENAME", "GET"]),
          body=st.lists(st.sampled_from([["INCR", "n"], ["SET", "a", "1"], ["GET", "a"], ["APPEND", "l", "x"],
                                         ["EXPIRE", "a", "1000"], ["SET", "b", "v", "NX"], ["TTL", "a"],
                                         ["MGET", "a", "b"]]), max_size=4),
          broken=st.booleans())
    def watched_transaction(self, key: str, other_writes: str | None, body: list[list[str]], broken: bool) -> None:
        self.check("WATCH", key)
        if other_writes == "SET":
            self.check("SET", key, "changed", second=True)
        elif other_writes == "DEL":
            self.check("DEL", key, second=True)
        elif other_writes == "EXPIRE":
            self.check("EXPIRE", key, "1000", second=True)
        elif other_writes == "APPEND":
            self.check("APPEND", key, "+", second=True)
        elif other_writes == "INCR":
            self.check("INCR", key, second=True)
        elif other_writes == "RENAME":
            self.check("RENAME", key, "c", second=True)
        elif other_writes == "GET":
            self.check("GET", key, second=True)
        self.check("MULTI")
        for cmd in body:
            self.check(*cmd)
        if broken:
            self.check("GET")  # wrong arity: the transaction is aborted at EXEC
        self.check("EXEC", ttl=True)

    @rule(key=KEYS)
    def watch_then_discard(self, key: str) -> None:
        self.check("WATCH", key)
        self.check("MULTI")
        self.check("SET", key, "inside")
        self.check("DISCARD")
        self.check("GET", key)

    @invariant()
    def same_size(self) -> None:
        if hasattr(self, "ours"):
            self.check("DBSIZE")


def test_keyspace_state_machine(server: Any, redis_server: Any) -> None:
    conns = [RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port),
             RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port)]
    KeyspaceMachine.ours, KeyspaceMachine.theirs, KeyspaceMachine.ours2, KeyspaceMachine.theirs2 = conns
    try:
        run_state_machine_as_test(KeyspaceMachine, settings=settings(
            max_examples=60, stateful_step_count=35, deadline=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        for conn in conns:
            conn.close()
