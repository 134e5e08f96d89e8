"""Connection commands against redis-server 7.0: raw replies compared, RESP2 and RESP3.

Values that differ by nature (client ids, addresses, ages, buffer sizes) are
compared by shape; everything else byte for byte.
"""
from __future__ import annotations

import re
import socket
import time
from typing import Iterator

import pytest

from damselfly import Server

from ..conftest import RedisServerProcess
from ..resp import RawConnection, encode_command
from .conftest import Pair

PROTOCOLS = pytest.mark.parametrize("protocol", [2, 3])


def _hello(pair: Pair, protocol: int) -> None:
    if protocol == 3:
        pair.both("HELLO", "3")


@PROTOCOLS
def test_ping_echo_select(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("PING",), ("PING", "hello"), ("PING", "a", "b"), ("ECHO", "x"), ("ECHO",), ("ECHO", "a", "b"),
        ("SELECT", "1"), ("SELECT", "15"), ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "x"), ("SELECT",),
        ("SELECT", "0"),
    ])


@PROTOCOLS
def test_auth_without_a_password(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("AUTH", "x"), ("AUTH", "default", "anything"), ("AUTH", "nobody", "x"), ("AUTH", "a", "b", "c"),
        ("AUTH",),
    ])


def _hello_without_id(frame: bytes) -> bytes:
    return re.sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1:ID\r\n", frame)


@PROTOCOLS
def test_hello_reply_is_byte_identical_but_the_id(pair: Pair, protocol: int) -> None:
    for args in (("HELLO",), ("HELLO", str(protocol)), ("HELLO", str(protocol), "SETNAME", "hello-conn"),
                 ("HELLO", str(protocol), "AUTH", "default", "whatever")):
        ours, theirs = pair.both(*args)
        assert _hello_without_id(ours) == _hello_without_id(theirs), args
    pair.check("CLIENT", "GETNAME")


@PROTOCOLS
def test_hello_errors(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("HELLO", "4"), ("HELLO", "1"), ("HELLO", "-1"), ("HELLO", "abc"), ("HELLO", "99999999999999999999"),
        ("HELLO", "3", "foo"), ("HELLO", "3", "SETNAME"), ("HELLO", "3", "setname", "a b"),
        ("HELLO", "3", "AUTH", "default"), ("HELLO", "3", "AUTH", "nobody", "pw"),
        ("CLIENT", "GETNAME"),
    ])


@PROTOCOLS
def test_reset(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([("CLIENT", "SETNAME", "before"), ("SELECT", "3"), ("SET", "k", "v"), ("MULTI",),
                    ("SET", "k", "w"), ("RESET",), ("CLIENT", "GETNAME"), ("GET", "k"), ("EXEC",),
                    ("RESET", "x")])
    pair.both("SELECT", "3")
    pair.check("GET", "k")


def test_reset_leaves_subscribed_mode_silently(pair: Pair) -> None:
    pair.raw_both(encode_command("SUBSCRIBE", "a", "b"))
    pair.ours.read_reply()
    pair.theirs.read_reply()
    pair.check_all([("RESET",), ("PING",), ("GET", "x")])


@PROTOCOLS
def test_client_simple_subcommands(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "n1"), ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "x\ny"), ("CLIENT", "SETNAME", b"caf\xc3\xa9"),
        ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", "a", "b"),
        ("CLIENT", "GETNAME", "x"), ("CLIENT", "ID", "x"), ("CLIENT", "INFO", "x"), ("CLIENT",),
        ("CLIENT", "NOPE"), ("CLIENT", "SETINFO", "LIB-NAME", "x"), ("CLIENT", "NO-TOUCH", "on"),
        ("CLIENT", "HELP"), ("CLIENT", "HELP", "x"),
        ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"), ("CLIENT", "NO-EVICT", "maybe"),
        ("CLIENT", "NO-EVICT"), ("CLIENT", "REPLY", "maybe"), ("CLIENT", "REPLY"), ("CLIENT", "REPLY", "ON"),
        ("CLIENT", "REPLY", "on", "x"),
    ])
    ours, theirs = pair.both("CLIENT", "ID")
    assert ours[:1] == theirs[:1] == b":"


