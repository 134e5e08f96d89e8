"""Backpressure on the data path (DESIGN section 2), with no sockets.

A fake transport that "pauses" like asyncio's (``pause_writing`` once its
buffer passes a high-water mark) stands for a peer that pipelines commands
and never reads: the connection must stop running that peer's commands and
stop reading until the buffer drains, and apply the ``normal`` class of
client-output-buffer-limit to command replies.
"""
from __future__ import annotations

from typing import Any

from damselfly.net.connection import CHECK_CHUNKS, Connection

from .fakes import FakeLoop, frame, make_connection


class PausingTransport:
    """Buffers every write until ``drain``; calls pause_writing above ``high`` like asyncio."""

    def __init__(self, high: int = 64 * 1024) -> None:
        self.protocol: Connection | None = None
        self.high = high
        self.buffered: list[bytes] = []
        self.written = 0
        self.paused = False
        self.reading = True
        self.aborted = False
        self.closed = False

    def write(self, data: bytes) -> None:
        self.buffered.append(bytes(data))
        if not self.paused and self.get_write_buffer_size() > self.high:
            self.paused = True
            assert self.protocol is not None
            self.protocol.pause_writing()

    def drain(self) -> bytes:
        """The peer reads everything: the buffer empties and writing resumes."""
        data = b"".join(self.buffered)
        self.written += len(data)
        self.buffered.clear()
        if self.paused:
            self.paused = False
            assert self.protocol is not None
            self.protocol.resume_writing()
        return data

    def get_write_buffer_size(self) -> int:
        return sum(map(len, self.buffered))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 6379)}.get(name, default)

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.buffered.clear()

    def is_closing(self) -> bool:
        return self.closed or self.aborted


def make(**options: str) -> tuple[Connection, PausingTransport, FakeLoop]:
    transport = PausingTransport()
    conn, loop = make_connection(transport, **options)
    return conn, transport, loop


def cmd(*args: bytes) -> bytes:
    return frame(args)


BIG = b"v" * (1024 * 1024)
HELD = (CHECK_CHUNKS // 3 + 2) * len(BIG)  # a large reply is 3 chunks: at most this much piles up


def test_a_peer_that_does_not_read_stops_its_pipeline_at_the_high_water_mark() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    conn.data_received(cmd(b"GET", b"big") * 200)  # 200 MB of replies if all ran
    assert transport.get_write_buffer_size() < HELD  # a few replies, not 200
    assert not transport.reading  # and its next requests stay in the kernel
    assert len(conn._pending) > 200 - HELD // len(BIG)
    # the peer reads: the held commands run, in order, until the buffer is full again
    replies = b""
    while conn._pending or transport.buffered:
        replies += transport.drain()
        loop.run()
        assert transport.get_write_buffer_size() < HELD
    assert replies == (b"$%d\r\n" % len(BIG) + BIG + b"\r\n") * 200
    assert transport.reading and not conn.closing


def test_held_commands_keep_their_order_with_later_reads() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    conn.data_received(cmd(b"GET", b"big") * 20 + cmd(b"INCR", b"n") + cmd(b"GET", b"big") * 20)
    data = b""
    while conn._pending or transport.buffered:
        data += transport.drain()
        loop.run()
    conn.data_received(cmd(b"INCR", b"n"))
    data += transport.drain()
    bulk = b"$%d\r\n" % len(BIG) + BIG + b"\r\n"
    assert data == bulk * 20 + b":1\r\n" + bulk * 20 + b":2\r\n"


def test_small_replies_are_not_held_back() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"PING") * 5000)
    assert transport.drain() == b"+PONG\r\n" * 5000
    assert not conn._pending and transport.reading


def test_the_normal_hard_limit_closes_a_client_whose_replies_pile_up() -> None:
    conn, transport, loop = make(client_output_buffer_limit="normal 4mb 0 0")
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    stats = conn.state.stats
    before = stats.client_output_buffer_limit_disconnections
    conn.data_received(cmd(b"LRANGE", b"nolist", b"0", b"-1") + cmd(b"MGET", *[b"big"] * 6))
    assert conn.closing and transport.aborted
    assert stats.client_output_buffer_limit_disconnections == before + 1


