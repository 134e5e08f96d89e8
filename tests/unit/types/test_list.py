"""List value class: a deque that reports Redis 7.0's encoding."""
from __future__ import annotations

from damselfly.keyspace.encoding import copy_value, encoding_of, type_name_of
from damselfly.types import List


def test_type_and_encoding() -> None:
    lst = List([b"a", b"b"])
    assert type_name_of(lst) == "list"
    assert encoding_of(lst) == "quicklist"  # 7.0 has no listpack lists
    assert encoding_of(List([b"x" * 10000] * 1000)) == "quicklist"


def test_copy_is_an_independent_list() -> None:
    lst = List([b"a"])
    dup = copy_value(lst)
    assert type(dup) is List and dup == lst and dup is not lst
    dup.append(b"b")
    assert list(lst) == [b"a"]


def test_deque_operations_at_both_ends() -> None:
    lst = List()
    lst.extendleft([b"a", b"b", b"c"])  # LPUSH a b c
    lst.extend([b"x"])
    assert list(lst) == [b"c", b"b", b"a", b"x"]
    assert lst[-1] == b"x" and lst[0] == b"c"


def test_short_list_methods_match_deque() -> None:
    from collections import deque
    ops: list[tuple[str, tuple]] = [
        ("extendleft", ([b"a", b"b"],)), ("append", (b"c",)), ("appendleft", (b"d",)), ("extend", ([b"e"],)),
        ("popleft", ()), ("pop", ()), ("insert", (1, b"x")), ("remove", (b"a",)), ("index", (b"x",)),
    ]
    short, ref = List(), deque()
    for name, args in ops:
        assert getattr(short, name)(*args) == getattr(ref, name)(*args), name
        assert list(short) == list(ref), name


def test_long_inputs_build_a_long_list_and_growth_converts() -> None:
    from damselfly.types import LIST_TYPES, LongList
    from damselfly.types.list import SHORT_MAX, grown
    assert type(List([b"x"] * (SHORT_MAX + 1))) is LongList
    assert type(List(iter([b"x"] * (SHORT_MAX + 1)))) is LongList
    assert list(List(iter([b"a", b"b"]))) == [b"a", b"b"]
    short = List([b"x"] * SHORT_MAX)
    assert grown(short) is short
    short.append(b"y")
    long = grown(short)
    assert type(long) is LongList and list(long) == list(short) and type(long) in LIST_TYPES
    assert grown(long) is long
    assert encoding_of(long) == "quicklist" and type_name_of(long) == "list"
    assert type(copy_value(long)) is LongList
