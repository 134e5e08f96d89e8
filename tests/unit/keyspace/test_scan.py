"""SCAN cursors over snapshots: SCAN's guarantees under concurrent changes, bounded memory."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock
from damselfly.keyspace.scan import MAX_CURSOR, KeySampler, ScanCache, parse_cursor


@pytest.mark.parametrize("raw, expected", [
    (b"0", 0), (b"", 0), (b"123", 123), (b"+5", 5), (b"-1", MAX_CURSOR), (b"-0", 0),
    (b"18446744073709551615", MAX_CURSOR), (b"18446744073709551616", None), (b" 1", None),
    (b"1 ", None), (b"1.5", None), (b"abc", None), (b"+", None), (b"-", None), (b"0x10", None),
    (b"\t1", None),
])
def test_parse_cursor_is_strtoul(raw, expected):
    assert parse_cursor(raw) == expected


def iterate(cache, data: dict, count: int, between=None) -> list:
    """A full iteration, filtering dead entries as the SCAN handler does."""
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, batch = cache.step("db0", cursor, count, lambda: list(data))
        seen.extend(k for k in batch if k in data)
        calls += 1
        if between is not None:
            between(calls)
        if cursor == 0:
            return seen
        assert calls < 10_000


def test_small_sets_finish_in_one_call_and_cache_nothing():
    cache = ScanCache()
    data = dict.fromkeys(range(5))
    assert cache.step("db0", 0, 10, lambda: list(data)) == (0, list(range(5)))
    assert len(cache) == 0


def test_full_iteration_returns_each_key_once():
    cache = ScanCache()
    data = dict.fromkeys(range(1000))
    seen = iterate(cache, data, 7)
    assert sorted(seen) == list(range(1000))
    assert len(cache) == 0 and cache.entries == 0  # the finished snapshot is dropped


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "del"]), st.integers(0, 300)), max_size=200),
       st.integers(1, 50))
def test_keys_present_throughout_are_returned(ops, count):
    """SCAN's guarantee: a key present from start to end is returned; a removed one never."""
    data = dict.fromkeys(range(200))
    touched = set()
    ops_iter = iter(ops)

    def mutate(_call: int) -> None:
        for _, (kind, k) in zip(range(3), ops_iter):  # three changes between calls
            touched.add(k)
            if kind == "add":
                data[k] = None
            else:
                data.pop(k, None)

    seen = iterate(ScanCache(), data, count, mutate)
    throughout = set(range(200)) - touched
    assert throughout <= set(seen)
    assert len(seen) == len(set(seen))


def test_eviction_restarts_rather_than_missing_keys():
    cache = ScanCache(max_entries=250, max_snapshots=100)
    data = dict.fromkeys(range(100))
    cursor, first = cache.step("db0", 0, 10, lambda: list(data))
    # Three more iterations push the first snapshot out (entries bound).
    for _ in range(3):
        cache.step("db0", 0, 10, lambda: list(data))
    assert cache.entries <= 250
    seen = list(first)
    while cursor:
        cursor, batch = cache.step("db0", cursor, 10, lambda: list(data))
        seen.extend(batch)
    assert set(seen) == set(range(100))  # some keys twice, none missed


def test_the_newest_snapshot_is_kept_even_beyond_the_bound():
    cache = ScanCache(max_entries=10, max_snapshots=1)
    data = dict.fromkeys(range(1000))
    assert sorted(iterate(cache, data, 100)) == list(range(1000))


def test_snapshot_count_bound():
    cache = ScanCache(max_snapshots=3)
    data = dict.fromkeys(range(50))
    for _ in range(10):
        cache.step("db0", 0, 5, lambda: list(data))
    assert len(cache) == 3 and cache.entries == 150


def test_unknown_or_foreign_cursor_restarts():
    cache = ScanCache()
    data = dict.fromkeys(range(30))
    cursor, _ = cache.step("db0", 0, 10, lambda: list(data))
    other, batch = cache.step("db1", cursor, 10, lambda: list(data))  # another owner's cursor
    assert batch == list(range(10)) and other != cursor
    _, batch = cache.step("db0", 12345, 10, lambda: list(data))
    assert batch == list(range(10))


def _db(n_keys: int):
    ks = Keyspace(1, ManualClock())
    db = ks.dbs[0]
    for i in range(n_keys):
        db.set(b"k%d" % i, b"v")
    return ks, db


def test_random_key_of_empty_db():
    _, db = _db(0)
    assert KeySampler().random_key(db) is None


def test_random_key_covers_all_keys_and_sees_new_ones():
    random.seed(1)
    _, db = _db(3)
    sampler = KeySampler()
    assert {sampler.random_key(db) for _ in range(200)} == {b"k0", b"k1", b"k2"}
    db.set(b"new", b"v")
    assert b"new" in {sampler.random_key(db) for _ in range(200)}
    db.delete(b"k0")
    assert b"k0" not in {sampler.random_key(db) for _ in range(200)}


def test_random_key_never_returns_an_expired_key():
    ks, db = _db(50)
    for i in range(49):
        db.set_expire(b"k%d" % i, ks.clock.now_ms() - 1)
    sampler = KeySampler()
    assert sampler.random_key(db) == b"k49"
    for i in range(49, 50):
        db.set_expire(b"k%d" % i, ks.clock.now_ms() - 1)
    assert sampler.random_key(db) is None


def test_random_key_after_flush_and_swap():
    ks = Keyspace(2, ManualClock())
    ks.dbs[0].set(b"a", b"1")
    ks.dbs[1].set(b"b", b"1")
    sampler = KeySampler()
    assert sampler.random_key(ks.dbs[0]) == b"a"
    ks.swap(0, 1)
    assert sampler.random_key(ks.dbs[0]) == b"b"
    ks.dbs[0].flush()
    ks.dbs[0].set(b"c", b"1")
    assert sampler.random_key(ks.dbs[0]) == b"c"


def test_random_key_among_many_expired_keys_is_not_quadratic(monkeypatch):
    ks, db = _db(20_000)
    for i in range(19_999):
        db.set_expire(b"k%d" % i, ks.clock.now_ms() - 1)
    lookups = []
    original = type(db).peek
    monkeypatch.setattr(type(db), "peek", lambda self, key: lookups.append(key) or original(self, key))
    assert KeySampler().random_key(db) == b"k19999"
    assert len(lookups) <= 16  # a rebuild from live keys after at most 8 misses
