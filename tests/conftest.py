"""Shared fixtures: a damselfly server on a free port, a real redis-server, clients."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any, Callable, Iterator

import pytest
import redis

from damselfly import Server

from .resp import RawConnection

pytest_plugins = ["pytester"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(dump_dir: str) -> Iterator[Server]:
    """One damselfly server for the session (tests flush it before use)."""
    srv = Server(port=0, dir=dump_dir)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def dump_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where fixture servers keep dump.rdb: servers load ``dir/dbfilename`` at start-up,
    so a dump left in the working directory must not leak into tests."""
    return str(tmp_path_factory.mktemp("dumps"))


@pytest.fixture
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Factory for a dedicated server with config overrides; stopped after the test."""
    started: list[Server] = []

    def start(**options: Any) -> Server:
        if "dir" not in options:  # a dump of its own, not the working directory's
            options["dir"] = str(tmp_path_factory.mktemp("server"))
        srv = Server(port=0, **options)
        srv.start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def r(server: Server) -> Iterator[redis.Redis]:
    """redis-py (RESP2) client on a flushed server."""
    client = redis.Redis(host=server.host, port=server.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(server: Server) -> Iterator[redis.Redis]:
    """redis-py RESP3 client on a flushed server."""
    client = redis.Redis(host=server.host, port=server.port, protocol=3)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(server: Server) -> Iterator[RawConnection]:
    conn = RawConnection(server.host, server.port)
    conn.command("FLUSHALL")
    yield conn
    conn.close()


class RedisServerProcess:
    """A real redis-server started on a free port in a temporary directory."""

    def __init__(self, *options: str, port_options: tuple[str, ...] = ()) -> None:
        """``options`` are extra command-line arguments; each name in ``port_options``
        (``"tls-port"``) gets a free port of its own, kept in :attr:`ports`."""
        self.dir = tempfile.mkdtemp(prefix="redis-ref-")
        self.ports: dict[str, int] = {}
        # free_port() only says the port was free a moment ago: several test
        # sessions run at once on this machine, and a redis-server that lost the
        # race for its port exits while the port answers - with another session's
        # server, whose keys then change under both sessions' feet (intermittent
        # differential failures). So the server that answers must be ours.
        for _ in range(5):
            self.port = free_port()
            self.ports = {name: free_port() for name in port_options}
            extra = [part for name, port in self.ports.items() for part in (f"--{name}", str(port))]
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir, *extra, *options],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ours():
                return
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError("redis-server did not start")

    def _wait_ours(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # it could not bind (or died): try another port
            try:
                conn = RawConnection("127.0.0.1", self.port, timeout=2)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                info = conn.command("INFO", "server")
            finally:
                conn.close()
            return f"process_id:{self.proc.pid}\r\n".encode() in info
        return False

    host = "127.0.0.1"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServerProcess]:
    """The reference server for differential tests (installed by ``make test``)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") or os.environ.get("DAMSELFLY_REQUIRE_REDIS"):
            pytest.fail("redis-server is required for differential tests")
        pytest.skip("redis-server not installed")
    proc = RedisServerProcess()
    yield proc
    proc.stop()
