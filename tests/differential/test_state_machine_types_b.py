"""Hypothesis state machine: random sorted-set and bitmap command sequences, damselfly vs redis-server.

Every step sends one command to both servers and requires byte-identical
replies (errors included), so any divergence in state shows up in a later
read. Keys, members and scores come from small pools so commands collide;
the zset limits are lowered (4 entries, 6-byte members) so sets cross the
listpack/skiplist boundary within a few steps. Lex-range commands only touch
``lx``, whose members all have score 0 (Redis leaves lex ranges over mixed
scores undefined on skiplists).
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from ..resp import RawConnection

ZKEYS = st.sampled_from(["z1", "z2", "z3", "bm"])
MEMBERS = st.sampled_from(["a", "b", "c", "d", "e", "f", "longmember", ""])
# Valid values are repeated so that most commands succeed and sets fill up.
SCORES = st.sampled_from(["0", "-0", "1", "2", "2.5", "-3", "inf", "-inf", "1e300", "0.1", "3", "-1.5", "x"])
LOWS = st.sampled_from(["-inf"] * 6 + ["0", "(0", "1", "(2", "2.5", "(-inf", "-3", "x"])
HIGHS = st.sampled_from(["+inf"] * 6 + ["0", "(0", "1", "(2", "2.5", "(inf", "3", "x"])
FLAGS = st.sampled_from([[]] * 6 + [["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"], ["GT", "CH"], ["XX", "LT"],
                                    ["NX", "INCR"], ["LT", "INCR"], ["NX", "XX"], ["GT", "LT"]])
LEX = st.sampled_from(["-", "+", "[a", "(a", "[c", "(d", "[longmember", "[", "x"])
INDEXES = st.integers(-8, 8).map(str)
LIMITS = st.none() | st.tuples(st.integers(-1, 4).map(str), st.integers(-2, 5).map(str))
BKEYS = st.sampled_from(["b1", "b2", "bm"])
OFFSETS = st.integers(0, 40).map(str)


class TypesB(RuleBasedStateMachine):
    """The same command stream to both servers; replies must match byte for byte."""

    conns: tuple[RawConnection, RawConnection]

    def __init__(self) -> None:
        super().__init__()
        for conn in self.conns:
            conn.command("FLUSHALL")

    @initialize(sizes=st.tuples(*[st.integers(0, 6)] * 3))
    def seed(self, sizes):
        """Start with populated keys so reads and removals have something to act on."""
        for key, n in zip(("z1", "z2", "z3"), sizes):
            if n:
                self.check("ZADD", key, *[x for i in range(n) for x in (str(i % 3), "abcdef"[i])])
        self.check("ZADD", "lx", "0", "a", "0", "b", "0", "c", "0", "longmember")
        self.check("SET", "b1", "\x0f\xf0abc")

    @rule(key=ZKEYS, pairs=st.lists(st.tuples(st.sampled_from(["0", "1", "2", "-1", "2.5", "inf"]), MEMBERS),
                                    min_size=2, max_size=6))
    def zadd_many(self, key, pairs):
        self.check("ZADD", key, *[x for p in pairs for x in p])

    def check(self, *args: str) -> None:
        ours, theirs = (c.command(*args) for c in self.conns)
        assert ours == theirs, f"{args!r}: damselfly {ours!r} != redis {theirs!r}"

    @rule(key=ZKEYS, flags=FLAGS, pairs=st.lists(st.tuples(SCORES, MEMBERS), min_size=1, max_size=4))
    def zadd(self, key, flags, pairs):
        self.check("ZADD", key, *flags, *[x for p in pairs for x in p])

    @rule(key=ZKEYS, incr=SCORES, member=MEMBERS)
    def zincrby(self, key, incr, member):
        self.check("ZINCRBY", key, incr, member)

    @rule(key=ZKEYS, members=st.lists(MEMBERS, min_size=1, max_size=3))
    def zrem(self, key, members):
        self.check("ZREM", key, *members)

    @rule(key=ZKEYS, member=MEMBERS)
    def reads(self, key, member):
        for cmd in (["ZSCORE", key, member], ["ZRANK", key, member], ["ZREVRANK", key, member], ["ZCARD", key],
                    ["ZMSCORE", key, member, "a"], ["OBJECT", "ENCODING", key], ["TYPE", key]):
            self.check(*cmd)

    @rule(key=ZKEYS, a=INDEXES, b=INDEXES, rev=st.booleans(), withscores=st.booleans())
    def zrange_rank(self, key, a, b, rev, withscores):
        self.check("ZRANGE", key, a, b, *(["REV"] if rev else []), *(["WITHSCORES"] if withscores else []))

    @rule(key=ZKEYS, lo=LOWS, hi=HIGHS, rev=st.booleans(), limit=LIMITS)
    def zrange_score(self, key, lo, hi, rev, limit):
        extra = ["LIMIT", *limit] if limit else []
        if rev:
            self.check("ZRANGE", key, hi, lo, "BYSCORE", "REV", "WITHSCORES", *extra)
        else:
            self.check("ZRANGE", key, lo, hi, "BYSCORE", "WITHSCORES", *extra)
        self.check("ZCOUNT", key, lo, hi)

    @rule(member=MEMBERS)
    def lex_add(self, member):
        self.check("ZADD", "lx", "0", member)

    @rule(lo=LEX, hi=LEX, rev=st.booleans(), limit=LIMITS)
    def lex_ranges(self, lo, hi, rev, limit):
        extra = ["LIMIT", *limit] if limit else []
        if rev:
            self.check("ZREVRANGEBYLEX", "lx", hi, lo, *extra)
        else:
            self.check("ZRANGEBYLEX", "lx", lo, hi, *extra)
        self.check("ZLEXCOUNT", "lx", lo, hi)

    @rule(lo=LEX, hi=LEX)
    def lex_remove(self, lo, hi):
        self.check("ZREMRANGEBYLEX", "lx", lo, hi)

    @rule(key=ZKEYS, kind=st.sampled_from(["RANK", "SCORE"]), a=st.one_of(INDEXES, LOWS), b=st.one_of(INDEXES, HIGHS))
    def zremrange(self, key, kind, a, b):
        self.check(f"ZREMRANGEBY{kind}", key, a, b)

    @rule(key=ZKEYS, count=st.none() | st.integers(-1, 4).map(str), maximum=st.booleans())
    def zpop(self, key, count, maximum):
        self.check("ZPOPMAX" if maximum else "ZPOPMIN", key, *([count] if count is not None else []))

    @rule(keys=st.lists(ZKEYS, min_size=1, max_size=3), maximum=st.booleans(), count=st.integers(1, 3).map(str))
    def zmpop(self, keys, maximum, count):
        self.check("ZMPOP", str(len(keys)), *keys, "MAX" if maximum else "MIN", "COUNT", count)

    @rule(op=st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF"]),
          dst=ZKEYS, keys=st.lists(st.sampled_from(["z1", "z2", "z3", "lx", "bm"]), min_size=1, max_size=3),
          weights=st.booleans(), agg=st.sampled_from([None, "SUM", "MIN", "MAX"]))
    def setops(self, op, dst, keys, weights, agg):
        args = [op] + ([dst] if op.endswith("STORE") else []) + [str(len(keys)), *keys]
        if op not in ("ZDIFF", "ZDIFFSTORE"):
            if weights:
                args += ["WEIGHTS", *["2", "-0.5", "0"][:len(keys)]]
            if agg:
                args += ["AGGREGATE", agg]
        if not op.endswith("STORE"):
            args.append("WITHSCORES")
        self.check(*args)

    @rule(src=ZKEYS, dst=ZKEYS, a=INDEXES, b=INDEXES)
    def zrangestore(self, src, dst, a, b):
        self.check("ZRANGESTORE", dst, src, a, b)

    # -- bitmaps --------------------------------------------------------------------
    @rule(key=BKEYS, offset=OFFSETS, bit=st.sampled_from(["0", "1", "2"]))
    def setbit(self, key, offset, bit):
        self.check("SETBIT", key, offset, bit)

    @rule(key=BKEYS, offset=OFFSETS)
    def getbit(self, key, offset):
        self.check("GETBIT", key, offset)
        self.check("GET", key)

    @rule(key=BKEYS, a=INDEXES, b=INDEXES, unit=st.sampled_from([[], ["BIT"], ["BYTE"]]))
    def bitcount(self, key, a, b, unit):
        self.check("BITCOUNT", key, a, b, *unit)

    @rule(key=BKEYS, bit=st.sampled_from(["0", "1"]), args=st.lists(INDEXES, max_size=2),
          unit=st.sampled_from([[], ["BIT"], ["BYTE"]]))
    def bitpos(self, key, bit, args, unit):
        self.check("BITPOS", key, bit, *args, *(unit if len(args) == 2 else []))

    @rule(op=st.sampled_from(["AND", "OR", "XOR", "NOT"]), dst=BKEYS, keys=st.lists(BKEYS, min_size=1, max_size=3))
    def bitop(self, op, dst, keys):
        self.check("BITOP", op, dst, *keys)

    @rule(key=BKEYS, ops=st.lists(st.tuples(st.sampled_from(["GET", "SET", "INCRBY"]),
                                            st.sampled_from(["i1", "u1", "i5", "u7", "i8", "u8", "i16", "i64", "u63"]),
                                            st.sampled_from(["0", "3", "#1", "13", "#2"]),
                                            st.sampled_from(["0", "1", "-1", "100", "-200", "9223372036854775807"]),
                                            st.sampled_from(["WRAP", "SAT", "FAIL"])), min_size=1, max_size=3))
    def bitfield(self, key, ops):
        args = []
        for sub, kind, offset, value, overflow in ops:
            args += ["OVERFLOW", overflow, sub, kind, offset] + ([value] if sub != "GET" else [])
        self.check("BITFIELD", key, *args)


def test_types_b_state_machine(server, redis_server):
    ours = RawConnection(server.host, server.port)
    theirs = RawConnection(redis_server.host, redis_server.port)
    for conn in (ours, theirs):
        conn.command("CONFIG", "SET", "zset-max-listpack-entries", "4")
        conn.command("CONFIG", "SET", "zset-max-listpack-value", "6")
    TypesB.conns = (ours, theirs)
    try:
        run_state_machine_as_test(TypesB, settings=settings(
            max_examples=150, stateful_step_count=40, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck)))
    finally:
        for conn in (ours, theirs):
            conn.command("CONFIG", "SET", "zset-max-listpack-entries", "128")
            conn.command("CONFIG", "SET", "zset-max-listpack-value", "64")
            conn.close()
