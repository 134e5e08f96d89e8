"""Generic key commands without sockets, on a manual clock: exact TTLs, expiry, access times, events."""
from __future__ import annotations


import pytest

from damselfly.errors import CommandError
from damselfly.protocol.reply import OK

from ..state_harness import Harness


@pytest.fixture
def h():
    return Harness()


@pytest.fixture
def c(h):
    return h.connect()


def events(h):
    seen = []
    h.state.keyspace.add_listener(lambda db, key, event, kind: seen.append((db.index, key, event)))
    return seen


def tick(h, ms):
    """Move time and run the cron's keyspace step (active expiry, access clock)."""
    h.clock.advance(ms)
    h.state.keyspace.active_expire_cycle()


def test_ttl_family_on_a_manual_clock(h, c):
    h.call(c, "SET", "k", "v")
    assert h.call(c, "PEXPIRE", "k", "10500") == 1
    assert h.call(c, "PTTL", "k") == 10500
    assert h.call(c, "TTL", "k") == 11  # rounded, as Redis does
    tick(h, 1000)
    assert h.call(c, "TTL", "k") == 10
    assert h.call(c, "PEXPIRETIME", "k") == h.clock.ms + 9500
    assert h.call(c, "EXPIRETIME", "k") == (h.clock.ms + 9500 + 500) // 1000
    tick(h, 9499)
    assert h.call(c, "PTTL", "k") == 1
    tick(h, 1)
    assert h.call(c, "PTTL", "k") == -2
    assert h.call(c, "EXISTS", "k") == 0


def test_lazy_expiry_fires_expired_once(h, c):
    seen = events(h)
    h.call(c, "SET", "k", "v", "PX", "100")
    h.clock.advance(100)  # no cron: only the lookup notices
    assert h.call(c, "GET", "k") is None
    assert seen == [(0, b"k", "set"), (0, b"k", "expire"), (0, b"k", "expired"), (0, b"k", "keymiss")]


