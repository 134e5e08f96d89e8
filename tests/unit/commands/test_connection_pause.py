"""CLIENT PAUSE / UNPAUSE without sockets: what is held, when it runs again, in which order."""
from __future__ import annotations

import time

import pytest

from damselfly.commands.dispatch import BLOCKED
from damselfly.errors import CommandError
from damselfly.pause import Postponed
from damselfly.protocol.reply import encode

from ._server_fixtures import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_pause_argument_errors(h: Harness) -> None:
    c = h.connect()
    assert h.run(c, "CLIENT", "PAUSE") == b"-ERR wrong number of arguments for 'client|pause' command\r\n"
    assert h.run(c, "CLIENT", "PAUSE", "abc") == b"-ERR timeout is not an integer or out of range\r\n"
    assert h.run(c, "CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative\r\n"
    assert h.run(c, "CLIENT", "PAUSE", "abc", "foo") == b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    assert h.run(c, "CLIENT", "PAUSE", "10", "all", "x") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n")
    assert h.state.pause_kind == ""


def test_write_pause_holds_writes_not_reads(h: Harness) -> None:
    admin, c = h.connect(), h.connect()
    assert h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE") == b"+OK\r\n"
    assert h.call(c, "GET", "k") is None
    assert h.call(c, "SET", "k", "v") is BLOCKED
    assert isinstance(c.blocked, Postponed) and c.blocked.argv == [b"SET", b"k", b"v"]
    assert h.call(admin, "PING") == h.state.table.get(b"ping").handler(admin, [b"PING"])


def test_write_pause_holds_publish_as_redis_does(h: Harness) -> None:
    admin = h.connect()
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    assert h.call(admin, "PUBLISH", "ch", "m") is BLOCKED


def test_write_pause_holds_writes_inside_multi_and_exec_with_writes(h: Harness) -> None:
    admin, c, d = h.connect(), h.connect(), h.connect()
    h.run(c, "MULTI")
    h.run(d, "MULTI")
    h.run(d, "GET", "k")
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    assert h.call(c, "SET", "k", "1") is BLOCKED  # held before it could be queued
    assert encode(h.call(d, "EXEC")) == b"*1\r\n$-1\r\n"  # a read-only EXEC runs
    e = h.connect()
    h.state.pause_kind = ""
    h.run(e, "MULTI")
    h.run(e, "SET", "k", "1")
    h.state.pause_kind = "write"
    assert h.call(e, "EXEC") is BLOCKED  # an EXEC whose queue writes


def test_all_pause_holds_everything_even_unpause(h: Harness) -> None:
    admin = h.connect()
    h.run(admin, "CLIENT", "PAUSE", "1000")
    assert h.state.pause_kind == "all"
    assert h.call(admin, "PING") is BLOCKED
    assert h.state.extensions["pause"].parked == {admin: None}


def test_unpause_runs_held_commands_in_order_on_next_turn(h: Harness) -> None:
    admin, a, b = h.connect(), h.connect(), h.connect()
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    assert h.call(a, "SET", "k", "1") is BLOCKED
    assert h.call(b, "INCR", "k") is BLOCKED
    assert h.run(admin, "CLIENT", "UNPAUSE") == b"+OK\r\n"
    assert a.outbox.resumed == [] and h.soon  # not inside UNPAUSE's own command
    h.run_soon()
    assert [encode(r) for r in a.outbox.resumed] == [b"+OK\r\n"]
    assert [encode(r) for r in b.outbox.resumed] == [b":2\r\n"]
    assert a.blocked is None and b.blocked is None
    assert h.state.pause_kind == ""


def test_resumed_command_is_held_again_if_a_new_pause_started(h: Harness) -> None:
    admin, a = h.connect(), h.connect()
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    h.call(a, "SET", "k", "1")
    h.run(admin, "CLIENT", "UNPAUSE")
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    h.run_soon()
    assert a.outbox.resumed == [] and isinstance(a.blocked, Postponed)


def test_pause_never_weakens_nor_shortens(h: Harness) -> None:
    c = h.connect()
    h.run(c, "CLIENT", "PAUSE", "500", "ALL")
    until = h.state.paused_until
    h.state.pause_kind = "all"
    pause = h.state.extensions["pause"]
    pause.pause("write", time.monotonic() + 0.1)
    assert h.state.pause_kind == "all" and h.state.paused_until == until
    pause.pause("write", until + 5)
    assert h.state.paused_until == until + 5


def test_timer_ends_the_pause(h: Harness) -> None:
    admin, a = h.connect(), h.connect()
    h.run(admin, "CLIENT", "PAUSE", "0", "WRITE")
    assert h.later and h.later[-1][0] == 0.0
    h.call(a, "DEL", "k")
    h.later[-1][1]()  # the timer fires
    h.run_soon()
    assert [encode(r) for r in a.outbox.resumed] == [b":0\r\n"]


def test_held_client_that_disconnects_is_dropped(h: Harness) -> None:
    admin, a = h.connect(), h.connect()
    h.run(admin, "CLIENT", "PAUSE", "1000", "WRITE")
    h.call(a, "SET", "k", "1")
    h.disconnect(a)
    assert h.state.extensions["pause"].parked == {}
    h.run(admin, "CLIENT", "UNPAUSE")
    h.run_soon()
    assert h.state.keyspace.dbs[0].data == {}


def test_replicas_are_never_held(h: Harness) -> None:
    admin, r = h.connect(), h.connect()
    r.kind = "replica"
    h.run(admin, "CLIENT", "PAUSE", "1000")
    assert h.state.extensions["pause"].must_postpone(r, h.state.table.get(b"set")) is False


def test_pause_handler_rejects_bad_mode_before_timeout(h: Harness) -> None:
    c = h.connect()
    with pytest.raises(CommandError):
        from damselfly.commands.connection import client_pause
        client_pause(c, [b"client", b"pause", b"nan", b"sometimes"])
