"""maxmemory over real TCP: OOM replies, eviction policies, and what an eviction signals."""
from __future__ import annotations

import time

import pytest
import redis

from tests.resp import RawConnection

OOM_TEXT = "OOM command not allowed when used memory > 'maxmemory'."


def _fill(client: redis.Redis, prefix: str, n: int, size: int = 20) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}:{i}", "v" * size)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()


def _wait_for(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("protocol", [2, 3])
def test_noeviction_refuses_writes_with_redis_text(start_server, protocol: int) -> None:
    srv = start_server(maxmemory="1")
    client = redis.Redis(host=srv.host, port=srv.port, protocol=protocol)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match="used memory > 'maxmemory'"):
        client.set("a", "1")
    assert client.get("a") is None
    assert client.delete("a") == 0
    info = client.info()
    assert info["errorstat_OOM"]["count"] == 1
    raw = RawConnection(srv.host, srv.port)
    assert raw.command("LPUSH", "l", "x") == f"-{OOM_TEXT}\r\n".encode()
    raw.close()


def test_transaction_rules(start_server) -> None:
    srv = start_server()
    raw = RawConnection(srv.host, srv.port)
    admin = redis.Redis(host=srv.host, port=srv.port)
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("SET", "k", "v") == b"+QUEUED\r\n"
    admin.config_set("maxmemory", "1")
    assert raw.command("EXEC") == f"-EXECABORT Transaction discarded because of: {OOM_TEXT}\r\n".encode()
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("PING") == f"-{OOM_TEXT}\r\n".encode()
    assert raw.command("DISCARD") == b"+OK\r\n"
    raw.close()


def test_allkeys_lru_keeps_recently_used_keys(start_server) -> None:
    srv = start_server(maxmemory="3mb", maxmemory_policy="allkeys-lru")
    client = redis.Redis(host=srv.host, port=srv.port)
    _fill(client, "hot", 200)
    _fill(client, "cold", 10000)
    time.sleep(1.3)  # the LRU clock has a resolution of one second, as Redis's
    assert all(client.mget([f"hot:{i}" for i in range(200)]))
    # and again before the new keys, so hot keys are strictly newer than cold ones and
    # strictly older than new ones
    time.sleep(1.3)
    batch = 0
    # Cold keys stay over a third of the keyspace, so 5 samples nearly always find one
    # for the pool: approximate LRU then evicts hot keys only by rare bad luck. (With
    # cold keys under a fifth, fewer than one per eviction enters the pool, and Redis's
    # algorithm, like this one, starts taking the next-oldest keys: the hot ones.)
    while client.info("stats")["evicted_keys"] < 3000:
        _fill(client, f"new{batch}", 500)
        batch += 1
    info = client.info()
    assert info["used_memory"] <= info["maxmemory"] + 64 * 1024
    hot = sum(1 for v in client.mget([f"hot:{i}" for i in range(200)]) if v is not None)
    cold = sum(1 for v in client.mget([f"cold:{i}" for i in range(10000)]) if v is not None)
    assert hot >= 190 and cold <= 10000 - 2500


def test_allkeys_lfu_keeps_frequently_used_keys(start_server) -> None:
    srv = start_server(maxmemory="3mb", maxmemory_policy="allkeys-lfu", lfu_log_factor="0")
    client = redis.Redis(host=srv.host, port=srv.port)
    _fill(client, "hot", 200)
    for _ in range(10):  # log factor 0: every access adds one to the counter
        client.mget([f"hot:{i}" for i in range(200)])
    _fill(client, "new", 30000)
    assert client.info()["evicted_keys"] > 0
    hot = sum(1 for v in client.mget([f"hot:{i}" for i in range(200)]) if v is not None)
    assert hot >= 190
    assert client.object("freq", "hot:0") >= 10


def test_volatile_policy_spares_persistent_keys(start_server) -> None:
    srv = start_server(maxmemory="2mb", maxmemory_policy="volatile-lru")
    client = redis.Redis(host=srv.host, port=srv.port)
    _fill(client, "keep", 2000)
    pipe = client.pipeline(transaction=False)
    for i in range(30000):
        pipe.set(f"tmp:{i}", "v" * 20, ex=3600)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    assert client.info()["evicted_keys"] > 0
    assert client.exists(*[f"keep:{i}" for i in range(2000)]) == 2000


