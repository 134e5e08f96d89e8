"""maxmemory against redis-server: OOM and EXECABORT texts, the MULTI rules, stats, INFO fields, options."""
from __future__ import annotations

from typing import Iterator

import pytest

from ..resp import RawConnection
from .conftest import Pair


@pytest.fixture
def admin(server, redis_server) -> Iterator[Pair]:
    """A second connection to each server, to change maxmemory under a transaction."""
    ours = RawConnection(server.host, server.port)
    theirs = RawConnection(redis_server.host, redis_server.port)
    p = Pair(ours, theirs)
    yield p
    p.check("CONFIG", "SET", "maxmemory", "0")
    ours.close()
    theirs.close()


def _stat_lines(text: bytes, *names: str) -> list[bytes]:
    return [line for line in text.split(b"\r\n") if line.split(b":", 1)[0].decode() in names]


def test_oom_replies_and_what_still_runs(pair: Pair, admin: Pair) -> None:
    pair.check("SET", "k", "v")
    admin.check("CONFIG", "SET", "maxmemory", "1")
    admin.check("CONFIG", "RESETSTAT")
    for cmd in (("SET", "a", "1"), ("LPUSH", "l", "x"), ("HSET", "h", "f", "v"), ("SADD", "s", "m"),
                ("ZADD", "z", "1", "m"), ("APPEND", "k", "x"), ("INCR", "n"), ("SETRANGE", "k", "0", "x")):
        pair.check(*cmd)
    for cmd in (("GET", "k"), ("EXISTS", "k"), ("PING",), ("DEL", "k"), ("EXPIRE", "a", "10"),
                ("GETDEL", "k"), ("DBSIZE",)):
        pair.check(*cmd)
    ours, theirs = pair.both("INFO", "errorstats")
    assert _stat_lines(ours, "errorstat_OOM") == _stat_lines(theirs, "errorstat_OOM")
    ours, theirs = pair.both("INFO", "commandstats")
    for name in ("cmdstat_set", "cmdstat_lpush"):
        assert [line.split(b",")[-2:] for line in _stat_lines(ours, name)] == \
               [line.split(b",")[-2:] for line in _stat_lines(theirs, name)]  # rejected/failed calls


def test_oom_in_resp3(pair3: Pair, admin: Pair) -> None:
    admin.check("CONFIG", "SET", "maxmemory", "1")
    pair3.check("SET", "a", "1")
    pair3.check("GET", "a")


def test_multi_queueing_and_exec_under_oom(pair: Pair, admin: Pair) -> None:
    pair.check("MULTI")
    pair.check("SET", "x", "1")
    pair.check("GET", "x")
    admin.check("CONFIG", "SET", "maxmemory", "1")
    pair.check("EXEC")  # a denyoom command is queued: EXECABORT with the OOM text
    pair.check("EXEC")  # the transaction was discarded
    pair.check("MULTI")
    pair.check("GET", "x")  # inside MULTI even reads are refused
    pair.check("PING")
    pair.check("EXEC")
    pair.check("MULTI")
    pair.check("DISCARD")
    admin.check("CONFIG", "SET", "maxmemory", "0")
    pair.check("MULTI")
    pair.check("GET", "x")
    admin.check("CONFIG", "SET", "maxmemory", "1")
    pair.check("EXEC")  # nothing denyoom queued: runs


