"""Protected mode and the protected actions (DEBUG, CONFIG SET dir/dbfilename) over real TCP.

Redis 7.0 treats only 127.0.0.1, ::1 and unix sockets as local (``islocalClient``).
A client whose socket is bound to 127.0.0.2 reaches a server listening on
127.0.0.1 through the loopback interface, yet is not local for Redis: that is
how these tests play an outside client without leaving the machine.
"""
from __future__ import annotations

import socket

import pytest
import redis

from damselfly import errors

from ..resp import RawConnection

NON_LOCAL = "127.0.0.2"
DENIED = b"-" + errors.PROTECTED_MODE_DENIED.encode() + b"\r\n"
DEBUG_DENIED = (b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
                b'you can run it from a local connection, otherwise you need to set this option in the '
                b'configuration file, and then restart the server.\r\n')


def connect_from(source: str, port: int) -> RawConnection:
    """A RawConnection to 127.0.0.1:port whose socket is bound to ``source``."""
    conn = RawConnection.__new__(RawConnection)
    conn.sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    conn.buf = b""
    return conn


def read_until_closed(conn: RawConnection) -> bytes:
    """Everything the server sends before it closes the connection."""
    data = conn.buf
    while True:
        chunk = conn.sock.recv(65536)
        if not chunk:
            return data
        data += chunk


@pytest.fixture(scope="module", autouse=True)
def _loopback_alias() -> None:
    try:
        with socket.socket() as s:
            s.bind((NON_LOCAL, 0))
    except OSError:
        pytest.skip("127.0.0.2 is not usable as a source address here")


def _stats(srv) -> dict:
    return redis.Redis(port=srv.port).info("stats")


def test_non_local_client_gets_redis_denied_text_and_is_closed(server):
    before = _stats(server)
    conn = connect_from(NON_LOCAL, server.port)
    assert read_until_closed(conn) == DENIED
    conn.sock.close()
    after = _stats(server)
    assert after["rejected_connections"] == before["rejected_connections"] + 1
    # the refused connection is not counted as received (Redis counts after the check)
    assert after["total_connections_received"] == before["total_connections_received"] + 1  # our INFO client


def test_local_client_is_served(server):
    conn = connect_from("127.0.0.1", server.port)
    assert conn.command("PING") == b"+PONG\r\n"
    conn.close()


def test_ipv6_loopback_is_local(start_server):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        srv = start_server(bind="127.0.0.1 ::1")
    except OSError:
        pytest.skip("::1 is not available here")
    conn = RawConnection.__new__(RawConnection)
    conn.sock = socket.create_connection(("::1", srv.port), timeout=5)
    conn.buf = b""
    assert conn.command("PING") == b"+PONG\r\n"
    assert b"addr=[::1]:" in conn.command("CLIENT", "INFO")
    conn.close()


def test_denied_client_never_appears_in_client_list(server):
    conn = connect_from(NON_LOCAL, server.port)
    read_until_closed(conn)
    conn.sock.close()
    listing = redis.Redis(port=server.port).client_list()
    assert all(not c["addr"].startswith(NON_LOCAL + ":") for c in listing)


def test_protected_mode_no_serves_non_local(start_server):
    srv = start_server(protected_mode="no")
    conn = connect_from(NON_LOCAL, srv.port)
    assert conn.command("PING") == b"+PONG\r\n"
    info = conn.command("CLIENT", "INFO")
    assert b"addr=127.0.0.2:" in info
    conn.close()