def test_eviction_is_a_keyspace_event_and_invalidates_tracking(start_server) -> None:
    srv = start_server(maxmemory_policy="allkeys-random", notify_keyspace_events="Ee")
    client = redis.Redis(host=srv.host, port=srv.port)
    _fill(client, "k", 2000)
    sub = client.pubsub()
    sub.subscribe("__keyevent@0__:evicted")
    assert sub.get_message(timeout=1)["type"] == "subscribe"
    tracked = [f"k:{i}" for i in range(20)]
    tracker = RawConnection(srv.host, srv.port)
    tracker.command("HELLO", "3")
    tracker.command("CLIENT", "TRACKING", "on")
    for k in tracked:
        tracker.command("GET", k)
    watcher = RawConnection(srv.host, srv.port)
    watcher.command("WATCH", *tracked)
    used = client.info("memory")["used_memory"]
    client.config_set("maxmemory", str(used // 3))  # evicts in the following loop turns
    assert _wait_for(lambda: client.dbsize() < 900)
    gone = {k for k in tracked if not client.exists(k)}
    assert gone  # 20 keys, each evicted with probability > 1/2
    invalidated: set[str] = set()
    while invalidated != gone:
        push = tracker.read_reply()
        assert push.startswith(b">2\r\n$10\r\ninvalidate\r\n*1\r\n"), push
        invalidated.add(push.split(b"\r\n")[-2].decode())
        assert invalidated <= gone
    watcher.command("MULTI")
    watcher.command("PING")
    assert watcher.command("EXEC") == b"*-1\r\n"
    msg = sub.get_message(timeout=1)
    assert msg["type"] == "message" and msg["data"].startswith(b"k:")
    assert client.info("stats")["evicted_keys"] > 1100
    assert client.info("persistence")["rdb_changes_since_last_save"] == 2000  # evictions are not changes
    tracker.close()
    watcher.close()
    sub.close()


def test_info_memory_and_stats_fields(start_server) -> None:
    srv = start_server(maxmemory="100mb", maxmemory_policy="allkeys-lru")
    client = redis.Redis(host=srv.host, port=srv.port)
    empty = client.info("memory")
    _fill(client, "k", 5000)
    full = client.info("memory")
    for name in ("used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
                 "used_memory_peak_perc", "used_memory_overhead", "used_memory_startup",
                 "used_memory_dataset", "used_memory_dataset_perc", "maxmemory", "maxmemory_human",
                 "maxmemory_policy", "mem_fragmentation_ratio", "mem_not_counted_for_evict",
                 "mem_clients_normal", "mem_allocator"):
        assert name in full, name
    assert full["maxmemory"] == 100 * 1024 * 1024 and full["maxmemory_policy"] == "allkeys-lru"
    per_key = (full["used_memory"] - empty["used_memory"]) / 5000
    assert 100 < per_key < 400
    assert full["used_memory_peak"] >= full["used_memory"]
    assert full["used_memory_dataset"] + full["used_memory_overhead"] == full["used_memory"]
    client.flushall()
    assert client.info("memory")["used_memory"] < empty["used_memory"] + 10000
    stats = client.info("stats")
    for name in ("evicted_keys", "total_eviction_exceeded_time", "current_eviction_exceeded_time"):
        assert isinstance(stats[name], int), name


def test_volatile_lfu_keeps_frequent_volatile_keys_and_never_evicts_persistent_ones(start_server) -> None:
    """Keys built with no limit, then maxmemory lowered to about half the rarely read keys' share.

    With lfu-log-factor 0 every read adds one to a key's counter and with lfu-decay-time 0
    nothing decays, so the counters are exact: persistent keys 5 (never read), frequently
    read volatile keys 15, rarely read volatile keys 6. Only volatile keys are candidates,
    and among them the sampled pool always holds rarely read ones (25 of every 26 volatile
    keys, and at least half of them stay), so each eviction takes one of those: the count
    of rarely read keys falls by exactly ``evicted_keys``, and no other key goes.
    """
    srv = start_server(maxmemory_policy="volatile-lfu", lfu_log_factor="0", lfu_decay_time="0")
    client = redis.Redis(host=srv.host, port=srv.port)
    persistent = [f"keep:{i}" for i in range(2000)]
    hot = [f"hot:{i}" for i in range(200)]
    rare = [f"rare:{i}" for i in range(5000)]
    _fill(client, "keep", len(persistent), size=200)
    before = client.info("memory")["used_memory"]
    pipe = client.pipeline(transaction=False)
    for name in hot + rare:
        pipe.set(name, "v" * 200, ex=3600)
    pipe.execute()
    for _ in range(10):
        client.mget(hot)
    client.mget(rare)
    assert (client.object("freq", persistent[0]), client.object("freq", hot[0]),
            client.object("freq", rare[0])) == (5, 15, 6)
    used = client.info("memory")["used_memory"]
    share = (used - before) * len(rare) // (len(rare) + len(hot))  # what the rarely read keys hold

    client.config_set("maxmemory", str(used - share // 2))
    assert _wait_for(lambda: client.info("memory")["used_memory"] <= used - share // 2, timeout=30)
    evicted = client.info("stats")["evicted_keys"]
    print(f"volatile-lfu: {evicted} of {len(rare)} rarely read keys evicted")
    assert evicted >= len(rare) // 5  # a good part of the rarely read keys went
    assert client.exists(*persistent) == len(persistent)  # never a persistent key, though the coldest
    assert client.exists(*hot) == len(hot)  # never a frequently read one
    assert client.exists(*rare) == len(rare) - evicted  # every eviction was a rarely read key
    client.config_set("maxmemory", "0")
