"""Hypothesis state machines: HyperLogLog and SORT/SORT_RO, damselfly vs redis-server.

Every step sends the same command to both servers and requires byte-identical
replies, errors included, so a divergence in state shows up in a later read.

HyperLogLog: a few keys take PFADD (a handful of elements, or a few hundred
at once), PFCOUNT over one to three keys, PFMERGE, and now and then a plain
string or a list under one of the names (WRONGTYPE). ``hll-sparse-max-bytes``
is lowered on both servers so that sparse values turn dense within a few
steps. GET compares the stored bytes, which are meant to be Redis's own
sparse and dense formats, PFCOUNT's cached cardinality included.

SORT: lists, sets and sorted sets of numbers and words, weights in string
keys (``w_<element>``) and hash fields (``h_<element>`` -> ``f``/``g``),
sorted with random BY, GET, LIMIT, ASC/DESC, ALPHA and STORE. Redis leaves
two orders undefined, and only there the comparison is relaxed (the same
elements, in any order, and no LIMIT or STORE that would depend on the
order): a set under ``BY nosort`` without STORE comes out in hash-table
order, and ALPHA with a BY pattern leaves elements with equal weights (or
none) in the order its quicksort happens to leave them. Numeric sorts break
ties by comparing the elements, so they are always compared exactly.
"""
from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from ..resp import RawConnection, parse_reply
from .conftest import _sorted_frame


class DifferentialMachine(RuleBasedStateMachine):
    """The same command stream to both servers; replies must match byte for byte."""

    conns: tuple[RawConnection, RawConnection]

    def __init__(self) -> None:
        super().__init__()
        for conn in self.conns:
            conn.command("FLUSHALL")

    def check(self, *args: Any, unordered: bool = False) -> bytes:
        ours, theirs = (c.command(*args) for c in self.conns)
        if unordered:
            ours, theirs = _sorted_frame(ours), _sorted_frame(theirs)
        assert ours == theirs, f"{args!r}: damselfly {ours!r} != redis {theirs!r}"
        return ours

    def reference(self, *args: Any) -> Any:
        """A read-only command on redis-server alone, parsed (to decide how to compare)."""
        return parse_reply(self.conns[1].command(*args))


# -- HyperLogLog --------------------------------------------------------------------

HKEYS = st.sampled_from(["h1", "h2", "h3", "w"])
ELEMENTS = st.sampled_from(["a", "b", "c", "", "1", "foo", "bar", "x" * 40, "\x00\xff"])


class HyperLogLogMachine(DifferentialMachine):
    @initialize(n=st.integers(0, 300))
    def seed(self, n: int) -> None:
        if n:
            self.check("PFADD", "h1", *[f"seed{i}" for i in range(n)])

    @rule(key=HKEYS, elements=st.lists(ELEMENTS, max_size=4))
    def pfadd(self, key: str, elements: list[str]) -> None:
        self.check("PFADD", key, *elements)

    @rule(key=HKEYS, start=st.integers(0, 2000), count=st.integers(1, 400))
    def pfadd_many(self, key: str, start: int, count: int) -> None:
        self.check("PFADD", key, *[f"e{i}" for i in range(start, start + count)])

    @rule(keys=st.lists(HKEYS, min_size=1, max_size=3))
    def pfcount(self, keys: list[str]) -> None:
        self.check("PFCOUNT", *keys)

    @rule(dst=HKEYS, sources=st.lists(HKEYS, max_size=3))
    def pfmerge(self, dst: str, sources: list[str]) -> None:
        self.check("PFMERGE", dst, *sources)

    @rule(key=HKEYS)
    def stored_bytes(self, key: str) -> None:
        for cmd in (["GET", key], ["TYPE", key], ["OBJECT", "ENCODING", key], ["STRLEN", key]):
            self.check(*cmd)

    @rule(key=HKEYS, value=st.sampled_from(["plain", "HYLL", "", "1"]))
    def not_an_hll_string(self, key: str, value: str) -> None:
        self.check("SET", key, value)

    @rule(key=HKEYS)
    def a_list(self, key: str) -> None:
        self.check("RPUSH", key, "item")

    @rule(key=HKEYS)
    def delete(self, key: str) -> None:
        self.check("DEL", key)

    @rule(src=HKEYS, dst=HKEYS)
    def copy(self, src: str, dst: str) -> None:
        self.check("COPY", src, dst, "REPLACE")


