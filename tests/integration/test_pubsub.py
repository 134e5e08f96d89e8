"""Pub/Sub over real TCP: redis-py (sync and asyncio, RESP2 and RESP3) and raw sockets."""
from __future__ import annotations

import itertools
import socket
import threading
import time
import uuid

import pytest
import redis
import redis.asyncio

from tests.resp import RawConnection, encode_command


def unique(prefix: str = "ch") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_message(p: redis.client.PubSub, timeout: float = 2.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = p.get_message(timeout=0.1)
        if msg is not None and msg["type"] in ("message", "pmessage", "smessage"):
            return msg
    raise AssertionError("no message")


@pytest.mark.parametrize("protocol", [2, 3])
def test_subscribe_publish_pattern_and_shard_with_redis_py(server, protocol: int) -> None:
    r = redis.Redis(host=server.host, port=server.port, protocol=protocol)
    ch, sh = unique(), unique("shard")
    p = r.pubsub()
    p.subscribe(ch)
    p.psubscribe(ch[:4] + "*")
    p.ssubscribe(sh)
    confirmations = [p.get_message(timeout=1) for _ in range(3)]
    assert [c["type"] for c in confirmations] == ["subscribe", "psubscribe", "ssubscribe"]
    assert [c["data"] for c in confirmations] == [1, 2, 1]
    publisher = redis.Redis(host=server.host, port=server.port, protocol=protocol)
    assert publisher.publish(ch, "hello") == 2
    assert publisher.spublish(sh, "shard-hello") == 1
    first, second, third = wait_message(p), wait_message(p), wait_message(p)
    assert (first["type"], first["channel"], first["data"]) == ("message", ch.encode(), b"hello")
    assert (second["type"], second["pattern"], second["data"]) == ("pmessage", (ch[:4] + "*").encode(), b"hello")
    assert (third["type"], third["channel"], third["data"]) == ("smessage", sh.encode(), b"shard-hello")
    assert publisher.pubsub_numsub(ch) == [(ch.encode(), 1)]
    assert publisher.pubsub_shardnumsub(sh) == [(sh.encode(), 1)]
    assert ch.encode() in publisher.pubsub_channels(ch[:4] + "*")
    assert publisher.pubsub_numpat() >= 1
    p.unsubscribe(ch)
    p.punsubscribe()
    p.sunsubscribe()
    p.close()
    deadline = time.monotonic() + 2
    while publisher.pubsub_numsub(ch)[0][1] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert publisher.publish(ch, "nobody") == 0
    r.close()
    publisher.close()


async def test_asyncio_pubsub_resp3(server) -> None:
    r = redis.asyncio.Redis(host=server.host, port=server.port, protocol=3)
    ch = unique()
    p = r.pubsub()
    await p.subscribe(ch)
    assert (await p.get_message(timeout=1))["type"] == "subscribe"
    assert await r.publish(ch, "x") == 1
    msg = None
    for _ in range(20):
        msg = await p.get_message(timeout=0.2)
        if msg:
            break
    assert msg is not None and msg["data"] == b"x"
    await p.aclose()
    await r.aclose()


def test_raw_resp2_and_resp3_frames(server) -> None:
    ch = unique()
    sub2 = RawConnection(server.host, server.port)
    sub3 = RawConnection(server.host, server.port)
    sub3.command("HELLO", "3")
    assert sub2.command("SUBSCRIBE", ch) == b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(ch), ch.encode())
    assert sub3.command("SUBSCRIBE", ch) == b">3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(ch), ch.encode())
    pub = RawConnection(server.host, server.port)
    assert pub.command("PUBLISH", ch, "m") == b":2\r\n"
    body = b"$7\r\nmessage\r\n$%d\r\n%s\r\n$1\r\nm\r\n" % (len(ch), ch.encode())
    assert sub2.read_reply() == b"*3\r\n" + body
    assert sub3.read_reply() == b">3\r\n" + body
    # RESP3: any command in subscribed mode, its own message comes before its reply
    assert sub3.command("PUBLISH", ch, "m") == b">3\r\n" + body
    assert sub3.read_reply() == b":2\r\n"
    assert sub2.read_reply() == b"*3\r\n" + body
    # RESP2: the subscribed-context rule
    assert sub2.command("GET", "x").startswith(b"-ERR Can't execute 'get'")
    assert sub2.command("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    # several channels: one confirmation each, in order
    sub2.send(encode_command("SUBSCRIBE", "a1", "a2"))
    assert sub2.read_reply().endswith(b"$2\r\na1\r\n:2\r\n")
    assert sub2.read_reply().endswith(b"$2\r\na2\r\n:3\r\n")
    assert sub2.command("RESET") == b"+RESET\r\n"
    assert pub.command("PUBLISH", ch, "m") == b":1\r\n"
    assert sub2.command("GET", "x") == b"$-1\r\n"
    for c in (sub2, sub3, pub):
        c.close()


def test_disconnect_removes_subscriptions(server) -> None:
    ch = unique()
    sub = RawConnection(server.host, server.port)
    sub.command("SUBSCRIBE", ch)
    sub.command("PSUBSCRIBE", ch + "*")
    pub = RawConnection(server.host, server.port)
    assert pub.command("PUBLISH", ch, "x") == b":2\r\n"
    sub.close()
    deadline = time.monotonic() + 2
    while pub.command("PUBLISH", ch, "x") != b":0\r\n":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pub.close()


def _flood(host: str, port: int, channel: str, stop: threading.Event, counter: list[int],
           command: str = "PUBLISH") -> None:
    conn = socket.create_connection((host, port))
    frames = b"".join(encode_command(command, channel, "m%d" % i) for i in range(50))
    try:
        while not stop.is_set():
            conn.sendall(frames)
            got = 0
            while got < 50:
                got += conn.recv(65536).count(b":")
            counter[0] += 50
    finally:
        conn.close()


def test_no_message_after_the_unsubscribe_confirmation_under_a_flood(server) -> None:
    """Rule 6: everything before the confirmation, nothing for that channel after it."""
    ch = unique()
    sub = RawConnection(server.host, server.port)
    sub.command("SUBSCRIBE", ch)
    sub.command("SUBSCRIBE", "keepalive-" + ch)
    stop, counter = threading.Event(), [0]
    flooder = threading.Thread(target=_flood, args=(server.host, server.port, ch, stop, counter))
    flooder.start()
    try:
        while counter[0] < 500:
            time.sleep(0.01)
        sub.send(encode_command("UNSUBSCRIBE", ch))
        seen_before = 0
        while True:
            frame = sub.read_reply()
            if frame.startswith(b"*3\r\n$11\r\nunsubscribe"):
                break
            assert frame.startswith(b"*3\r\n$7\r\nmessage")
            seen_before += 1
        time.sleep(0.2)  # the flood goes on
        assert sub.command("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # nothing else queued
    finally:
        stop.set()
        flooder.join()
        sub.close()
    assert seen_before > 0


@pytest.mark.parametrize("kind", ["pattern", "shard"])
def test_no_message_after_a_punsubscribe_or_sunsubscribe_confirmation_under_a_flood(server, kind: str) -> None:
    """Rule 6 for patterns and shard channels: nothing for the pattern (or shard channel) after its ack."""
    ch = unique()
    if kind == "pattern":
        subscribe, unsubscribe, name, publish = "PSUBSCRIBE", "PUNSUBSCRIBE", ch[:-1] + "*", "PUBLISH"
        message, ack, left = b"*4\r\n$8\r\npmessage", b"*3\r\n$12\r\npunsubscribe", b":1\r\n"
    else:  # Redis counts the shard channels left only, without the keepalive channel
        subscribe, unsubscribe, name, publish = "SSUBSCRIBE", "SUNSUBSCRIBE", ch, "SPUBLISH"
        message, ack, left = b"*3\r\n$8\r\nsmessage", b"*3\r\n$12\r\nsunsubscribe", b":0\r\n"
    sub = RawConnection(server.host, server.port)
    sub.command(subscribe, name)
    sub.command("SUBSCRIBE", "keepalive-" + ch)  # still subscribed after the ack: PING answers in kind
    stop, counter = threading.Event(), [0]
    flooder = threading.Thread(target=_flood, args=(server.host, server.port, ch, stop, counter, publish))
    flooder.start()
    try:
        while counter[0] < 500:
            time.sleep(0.01)
        sub.send(encode_command(unsubscribe, name))
        seen_before = 0
        while True:
            frame = sub.read_reply()
            if frame.startswith(ack):
                assert frame.endswith(left)
                break
            assert frame.startswith(message)
            seen_before += 1
        sent = counter[0]
        while counter[0] < sent + 500:  # the flood goes on past the ack
            time.sleep(0.01)
        assert sub.command("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # nothing else queued
    finally:
        stop.set()
        flooder.join()
        sub.close()
    assert seen_before > 0


def test_resp3_get_while_flooded_gets_a_well_formed_stream(server) -> None:
    ch = unique()
    client = RawConnection(server.host, server.port)
    client.command("HELLO", "3")
    client.command("SET", ch, "value")
    client.command("SUBSCRIBE", ch)
    stop, counter = threading.Event(), [0]
    flooder = threading.Thread(target=_flood, args=(server.host, server.port, ch, stop, counter))
    flooder.start()
    pushes = 0
    try:
        for _ in range(50):
            client.send(encode_command("GET", ch))
            while True:  # every frame is whole: pushes, then exactly our reply
                frame = client.read_reply()
                if frame.startswith(b">3\r\n$7\r\nmessage\r\n"):
                    pushes += 1
                    continue
                assert frame == b"$5\r\nvalue\r\n"
                break
    finally:
        stop.set()
        flooder.join()
        client.close()
    assert pushes > 0


def test_ordering_per_subscriber_across_channels_and_patterns(server) -> None:
    a, b = unique("a"), unique("b")
    sub = RawConnection(server.host, server.port)
    sub.command("SUBSCRIBE", a, b)
    sub.read_reply()
    sub.command("PSUBSCRIBE", a + "*")
    pub = RawConnection(server.host, server.port)
    order = [a, b, a, b, b, a]
    pub.send(b"".join(encode_command("PUBLISH", ch, str(i)) for i, ch in enumerate(order)))
    for _ in order:
        pub.read_reply()
    got = []
    for _ in range(len(order) + order.count(a)):
        frame = sub.read_reply().split(b"\r\n")
        got.append((frame[2], frame[-2]))
    expected = []
    for i, ch in enumerate(order):
        expected.append((b"message", str(i).encode()))
        if ch == a:
            expected.append((b"pmessage", str(i).encode()))
    assert got == expected
    sub.close()
    pub.close()


def test_many_subscribers_all_receive_in_order(server) -> None:
    ch = unique()
    subs = [RawConnection(server.host, server.port) for _ in range(10)]
    for s in subs:
        s.command("SUBSCRIBE", ch)
    pub = RawConnection(server.host, server.port)
    n = 500
    pub.send(b"".join(encode_command("PUBLISH", ch, "%d" % i) for i in range(n)))
    for _ in range(n):
        assert pub.read_reply() == b":10\r\n"
    for s in subs:
        payloads = [s.read_reply().split(b"\r\n")[-2] for _ in range(n)]
        assert payloads == [b"%d" % i for i in range(n)]
        s.close()
    pub.close()


def test_batching_counters_move(start_server) -> None:
    srv = start_server()
    r = redis.Redis(host=srv.host, port=srv.port)
    subs = [RawConnection(srv.host, srv.port) for _ in range(3)]
    for s in subs:
        s.command("SUBSCRIBE", "c")
    pub = RawConnection(srv.host, srv.port)
    pub.send(b"".join(encode_command("PUBLISH", "c", str(i)) for i in range(100)))
    for _ in range(100):
        pub.read_reply()
    for s in subs:
        for _ in range(100):
            s.read_reply()
    stats = r.info("stats")
    assert stats["control_batches"] >= 3
    assert stats["control_messages"] >= 300
    assert stats["dispatch_queue_bytes"] == 0 and stats["dispatch_queue_peak_bytes"] > 0
    info = r.info()
    assert info["pubsub_channels"] == 1 and info["pubsub_patterns"] == 0
    r.close()


@pytest.mark.parametrize("batching", ["yes", "no"])
def test_delivery_identical_with_and_without_batching(start_server, batching: str) -> None:
    srv = start_server(control_batching=batching)
    subs = [RawConnection(srv.host, srv.port) for _ in range(3)]
    for s in subs:
        s.command("SUBSCRIBE", "c")
    pub = RawConnection(srv.host, srv.port)
    pub.send(b"".join(encode_command("PUBLISH", "c", str(i)) for i in range(200)))
    for _ in range(200):
        assert pub.read_reply() == b":3\r\n"
    for s in subs:
        assert [s.read_reply().split(b"\r\n")[-2] for _ in range(200)] == [str(i).encode() for i in range(200)]
    writes = redis.Redis(host=srv.host, port=srv.port).info("stats")["total_writes_processed"]
    if batching == "no":
        assert writes >= 600  # one per delivered message at least
    else:
        assert writes < 600


def test_config_set_control_batching_applies_to_open_connections(start_server) -> None:
    """Rule 5 on a live server: the subscribers connected before CONFIG SET follow the new value."""
    srv = start_server()
    subs = [RawConnection(srv.host, srv.port) for _ in range(3)]
    for s in subs:
        s.command("SUBSCRIBE", "c")
    pub = RawConnection(srv.host, srv.port)
    admin = redis.Redis(host=srv.host, port=srv.port)

    def writes_for_a_round(tag: str) -> int:
        before = admin.info("stats")["total_writes_processed"]
        pub.send(b"".join(encode_command("PUBLISH", "c", "%s%d" % (tag, i)) for i in range(200)))
        for _ in range(200):
            assert pub.read_reply() == b":3\r\n"
        for s in subs:
            assert [s.read_reply().split(b"\r\n")[-2] for _ in range(200)] == [b"%s%d" % (tag.encode(), i)
                                                                                for i in range(200)]
        return admin.info("stats")["total_writes_processed"] - before

    assert writes_for_a_round("a") < 100  # batched: a few writes per subscriber
    assert admin.config_set("control-batching", "no")
    assert writes_for_a_round("b") >= 600  # the same connections: one write per message
    assert admin.config_set("control-batching", "yes")
    assert writes_for_a_round("c") < 100
    for c in (*subs, pub):
        c.close()
    admin.close()


def test_pubsub_help_and_errors(r: redis.Redis) -> None:
    help_lines = r.execute_command("PUBSUB", "HELP")
    assert help_lines[0] == b"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'FOO'"):
        r.execute_command("PUBSUB", "FOO")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'publish'"):
        r.execute_command("PUBLISH", "x")


def test_interleaved_subscribe_from_many_threads(server) -> None:
    """Subscriptions from several connections at once never lose or duplicate a delivery."""
    ch = unique()
    conns = [RawConnection(server.host, server.port) for _ in range(5)]
    for c in conns:
        c.command("SUBSCRIBE", ch)
    pub = RawConnection(server.host, server.port)
    for i in itertools.islice(itertools.count(), 20):
        assert pub.command("PUBLISH", ch, str(i)) == b":5\r\n"
    for c in conns:
        assert [c.read_reply().split(b"\r\n")[-2] for _ in range(20)] == [str(i).encode() for i in range(20)]
        c.close()
    pub.close()