def test_config_set_protected_mode_applies_to_new_connections(start_server):
    srv = start_server()
    admin = connect_from("127.0.0.1", srv.port)
    assert admin.command("CONFIG", "GET", "protected-mode") == b"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
    assert admin.command("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
    served = connect_from(NON_LOCAL, srv.port)
    assert served.command("PING") == b"+PONG\r\n"
    assert admin.command("CONFIG", "SET", "protected-mode", "yes") == b"+OK\r\n"
    assert served.command("PING") == b"+PONG\r\n"  # already accepted: stays
    refused = connect_from(NON_LOCAL, srv.port)
    assert read_until_closed(refused) == DENIED
    for conn in (admin, served, refused):
        conn.close()


def test_password_lifts_protected_mode(start_server):
    srv = start_server(requirepass="secret")
    conn = connect_from(NON_LOCAL, srv.port)
    assert conn.command("PING").startswith(b"-NOAUTH")
    assert conn.command("AUTH", "secret") == b"+OK\r\n"
    assert conn.command("PING") == b"+PONG\r\n"
    conn.close()


def test_default_user_off_but_nopass_is_still_protected(start_server):
    """Redis tests only the nopass flag: a disabled nopass default user still means DENIED."""
    srv = start_server()
    admin = connect_from("127.0.0.1", srv.port)
    assert admin.command("ACL", "SETUSER", "default", "off") == b"+OK\r\n"
    refused = connect_from(NON_LOCAL, srv.port)
    assert read_until_closed(refused) == DENIED
    assert admin.command("ACL", "SETUSER", "default", "on", ">pw") == b"+OK\r\n"
    served = connect_from(NON_LOCAL, srv.port)
    assert served.command("AUTH", "pw") == b"+OK\r\n"
    assert admin.command("ACL", "SETUSER", "default", "resetpass") == b"+OK\r\n"  # no password, not nopass
    unprotected = connect_from(NON_LOCAL, srv.port)
    assert unprotected.command("PING").startswith(b"-NOAUTH")
    for conn in (admin, refused, served, unprotected):
        conn.close()


# -- enable-debug-command ---------------------------------------------------------------

@pytest.mark.parametrize("setting, source, allowed", [
    ("no", "127.0.0.1", False),
    ("no", NON_LOCAL, False),
    ("local", "127.0.0.1", True),
    ("local", NON_LOCAL, False),
    ("yes", NON_LOCAL, True),
])
def test_debug_command_by_origin(start_server, setting, source, allowed):
    srv = start_server(protected_mode="no", enable_debug_command=setting)
    conn = connect_from(source, srv.port)
    reply = conn.command("DEBUG", "SLEEP", "0")
    assert reply == (b"+OK\r\n" if allowed else DEBUG_DENIED)
    conn.close()


# -- enable-protected-configs ----------------------------------------------------------

def _protected_error(name: str) -> bytes:
    return (f"-ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config\r\n"
            .encode())


@pytest.mark.parametrize("setting, source, allowed", [
    ("no", "127.0.0.1", False),
    ("local", "127.0.0.1", True),
    ("local", NON_LOCAL, False),
    ("yes", NON_LOCAL, True),
])
def test_protected_configs_by_origin(start_server, tmp_path, setting, source, allowed):
    srv = start_server(protected_mode="no", enable_protected_configs=setting)
    conn = connect_from(source, srv.port)
    for name, value in (("dir", str(tmp_path)), ("dbfilename", "other.rdb")):
        reply = conn.command("CONFIG", "SET", name, value)
        assert reply == (b"+OK\r\n" if allowed else _protected_error(name))
    # not protected in Redis 7.0.15: settable from anywhere
    assert conn.command("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
    conn.close()


def test_protected_config_checked_in_argument_order(start_server, tmp_path):
    srv = start_server(protected_mode="no", enable_protected_configs="local")
    conn = connect_from(NON_LOCAL, srv.port)
    assert conn.command("CONFIG", "SET", "maxmemory", "0", "DIR", str(tmp_path)) == _protected_error("DIR")
    assert conn.command("CONFIG", "SET", "dir", str(tmp_path), "nosuch", "1") == _protected_error("dir")
    assert conn.command("CONFIG", "SET", "enable-protected-configs", "yes") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'enable-protected-configs') - "
        b"can't set immutable config\r\n")
    conn.close()
