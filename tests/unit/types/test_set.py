"""Set value class: intset rule, numeric order, random pool, scan cursor."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from damselfly.errors import CommandError
from damselfly.keyspace.encoding import copy_value, encoding_of, type_name_of
from damselfly.types import Hash, Set
from damselfly.types.sampling import distinct, pick, picks
from damselfly.types.scan import parse_cursor, parse_scan_options, scan_step
from damselfly.types.set import is_int_member


@pytest.mark.parametrize("text,ok", [
    (b"0", True), (b"1", True), (b"-1", True), (b"9223372036854775807", True),
    (b"-9223372036854775808", True), (b"9223372036854775808", False), (b"-9223372036854775809", False),
    (b"-0", False), (b"01", False), (b"+1", False), (b" 1", False), (b"1.0", False), (b"", False),
    (b"-", False), (b"12345678901234567890123", False), (b"\xd9\xa1", False),
])
def test_is_int_member_is_string2ll(text: bytes, ok: bool) -> None:
    assert is_int_member(text) is ok


def test_intset_until_a_non_integer_or_too_many() -> None:
    s = Set()
    assert s.add_members([b"3", b"1", b"2", b"1"], 4) == 3
    assert s.encoding == "intset" and s.ordered() == [b"1", b"2", b"3"]
    s.add_members([b"4"], 4)
    assert s.intset
    s.add_members([b"5"], 4)
    assert not s.intset and s.encoding == "hashtable"
    t = Set([b"1"])
    t.add_members([b"a"], 512)
    t.remove_members([b"a"])
    assert encoding_of(t) == "hashtable" and type_name_of(t) == "set"


def test_copy_keeps_encoding() -> None:
    s = Set([b"1", b"x"])
    s.remove_members([b"x"])
    dup = copy_value(s)
    assert type(dup) is Set and dup == s and not dup.intset


def test_picks_are_uniform_over_live_members_despite_dead_pool_slots() -> None:
    random.seed(7)
    s = Set(b"m%d" % i for i in range(10))
    pick(s)
    pool = s.pool
    s.remove_members([b"m%d" % i for i in range(4)])
    counts = Counter(pick(s) for _ in range(6000))
    assert s.pool is pool  # 6 live of 10 slots: still dense enough, not rebuilt
    assert set(counts) == set(s) and min(counts.values()) > 800
    repeated = Counter(picks(s, 6000))
    assert set(repeated) == set(s) and min(repeated.values()) > 800
    s.remove_members([b"m4", b"m5"])
    pick(s)
    assert s.pool is not pool and len(s.pool) == 4  # 4 live of 10: rebuilt


@pytest.mark.parametrize("size,count", [(100, 3), (100, 40), (100, 99), (5, 4)])
def test_distinct_draws(size: int, count: int) -> None:
    s = Set(b"m%d" % i for i in range(size))
    pick(s)
    s.remove_members([b"m0"])
    out = distinct(s, count)
    assert len(out) == len(set(out)) == count and set(out) <= s


def test_additions_drop_the_pool() -> None:
    s = Set([b"a", b"b"])
    pick(s)
    assert s.pool is not None
    s.add_members([b"a"], 512)
    assert s.pool is not None
    s.add_members([b"c"], 512)
    assert s.pool is None
    assert pick(s) in s


def test_scan_returns_every_member_exactly_once_while_shrinking() -> None:
    s = Set(b"m%d" % i for i in range(1000))
    s.intset = False
    cursor, seen, removed = 0, [], set()
    while True:
        cursor, batch = scan_step(s, cursor, 17)
        seen.extend(batch)
        victim = next(iter(s), None)
        if victim is not None and victim not in seen:
            s.remove_members([victim])
            removed.add(victim)
        if cursor == 0:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) | removed == {b"m%d" % i for i in range(1000)}


def test_scan_with_additions_still_covers_the_original_members() -> None:
    h = Hash((b"f%d" % i, b"v") for i in range(500))
    cursor, seen, i = 0, set(), 0
    while True:
        cursor, batch = scan_step(h, cursor, 10)
        seen.update(batch)
        h.put(b"new%d" % i, b"v", 512, 64)
        i += 1
        if cursor == 0:
            break
    assert {b"f%d" % i for i in range(500)} <= seen


def test_parse_cursor_is_strtoul() -> None:
    assert parse_cursor(b"") == 0
    assert parse_cursor(b"+5") == 5
    assert parse_cursor(b"-1") == 2**64 - 1
    assert parse_cursor(b"18446744073709551615") == 2**64 - 1
    for bad in (b"18446744073709551616", b" 1", b"+", b"x", b"1.5", b"1 "):
        with pytest.raises(CommandError, match="invalid cursor"):
            parse_cursor(bad)


def test_scan_options() -> None:
    count, match = parse_scan_options([b"hscan", b"k", b"0", b"COUNT", b"5", b"match", b"a*"], 3)
    assert count == 5 and match is not None and match(b"ab") and not match(b"b")
    assert parse_scan_options([b"x", b"k", b"0", b"MATCH", b"*"], 3) == (10, None)
    for bad in ([b"COUNT", b"0"], [b"COUNT"], [b"TYPE", b"string"], [b"FOO", b"1"]):
        with pytest.raises(CommandError, match="syntax error"):
            parse_scan_options([b"x", b"k", b"0", *bad], 3)
