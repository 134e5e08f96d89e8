"""client-query-buffer-limit on an ordinary connection (nothing blocked, nothing held), with no sockets.

Redis closes a client whose query buffer, the input not yet part of a
complete command, passes the limit, and counts it. An incomplete bulk
argument is such input: the command never runs and nothing is written back.
(The held-behind-a-blocked-command case is in test_backpressure.py.)
"""
from __future__ import annotations

from .fakes import FakeTransport, frame, make_connection

HEAD = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n"  # a 2 MB value announced


def test_an_incomplete_bulk_over_the_limit_closes_the_connection() -> None:
    transport = FakeTransport()
    conn, loop = make_connection(transport, client_query_buffer_limit="1mb")
    stats = conn.state.stats
    before = stats.client_query_buffer_limit_disconnections
    conn.data_received(HEAD)
    for _ in range(15):  # 15 x 64 KiB + the header: just under 1 MiB pending
        conn.data_received(b"x" * 65536)
    loop.run()
    assert not conn.closing and not transport.aborted
    assert stats.client_query_buffer_limit_disconnections == before
    conn.data_received(b"x" * 65536)  # now over it
    loop.run()
    assert conn.closing and transport.aborted
    assert stats.client_query_buffer_limit_disconnections == before + 1
    assert transport.writes == []
    assert conn.state.keyspace.dbs[0].data == {}


def test_complete_commands_under_the_limit_run() -> None:
    """The limit is on what waits, not on what passed: 2 MB of whole commands in 64 KiB reads."""
    transport = FakeTransport()
    conn, loop = make_connection(transport, client_query_buffer_limit="1mb")
    stats = conn.state.stats
    before = stats.client_query_buffer_limit_disconnections
    command = frame([b"SET", b"k", b"y" * 60_000])
    for _ in range(35):
        conn.data_received(command)
    loop.run()
    assert not conn.closing and not transport.aborted
    assert transport.data == b"+OK\r\n" * 35
    assert stats.client_query_buffer_limit_disconnections == before


def test_raising_the_limit_applies_to_open_connections() -> None:
    transport = FakeTransport()
    conn, loop = make_connection(transport, client_query_buffer_limit="1mb")
    conn.state.config.set("client-query-buffer-limit", "4mb")
    conn.data_received(HEAD + b"x" * 1_500_000)  # over the old limit, under the new one
    loop.run()
    assert not conn.closing
    conn.data_received(b"x" * 500_000 + b"\r\n")
    loop.run()
    assert transport.data == b"+OK\r\n" and not conn.closing
    assert len(conn.state.keyspace.dbs[0].data[b"k"]) == 2_000_000
