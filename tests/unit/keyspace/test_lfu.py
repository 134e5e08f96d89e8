"""Redis's LFU counter: initial value, logarithmic growth, decay per elapsed minutes."""
from __future__ import annotations

from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock
from damselfly.keyspace.lfu import LFU_INIT_VAL, decayed_counter, elapsed_minutes, frequency, log_incr, minutes


def _lfu_db():
    ks = Keyspace(1, ManualClock(60_000 * 1000))
    ks.lru_clock = ks.clock.now_ms() // 1000
    ks.lfu = True
    return ks, ks.dbs[0]


def test_new_key_starts_at_init_value_and_first_access_always_counts():
    ks, db = _lfu_db()
    db.set(b"k", b"v")
    assert frequency(db, b"k") == LFU_INIT_VAL
    db.lookup(b"k")
    assert frequency(db, b"k") == LFU_INIT_VAL + 1


def test_overwrite_counts_one_access():
    ks, db = _lfu_db()
    db.set(b"k", b"v")
    db.set(b"k", b"w")  # Redis's setKey looks the key up first: one access
    assert frequency(db, b"k") == LFU_INIT_VAL + 1
    db.delete(b"k")
    db.set(b"k", b"v")
    assert frequency(db, b"k") == LFU_INIT_VAL


def test_growth_is_logarithmic_and_saturates():
    counter = LFU_INIT_VAL
    for _ in range(1000):
        counter = log_incr(counter, 10)
    assert LFU_INIT_VAL < counter < 40
    assert log_incr(255, 10) == 255
    assert log_incr(3, 10) == 4  # below the initial value every access counts
    assert log_incr(100, 0) == 101  # lfu-log-factor 0: every access counts


def test_decay_one_per_period():
    now = minutes(3600 * 10)
    word = ((now - 3) & 0xFFFF) << 8 | 10
    assert decayed_counter(word, now, 1) == 7
    assert decayed_counter(word, now, 2) == 9
    assert decayed_counter(word, now, 0) == 10  # lfu-decay-time 0: never decays
    assert decayed_counter(((now - 50) & 0xFFFF) << 8 | 10, now, 1) == 0


def test_minutes_wrap():
    assert elapsed_minutes(65530, 5) == 10
    assert elapsed_minutes(5, 7) == 2


def test_access_after_minutes_decays_then_increments():
    ks, db = _lfu_db()
    db.set(b"k", b"v")
    db.lookup(b"k")
    assert frequency(db, b"k") == 6
    ks.clock.advance(120_000)
    ks.lru_clock = ks.clock.now_ms() // 1000
    assert frequency(db, b"k") == 4
    db.lookup(b"k")
    assert frequency(db, b"k") == 5  # below LFU_INIT_VAL the increment is certain
