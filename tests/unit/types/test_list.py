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
