"""Eviction without sockets: the memory model, key sampling, the policies, the OOM rules."""
from __future__ import annotations

import random
import sys

import pytest

from damselfly.keyspace.database import NotifyKind
from damselfly.keyspace.eviction import (EVICT_FAIL, EVICT_OK, EVPOOL_SIZE, RandomKeys, oom_check,
                                         time_limit_us)
from damselfly.memory import alloc, dict_table_bytes, dict_slots, entry_bytes

from ..commands._server_fixtures import Harness

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    random.seed(7)  # sampling is random; make each test's draws repeatable


def _harness(**options: str) -> Harness:
    """A state without a running loop: no later turns to continue in, so no time bound."""
    return Harness(maxmemory_eviction_tenacity="100", **options)


def _fill(h: Harness, n: int, db: int = 0, ttl_from: int | None = None) -> None:
    d = h.state.keyspace.dbs[db]
    for i in range(n):
        key = b"k%d" % i
        d.set(key, b"v" * 20)
        if ttl_from is not None and i >= ttl_from:
            d.set_expire(key, 4 * 10**12 + i)


def _squeeze(h: Harness, keep: float) -> int:
    """Set maxmemory to ``keep`` x the current figure; return the limit."""
    tracker = h.state.extensions["memory"]
    used = tracker.calibrate(h.state)
    limit = int(used * keep)
    h.state.config.set("maxmemory", str(limit))
    tracker.calibrated_at = 0.0  # let the next check recalibrate
    return limit


# -- the model -----------------------------------------------------------------------------

