"""Keyspace notifications as a listener on the change hook, without sockets."""
from __future__ import annotations

from damselfly.control.notifications import ALL, parse_flags
from damselfly.keyspace import NotifyKind

from .conftest import run


def messages(client) -> list[tuple[bytes, bytes, bytes]]:
    return [(pattern or b"", channel, payload) for pattern, channel, payload in client.outbox.messages()]


def test_keyspace_then_keyevent_per_change(state, new_client) -> None:
    sub = new_client()
    run(sub, "PSUBSCRIBE", "__key*__:*")
    w = new_client()
    run(w, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    run(w, "SET", "a", "1")
    run(w, "SELECT", "3")
    run(w, "DEL", "a")  # nothing deleted in db 3: no event
    run(w, "SET", "b", "2")
    assert messages(sub) == [
        (b"__key*__:*", b"__keyspace@0__:a", b"set"), (b"__key*__:*", b"__keyevent@0__:set", b"a"),
        (b"__key*__:*", b"__keyspace@3__:b", b"set"), (b"__key*__:*", b"__keyevent@3__:set", b"b"),
    ]


def test_classes_filter_events(state, new_client) -> None:
    sub = new_client()
    run(sub, "PSUBSCRIBE", "*")
    w = new_client()
    run(w, "CONFIG", "SET", "notify-keyspace-events", "Eg")  # generic only: SET is a string event
    run(w, "SET", "a", "1")
    run(w, "DEL", "a")
    assert messages(sub) == [(b"*", b"__keyevent@0__:del", b"a")]


def test_keymiss_needs_m_and_a_does_not_include_it(state, new_client) -> None:
    sub = new_client()
    run(sub, "PSUBSCRIBE", "*")
    w = new_client()
    run(w, "CONFIG", "SET", "notify-keyspace-events", "KA")
    run(w, "GET", "missing")
    assert messages(sub) == []
    run(w, "CONFIG", "SET", "notify-keyspace-events", "Km")
    run(w, "GET", "missing")
    assert messages(sub) == [(b"*", b"__keyspace@0__:missing", b"keymiss")]


def test_no_target_flag_means_no_listener(state, new_client) -> None:
    w = new_client()
    run(w, "CONFIG", "SET", "notify-keyspace-events", "A")  # neither K nor E
    notifier = state.extensions["notifications"]
    assert notifier.on_change not in state.keyspace.listeners
    run(w, "CONFIG", "SET", "notify-keyspace-events", "AE")
    assert notifier.on_change in state.keyspace.listeners
    run(w, "CONFIG", "SET", "notify-keyspace-events", "")
    assert notifier.on_change not in state.keyspace.listeners


def test_canonical_spelling_is_what_config_get_shows(state, new_client) -> None:
    w = new_client()
    for given, shown in [("KEA", b"AKE"), ("nm$", b"$nm"), ("An", b"A"), ("gEx", b"gxE"),
                         ("g$lshzxetd", b"A"), ("", b"")]:
        run(w, "CONFIG", "SET", "notify-keyspace-events", given)
        reply = run(w, "CONFIG", "GET", "notify-keyspace-events")
        assert list(reply.values()) == [shown] or list(reply.values()) == [shown.decode()]


def test_letters_map_to_notify_kind_bits() -> None:
    assert parse_flags("K") == NotifyKind.KEYSPACE and parse_flags("E") == NotifyKind.KEYEVENT
    assert parse_flags("A") == ALL
    assert not parse_flags("A") & (NotifyKind.KEY_MISS | NotifyKind.NEW)
    assert parse_flags("$lshz") == (NotifyKind.STRING | NotifyKind.LIST | NotifyKind.SET
                                    | NotifyKind.HASH | NotifyKind.ZSET)