def _config_get(conn: RawConnection, name: str) -> str:
    reply = parse_reply(conn.command("CONFIG", "GET", name))
    return reply[1].decode()


def test_hyperloglog_state_machine(server: Any, redis_server: Any) -> None:
    conns = (RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
    saved = [_config_get(c, "hll-sparse-max-bytes") for c in conns]
    for conn in conns:
        assert conn.command("CONFIG", "SET", "hll-sparse-max-bytes", "400") == b"+OK\r\n"
    HyperLogLogMachine.conns = conns
    try:
        run_state_machine_as_test(HyperLogLogMachine, settings=settings(
            max_examples=120, stateful_step_count=40, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck)))
    finally:
        for conn, value in zip(conns, saved):
            conn.command("CONFIG", "SET", "hll-sparse-max-bytes", value)
            conn.close()


# -- SORT / SORT_RO -----------------------------------------------------------------

LISTS, SETS, ZSETS = ["l1", "l2"], ["s1", "s2"], ["z1", "z2"]
SOURCES = st.sampled_from(LISTS + SETS + ZSETS + LISTS + SETS + ZSETS + ["dst", "nokey", "w_1"])
DESTINATIONS = st.sampled_from(["dst", "dst", "l2", "s2", "z2"])
# Integers (a set of them is an intset until "07" or "2.5" joins), other numbers, and words.
NUMBERS = ["1", "2", "3", "10", "-5", "2.5", "0", "07"]
WORDS = ["a", "b", "ab", "B", "10a"]
SORT_ELEMENTS = st.sampled_from(NUMBERS + NUMBERS + WORDS)
WEIGHTS = st.sampled_from(["1", "2", "-3", "0.5", "10", "0", "", "1e3", "x"])
SCORES = st.sampled_from(["0", "1", "2", "-1", "2.5"])
BY = st.sampled_from([None, None, "nosort", "w_*", "h_*->f", "h_*->g", "missing_*"])
GETS = st.lists(st.sampled_from(["#", "w_*", "h_*->f", "h_*->g", "nostar", "h_*->"]), max_size=2)
LIMITS = st.none() | st.tuples(st.integers(-1, 4), st.integers(-1, 4))


