"""maxclients and timeout over real sockets.

Expected behaviour from redis-server 7.0.15 (``--maxclients 2``): the next
connection reads ``-ERR max number of clients reached\\r\\n`` and EOF, without
sending anything; a refused connection is counted in ``rejected_connections``
but not in ``total_connections_received`` and uses no client id. ``timeout``
closes idle normal clients only (clientsCronHandleTimeout: never
subscribers, MONITOR or blocked clients).
"""
from __future__ import annotations

import socket
import time

import redis

from ..resp import RawConnection
from ..waiting import wait_until


def read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_the_client_past_maxclients_is_refused_as_redis_does(start_server) -> None:
    srv = start_server(maxclients=2)
    a = RawConnection(srv.host, srv.port)
    b = RawConnection(srv.host, srv.port)
    ids = [int(a.command("CLIENT", "ID")[1:-2]), int(b.command("CLIENT", "ID")[1:-2])]
    before = a.command("INFO", "stats")
    refused = socket.create_connection((srv.host, srv.port))
    assert read_all(refused) == b"-ERR max number of clients reached\r\n"  # unprompted, then EOF
    refused.close()
    refused = socket.create_connection((srv.host, srv.port))
    assert read_all(refused) == b"-ERR max number of clients reached\r\n"
    refused.close()
    stats = a.command("INFO", "stats")
    assert b"rejected_connections:2\r\n" in stats
    total = [line for line in before.split(b"\r\n") if line.startswith(b"total_connections_received:")]
    assert total[0] in stats  # the refused ones are not counted as received
    b.close()
    assert wait_until(lambda: a.command("INFO", "clients").find(b"connected_clients:1\r\n") >= 0)
    c = RawConnection(srv.host, srv.port)
    assert int(c.command("CLIENT", "ID")[1:-2]) == max(ids) + 1  # refusals used no id
    assert b"connected_clients:2\r\n" in a.command("INFO", "clients")
    a.close()
    c.close()


def test_maxclients_can_be_raised_at_runtime_in_an_embedded_server(start_server) -> None:
    srv = start_server(maxclients=1)
    a = RawConnection(srv.host, srv.port)
    refused = socket.create_connection((srv.host, srv.port))
    assert read_all(refused) == b"-ERR max number of clients reached\r\n"
    refused.close()
    assert a.command("CONFIG", "SET", "maxclients", "2") == b"+OK\r\n"
    b = RawConnection(srv.host, srv.port)
    assert b.command("PING") == b"+PONG\r\n"
    a.close()
    b.close()


def test_timeout_closes_idle_clients_only(start_server) -> None:
    srv = start_server(timeout=1)
    idle = socket.create_connection((srv.host, srv.port))
    subscriber = RawConnection(srv.host, srv.port)
    subscriber.command("SUBSCRIBE", "news")
    psubscriber = RawConnection(srv.host, srv.port)
    psubscriber.command("PSUBSCRIBE", "n*")
    resp3_subscriber = RawConnection(srv.host, srv.port)  # exempt in RESP3 too (checked on 7.0.15)
    resp3_subscriber.command("HELLO", "3")
    resp3_subscriber.command("SUBSCRIBE", "other")
    tracker = socket.create_connection((srv.host, srv.port))  # tracking is no exemption
    tracker.sendall(b"HELLO 3\r\nCLIENT TRACKING on\r\n")
    monitor = RawConnection(srv.host, srv.port)
    assert monitor.command("MONITOR") == b"+OK\r\n"
    blocked = RawConnection(srv.host, srv.port)
    blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
    active = redis.Redis(host=srv.host, port=srv.port)
    assert wait_until(lambda: active.info("clients")["blocked_clients"] == 1)

    def idle_closed() -> bool:
        active.ping()  # the active client keeps interacting
        names = active.client_list()
        return len(names) == 6
    assert wait_until(idle_closed)
    assert read_all(idle) == b""  # closed without a word, as Redis does
    idle.close()
    assert read_all(tracker).endswith(b"+OK\r\n")  # its replies, then EOF
    tracker.close()
    # everyone exempt is still connected and still served
    assert active.publish("news", "hi") == 2
    assert subscriber.read_reply() == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    assert active.lpush("q", "x") == 1
    assert blocked.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert monitor.read_reply().startswith(b"+")
    # once unblocked, the former BLPOP client is an ordinary client and times out
    assert wait_until(lambda: (active.ping(), len(active.client_list()) == 5)[1])
    for conn in (subscriber, psubscriber, resp3_subscriber, monitor, blocked):
        conn.close()
    active.close()


