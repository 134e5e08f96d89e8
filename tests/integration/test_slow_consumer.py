"""Rule 7: a subscriber that never reads is cut off at the hard limit; nobody else notices."""
from __future__ import annotations

import socket
import threading
import time

import redis

from tests.resp import RawConnection, encode_command


def _reader(host: str, port: int, channel: str, expected: int, result: list[int], ready: threading.Event) -> None:
    sock = socket.create_connection((host, port))
    sock.sendall(encode_command("SUBSCRIBE", channel))
    buf = b""
    while buf.count(b"\r\n") < 6:
        buf += sock.recv(4096)
    ready.set()
    got = 0
    sock.settimeout(20)
    try:
        while got < expected:
            data = sock.recv(1 << 20)
            if not data:
                break
            got += data.count(b"$7\r\nmessage\r\n")
    finally:
        sock.close()
    result.append(got)


def test_a_subscriber_that_never_reads_is_disconnected_at_the_hard_limit(start_server) -> None:
    srv = start_server(client_output_buffer_limit="pubsub 1mb 512kb 60")
    r = redis.Redis(host=srv.host, port=srv.port)
    payload = b"x" * 1000
    messages = 8000  # ~8 MB per subscriber: eight times the hard limit

    stuck = socket.create_connection((srv.host, srv.port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and never read it again
    stuck.sendall(encode_command("SUBSCRIBE", "flood"))

    results: list[int] = []
    readers = []
    for _ in range(2):
        ready = threading.Event()
        t = threading.Thread(target=_reader, args=(srv.host, srv.port, "flood", messages, results, ready))
        t.start()
        ready.wait(5)
        readers.append(t)
    time.sleep(0.1)

    pub = RawConnection(srv.host, srv.port)
    batch = 100
    for start in range(0, messages, batch):
        pub.send(b"".join(encode_command("PUBLISH", "flood", payload) for _ in range(batch)))
        for _ in range(batch):
            assert pub.read_reply().startswith(b":")  # publishers never block nor fail
    for t in readers:
        t.join(30)
    assert results == [messages, messages]  # the others received everything

    info = r.info()
    assert info["client_output_buffer_limit_disconnections"] == 1
    assert info["dispatch_queue_bytes"] == 0
    # bounded: the server never held more than about the limit for the stuck client
    assert info["dispatch_queue_peak_bytes"] < 4 * 1024 * 1024
    assert info["connected_clients"] == 2  # r and the publisher: the stuck client is gone
    stuck.close()
    pub.close()
    r.close()


def test_memory_stays_bounded_while_a_subscriber_stalls(start_server) -> None:
    """What the server holds for a client that does not read (dispatch queue plus transport
    buffer) stays near the hard limit however much is published, and publishers carry on."""
    srv = start_server(client_output_buffer_limit="pubsub 1mb 512kb 60")
    state = srv.state
    assert state is not None
    stuck = socket.create_connection((srv.host, srv.port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.sendall(encode_command("SUBSCRIBE", "flood"))
    deadline = time.monotonic() + 2
    while not any(c.channels for c in list(state.clients.values())):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    victim = next(c for c in list(state.clients.values()) if c.channels)
    pub = RawConnection(srv.host, srv.port)
    payload = b"y" * 4096
    held = []
    for _ in range(100):  # 80 MB offered in batches of 200 messages
        pub.send(b"".join(encode_command("PUBLISH", "flood", payload) for _ in range(200)))
        for _ in range(200):
            pub.read_reply()
        outbox = victim.outbox
        if outbox is None:
            break
        held.append(outbox.output_bytes() + outbox.queued_bytes())
    assert victim.outbox is None  # disconnected
    assert state.stats.client_output_buffer_limit_disconnections == 1
    assert max(held) < 1024 * 1024 + 200 * 4200  # the limit plus one batch at most
    assert state.stats.dispatch_queue_peak_bytes < 2 * 1024 * 1024
    stuck.close()
    pub.close()