def test_dict_slots_follow_cpython_growth() -> None:
    d: dict[bytes, int] = {}
    for n in range(1, 20000):
        d[n.to_bytes(4, "big")] = n
        if n in (1, 5, 6, 11, 21, 43, 86, 171, 342, 683, 1366, 2731, 5462, 10923, 19999):
            ix = 1 if dict_slots(n) <= 0xFF else 2 if dict_slots(n) <= 0xFFFF else 4
            assert sys.getsizeof(d) == 96 + dict_slots(n) * ix + (dict_slots(n) * 2 // 3) * 24, n


def test_dict_table_model_is_linear_and_near_the_real_size() -> None:
    d: dict[bytes, int] = {}
    for n in range(1, 50001):
        d[n.to_bytes(4, "big")] = n
        if n % 97 == 0:
            assert 0.55 < dict_table_bytes(n) / sys.getsizeof(d) < 1.45, n
    assert abs((dict_table_bytes(2000) - dict_table_bytes(1999)) - (dict_table_bytes(3000) - dict_table_bytes(2999))) <= 1


def test_entry_bytes_rounds_like_pymalloc() -> None:
    assert alloc(33) == 48 and alloc(48) == 48 and alloc(49) == 64 and alloc(1000) == 1008
    assert entry_bytes(b"key", b"x" * 10) == 48 + 48
    small_hash = entry_bytes(b"h", {b"f%d" % i: b"v" for i in range(100)})
    assert small_hash > 100 * (48 + 48)


def test_used_memory_follows_the_key_count() -> None:
    h = Harness()
    tracker = h.state.extensions["memory"]
    empty = tracker.calibrate(h.state)
    assert empty == tracker.startup  # no clients, no keys
    _fill(h, 1000)
    full = tracker.calibrate(h.state)
    per_key = (full - empty) / 1000
    assert 150 < per_key < 250  # 48 (key) + 48 (value) + two tables of ~40 bytes a key
    h.state.keyspace.dbs[0].set(b"k1000", b"v" * 20)
    assert tracker.used_fast(h.state.keyspace) == full + int(tracker.per_key)
    for i in range(500):
        h.state.keyspace.dbs[0].delete(b"k%d" % i)
    assert tracker.calibrate(h.state) < empty + 0.6 * (full - empty)


def test_clients_are_counted() -> None:
    h = Harness()
    tracker = h.state.extensions["memory"]
    before = tracker.used(h.state)
    c = h.connect()
    c.outbox.output = 5000
    assert tracker.used(h.state) >= before + 5000  # INFO walks the clients every time
    c.outbox.output = 50000
    assert tracker.calibrate(h.state) < before + 50000  # the eviction check once a second
    h.state.keyspace.lru_clock += 1
    assert tracker.calibrate(h.state) >= before + 50000


# -- sampling ------------------------------------------------------------------------------

def test_random_keys_returns_live_keys_and_sees_new_ones() -> None:
    d = {i: None for i in range(1000)}
    sampler = RandomKeys()
    seen = set()
    for _ in range(400):
        seen.update(sampler.sample(d, 5))
    assert len(seen) > 800  # spread over the whole dict
    for i in range(900):
        del d[i]
    for _ in range(50):
        assert all(k in d for k in sampler.sample(d, 5))
    d.update({i: None for i in range(5000, 6000)})
    seen = set()
    for _ in range(400):
        seen.update(sampler.sample(d, 5))
    assert seen & set(range(5000, 6000))  # the list was rebuilt when the dict grew
    assert sampler.sample({}, 5) == []
    assert len(sampler.sample({1: None, 2: None}, 2**31 - 1)) == 2  # maxmemory-samples is unbounded


# -- policies ------------------------------------------------------------------------------

def _evicted(h: Harness) -> list[bytes]:
    seen: list[bytes] = []

    def listen(db, key, event, kind):  # type: ignore[no-untyped-def]
        if event == "evicted":
            assert kind == NotifyKind.EVICTED
            seen.append(key)

    h.state.keyspace.add_listener(listen)
    return seen


def test_allkeys_lru_evicts_the_idle_keys() -> None:
    h = _harness(maxmemory_policy="allkeys-lru", maxmemory_samples="10")
    _fill(h, 400)
    ks = h.state.keyspace
    db = ks.dbs[0]
    for i in range(400):
        db.lru[b"k%d" % i] = ks.lru_clock - (1000 if i < 200 else 0)
    evicted = _evicted(h)
    limit = _squeeze(h, 0.75)
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    assert h.state.extensions["memory"].used_fast(ks) <= limit
    assert 50 < len(evicted) < 200
    old = sum(1 for k in evicted if int(k[1:]) < 200)
    assert old >= 0.95 * len(evicted)
    assert h.state.stats.evicted_keys == len(evicted)


def test_allkeys_lfu_evicts_rarely_used_keys() -> None:
    h = _harness(maxmemory_policy="allkeys-lfu", maxmemory_samples="10")
    _fill(h, 400)
    ks = h.state.keyspace
    db = ks.dbs[0]
    minutes = (ks.lru_clock // 60) & 0xFFFF
    for i in range(400):
        db.lru[b"k%d" % i] = (minutes << 8) | (1 if i % 2 else 50)
    evicted = _evicted(h)
    _squeeze(h, 0.8)
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    assert evicted and sum(1 for k in evicted if int(k[1:]) % 2) >= 0.95 * len(evicted)


def test_volatile_ttl_takes_the_nearest_deadline_and_spares_persistent_keys() -> None:
    h = _harness(maxmemory_policy="volatile-ttl", maxmemory_samples="10")
    _fill(h, 400, ttl_from=200)  # k200..k399 expire, sooner for lower numbers
    evicted = _evicted(h)
    _squeeze(h, 0.85)
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    assert evicted and all(int(k[1:]) >= 200 for k in evicted)
    assert sum(int(k[1:]) for k in evicted) / len(evicted) < 300  # biased to the nearest


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_fail_without_volatile_keys(policy: str) -> None:
    h = _harness(maxmemory_policy=policy)
    _fill(h, 300)
    evicted = _evicted(h)
    _squeeze(h, 0.5)
    assert h.state.extensions["eviction"].perform() == EVICT_FAIL
    assert evicted == [] and len(h.state.keyspace.dbs[0]) == 300


@pytest.mark.parametrize("policy", ["allkeys-random", "volatile-random"])
def test_random_policies_spread_over_databases(policy: str) -> None:
    h = _harness(maxmemory_policy=policy)
    _fill(h, 300, db=0, ttl_from=0)
    _fill(h, 300, db=3, ttl_from=0)
    _squeeze(h, 0.6)
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    ks = h.state.keyspace
    assert len(ks.dbs[0]) < 300 and len(ks.dbs[3]) < 300


def test_pool_keeps_the_sixteen_best() -> None:
    h = _harness(maxmemory_policy="allkeys-lru", maxmemory_samples="64")
    _fill(h, 200)
    ev = h.state.extensions["eviction"]
    db = h.state.keyspace.dbs[0]
    ev._populate(db, db.data, True, "lru")
    assert len(ev.pool) == EVPOOL_SIZE
    scores = [s for s, _, _ in ev.pool]
    assert scores == sorted(scores)


def test_eviction_is_notified_not_counted_as_a_change_and_dirties_watch() -> None:
    h = _harness(maxmemory_policy="allkeys-random")
    _fill(h, 2000)
    c = h.connect()
    h.run(c, "WATCH", *[f"k{i}" for i in range(0, 2000, 2)])
    dirty = h.state.keyspace.dirty
    evicted = _evicted(h)
    _squeeze(h, 0.5)
    h.state.extensions["eviction"].perform()
    assert evicted and h.state.keyspace.dirty == dirty
    assert c.dirty_cas
    h.run(c, "MULTI")
    h.run(c, "PING")
    assert h.run(c, "EXEC") == b"*-1\r\n"


def test_no_eviction_while_paused_or_loading() -> None:
    h = _harness(maxmemory_policy="allkeys-random")
    _fill(h, 100)
    _squeeze(h, 0.5)
    h.state.loading = True
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    h.state.loading = False
    h.state.pause_kind = "write"
    assert h.state.extensions["eviction"].perform() == EVICT_OK
    assert len(h.state.keyspace.dbs[0]) == 100


def test_tenacity_time_limits() -> None:
    assert time_limit_us(0) == 0 and time_limit_us(10) == 500
    assert time_limit_us(11) == pytest.approx(575)
    assert time_limit_us(100) == float("inf")


# -- the OOM rules (processCommand) -----------------------------------------------------------

def test_noeviction_refuses_denyoom_commands_only() -> None:
    h = Harness(maxmemory="1")
    c = h.connect()
    assert h.run(c, "SET", "a", "1") == OOM
    assert h.run(c, "GET", "a") == b"$-1\r\n"
    assert h.run(c, "DEL", "a") == b":0\r\n"  # not denyoom: frees memory
    spec = h.state.table.get(b"set")
    assert spec.rejected_calls >= 1
    assert h.state.stats.errorstats["OOM"] == 1


def test_oom_inside_multi_and_at_exec() -> None:
    h = Harness()
    c = h.connect()
    h.run(c, "MULTI")
    assert h.run(c, "SET", "a", "1") == b"+QUEUED\r\n"
    h.state.config.set("maxmemory", "1")
    assert h.run(c, "EXEC") == (b"-EXECABORT Transaction discarded because of: "
                                b"OOM command not allowed when used memory > 'maxmemory'.\r\n")
    assert c.multi is None
    assert h.run(c, "MULTI") == b"+OK\r\n"
    assert h.run(c, "GET", "a") == OOM  # inside MULTI everything but EXEC/DISCARD/QUIT/RESET
    assert h.run(c, "EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    h.state.config.set("maxmemory", "0")
    h.run(c, "MULTI")
    h.run(c, "GET", "a")
    h.state.config.set("maxmemory", "1")
    assert h.run(c, "EXEC") == b"*1\r\n$-1\r\n"  # no denyoom command queued
    assert h.run(c, "EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_oom_check_is_silent_under_the_limit() -> None:
    h = Harness(maxmemory="100mb")
    c = h.connect()
    oom_check(c, h.state.table.get(b"set"), [b"SET", b"a", b"1"])
    assert h.run(c, "SET", "a", "1") == b"+OK\r\n"


def test_large_writes_are_seen_before_the_next_sample() -> None:
    h = _harness(maxmemory_policy="allkeys-random")
    _fill(h, 2000)
    tracker = h.state.extensions["memory"]
    h.state.config.set("maxmemory", str(tracker.calibrate(h.state) + 200_000))
    c = h.connect()
    assert h.run(c, "PING") == b"+PONG\r\n"  # measured: 200 KB of headroom
    assert h.run(c, "SET", "big", "x" * 300_000) == b"+OK\r\n"
    h.run(c, "PING")  # same second, one change: only the bytes written tell
    assert h.state.stats.evicted_keys > 0


def test_time_over_the_limit_is_kept_in_stats_and_reset() -> None:
    h = Harness(maxmemory="1")
    c = h.connect()
    assert h.run(c, "SET", "a", "1") == OOM
    stats = h.state.stats
    assert stats.eviction_exceeded_since > 0  # a period over the limit is open
    h.state.config.set("maxmemory", "0")
    h.run(c, "CONFIG", "RESETSTAT")
    assert stats.eviction_exceeded_since == 0 and stats.eviction_exceeded_total == 0
    h.state.config.set("maxmemory", "100mb")
    h.state.config.set("maxmemory", "1")
    h.run(c, "SET", "a", "1")
    h.state.config.set("maxmemory", "100mb")
    h.run(c, "SET", "a", "1")  # back under: the period closes into the total
    assert stats.eviction_exceeded_since == 0 and stats.eviction_exceeded_total > 0


def test_one_huge_key_among_small_ones_is_counted() -> None:
    from damselfly.types.list import List
    h = _harness()
    _fill(h, 5000)
    tracker = h.state.extensions["memory"]
    small = tracker.calibrate(h.state)
    db = h.state.keyspace.dbs[0]
    big = List([b"x" * 100] * 20000)  # grown by small pushes: no large write to notice
    db.set(b"biglist", big)
    c = h.connect()
    h.state.config.set("maxmemory", "1gb")
    h.run(c, "SET", "bigstring", "y" * 1_000_000)  # a large write marks its key
    for _ in range(200):  # sampling finds the list sooner or later; then it is tracked
        tracker.calibrate(h.state)
        if b"biglist" in tracker.heavy.get(0, {}):
            break
    used = tracker.calibrate(h.state)
    assert used - small > 1_000_000 + 20000 * 8
    assert b"bigstring" in tracker.heavy[0] and b"biglist" in tracker.heavy[0]
    assert tracker.per_key < 400  # the average key stays small
    db.delete(b"bigstring")
    assert tracker.calibrate(h.state) < used - 900_000
    assert b"bigstring" not in tracker.heavy[0]
