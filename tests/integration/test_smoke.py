"""End-to-end smoke checks over real TCP."""
from __future__ import annotations

import redis


def test_set_get_redis_py(r: redis.Redis) -> None:
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.get("missing") is None


def test_inline_and_pipeline_replies_in_one_batch(raw) -> None:
    raw.send(b"PING\r\nset x \"a b\"\r\nget x\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$3\r\na b\r\n"


def test_protocol_error_closes_only_that_client(server, raw) -> None:
    from tests.resp import RawConnection
    other = RawConnection(server.host, server.port)
    raw.send(b"*1\r\n$x\r\n")
    assert raw.read_all(0.5) == b"-ERR Protocol error: invalid bulk length\r\n"
    assert other.command("PING") == b"+PONG\r\n"
    other.close()