def _flood_big_gets(host: str, port: int) -> bytes:
    """Pipeline GETs of a 2 MB value without reading; then read until the server hangs up."""
    sock = socket.create_connection((host, port))
    sock.settimeout(10)
    try:
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 20)
    except OSError:
        pass
    time.sleep(0.3)  # the server runs them while we do not read
    try:
        return read_all(sock)
    except OSError:
        return b""
    finally:
        sock.close()


def test_the_normal_output_limit_closes_a_client_that_does_not_read(start_server, redis_server) -> None:
    """Same scenario on both servers: 40 MB of replies against ``normal 1mb 0 0``.

    Both check a large write before making it, so the first 2 MB reply already
    closes the client; the assertion allows for what a socket buffer took.
    """
    srv = start_server(client_output_buffer_limit="normal 1mb 0 0")
    for host, port in ((srv.host, srv.port), (redis_server.host, redis_server.port)):
        r = redis.Redis(host=host, port=port)
        if port == redis_server.port:
            r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
        r.set("big", b"v" * (2 * 1024 * 1024))
        got = _flood_big_gets(host, port)
        assert len(got) < 20 * 2 * 1024 * 1024  # cut off: never all the replies
        assert wait_until(lambda: r.info("clients")["connected_clients"] == 1)
        if port == srv.port:
            assert r.info("stats")["client_output_buffer_limit_disconnections"] == 1
        else:
            r.config_set("client-output-buffer-limit", "normal 0 0 0")
            r.delete("big")
        r.close()


def test_one_reply_over_the_hard_limit_is_never_sent(start_server, redis_server) -> None:
    """Redis adds a reply to the client's buffer, finds the limit passed, and closes the
    client before writing: the client reads nothing, not even the reply's header."""
    srv = start_server(client_output_buffer_limit="normal 1mb 0 0")
    for host, port in ((srv.host, srv.port), (redis_server.host, redis_server.port)):
        r = redis.Redis(host=host, port=port)
        r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
        r.set("big", b"v" * (2 * 1024 * 1024))
        r.set("small", b"v" * (512 * 1024))
        sock = socket.create_connection((host, port))
        sock.settimeout(10)
        sock.sendall(b"GET small\r\n")
        expected = b"$524288\r\n" + b"v" * (512 * 1024) + b"\r\n"
        got = b""
        while len(got) < len(expected):
            got += sock.recv(1 << 20)
        assert got == expected  # under the limit: served
        sock.sendall(b"GET big\r\n")
        assert read_all(sock) == b"", port
        sock.close()
        r.config_set("client-output-buffer-limit", "normal 0 0 0")
        r.delete("big", "small")
        r.close()


def test_without_a_normal_limit_a_client_that_does_not_read_is_held_not_closed(start_server) -> None:
    srv = start_server()
    r = redis.Redis(host=srv.host, port=srv.port)
    big = b"v" * (1024 * 1024)
    r.set("big", big)
    sock = socket.create_connection((srv.host, srv.port))
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 60 + b"*1\r\n$4\r\nPING\r\n")
    time.sleep(0.3)  # it does not read for a while: the server holds the rest of its pipeline
    assert r.info("clients")["connected_clients"] == 2
    sock.settimeout(10)
    expected = (b"$1048576\r\n" + big + b"\r\n") * 60 + b"+PONG\r\n"
    got = bytearray()
    while len(got) < len(expected):
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    assert got == expected  # then it reads: every reply, in order
    assert r.info("stats")["client_output_buffer_limit_disconnections"] == 0
    sock.close()
    r.close()
