"""Hypothesis state machine: random hash/list/set command sequences, damselfly vs redis-server.

Every step sends one command to both servers and compares the raw replies
(sorted for commands whose order Redis leaves undefined). Keys, fields and
members come from small pools so commands collide, types clash (WRONGTYPE),
containers empty out (deletion) and sets flip between intset and hashtable.
Random-reply commands are used only where the reply is determined (SPOP or
SRANDMEMBER with a count covering the set).
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from ..resp import RawConnection
from .conftest import _sorted_frame

KEYS = st.sampled_from(["h1", "h2", "l1", "l2", "s1", "s2", "x"])
FIELDS = st.sampled_from(["a", "b", "c", "1", "2", "-3", ""])
VALUES = st.sampled_from(["0", "1", "-7", "2.5", "abc", "", "10", "1e3", "x" * 70])
MEMBERS = st.sampled_from(["1", "2", "3", "-4", "10", "a", "b", "", "007", "9223372036854775807"])
INTS = st.integers(min_value=-6, max_value=6)
SIDES = st.sampled_from(["LEFT", "RIGHT"])


class TypesMachine(RuleBasedStateMachine):
    ours: RawConnection
    theirs: RawConnection

    def __init__(self) -> None:
        super().__init__()
        for conn in (self.ours, self.theirs):
            conn.command("FLUSHALL")

    def check(self, *args: Any, unordered: bool = False) -> None:
        mine = self.ours.command(*args)
        ref = self.theirs.command(*args)
        if unordered:
            mine, ref = _sorted_frame(mine), _sorted_frame(ref)
        assert mine == ref, f"{args!r}: damselfly {mine!r} != redis {ref!r}"

    # -- hashes ----------------------------------------------------------------
    @rule(key=KEYS, pairs=st.lists(st.tuples(FIELDS, VALUES), min_size=1, max_size=3))
    def hset(self, key: str, pairs: list[tuple[str, str]]) -> None:
        self.check("HSET", key, *[x for p in pairs for x in p])

    @rule(key=KEYS, field=FIELDS, value=VALUES)
    def hsetnx(self, key: str, field: str, value: str) -> None:
        self.check("HSETNX", key, field, value)

    @rule(key=KEYS, fields=st.lists(FIELDS, min_size=1, max_size=3))
    def hdel(self, key: str, fields: list[str]) -> None:
        self.check("HDEL", key, *fields)

    @rule(key=KEYS, field=FIELDS, incr=st.sampled_from(["1", "-5", "x", "9223372036854775807"]))
    def hincrby(self, key: str, field: str, incr: str) -> None:
        self.check("HINCRBY", key, field, incr)

    @rule(key=KEYS, field=FIELDS, incr=st.sampled_from(["0.1", "-2.5", "1e3", "x", "inf", "3"]))
    def hincrbyfloat(self, key: str, field: str, incr: str) -> None:
        self.check("HINCRBYFLOAT", key, field, incr)

    @rule(key=KEYS, field=FIELDS, cmd=st.sampled_from(["HGET", "HEXISTS", "HSTRLEN"]))
    def hash_field_read(self, key: str, field: str, cmd: str) -> None:
        self.check(cmd, key, field)

    @rule(key=KEYS, cmd=st.sampled_from(["HLEN", "HGETALL", "HKEYS", "HVALS"]))
    def hash_read(self, key: str, cmd: str) -> None:
        self.check(cmd, key, unordered=cmd != "HLEN")

    @rule(key=KEYS, fields=st.lists(FIELDS, min_size=1, max_size=3))
    def hmget(self, key: str, fields: list[str]) -> None:
        self.check("HMGET", key, *fields)

    @rule(key=KEYS)
    def hrandfield_all(self, key: str) -> None:
        self.check("HRANDFIELD", key, "100", unordered=True)

    # -- lists -----------------------------------------------------------------
    @rule(key=KEYS, cmd=st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]),
          values=st.lists(MEMBERS, min_size=1, max_size=3))
    def push(self, key: str, cmd: str, values: list[str]) -> None:
        self.check(cmd, key, *values)

    @rule(key=KEYS, cmd=st.sampled_from(["LPOP", "RPOP"]), count=st.one_of(st.none(), st.integers(-1, 4)))
    def pop(self, key: str, cmd: str, count: int | None) -> None:
        self.check(cmd, key, *([] if count is None else [count]))

    @rule(key=KEYS, start=INTS, stop=INTS)
    def lrange(self, key: str, start: int, stop: int) -> None:
        self.check("LRANGE", key, start, stop)

    @rule(key=KEYS, start=INTS, stop=INTS)
    def ltrim(self, key: str, start: int, stop: int) -> None:
        self.check("LTRIM", key, start, stop)

    @rule(key=KEYS, index=INTS)
    def lindex(self, key: str, index: int) -> None:
        self.check("LINDEX", key, index)

    @rule(key=KEYS, index=INTS, value=MEMBERS)
    def lset(self, key: str, index: int, value: str) -> None:
        self.check("LSET", key, index, value)

    @rule(key=KEYS, count=INTS, value=MEMBERS)
    def lrem(self, key: str, count: int, value: str) -> None:
        self.check("LREM", key, count, value)

    @rule(key=KEYS, where=st.sampled_from(["BEFORE", "AFTER"]), pivot=MEMBERS, value=MEMBERS)
    def linsert(self, key: str, where: str, pivot: str, value: str) -> None:
        self.check("LINSERT", key, where, pivot, value)

    @rule(key=KEYS, value=MEMBERS, rank=st.sampled_from([None, 1, 2, -1, -2]),
          count=st.sampled_from([None, 0, 1, 2]), maxlen=st.sampled_from([None, 0, 2]))
    def lpos(self, key: str, value: str, rank: int | None, count: int | None, maxlen: int | None) -> None:
        args: list[Any] = ["LPOS", key, value]
        for name, v in (("RANK", rank), ("COUNT", count), ("MAXLEN", maxlen)):
            if v is not None:
                args += [name, v]
        self.check(*args)

    @rule(src=KEYS, dst=KEYS, wherefrom=SIDES, whereto=SIDES)
    def lmove(self, src: str, dst: str, wherefrom: str, whereto: str) -> None:
        self.check("LMOVE", src, dst, wherefrom, whereto)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3), where=SIDES, count=st.integers(1, 3))
    def lmpop(self, keys: list[str], where: str, count: int) -> None:
        self.check("LMPOP", len(keys), *keys, where, "COUNT", count)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=2), cmd=st.sampled_from(["BLPOP", "BRPOP"]))
    def blocking_pop_with_data_or_short_timeout(self, keys: list[str], cmd: str) -> None:
        self.check(cmd, *keys, "0.001")

    @rule(key=KEYS)
    def llen(self, key: str) -> None:
        self.check("LLEN", key)

    # -- sets ------------------------------------------------------------------
    @rule(key=KEYS, members=st.lists(MEMBERS, min_size=1, max_size=4))
    def sadd(self, key: str, members: list[str]) -> None:
        self.check("SADD", key, *members)

    @rule(key=KEYS, members=st.lists(MEMBERS, min_size=1, max_size=3))
    def srem(self, key: str, members: list[str]) -> None:
        self.check("SREM", key, *members)

    @rule(key=KEYS, member=MEMBERS, cmd=st.sampled_from(["SISMEMBER", "SMISMEMBER"]))
    def membership(self, key: str, member: str, cmd: str) -> None:
        self.check(cmd, key, member)

    @rule(key=KEYS)
    def smembers(self, key: str) -> None:
        self.check("SCARD", key)
        self.check("SMEMBERS", key, unordered=True)

    @rule(src=KEYS, dst=KEYS, member=MEMBERS)
    def smove(self, src: str, dst: str, member: str) -> None:
        self.check("SMOVE", src, dst, member)

    @rule(cmd=st.sampled_from(["SINTER", "SUNION", "SDIFF"]), keys=st.lists(KEYS, min_size=1, max_size=3))
    def algebra(self, cmd: str, keys: list[str]) -> None:
        self.check(cmd, *keys, unordered=True)

    @rule(cmd=st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), dst=KEYS,
          keys=st.lists(KEYS, min_size=1, max_size=3))
    def algebra_store(self, cmd: str, dst: str, keys: list[str]) -> None:
        self.check(cmd, dst, *keys)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3), limit=st.integers(0, 3))
    def sintercard(self, keys: list[str], limit: int) -> None:
        self.check("SINTERCARD", len(keys), *keys, "LIMIT", limit)

    @rule(key=KEYS, cmd=st.sampled_from(["SPOP", "SRANDMEMBER"]))
    def whole_set_random(self, key: str, cmd: str) -> None:
        self.check(cmd, key, "100", unordered=True)

    # -- generic ---------------------------------------------------------------
    @rule(key=KEYS, cmd=st.sampled_from(["TYPE", "EXISTS", "DEL"]))
    def generic(self, key: str, cmd: str) -> None:
        self.check(cmd, key)

    @rule(key=KEYS)
    def encoding(self, key: str) -> None:
        self.check("OBJECT", "ENCODING", key)

    @rule(key=KEYS, value=VALUES)
    def set_string(self, key: str, value: str) -> None:
        self.check("SET", key, value)


def test_types_state_machine(server: Any, redis_server: Any) -> None:
    ours = RawConnection(server.host, server.port)
    theirs = RawConnection(redis_server.host, redis_server.port)
    TypesMachine.ours = ours
    TypesMachine.theirs = theirs
    try:
        run_state_machine_as_test(TypesMachine, settings=settings(
            max_examples=80, stateful_step_count=40, deadline=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        ours.close()
        theirs.close()
