"""The differential harness itself: sorting replies whose order Redis leaves undefined."""
from __future__ import annotations

from .conftest import _sorted_frame


def test_flat_arrays_and_sets_sort_by_element() -> None:
    assert _sorted_frame(b"*3\r\n$1\r\nc\r\n$1\r\na\r\n:5\r\n") == b"*3\r\n$1\r\na\r\n$1\r\nc\r\n:5\r\n"
    assert _sorted_frame(b"~2\r\n$2\r\nbb\r\n$1\r\nz\r\n") == b"~2\r\n$1\r\nz\r\n$2\r\nbb\r\n"
    assert _sorted_frame(b"*0\r\n") == b"*0\r\n" and _sorted_frame(b"*-1\r\n") == b"*-1\r\n"
    assert _sorted_frame(b"$1\r\nx\r\n") == b"$1\r\nx\r\n"


def test_arrays_of_pairs_keep_each_pair_whole() -> None:
    """RESP3 HRANDFIELD h -2 WITHVALUES: the order of pairs is random, a pair's is not."""
    a = b"*2\r\n$1\r\nf\r\n$1\r\n1\r\n"
    b = b"*2\r\n$1\r\ng\r\n$1\r\n0\r\n"
    assert _sorted_frame(b"*2\r\n" + b + a) == b"*2\r\n" + a + b
    assert _sorted_frame(b"*2\r\n" + a + b) == _sorted_frame(b"*2\r\n" + b + a)
    swapped = b"*2\r\n$1\r\n1\r\n$1\r\nf\r\n"
    assert _sorted_frame(b"*2\r\n" + swapped + b) != _sorted_frame(b"*2\r\n" + a + b)


def test_maps_sort_by_entry_and_nested_levels_on_request() -> None:
    m1 = b"%2\r\n$1\r\nb\r\n:2\r\n$1\r\na\r\n:1\r\n"
    assert _sorted_frame(m1) == b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n"
    inner1, inner2 = b"~2\r\n:2\r\n:1\r\n", b"~2\r\n:1\r\n:2\r\n"
    assert _sorted_frame(b"*1\r\n" + inner1) != _sorted_frame(b"*1\r\n" + inner2)
    assert _sorted_frame(b"*1\r\n" + inner1, depth=2) == _sorted_frame(b"*1\r\n" + inner2, depth=2)


def test_unordered_replies_of_pairs_against_redis(pair3) -> None:
    pair3.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    pair3.check("HRANDFIELD", "h", "10", "WITHVALUES", unordered=True)
    pair3.check("ZADD", "z", "1", "a", "2", "b", "3", "c")
    pair3.check("ZRANDMEMBER", "z", "10", "WITHSCORES", unordered=True)
    pair3.check("HGETALL", "h", unordered=True)
    pair3.check("SADD", "s", "x", "y", "z")
    pair3.check("MULTI")
    pair3.check("SMEMBERS", "s")
    pair3.check("HGETALL", "h")
    pair3.check("EXEC", unordered=2)