@PROTOCOLS
def test_client_kill_and_list_errors(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.check_all([
        ("CLIENT", "KILL"), ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "id"),
        ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), ("CLIENT", "KILL", "LADDR", "1.2.3.4:5"),
        ("CLIENT", "KILL", "ID", "999999"), ("CLIENT", "KILL", "ID", "abc"), ("CLIENT", "KILL", "ID", "0"),
        ("CLIENT", "KILL", "ID", "-5"), ("CLIENT", "KILL", "ID", "1", "SKIPME"),
        ("CLIENT", "KILL", "foo", "bar"), ("CLIENT", "KILL", "SKIPME", "maybe"),
        ("CLIENT", "KILL", "TYPE", "foo"), ("CLIENT", "KILL", "TYPE", "master"),
        ("CLIENT", "KILL", "TYPE", "slave"), ("CLIENT", "KILL", "USER", "nobody"),
        ("CLIENT", "KILL", "MAXAGE", "10"), ("CLIENT", "KILL", "ID", "999999", "SKIPME", "yes"),
        ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "TYPE", "master"), ("CLIENT", "LIST", "TYPE", "replica"),
        ("CLIENT", "LIST", "ID", "abc"), ("CLIENT", "LIST", "ID", "999999"), ("CLIENT", "LIST", "ID"),
        ("CLIENT", "LIST", "foo"), ("CLIENT", "LIST", "TYPE", "normal", "ID", "1"),
        ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "abc"), ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "10", "foo"), ("CLIENT", "PAUSE", "abc", "foo"), ("CLIENT", "PAUSE", "1", "all", "x"),
        ("CLIENT", "UNPAUSE", "x"),
    ])


_VOLATILE = {"id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "rbs", "rbp", "obl", "oll",
             "omem", "tot-mem", "events"}


def _fields(line: bytes) -> list[tuple[str, str]]:
    return [tuple(f.split("=", 1)) for f in line.decode().strip().split(" ")]  # type: ignore[misc]


def _body(frame: bytes) -> bytes:
    """The text of a bulk or verbatim CLIENT INFO/LIST reply."""
    body = frame.split(b"\r\n", 1)[1][:-2]
    return body[4:] if frame.startswith(b"=") else body


def _comparable(line: bytes) -> list[tuple[str, str]]:
    return [(k, "*" if k in _VOLATILE else v) for k, v in _fields(line)]


