"""Protected mode and protected actions, byte for byte against redis-server 7.0.15.

Both servers listen on 127.0.0.1; the outside client binds its socket to
127.0.0.2, which Redis does not count as local (only 127.0.0.1, ::1, unix).
"""
from __future__ import annotations

import select
import shutil
import socket
from typing import Iterator

import pytest

from damselfly import Server

from ..conftest import RedisServerProcess
from ..integration.test_protected_mode import NON_LOCAL, connect_from, read_until_closed

pytestmark = pytest.mark.differential


def _pair(**options: str) -> Iterator[tuple[int, int]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    try:
        with socket.socket() as s:
            s.bind((NON_LOCAL, 0))
    except OSError:
        pytest.skip("127.0.0.2 is not usable as a source address here")
    args = [part for name, value in options.items() for part in (f"--{name.replace('_', '-')}", value)]
    theirs = RedisServerProcess(*args)
    ours = Server(port=0, **options).start()
    try:
        yield ours.port, theirs.port
    finally:
        ours.stop()
        theirs.stop()


@pytest.fixture
def protected() -> Iterator[tuple[int, int]]:
    yield from _pair(protected_mode="yes")


@pytest.fixture
def open_local_actions() -> Iterator[tuple[int, int]]:
    yield from _pair(protected_mode="no", enable_debug_command="local", enable_protected_configs="local")


def test_denied_bytes_match(protected):
    replies = []
    for port in protected:
        conn = connect_from(NON_LOCAL, port)
        replies.append(read_until_closed(conn))
        conn.sock.close()
    assert replies[0] == replies[1]
    assert replies[0].startswith(b"-DENIED Redis is running in protected mode")


def test_loopback_is_served_by_both(protected):
    for port in protected:
        conn = connect_from("127.0.0.1", port)
        assert conn.command("PING") == b"+PONG\r\n"
        conn.close()


@pytest.mark.parametrize("command", [
    ("DEBUG", "HELP"),
    ("DEBUG", "SLEEP", "0"),
    ("CONFIG", "SET", "dir", "/tmp"),
    ("CONFIG", "SET", "DBFILENAME", "x.rdb"),
    ("CONFIG", "SET", "maxmemory", "0", "dir", "/tmp"),
    ("CONFIG", "SET", "dir", "/tmp", "no-such-option", "1"),
    ("CONFIG", "SET", "enable-protected-configs", "yes"),
    ("CONFIG", "SET", "enable-debug-command", "yes"),
    ("CONFIG", "SET", "maxmemory", "0"),
])
def test_protected_actions_from_outside_match(open_local_actions, command):
    replies = []
    for port in open_local_actions:
        conn = connect_from(NON_LOCAL, port)
        replies.append(conn.command(*command))
        conn.close()
    assert replies[0] == replies[1], f"{command}: damselfly {replies[0]!r} != redis {replies[1]!r}"


@pytest.mark.parametrize("rules", [("off",), ("on", ">pw"), ("on", "resetpass"), ("on", "nopass")])
def test_default_user_flags_decide_alike(protected, rules):
    replies = []
    for port in protected:
        admin = connect_from("127.0.0.1", port)
        assert admin.command("ACL", "SETUSER", "default", *rules) == b"+OK\r\n"
        conn = connect_from(NON_LOCAL, port)
        replies.append(_first_reply_or_close(conn))
        conn.sock.close()
        admin.command("ACL", "SETUSER", "default", "on", "nopass", "resetpass", "nopass")
        admin.close()
    assert replies[0] == replies[1]


def _first_reply_or_close(conn) -> bytes:
    """DENIED (then EOF) for a refused client, else the reply to PING.

    A refused client is written to at accept time; PING is sent only when
    nothing came (sending first could make the server's close a reset that
    loses the DENIED bytes). The wait is a bound, not a measurement.
    """
    readable, _, _ = select.select([conn.sock], [], [], 1.0)
    if readable:
        return read_until_closed(conn)
    return conn.command("PING")
