"""Connection commands over real sockets: CLIENT REPLY, KILL, PAUSE, LIST, RESET, HELLO."""
from __future__ import annotations

import socket
import time

import pytest
import redis

from ..resp import RawConnection, encode_command


def _silent(conn: RawConnection, wait: float = 0.15) -> bytes:
    """Whatever arrives within ``wait`` seconds (b"" when the server stays silent)."""
    conn.sock.settimeout(wait)
    try:
        return conn.sock.recv(65536)
    except socket.timeout:
        return b""
    finally:
        conn.sock.settimeout(5)


def test_client_reply_off_skip_on(raw: RawConnection) -> None:
    raw.send(encode_command("CLIENT", "REPLY", "OFF") + encode_command("SET", "k", "1")
             + encode_command("GET", "k"))
    assert _silent(raw) == b""
    raw.send(encode_command("CLIENT", "REPLY", "ON"))
    assert raw.read_reply() == b"+OK\r\n"
    raw.send(encode_command("CLIENT", "REPLY", "SKIP") + encode_command("INCR", "k") + encode_command("GET", "k"))
    assert raw.read_reply() == b"$1\r\n2\r\n"  # SKIP and INCR answered nothing
    raw.send(encode_command("CLIENT", "REPLY", "SKIP") + encode_command("CLIENT", "REPLY", "ON"))
    assert raw.read_reply() == b"+OK\r\n"  # ON cancels the pending skip and answers


def test_client_reply_errors_are_suppressed_too(raw: RawConnection) -> None:
    raw.send(encode_command("CLIENT", "REPLY", "OFF") + encode_command("NOSUCH")
             + encode_command("CLIENT", "REPLY", "ON") + encode_command("PING"))
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"+PONG\r\n"


def test_client_kill_closes_the_other_connection(server) -> None:
    victim = RawConnection(server.host, server.port)
    killer = RawConnection(server.host, server.port)
    try:
        victim_id = int(victim.command("CLIENT", "ID")[1:-2])
        assert killer.command("CLIENT", "KILL", "ID", victim_id) == b":1\r\n"
        assert victim.is_closed()
        listed = killer.command("CLIENT", "LIST")
        assert f"id={victim_id} ".encode() not in listed
        addr = victim.sock.getsockname()
        assert killer.command("CLIENT", "KILL", f"{addr[0]}:{addr[1]}") == b"-ERR No such client\r\n"
    finally:
        victim.close()
        killer.close()


def test_client_kill_self_replies_then_closes(raw: RawConnection) -> None:
    addr = raw.sock.getsockname()
    assert raw.command("CLIENT", "KILL", f"{addr[0]}:{addr[1]}") == b"+OK\r\n"
    assert raw.is_closed()


def test_client_list_through_redis_py(server) -> None:
    a = redis.Redis(host=server.host, port=server.port, protocol=2)
    b = redis.Redis(host=server.host, port=server.port, protocol=3)
    try:
        a.client_setname("alpha")
        b.client_setname("beta")
        me = a.client_info()
        assert me["name"] == "alpha" and me["cmd"] == "client|info" and me["resp"] == "2"
        names = {c["name"] for c in a.client_list()}
        assert {"alpha", "beta"} <= names
        beta = next(c for c in b.client_list() if c["name"] == "beta")
        assert beta["resp"] == "3" and beta["laddr"].endswith(f":{server.port}")
        assert a.client_id() == int(me["id"])
    finally:
        a.close()
        b.close()


def test_client_list_shows_omem_of_a_slow_subscriber(server) -> None:
    sub = RawConnection(server.host, server.port)
    pub = redis.Redis(host=server.host, port=server.port)
    try:
        sub.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.command("SUBSCRIBE", "slowchan")
        sub_id = int(pub.execute_command("CLIENT", "LIST", "TYPE", "pubsub").split()[0].split(b"=")[1])
        for _ in range(1500):  # 15 MB: more than the socket buffers hold, under the 32 MB limit
            pub.publish("slowchan", "x" * 10000)
        time.sleep(0.1)
        line = pub.execute_command("CLIENT", "LIST", "ID", sub_id).decode()
        fields = dict(f.split("=", 1) for f in line.split())
        assert fields["flags"] == "P" and fields["sub"] == "1"
        assert int(fields["omem"]) > 0 and int(fields["tot-mem"]) > int(fields["omem"])
    finally:
        sub.close()
        pub.close()


def test_pause_write_holds_writes_until_it_ends(server) -> None:
    admin = RawConnection(server.host, server.port)
    writer = RawConnection(server.host, server.port)
    try:
        assert admin.command("CLIENT", "PAUSE", "300", "WRITE") == b"+OK\r\n"
        assert writer.command("GET", "paused-key") == b"$-1\r\n"
        started = time.monotonic()
        writer.send(encode_command("SET", "paused-key", "v") + encode_command("GET", "paused-key"))
        assert _silent(writer, 0.1) == b""
        assert writer.read_reply() == b"+OK\r\n"
        assert writer.read_reply() == b"$1\r\nv\r\n"  # the pipelined read waited behind the write
        assert time.monotonic() - started >= 0.2
    finally:
        admin.close()
        writer.close()


def test_unpause_releases_held_clients(server) -> None:
    admin = RawConnection(server.host, server.port)
    writer = RawConnection(server.host, server.port)
    try:
        admin.command("CLIENT", "PAUSE", "10000", "WRITE")
        writer.send(encode_command("DEL", "paused-key2"))
        assert _silent(writer, 0.1) == b""
        listed = admin.command("CLIENT", "LIST")
        assert b" flags=b " in listed and b"argv-mem=14 " in listed
        assert admin.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.read_reply() == b":0\r\n"
    finally:
        admin.command("CLIENT", "UNPAUSE")
        admin.close()
        writer.close()


def test_pause_all_holds_even_the_pausing_client(server) -> None:
    admin = RawConnection(server.host, server.port)
    try:
        assert admin.command("CLIENT", "PAUSE", "200", "ALL") == b"+OK\r\n"
        admin.send(encode_command("CLIENT", "UNPAUSE"))
        assert _silent(admin, 0.1) == b""
        assert admin.read_reply() == b"+OK\r\n"  # only after the 200 ms
    finally:
        admin.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_reset_over_the_wire(server, protocol: int) -> None:
    conn = RawConnection(server.host, server.port)
    try:
        conn.command("HELLO", protocol, "SETNAME", "before")
        conn.command("SELECT", "4")
        conn.send(encode_command("SUBSCRIBE", "resetchan"))
        conn.read_reply()
        assert conn.command("RESET") == b"+RESET\r\n"
        assert conn.command("CLIENT", "GETNAME") == b"$-1\r\n"  # RESP2 again
        info = conn.command("CLIENT", "INFO")
        assert b" db=0 " in info and b" sub=0 " in info and b" resp=2" in info
    finally:
        conn.close()


def test_hello_through_redis_py_resp3(r3: redis.Redis) -> None:
    reply = r3.execute_command("HELLO", "3")
    assert reply[b"server"] == b"redis" and reply[b"version"] == b"7.0.15" and reply[b"proto"] == 3


def test_client_getname_after_hello_setname(r: redis.Redis) -> None:
    r.execute_command("HELLO", "2", "SETNAME", "hello-name")
    assert r.client_getname() == "hello-name"
