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

