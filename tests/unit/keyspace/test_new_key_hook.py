"""Keyspace.on_new (Redis's dbAdd and its "new" event), and Database.set over an expired key."""
from __future__ import annotations

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.keyspace import Keyspace
from damselfly.keyspace.clock import ManualClock


def _ks():
    ks = Keyspace(2, ManualClock())
    events: list[tuple[bytes, str]] = []
    ks.add_listener(lambda db, key, event, kind: events.append((key, event)))
    ks.on_new = lambda db, key: events.append((key, "new"))
    return ks, ks.dbs[0], events


def test_set_reports_a_creation_only():
    ks, db, events = _ks()
    db.set(b"k", b"1")
    db.set(b"k", b"2")
    db.set(b"j", b"1", keep_ttl=True)
    assert events == [(b"k", "new"), (b"j", "new")]


def test_new_is_not_a_change():
    """on_new bypasses changed(): no listener call and no dirty count of its own."""
    ks, db, events = _ks()
    ks.on_new = lambda db, key: None
    db.set(b"k", b"1")
    assert events == [] and ks.dirty == 0


def test_an_expired_key_expires_before_it_is_created_again():
    ks, db, events = _ks()
    db.set(b"k", b"1")
    db.set_expire(b"k", ks.clock.now_ms() + 10)
    db.set(b"t", b"1")
    db.set_expire(b"t", ks.clock.now_ms() + 10)
    ks.clock.advance(10)
    events.clear()
    db.set(b"k", b"2")
    db.set(b"t", b"2", keep_ttl=True)  # SET ... KEEPTTL: the dead key's TTL is not kept
    assert events == [(b"k", "expired"), (b"k", "new"), (b"t", "expired"), (b"t", "new")]
    assert db.ttl_ms(b"t") is None and db.lookup(b"t") == b"2"
    assert ks.expired_keys == 2 and ks.dirty == 0  # expiries are not changes


def test_a_live_ttl_is_dropped_or_kept():
    ks, db, events = _ks()
    for key in (b"a", b"b"):
        db.set(key, b"1")
        db.set_expire(key, ks.clock.now_ms() + 100)
    db.set(b"a", b"2")
    db.set(b"b", b"2", keep_ttl=True)
    assert db.ttl_ms(b"a") is None and db.ttl_ms(b"b") == 100
    assert [e for e in events if e[1] != "new"] == []


def test_set_pairs_reclaims_expired_keys_and_reports_creations():
    ks, db, events = _ks()
    db.set(b"k", b"1")
    db.set_expire(b"k", ks.clock.now_ms() + 10)
    db.set(b"live", b"1")
    db.set_expire(b"live", ks.clock.now_ms() + 1000)
    ks.clock.advance(10)
    events.clear()
    db.set_pairs([b"MSET", b"a", b"1", b"k", b"2", b"a", b"3"])
    assert events == [(b"a", "new"), (b"k", "expired"), (b"k", "new")]
    ks.on_new = None  # the C-level loops: the expired key still expires, the live TTL is dropped
    db.set(b"k", b"3")
    db.set_expire(b"k", ks.clock.now_ms() + 10)
    ks.clock.advance(10)
    events.clear()
    db.set_pairs([b"MSET", b"k", b"4", b"live", b"2"])
    assert events == [(b"k", "expired")]
    assert db.lookup(b"k") == b"4" and db.ttl_ms(b"k") is None and db.ttl_ms(b"live") is None
    assert ks.expired_keys == 2


def test_notifications_set_the_hook_only_for_n_with_k_or_e():
    """The hot path's one attribute test: on_new is None unless n and K or E are on."""
    config = Config()
    config.set("save", "")
    state = build_state(config)
    notifier = state.extensions["notifications"]
    ks = state.keyspace
    for flags, hooked, listening in [("", False, False), ("KEA", False, True), ("n", False, False),
                                     ("Kn", True, False), ("En$", True, True), ("AKEn", True, True),
                                     ("KEA", False, True), ("", False, False)]:
        config.set("notify-keyspace-events", flags)
        assert (ks.on_new is not None) is hooked, flags
        assert (notifier.on_change in ks.listeners) is listening, flags
    config.set("notify-keyspace-events", "KEAn")
    assert config.format("notify-keyspace-events") == "AKE"  # Redis prints A without n, and keeps n
    assert ks.on_new is not None