def test_expire_in_the_past_deletes_with_del(h, c):
    seen = events(h)
    h.call(c, "SET", "k", "v")
    assert h.call(c, "EXPIREAT", "k", str(h.clock.ms // 1000 - 1)) == 1
    assert seen[-1] == (0, b"k", "del")
    assert h.call(c, "DBSIZE") == 0
    h.call(c, "SET", "k", "v")
    assert h.call(c, "PEXPIRE", "k", "0") == 1
    assert h.call(c, "EXISTS", "k") == 0


def test_gt_lt_compare_deadlines(h, c):
    h.call(c, "SET", "k", "v")
    assert h.call(c, "PEXPIRE", "k", "1000", "GT") == 0  # no TTL counts as infinite
    assert h.call(c, "PEXPIRE", "k", "1000", "LT") == 1
    assert h.call(c, "PEXPIRE", "k", "1000", "LT") == 0  # equal is not less
    assert h.call(c, "PEXPIRE", "k", "999", "LT") == 1
    assert h.call(c, "PEXPIRE", "k", "999", "GT") == 0
    assert h.call(c, "PEXPIRE", "k", "2000", "GT") == 1
    assert h.call(c, "PTTL", "k") == 2000


def test_persist(h, c):
    seen = events(h)
    h.call(c, "SET", "k", "v", "EX", "10")
    assert h.call(c, "PERSIST", "k") == 1
    assert h.call(c, "PERSIST", "k") == 0
    assert seen[-1] == (0, b"k", "persist")
    assert h.call(c, "TTL", "k") == -1


def test_rename_keeps_ttl(h, c):
    seen = events(h)
    h.call(c, "SET", "a", "v", "PX", "5000")
    tick(h, 3000)
    assert h.call(c, "RENAME", "a", "b") == OK
    assert h.call(c, "PTTL", "b") == 2000
    assert h.call(c, "OBJECT", "IDLETIME", "b") == 0  # RENAME's write lookup is an access, as in Redis
    assert seen[-2:] == [(0, b"a", "rename_from"), (0, b"b", "rename_to")]


def test_copy_is_a_new_object(h, c):
    seen = events(h)
    h.call(c, "RPUSH", "l", "a")
    tick(h, 4000)
    assert h.call(c, "COPY", "l", "l2", "DB", "3") == 1
    assert seen[-1] == (3, b"l2", "copy_to")
    c.select(3)
    assert h.call(c, "OBJECT", "IDLETIME", "l2") == 0
    h.call(c, "RPUSH", "l2", "b")
    c.select(0)
    assert h.call(c, "LLEN", "l") == 1


def test_move_events_and_ttl(h, c):
    seen = events(h)
    h.call(c, "SET", "k", "v", "PX", "7000")
    assert h.call(c, "MOVE", "k", "2") == 1
    assert seen[-2:] == [(0, b"k", "move_from"), (2, b"k", "move_to")]
    c.select(2)
    assert h.call(c, "PTTL", "k") == 7000


def test_inspection_does_not_touch_but_reads_do(h, c):
    h.call(c, "SET", "k", "v")
    tick(h, 5000)
    for cmd in (["TYPE", "k"], ["EXISTS", "k"], ["TTL", "k"], ["OBJECT", "ENCODING", "k"],
                ["KEYS", "*"], ["SCAN", "0"], ["DBSIZE"], ["RANDOMKEY"]):
        h.call(c, *cmd)
    assert h.call(c, "OBJECT", "IDLETIME", "k") == 5
    h.call(c, "TOUCH", "k", "nope")
    assert h.call(c, "OBJECT", "IDLETIME", "k") == 0
    tick(h, 2000)
    h.call(c, "GET", "k")
    assert h.call(c, "OBJECT", "IDLETIME", "k") == 0


def test_touch_counts_existing_keys(h, c):
    h.call(c, "MSET", "a", "1", "b", "2")
    assert h.call(c, "TOUCH", "a", "b", "c", "a") == 3


def test_lfu_policy_switches_object_freq_and_idletime(h, c):
    h.call(c, "SET", "k", "v")
    with pytest.raises(CommandError):
        raise h.call(c, "OBJECT", "FREQ", "k")
    h.state.config.set("maxmemory-policy", "allkeys-lfu")
    h.call(c, "SET", "n", "v")
    assert h.call(c, "OBJECT", "FREQ", "n") == 5
    h.call(c, "GET", "n")
    assert h.call(c, "OBJECT", "FREQ", "n") == 6
    err = h.call(c, "OBJECT", "IDLETIME", "n")
    assert isinstance(err, CommandError) and "LFU maxmemory policy is selected" in err.message
    h.state.config.set("maxmemory-policy", "volatile-lru")
    assert isinstance(h.call(c, "OBJECT", "FREQ", "n"), CommandError)


def test_refcount_of_shared_integers_depends_on_policy(h, c):
    h.call(c, "SET", "k", "42")
    assert h.call(c, "OBJECT", "REFCOUNT", "k") == 2**31 - 1
    h.state.config.set("maxmemory", "100mb")
    h.state.config.set("maxmemory-policy", "allkeys-lru")
    assert h.call(c, "OBJECT", "REFCOUNT", "k") == 1
    h.state.config.set("maxmemory-policy", "noeviction")
    assert h.call(c, "OBJECT", "REFCOUNT", "k") == 2**31 - 1


def test_swapdb_signals_both_databases(h, c):
    seen = events(h)
    h.call(c, "SET", "a", "1")
    assert h.call(c, "SWAPDB", "0", "5") == OK
    assert seen[-2:] == [(0, None, "swapdb"), (5, None, "swapdb")]
    assert h.call(c, "DBSIZE") == 0
    c.select(5)
    assert h.call(c, "GET", "a") == b"1"
    assert h.call(c, "SWAPDB", "5", "5") == OK
    assert seen[-1] == (5, None, "swapdb")  # unchanged: swapping a db with itself signals nothing new


def test_scan_deletes_expired_keys_it_meets(h, c):
    h.call(c, "MSET", "a", "1", "b", "2")
    h.call(c, "PEXPIRE", "a", "10")
    h.clock.advance(10)
    cursor, keys = h.call(c, "SCAN", "0")
    assert cursor == b"0" and keys == [b"b"]
    assert h.call(c, "DBSIZE") == 1


def test_scan_iteration_survives_writes(h, c):
    for i in range(100):
        h.call(c, "SET", f"k{i}", "v")
    seen, cursor = set(), b"0"
    while True:
        cursor, keys = h.call(c, "SCAN", cursor, "COUNT", "9")
        seen.update(keys)
        h.call(c, "SET", f"new{len(seen)}", "v")
        h.call(c, "DEL", f"k{99 - len(seen) // 10}")
        if cursor == b"0":
            break
    assert {f"k{i}".encode() for i in range(80)} <= seen


def test_keys_skips_expired_without_deleting(h, c):
    h.call(c, "MSET", "a", "1", "b", "2")
    h.call(c, "PEXPIRE", "a", "10")
    h.clock.advance(10)
    assert h.call(c, "KEYS", "*") == [b"b"]
    assert h.call(c, "DBSIZE") == 2  # like Redis, until something looks the key up


def test_randomkey(h, c):
    assert h.call(c, "RANDOMKEY") is None
    h.call(c, "SET", "only", "v")
    assert h.call(c, "RANDOMKEY") == b"only"


def test_flushall_signals_every_database(h, c):
    seen = events(h)
    h.call(c, "FLUSHALL")
    assert [e for e in seen if e[2] == "flushall"] == [(i, None, "flushall") for i in range(16)]


def test_flush_counts_removed_keys_as_changes(h, c):
    ks = h.state.keyspace
    h.call(c, "MSET", "a", "1", "b", "2", "c", "3")
    before = ks.dirty
    assert h.call(c, "FLUSHDB", "sync") == OK
    assert ks.dirty == before + 3
    h.call(c, "MSET", "a", "1", "b", "2")
    c.select(2)
    h.call(c, "SET", "x", "1")
    before = ks.dirty
    assert h.call(c, "FLUSHALL", "ASYNC") == OK
    assert ks.dirty == before + 3  # redis-server 7.0.15 counts the removed keys only
    assert isinstance(h.call(c, "FLUSHALL", "lazy"), CommandError)
    assert h.call(c, "FLUSHDB", "sync\x00ignored") == OK  # compared as a C string, like Redis


@pytest.mark.parametrize("setup, command, changes", [
    ([], ["SET", "k", "v", "EX", "100"], 1),
    ([], ["SETEX", "k", "100", "v"], 1),
    ([], ["MSET", "a", "1", "b", "2"], 2),
    ([["SET", "k", "v"]], ["RENAME", "k", "k2"], 1),
    ([["SET", "k", "v"]], ["MOVE", "k", "1"], 1),
    ([["SET", "k", "v"]], ["COPY", "k", "k2"], 1),
    ([], ["SWAPDB", "0", "1"], 1),
    ([], ["SWAPDB", "0", "0"], 1),
    ([["MSET", "a", "1", "b", "2"]], ["DEL", "a", "b", "c"], 2),
    ([["SET", "k", "v"]], ["EXPIRE", "k", "100"], 1),
    ([["SET", "k", "v"]], ["EXPIRE", "k", "-1"], 1),
    ([["SET", "k", "v"]], ["SETRANGE", "k", "0", ""], 0),
    ([["SET", "k", "v"]], ["SET", "k", "w", "NX"], 0),
])
def test_dirty_counts_changes_as_redis(h, c, setup, command, changes):
    for cmd in setup:
        h.call(c, *cmd)
    before = h.state.keyspace.dirty
    h.call(c, *command)
    assert h.state.keyspace.dirty - before == changes


def test_scan_type_filter_reads_like_redis(h, c):
    """TYPE goes through a counted read lookup; "TYPE none" returns a key that lookup expired."""
    ks = h.state.keyspace
    h.call(c, "SET", "a", "1")
    h.call(c, "SET", "b", "1", "PX", "1")
    h.clock.advance(1)
    hits, misses = ks.keyspace_hits, ks.keyspace_misses
    assert h.call(c, "SCAN", "0", "TYPE", "none") == [b"0", [b"b"]]
    assert (ks.keyspace_hits - hits, ks.keyspace_misses - misses) == (1, 1)
    assert h.call(c, "DBSIZE") == 1
    h.call(c, "SET", "c", "1", "PX", "1")
    h.clock.advance(1)
    assert h.call(c, "SCAN", "0", "TYPE", "string") == [b"0", [b"a"]]
    assert h.call(c, "DBSIZE") == 1