@PROTOCOLS
def test_client_info_fields_and_values(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    pair.both("CLIENT", "SETNAME", "infotest")
    pair.both("SELECT", "2")
    ours, theirs = pair.both("CLIENT", "INFO")
    assert ours[:1] == theirs[:1]
    assert _comparable(_body(ours)) == _comparable(_body(theirs))
    pair.both("SELECT", "0")


def _second(server_host: str, port: int) -> RawConnection:
    return RawConnection(server_host, port)


@pytest.fixture
def pair_b(server, redis_server) -> Iterator[Pair]:
    """A second connection to each server, to look at the first from outside."""
    p = Pair(RawConnection(server.host, server.port), RawConnection(redis_server.host, redis_server.port))
    yield p
    p.ours.close()
    p.theirs.close()


def _id(conn: RawConnection) -> int:
    return int(conn.command("CLIENT", "ID")[1:-2])


def _line_of(observer: RawConnection, target: RawConnection) -> list[tuple[str, str]]:
    return _comparable(_body(observer.command("CLIENT", "LIST", "ID", _id(target))))


def test_client_list_seen_from_another_client(pair: Pair, pair_b: Pair) -> None:
    """MULTI state, subscriptions, tracking and dirty-CAS as another client sees them."""
    ids = (_id(pair.ours), _id(pair.theirs))
    pair.check_all([("WATCH", "wk"), ("MULTI",), ("SET", "a", "bb"), ("CLIENT", "ID")])
    pair_b.both("SET", "wk", "touched")
    ours = _comparable(_body(pair_b.ours.command("CLIENT", "LIST", "ID", ids[0])))
    theirs = _comparable(_body(pair_b.theirs.command("CLIENT", "LIST", "ID", ids[1])))
    assert ours == theirs  # flags=xd multi=2 multi-mem=54 cmd=multi
    pair.check("DISCARD")
    pair.raw_both(encode_command("SUBSCRIBE", "c1", "c2"))
    pair.ours.read_reply()
    pair.theirs.read_reply()
    pair.raw_both(encode_command("PSUBSCRIBE", "p*"))
    ours = _comparable(_body(pair_b.ours.command("CLIENT", "LIST", "ID", ids[0])))
    theirs = _comparable(_body(pair_b.theirs.command("CLIENT", "LIST", "ID", ids[1])))
    assert ours == theirs  # flags=P sub=2 psub=1
    pair_b.check("CLIENT", "KILL", "TYPE", "pubsub", "ID", "999999")
    ours_list = pair_b.ours.command("CLIENT", "LIST", "TYPE", "pubsub")
    theirs_list = pair_b.theirs.command("CLIENT", "LIST", "TYPE", "pubsub")
    assert f"id={ids[0]} ".encode() in ours_list and f"id={ids[1]} ".encode() in theirs_list


def test_client_list_all_has_the_same_fields(pair: Pair) -> None:
    for frame in pair.both("CLIENT", "LIST"):
        for line in _body(frame).decode().splitlines():
            keys = [k for k, _ in _fields(line.encode())]
            assert keys == [k for k, _ in _fields(_body(pair.theirs.command("CLIENT", "INFO")))]


def test_client_kill_by_address_and_id(server, redis_server) -> None:
    for host, port in ((server.host, server.port), (redis_server.host, redis_server.port)):
        killer, victim, other = (RawConnection(host, port) for _ in range(3))
        try:
            # a connection the server has not accepted yet is no client to kill: make sure
            # both are (an event loop may read the killer before accepting the others)
            assert victim.command("PING") == other.command("PING") == b"+PONG\r\n"
            vaddr = "%s:%d" % victim.sock.getsockname()
            assert killer.command("CLIENT", "KILL", vaddr) == b"+OK\r\n"
            assert victim.is_closed()
            assert killer.command("CLIENT", "KILL", vaddr) == b"-ERR No such client\r\n"
            assert killer.command("CLIENT", "KILL", "ID", _id(other), "SKIPME", "no") == b":1\r\n"
            assert other.is_closed()
            laddr = "%s:%d" % killer.sock.getpeername()
            me = "%s:%d" % killer.sock.getsockname()
            assert killer.command("CLIENT", "KILL", "ADDR", me) == b":0\r\n"  # SKIPME yes by default
            assert killer.command("CLIENT", "KILL", "LADDR", laddr, "ADDR", me, "SKIPME", "no") == b":1\r\n"
            assert killer.is_closed()
        finally:
            for conn in (killer, victim, other):
                conn.close()


def _collect(conn: RawConnection, data: bytes, sentinel: bytes = b"+PONG\r\n") -> bytes:
    """Send ``data`` followed by PING and return everything up to and including the PONG."""
    conn.send(data + encode_command("PING"))
    out = b""
    while not out.endswith(sentinel):
        out += conn.read_reply()
    return out


@PROTOCOLS
def test_client_reply_off_skip_on(pair: Pair, protocol: int) -> None:
    _hello(pair, protocol)
    for script in (
        [("CLIENT", "REPLY", "OFF"), ("SET", "k", "1"), ("NOSUCH",), ("CLIENT", "REPLY", "ON"), ("GET", "k")],
        [("CLIENT", "REPLY", "SKIP"), ("INCR", "k"), ("GET", "k")],
        [("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "SKIP"), ("GET", "k"), ("GET", "k")],
        [("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("GET", "k")],
        [("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "SKIP"), ("GET", "k"), ("CLIENT", "REPLY", "ON")],
        [("CLIENT", "REPLY", "SKIP"), ("RESET",), ("GET", "k")],
    ):
        data = b"".join(encode_command(*cmd) for cmd in script)
        assert _collect(pair.ours, data) == _collect(pair.theirs, data), script


def test_quit(server, redis_server) -> None:
    for host, port in ((server.host, server.port), (redis_server.host, redis_server.port)):
        conn = RawConnection(host, port)
        conn.send(encode_command("QUIT") + encode_command("PING"))
        assert conn.read_all(0.3) == b"+OK\r\n"
        conn.close()


# -- CLIENT PAUSE on dedicated servers -------------------------------------------------------

@pytest.fixture(scope="module")
def dedicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[tuple[str, int], tuple[str, int]]]:
    import shutil
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    ours = Server(port=0, dir=str(tmp_path_factory.mktemp("ours")))  # its dump, if any, not the cwd's
    ours.start()
    theirs = RedisServerProcess()
    yield (ours.host, ours.port), (theirs.host, theirs.port)
    ours.stop()
    theirs.stop()


def _held(conn: RawConnection, wait: float = 0.1) -> bool:
    conn.sock.settimeout(wait)
    try:
        data = conn.sock.recv(65536)
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(5)
    conn.buf += data
    return False


@pytest.mark.parametrize("mode", ["WRITE", "ALL"])
def test_client_pause_holds_the_same_commands(dedicated, mode: str) -> None:
    script = [("GET", "k"), ("PING",), ("SET", "k", "v"), ("PUBLISH", "ch", "m"), ("EXEC",),
              ("CLIENT", "UNPAUSE"), ("MULTI",)]
    results = []
    for host, port in dedicated:
        admin = RawConnection(host, port)
        outcome = []
        for cmd in script:
            worker = RawConnection(host, port)
            if cmd == ("EXEC",):
                worker.command("MULTI")
                worker.command("DEL", "k")
            assert admin.command("CLIENT", "PAUSE", "400", mode) == b"+OK\r\n"
            started = time.monotonic()
            worker.send(encode_command(*cmd))
            held = _held(worker)
            reply = worker.read_reply()
            outcome.append((cmd, held, reply if cmd != ("MULTI",) else reply[:3]))
            assert held == (time.monotonic() - started >= 0.3)
            worker.close()
            admin.command("CLIENT", "UNPAUSE") if mode == "WRITE" else time.sleep(0.45)
        admin.close()
        results.append(outcome)
    assert results[0] == results[1]
