"""String commands without sockets, on a manual clock: exact deadlines, events, limits."""
from __future__ import annotations

import pytest

from damselfly.errors import CommandError
from damselfly.keyspace import NotifyKind
from damselfly.protocol.reply import OK

from .test_keys_handlers import Harness


@pytest.fixture
def h():
    return Harness()


@pytest.fixture
def c(h):
    return h.connect()


def events(h):
    seen = []
    h.state.keyspace.add_listener(lambda db, key, event, kind: seen.append((key, event, kind)))
    return seen


def test_set_expiry_options_give_exact_deadlines(h, c):
    now = h.clock.ms
    h.call(c, "SET", "k", "v", "EX", "10")
    assert h.call(c, "PEXPIRETIME", "k") == now + 10_000
    h.call(c, "SET", "k", "v", "PX", "1234")
    assert h.call(c, "PEXPIRETIME", "k") == now + 1234
    h.call(c, "SET", "k", "v", "EXAT", str(now // 1000 + 100))
    assert h.call(c, "PEXPIRETIME", "k") == (now // 1000 + 100) * 1000
    h.call(c, "SET", "k", "v", "PXAT", str(now + 77))
    assert h.call(c, "PEXPIRETIME", "k") == now + 77
    h.call(c, "SET", "k", "w", "KEEPTTL")
    assert h.call(c, "PEXPIRETIME", "k") == now + 77
    h.call(c, "SET", "k", "w")
    assert h.call(c, "PEXPIRETIME", "k") == -1


def test_relative_expiry_overflow_depends_on_the_clock(h, c):
    limit = 2**63 - 1 - h.clock.ms
    assert h.call(c, "SET", "k", "v", "PX", str(limit)) == OK
    err = h.call(c, "SET", "k", "v", "PX", str(limit + 1))
    assert isinstance(err, CommandError) and err.message == "ERR invalid expire time in 'set' command"


def test_set_events_and_kinds(h, c):
    seen = events(h)
    h.call(c, "SET", "k", "v", "EX", "5")
    assert seen == [(b"k", "set", NotifyKind.STRING), (b"k", "expire", NotifyKind.GENERIC)]


def test_aborted_set_changes_nothing(h, c):
    h.call(c, "SET", "k", "v")
    seen = events(h)
    assert h.call(c, "SET", "k", "w", "NX") is None
    assert h.call(c, "SET", "x", "w", "XX", "GET") is None
    assert h.call(c, "SETNX", "k", "w") == 0
    assert seen == [(b"x", "keymiss", NotifyKind.KEY_MISS)]  # GET's read lookup, as Redis


def test_writes_keep_or_drop_ttl_as_redis(h, c):
    h.call(c, "SET", "k", "1", "EX", "100")
    for cmd in (["INCR", "k"], ["INCRBYFLOAT", "k", "1.5"], ["APPEND", "k", "0"], ["SETRANGE", "k", "0", "9"]):
        h.call(c, *cmd)
        assert h.call(c, "TTL", "k") == 100, cmd
    for cmd in (["GETSET", "k", "v"], ["MSET", "k", "v"], ["SET", "k", "v"]):
        h.call(c, "EXPIRE", "k", "100")
        h.call(c, *cmd)
        assert h.call(c, "TTL", "k") == -1, cmd


def test_getex_absolute_past_deletes_with_del(h, c):
    h.call(c, "SET", "k", "v")
    seen = events(h)
    assert h.call(c, "GETEX", "k", "PXAT", str(h.clock.ms)) == b"v"
    assert seen == [(b"k", "del", NotifyKind.GENERIC)]
    assert h.call(c, "EXISTS", "k") == 0


def test_getex_persist_only_signals_a_change(h, c):
    h.call(c, "SET", "k", "v")
    seen = events(h)
    h.call(c, "GETEX", "k", "PERSIST")
    assert seen == []
    h.call(c, "EXPIRE", "k", "10")
    h.call(c, "GETEX", "k", "PERSIST")
    assert seen[-1] == (b"k", "persist", NotifyKind.GENERIC)


def test_counter_events(h, c):
    seen = events(h)
    h.call(c, "INCR", "n")
    h.call(c, "DECRBY", "n", "3")
    h.call(c, "INCRBYFLOAT", "n", "0.5")
    h.call(c, "APPEND", "n", "1")
    h.call(c, "SETRANGE", "n", "0", "7")
    h.call(c, "SETRANGE", "n", "0", "")  # nothing written: no event
    assert [e[1] for e in seen] == ["incrby", "incrby", "incrbyfloat", "append", "setrange"]


def test_failed_increment_leaves_the_value(h, c):
    h.call(c, "SET", "n", str(2**63 - 1))
    err = h.call(c, "INCR", "n")
    assert isinstance(err, CommandError) and err.message == "ERR increment or decrement would overflow"
    assert h.call(c, "GET", "n") == b"9223372036854775807"


def test_values_stay_bytes(h, c):
    h.call(c, "INCRBY", "n", "5")
    h.call(c, "INCRBYFLOAT", "f", "2.5")
    db = h.state.keyspace.dbs[0]
    assert db.data[b"n"] == b"5" and type(db.data[b"n"]) is bytes
    assert db.data[b"f"] == b"2.5" and type(db.data[b"f"]) is bytes


def test_size_limit_follows_proto_max_bulk_len():
    h = Harness(proto_max_bulk_len="1mb")
    c = h.connect()
    limit = 1024 * 1024
    assert h.call(c, "SETRANGE", "k", str(limit - 1), "x") == limit
    err = h.call(c, "SETRANGE", "k", str(limit), "x")
    assert err.message == "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    err = h.call(c, "APPEND", "k", "x")
    assert err.message == "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    assert h.call(c, "STRLEN", "k") == limit
    h.call(c, "SET", "a", "x" * 600)
    h.call(c, "SET", "b", "y" * 600)
    err = h.call(c, "LCS", "a", "b")
    assert err.message.startswith("ERR Insufficient memory, transient memory for LCS")


def test_encodings_after_in_place_edits(h, c):
    h.call(c, "APPEND", "a", "12")
    assert h.call(c, "OBJECT", "ENCODING", "a") == b"int"
    h.call(c, "APPEND", "a", "3")
    assert h.call(c, "OBJECT", "ENCODING", "a") == b"raw"
    h.call(c, "INCR", "a")
    assert h.call(c, "OBJECT", "ENCODING", "a") == b"int"
    assert not h.state.keyspace.dbs[0].str_encodings  # the stale record is dropped
    h.call(c, "INCRBYFLOAT", "f", "2")
    assert h.call(c, "OBJECT", "ENCODING", "f") == b"embstr"
    h.call(c, "RENAME", "f", "g")
    assert h.call(c, "OBJECT", "ENCODING", "g") == b"embstr"
    h.call(c, "MOVE", "g", "1")
    c.select(1)
    assert h.call(c, "OBJECT", "ENCODING", "g") == b"embstr"


def test_mset_signals_every_key(h, c):
    seen = events(h)
    h.call(c, "MSET", "a", "1", "b", "2", "a", "3")
    assert [(k, e) for k, e, _ in seen] == [(b"a", "set"), (b"b", "set"), (b"a", "set")]
    assert h.call(c, "GET", "a") == b"3"