class SortMachine(DifferentialMachine):
    @initialize(size=st.integers(2, 9))
    def seed(self, size: int) -> None:
        """One container of each type and some weights, so that sorts have work from the first step."""
        elements = (NUMBERS + WORDS)[:size]
        words = (WORDS + NUMBERS)[:size]
        self.check("RPUSH", "l1", *elements, elements[0])
        self.check("RPUSH", "l2", *words)
        self.check("SADD", "s1", *elements)
        self.check("SADD", "s2", *words)
        self.check("ZADD", "z1", *[x for i, e in enumerate(elements) for x in (str(i % 3), e)])
        self.check("ZADD", "z2", *[x for i, e in enumerate(words) for x in (str(-i), e)])
        for i, e in enumerate(elements):
            self.check("SET", f"w_{e}", str(size - i))
            self.check("HSET", f"h_{e}", "f", str(i % 2), "g", e)

    @rule(key=st.sampled_from(LISTS), elements=st.lists(SORT_ELEMENTS, min_size=1, max_size=4),
          cmd=st.sampled_from(["RPUSH", "LPUSH"]))
    def push(self, key: str, elements: list[str], cmd: str) -> None:
        self.check(cmd, key, *elements)

    @rule(key=st.sampled_from(SETS), elements=st.lists(SORT_ELEMENTS, min_size=1, max_size=4))
    def sadd(self, key: str, elements: list[str]) -> None:
        self.check("SADD", key, *elements)

    @rule(key=st.sampled_from(ZSETS), pairs=st.lists(st.tuples(SCORES, SORT_ELEMENTS), min_size=1, max_size=4))
    def zadd(self, key: str, pairs: list[tuple[str, str]]) -> None:
        self.check("ZADD", key, *[x for p in pairs for x in p])

    @rule(element=SORT_ELEMENTS, weight=WEIGHTS)
    def string_weight(self, element: str, weight: str) -> None:
        self.check("SET", f"w_{element}", weight)

    @rule(element=SORT_ELEMENTS, field=st.sampled_from(["f", "g"]), weight=WEIGHTS)
    def hash_weight(self, element: str, field: str, weight: str) -> None:
        self.check("HSET", f"h_{element}", field, weight)

    @rule(key=st.sampled_from(["w_1", "w_a", "h_2", "h_b", "l1", "s2", "z2", "dst"]))
    def delete(self, key: str) -> None:
        self.check("DEL", key)

    @rule(key=SOURCES, by=BY, gets=GETS, limit=LIMITS, order=st.sampled_from([None, "ASC", "DESC"]),
          alpha=st.booleans(), store=st.none() | DESTINATIONS, read_only=st.booleans())
    def sort(self, key: str, by: str | None, gets: list[str], limit: tuple[int, int] | None,
             order: str | None, alpha: bool, store: str | None, read_only: bool) -> None:
        if read_only:
            store = None  # SORT_RO ... STORE is a syntax error; test_sort.py compares that
        exact = not self._undefined_order(key, by, alpha, store)
        if not exact:
            limit, store = None, None
        args: list[Any] = ["SORT_RO" if read_only else "SORT", key]
        if by is not None:
            args += ["BY", by]
        if limit is not None:
            args += ["LIMIT", *limit]
        for pattern in gets:
            args += ["GET", pattern]
        if order is not None:
            args.append(order)
        if alpha:
            args.append("ALPHA")
        if store is not None:
            args += ["STORE", store]
        self.check(*args, unordered=not exact)
        if store is not None:
            self.check("LRANGE", store, "0", "-1")
            self.check("TYPE", store)

    @rule(key=st.sampled_from(LISTS + SETS + ZSETS), by=BY, gets=GETS, limit=LIMITS,
          order=st.sampled_from([None, "ASC", "DESC"]), alpha=st.booleans(), store=st.none() | DESTINATIONS)
    def sort_container(self, key: str, by: str | None, gets: list[str], limit: tuple[int, int] | None,
                       order: str | None, alpha: bool, store: str | None) -> None:
        """The same, on the containers (sorts are the point of this machine: twice the weight)."""
        self.sort(key, by, gets, limit, order, alpha, store, False)

    def _undefined_order(self, key: str, by: str | None, alpha: bool, store: str | None) -> bool:
        """Whether Redis's reply order depends on its hash table or its quicksort here."""
        kind = self.reference("TYPE", key)
        if kind not in (b"list", b"set", b"zset"):
            return False  # a missing key or an error: nothing to order
        if by is not None and "*" not in by:
            return kind == b"set" and store is None
        if not alpha or by is None:
            return False
        pairs = self.reference("SORT", key, "BY", "nosort", "GET", "#", "GET", by)
        weights: dict[bytes, bytes | None] = dict(zip(pairs[::2], pairs[1::2]))
        return len(set(weights.values())) < len(weights)

    @rule(key=st.sampled_from(LISTS + ["dst"]))
    def read_back(self, key: str) -> None:
        self.check("LRANGE", key, "0", "-1")


def test_sort_state_machine(server: Any, redis_server: Any) -> None:
    conns = (RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
    SortMachine.conns = conns
    try:
        run_state_machine_as_test(SortMachine, settings=settings(
            max_examples=200, stateful_step_count=50, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck)))
    finally:
        for conn in conns:
            conn.close()