def test_without_a_normal_limit_a_large_reply_only_pauses() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    conn.data_received(cmd(b"MGET", *[b"big"] * 6) + cmd(b"PING"))
    assert not conn.closing and not transport.reading
    out = transport.drain()
    loop.run()
    out += transport.drain()
    assert out.endswith(b"+PONG\r\n") and transport.reading


def test_a_reading_client_under_the_normal_limit_is_kept() -> None:
    conn, transport, loop = make(client_output_buffer_limit="normal 4mb 0 0")
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    for _ in range(10):
        conn.data_received(cmd(b"GET", b"big") * 2)
        transport.drain()
        loop.run()
    assert not conn.closing and not transport.aborted


def test_input_held_behind_a_blocked_command_counts_against_the_query_buffer_limit() -> None:
    conn, transport, loop = make(client_query_buffer_limit="1mb")
    stats = conn.state.stats
    before = stats.client_query_buffer_limit_disconnections
    conn.data_received(cmd(b"BLPOP", b"q", b"0"))
    assert conn.client is not None and conn.client.blocked is not None
    chunk = cmd(b"SET", b"k", b"x" * 60_000)
    for _ in range(17):  # ~1 MB of complete commands, each parsed, all held
        conn.data_received(chunk)
    assert not conn.closing and len(conn._pending) == 17
    conn.data_received(chunk)
    assert conn.closing and transport.aborted
    assert stats.client_query_buffer_limit_disconnections == before + 1


def test_held_input_is_counted_afresh_once_the_held_queue_empties() -> None:
    conn, transport, loop = make(client_query_buffer_limit="1mb")
    pusher = Connection(conn.state, loop)  # type: ignore[arg-type]
    pusher_transport = PausingTransport()
    pusher_transport.protocol = pusher
    pusher.connection_made(pusher_transport)  # type: ignore[arg-type]
    chunk = cmd(b"SET", b"k", b"x" * 60_000)
    for _ in range(3):  # 3 x ~0.7 MB held, each time released by a push: never 1 MB at once
        conn.data_received(cmd(b"BLPOP", b"q", b"0"))
        for _ in range(12):
            conn.data_received(chunk)
        pusher.data_received(cmd(b"RPUSH", b"q", b"v"))
        loop.run()
        assert not conn._pending and not conn.closing
        assert transport.drain().startswith(b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n" + b"+OK\r\n" * 12)


def test_draining_counts_as_interaction_for_timeout() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    conn.data_received(cmd(b"GET", b"big") * 100)
    assert conn.client is not None
    conn.client.last_interaction = 0.0  # as if it had been quiet for long
    transport.drain()
    assert conn.client.last_interaction > 0.0


def test_a_protocol_error_after_held_commands_follows_their_replies() -> None:
    conn, transport, loop = make()
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    conn.data_received(cmd(b"GET", b"big") * 60 + b"*1\r\n$x\r\n")
    assert conn._pending and not conn.closing  # held, the error not yet sent
    data = b""
    while not conn.closing:
        data += transport.drain()
        loop.run()
    data += transport.drain()
    bulk = b"$%d\r\n" % len(BIG) + BIG + b"\r\n"
    assert data == bulk * 60 + b"-ERR Protocol error: invalid bulk length\r\n"
    assert transport.closed


def test_closing_for_the_output_limit_logs_redis_warning(caplog) -> None:
    import logging
    conn, transport, loop = make(client_output_buffer_limit="normal 1mb 0 0")
    conn.data_received(cmd(b"SET", b"big", BIG))
    transport.drain()
    with caplog.at_level(logging.WARNING, logger="damselfly"):
        conn.data_received(cmd(b"GET", b"big") * 3)
    assert conn.closing
    (message,) = [m for m in caplog.messages if "output buffer" in m]
    assert message.startswith("Client id=%d addr=127.0.0.1:40000 " % conn.client.id)  # type: ignore[union-attr]
    assert message.endswith(" scheduled to be closed ASAP for overcoming of output buffer limits.")
    assert " omem=" in message and " cmd=get " in message
