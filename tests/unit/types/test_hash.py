"""Hash value class: listpack -> hashtable rule, pool and scan caches, copies."""
from __future__ import annotations

from damselfly.keyspace.encoding import copy_value, encoding_of, type_name_of
from damselfly.types import Hash


def test_put_reports_new_fields_and_stays_listpack_while_small() -> None:
    h = Hash()
    assert h.put(b"a", b"1", 3, 4) is True
    assert h.put(b"a", b"2", 3, 4) is False
    assert h == {b"a": b"2"} and h.encoding == "listpack"
    assert type_name_of(h) == "hash" and encoding_of(h) == "listpack"


def test_converts_on_entries_or_lengths_and_never_back() -> None:
    h = Hash()
    for i in range(3):
        h.put(b"f%d" % i, b"v", 3, 4)
    assert not h.hashtable
    h.put(b"f3", b"v", 3, 4)
    assert h.hashtable
    h.remove(b"f3")
    assert h.hashtable  # sticky, as Redis
    long_value = Hash()
    long_value.put(b"a", b"12345", 10, 4)
    assert long_value.encoding == "hashtable"
    long_field = Hash()
    long_field.put(b"abcde", b"1", 10, 4)
    assert long_field.encoding == "hashtable"


def test_constructor_derives_encoding() -> None:
    assert Hash({b"a": b"1"}, 1, 64).encoding == "listpack"
    assert Hash({b"a": b"1", b"b": b"2"}, 1, 64).encoding == "hashtable"
    assert Hash([(b"a", b"x" * 65)]).encoding == "hashtable"
    assert Hash().encoding == "listpack"


def test_additions_drop_the_caches_removals_keep_them() -> None:
    h = Hash({b"a": b"1", b"b": b"2"})
    h.pool, h.scan = (b"a", b"b"), ((), ())
    h.put(b"a", b"3", 512, 64)  # an update is not an addition
    assert h.pool is not None and h.scan is not None
    assert h.remove(b"a") and not h.remove(b"a")
    assert h.pool is not None
    h.put(b"c", b"3", 512, 64)
    assert h.pool is None and h.scan is None


def test_copy_is_independent_and_keeps_encoding() -> None:
    h = Hash({b"a": b"1"})
    h.hashtable = True
    dup = copy_value(h)
    assert type(dup) is Hash and dup == h and dup is not h and dup.hashtable
    dup.put(b"b", b"2", 512, 64)
    assert b"b" not in h
