"""The MONITOR feed: Redis's line format, who sees what, and when."""
from __future__ import annotations

import re

from damselfly.control.monitor import monitor_line, quote_repr
from damselfly.protocol.reply import Raw

from .conftest import disconnect, run


def test_quote_repr_is_sdscatrepr() -> None:
    assert quote_repr(b"abc") == b'"abc"'
    assert quote_repr(b'x y\n\x01"\\') == b'"x y\\n\\x01\\"\\\\"'
    assert quote_repr(b"\xff\t\r\a\b") == b'"\\xff\\t\\r\\a\\b"'


def test_line_format() -> None:
    line = monitor_line(3, "127.0.0.1:5000", [b"SET", b"k", b"v"], now=1700000000.000042)
    assert line == b'1700000000.000042 [3 127.0.0.1:5000] "SET" "k" "v"'


def lines(client) -> list[bytes]:
    return [re.sub(rb"^\+\d+\.\d{6} ", b"+T ", m.frame2) for m in client.outbox.sent]


def test_feed_after_execution_skips_admin_and_rejected_commands(state, new_client) -> None:
    mon = new_client()
    assert run(mon, "MONITOR") == b"+OK\r\n"
    c = new_client()
    run(c, "SET", "k", "v")
    run(c, "SELECT", "2")               # shown with the new db
    run(c, "CONFIG", "GET", "maxmemory")  # admin: hidden
    run(c, "NOSUCH")                     # rejected before execution: hidden
    run(c, "GET")                        # arity: hidden
    run(c, "AUTH", "secret")             # shown, redacted
    run(c, "MULTI")
    run(c, "INCR", "n")
    run(c, "EXEC")
    assert lines(mon) == [
        b'+T [0 127.0.0.1:1] "SET" "k" "v"\r\n',
        b'+T [2 127.0.0.1:1] "SELECT" "2"\r\n',
        b'+T [2 127.0.0.1:1] "AUTH" "(redacted)"\r\n',
        b'+T [2 127.0.0.1:1] "MULTI"\r\n',
        b'+T [2 127.0.0.1:1] "INCR" "n"\r\n',
        b'+T [2 127.0.0.1:1] "EXEC"\r\n',
    ]


def test_monitor_sees_itself_after_its_reply_and_is_a_replica(state, new_client) -> None:
    mon = new_client()
    run(mon, "MONITOR")
    assert run(mon, "MONITOR") == Raw(b"")  # already monitoring: no reply at all
    assert run(mon, "PING") is not None
    assert mon.outbox.sent == [] and len(mon.outbox.after) == 1  # follows PONG
    assert run(mon, "GET", "k").message == "ERR Replica can't interact with the keyspace"
    assert run(mon, "PUBLISH", "c", "m").message == "ERR Replica can't interact with the keyspace"


def test_monitor_in_exec_is_refused(state, new_client) -> None:
    c = new_client()
    run(c, "MULTI")
    run(c, "MONITOR")
    assert run(c, "EXEC")[0].message == "ERR MONITOR isn't allowed for DENY BLOCKING client"
    assert not c.monitor and state.monitors == []


def test_disconnect_leaves_monitor_mode(state, new_client) -> None:
    mon = new_client()
    run(mon, "MONITOR")
    assert state.monitors == [mon] and mon.monitor
    disconnect(state, mon)
    assert state.monitors == [] and not mon.monitor
