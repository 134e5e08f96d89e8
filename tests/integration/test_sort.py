"""SORT over real TCP with redis-py."""
from __future__ import annotations


def test_sort_by_get_store(r):
    r.rpush("l", 3, 1, 2)
    r.mset({"w_1": 30, "w_2": 20, "w_3": 10, "n_1": "one", "n_2": "two"})
    r.hset("h_3", "name", "three")
    assert r.sort("l") == [b"1", b"2", b"3"]
    assert r.sort("l", by="w_*") == [b"3", b"2", b"1"]
    assert r.sort("l", get=["#", "n_*", "h_*->name"]) == [b"1", b"one", None, b"2", b"two", None,
                                                           b"3", None, b"three"]
    assert r.sort("l", desc=True, start=0, num=2, store="dst") == 2
    assert r.lrange("dst", 0, -1) == [b"3", b"2"]
    assert r.sort_ro("l", alpha=True, desc=True) == [b"3", b"2", b"1"]


def test_sort_resp3(r3):
    r3.sadd("s", "b", "a")
    assert r3.sort("s", alpha=True) == [b"a", b"b"]
