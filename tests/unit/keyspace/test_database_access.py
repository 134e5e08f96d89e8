"""Access tracking added to Database: which lookups count as an access, the cached clock."""
from __future__ import annotations

from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock


def _ks():
    ks = Keyspace(2, ManualClock())
    events = []
    ks.add_listener(lambda db, key, event, kind: events.append((key, event)))
    return ks, ks.dbs[0], events


def test_set_and_lookup_record_the_cached_clock():
    ks, db, _ = _ks()
    db.set(b"k", b"v")
    assert db.lru[b"k"] == ks.lru_clock
    ks.clock.advance(5000)
    assert db.lru[b"k"] == ks.lru_clock  # the clock only moves with the cron
    ks.active_expire_cycle()
    assert ks.lru_clock == ks.clock.now_ms() // 1000
    db.lookup(b"k")
    assert db.lru[b"k"] == ks.lru_clock


def test_peek_does_not_record_an_access():
    ks, db, _ = _ks()
    db.set(b"k", b"v")
    before = db.lru[b"k"]
    ks.clock.advance(5000)
    ks.active_expire_cycle()
    assert db.peek(b"k") == b"v"
    assert db.peek_read(b"k") == b"v"
    assert db.lru[b"k"] == before
    db.touch(b"k")
    assert db.lru[b"k"] == ks.lru_clock


def test_peek_still_expires_lazily():
    ks, db, events = _ks()
    db.set(b"k", b"v")
    db.set_expire(b"k", ks.clock.now_ms() + 10)
    ks.clock.advance(10)
    assert db.peek(b"k") is None
    assert b"k" not in db.data and b"k" not in db.lru
    assert events[-1] == (b"k", "expired")


def test_peek_read_counts_and_notifies_misses():
    ks, db, events = _ks()
    assert db.peek_read(b"nope") is None
    assert ks.keyspace_misses == 1 and events == [(b"nope", "keymiss")]
    assert db.peek_read(b"nope", notify=False) is None
    assert ks.keyspace_misses == 2 and len(events) == 1
    db.set(b"k", b"v")
    db.peek_read(b"k")
    assert ks.keyspace_hits == 1


def test_delete_and_flush_forget_access_times():
    _, db, _ = _ks()
    db.set(b"a", b"1")
    db.set(b"b", b"2")
    db.delete(b"a")
    assert b"a" not in db.lru
    db.flush()
    assert not db.lru


def test_swap_moves_access_times():
    ks, db, _ = _ks()
    db.set(b"k", b"v")
    ks.swap(0, 1)
    assert b"k" in ks.dbs[1].lru and not ks.dbs[0].lru



def _filled(lfu: bool = False, expiring: bool = False, listening: bool = False):
    ks = Keyspace(1, ManualClock())
    ks.lfu = lfu
    db = ks.dbs[0]
    db.set(b"a", b"1")
    db.set(b"b", b"2")
    if expiring:
        db.set_expire(b"b", ks.clock.now_ms() + 10)
        ks.clock.advance(10)
    if listening:
        ks.add_listener(lambda *args: None)
    return ks, db


def test_lookup_read_many_fast_and_slow_paths_agree():
    results = []
    for flags in [{}, {"lfu": True}, {"expiring": True}, {"listening": True}]:
        ks, db = _filled(**flags)
        values = db.lookup_read_many([b"a", b"b", b"nope", b"a"])
        results.append((values, ks.keyspace_hits, ks.keyspace_misses, b"a" in db.lru))
    plain, lfu, expiring, listening = results
    assert plain == lfu == listening == ([b"1", b"2", None, b"1"], 3, 1, True)
    assert expiring == ([b"1", None, None, b"1"], 2, 2, True)


def test_set_pairs_is_set_for_each_pair():
    for lfu in (False, True):
        ks, db = _filled(lfu=lfu)
        db.set_expire(b"a", ks.clock.now_ms() + 1000)
        db.set_pairs([b"MSET", b"a", b"x", b"c", b"y", b"a", b"z"])
        assert db.data == {b"a": b"z", b"b": b"2", b"c": b"y"}
        assert b"a" not in db.expires
        assert set(db.lru) == {b"a", b"b", b"c"}


def test_expiry_is_not_a_change_for_save_points():
    ks, db, events = _ks()
    db.set(b"k", b"v")
    db.set_expire(b"k", ks.clock.now_ms() + 5)
    before = ks.dirty
    ks.clock.advance(5)
    assert db.lookup(b"k") is None and events[-1] == (b"k", "expired")
    assert ks.dirty == before


def test_lookup_read_many_all_hits_touches_every_key():
    ks, db = _filled()
    ks.clock.advance(3000)
    ks.active_expire_cycle()
    assert db.lookup_read_many([b"a", b"b"]) == [b"1", b"2"]
    assert db.lru[b"a"] == db.lru[b"b"] == ks.lru_clock
    assert b"nope" not in db.lru
    db.lookup_read_many([b"a", b"nope"])
    assert b"nope" not in db.lru  # misses never create access records