def test_watch_and_exec_abort_under_oom(pair: Pair, admin: Pair) -> None:
    pair.check("WATCH", "w")
    pair.check("MULTI")
    pair.check("SET", "w", "1")
    admin.check("CONFIG", "SET", "maxmemory", "1")
    admin.check("CONFIG", "RESETSTAT")
    pair.check("EXEC")
    ours, theirs = pair.both("INFO", "errorstats")
    assert _stat_lines(ours, "errorstat_EXECABORT", "errorstat_OOM") == \
           _stat_lines(theirs, "errorstat_EXECABORT", "errorstat_OOM")
    ours, theirs = pair.both("INFO", "commandstats")
    assert [line.split(b",")[-2:] for line in _stat_lines(ours, "cmdstat_exec")] == \
           [line.split(b",")[-2:] for line in _stat_lines(theirs, "cmdstat_exec")]
    admin.check("CONFIG", "SET", "maxmemory", "0")
    pair.check("MULTI")  # WATCH was dropped with the transaction
    pair.check("EXEC")


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_with_nothing_to_evict(pair: Pair, admin: Pair, policy: str) -> None:
    admin.check("CONFIG", "SET", "maxmemory-policy", policy)
    try:
        admin.check("CONFIG", "SET", "maxmemory", "1")
        pair.check("SET", "a", "1")  # the empty keyspace cannot be evicted below 1 byte
        pair.check("GET", "a")
    finally:
        admin.check("CONFIG", "SET", "maxmemory", "0")
        admin.check("CONFIG", "SET", "maxmemory-policy", "noeviction")


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_without_volatile_keys(pair: Pair, admin: Pair, policy: str) -> None:
    pair.check("SET", "p", "1")
    admin.check("CONFIG", "SET", "maxmemory-policy", policy)
    try:
        admin.check("CONFIG", "SET", "maxmemory", "1")
        pair.check("SET", "a", "1")
        pair.check("EXISTS", "p")  # persistent keys are never evicted
    finally:
        admin.check("CONFIG", "SET", "maxmemory", "0")
        admin.check("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_options(pair: Pair) -> None:
    pair.check("CONFIG", "GET", "maxmemory-eviction-tenacity")
    pair.check("CONFIG", "GET", "maxmemory-samples")
    pair.check("CONFIG", "SET", "maxmemory-eviction-tenacity", "101")
    pair.check("CONFIG", "SET", "maxmemory-samples", "0")
    pair.check("CONFIG", "SET", "maxmemory-samples", "100")
    pair.check("CONFIG", "GET", "maxmemory-samples")
    pair.check("CONFIG", "SET", "maxmemory-samples", "5")
    pair.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    pair.check("CONFIG", "GET", "maxmemory-policy")
    pair.check("CONFIG", "SET", "maxmemory-policy", "noeviction")


MEMORY_FIELDS = ("used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
                 "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
                 "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
                 "used_memory_dataset_perc", "total_system_memory", "total_system_memory_human",
                 "maxmemory", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio",
                 "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
                 "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
                 "mem_cluster_links", "mem_aof_buffer", "mem_allocator", "active_defrag_running",
                 "lazyfree_pending_objects", "lazyfreed_objects")
STATS_FIELDS = ("evicted_keys", "evicted_clients", "total_eviction_exceeded_time",
                "current_eviction_exceeded_time")


def _names(text: bytes) -> list[str]:
    return [line.split(b":", 1)[0].decode() for line in text.split(b"\r\n")[1:] if b":" in line]


def test_info_fields_present_in_redis_order(pair: Pair) -> None:
    ours, theirs = pair.both("INFO", "memory")
    ours_names, theirs_names = _names(ours), _names(theirs)
    assert [n for n in theirs_names if n in MEMORY_FIELDS] == list(MEMORY_FIELDS)
    assert [n for n in ours_names if n in MEMORY_FIELDS] == list(MEMORY_FIELDS)
    ours, theirs = pair.both("INFO", "stats")
    ours_names, theirs_names = _names(ours), _names(theirs)
    assert [n for n in theirs_names if n in STATS_FIELDS] == list(STATS_FIELDS)
    assert [n for n in ours_names if n in STATS_FIELDS] == list(STATS_FIELDS)
    i = ours_names.index("evicted_keys")
    assert ours_names[i:i + 4] == theirs_names[theirs_names.index("evicted_keys"):][:4]


def test_eviction_event_and_count(server, redis_server, pair: Pair, admin: Pair) -> None:
    """Lowering maxmemory below the data evicts at once (Redis's eviction time proc): the same
    ``evicted`` event frames and evicted_keys on both."""
    subs = Pair(RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
    admin.check("CONFIG", "SET", "notify-keyspace-events", "Ee")
    admin.check("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    try:
        subs.check("SUBSCRIBE", "__keyevent@0__:evicted")
        pair.check("SET", "only", "1")
        admin.check("CONFIG", "RESETSTAT")
        admin.check("CONFIG", "SET", "maxmemory", "1")
        ours, theirs = subs.ours.read_reply(), subs.theirs.read_reply()
        assert ours == theirs == b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$4\r\nonly\r\n"
        pair.check("DBSIZE")
        ours, theirs = pair.both("INFO", "stats")
        assert _stat_lines(ours, "evicted_keys") == _stat_lines(theirs, "evicted_keys") == [b"evicted_keys:1"]
        pair.check("SET", "next", "1")  # nothing left to evict: OOM
    finally:
        admin.check("CONFIG", "SET", "maxmemory", "0")
        admin.check("CONFIG", "SET", "maxmemory-policy", "noeviction")
        admin.check("CONFIG", "SET", "notify-keyspace-events", "")
        subs.ours.close()
        subs.theirs.close()
