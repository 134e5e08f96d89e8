"""The reference redis-server fixture must be the test session's own server."""
from __future__ import annotations

import shutil

import pytest

from . import conftest
from .resp import RawConnection

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")


def _pid(port: int) -> int:
    conn = RawConnection("127.0.0.1", port)
    try:
        info = conn.command("INFO", "server").decode()
    finally:
        conn.close()
    return int(info.split("process_id:")[1].split("\r\n")[0])


def test_a_port_taken_by_another_sessions_server_is_not_adopted(monkeypatch) -> None:
    """Another session's redis-server grabs the port between free_port() and our bind."""
    other = conftest.RedisServerProcess()
    ports = iter([other.port])
    real = conftest.free_port
    monkeypatch.setattr(conftest, "free_port", lambda: next(ports, None) or real())
    mine = conftest.RedisServerProcess()
    try:
        assert mine.port != other.port
        assert _pid(mine.port) == mine.proc.pid
    finally:
        mine.stop()
        other.stop()
