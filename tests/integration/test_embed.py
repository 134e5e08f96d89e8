"""The embedding API: thread, process and async modes; clean starts and stops."""
from __future__ import annotations

import asyncio
import os
import socket
import threading

import pytest
import redis
import redis.asyncio as aredis

import damselfly
from damselfly.config import ConfigError
from damselfly.embed import StartTimeout


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _children() -> int:
    """Processes whose parent is this one, zombies (exited, never reaped) included."""
    me, count = str(os.getpid()), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        count += fields[1] == me
    return count


def _leftovers() -> tuple[int, int, int]:
    return threading.active_count(), _fds(), _children()


def test_thread_server_context_manager_serves_and_frees_port() -> None:
    with damselfly.Server(port=0) as server:
        assert server.url == f"redis://127.0.0.1:{server.port}"
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
        port = server.port
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_several_servers_are_independent() -> None:
    with damselfly.Server() as a, damselfly.Server() as b:
        ca, cb = redis.Redis(port=a.port), redis.Redis(port=b.port)
        ca.set("k", "a")
        assert cb.get("k") is None
        ca.close()
        cb.close()


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_start_stop_cycles_leave_no_threads_fds_or_children(mode: str) -> None:
    damselfly.Server(mode=mode).start().stop()  # warm imports and lazily opened files
    before = _leftovers()
    for _ in range(5):
        server = damselfly.Server(mode=mode).start()
        c = redis.Redis(port=server.port)
        c.ping()
        c.close()
        server.stop()
    assert _leftovers() == before


async def test_serve_cycles_leave_no_threads_fds_or_children() -> None:
    async with damselfly.serve(port=0) as server:  # warm imports, files, the loop's resolver thread
        c = aredis.Redis(port=server.port)
        await c.ping()
        await c.aclose()
    before = _leftovers()
    for _ in range(5):
        async with damselfly.serve(port=0) as server:
            c = aredis.Redis(port=server.port)
            await c.ping()
            await c.aclose()
    assert _leftovers() == before


def _connected_raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"PING\r\n")
    assert sock.recv(64) == b"+PONG\r\n"
    return sock


def _sees_eof(sock: socket.socket) -> bool:
    try:
        return sock.recv(64) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_stop_closes_a_connected_client(mode: str) -> None:
    server = damselfly.Server(mode=mode).start()
    with _connected_raw(server.port) as sock:
        server.stop()
        assert _sees_eof(sock)


async def test_leaving_serve_closes_a_connected_client() -> None:
    async with damselfly.serve(port=0) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"PING\r\n")
        assert await reader.readline() == b"+PONG\r\n"
    assert await asyncio.wait_for(reader.read(64), 10) == b""
    writer.close()


@pytest.mark.timeout(60)  # the old process mode never came back
@pytest.mark.parametrize("mode", ["thread", "process"])
def test_start_timeout_is_a_deadline_and_leaves_nothing_behind(tmp_path, mode: str) -> None:
    """A FIFO as dump.rdb blocks the load until a writer comes: start() must still give up."""
    (tmp_path / "warm").mkdir()
    damselfly.Server(mode=mode, dir=str(tmp_path / "warm")).start().stop()  # warm imports and files
    os.mkfifo(tmp_path / "dump.rdb")
    before = _leftovers()
    server = damselfly.Server(mode=mode, dir=str(tmp_path))
    with pytest.raises(StartTimeout, match=r"did not start within 1 s") as caught:
        server.start(timeout=1)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, TimeoutError)
    if mode == "thread":
        assert "loading" in str(caught.value) and "still busy" not in str(caught.value)
    else:
        assert "killed" in str(caught.value)
    assert _leftovers() == before
    assert server._thread is None and server._proc is None


def test_port_in_use_raises_clear_error() -> None:
    with damselfly.Server() as first:
        with pytest.raises(OSError, match="address already in use|Address already in use"):
            damselfly.Server(port=first.port).start()


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_bad_option_names_the_option_and_the_value(mode: str) -> None:
    with pytest.raises(ConfigError) as caught:
        damselfly.Server(port=0, mode=mode, maxmemory_policy="nope")
    text = str(caught.value)
    assert "maxmemory-policy" in text and "'nope'" in text
    assert "must be one of the following: volatile-lru" in text  # Redis's reason stays
    with pytest.raises(ConfigError, match=r"'maxclients'.*'lots'.*couldn't be parsed into an integer"):
        damselfly.Server(mode=mode, maxclients="lots")
    with pytest.raises(ConfigError, match=r"'port'.*'-1'.*between 0 and 65535"):
        damselfly.Server(mode=mode, port=-1)
    with pytest.raises(ConfigError, match=r"unknown option 'no-such-option' \(passed as no_such_option='1'\)"):
        damselfly.Server(mode=mode, no_such_option="1")


async def test_serve_bad_option_names_the_option_and_the_value() -> None:
    with pytest.raises(ConfigError, match=r"'maxmemory-policy'.*'nope'.*must be one of the following"):
        async with damselfly.serve(port=0, maxmemory_policy="nope"):
            pass  # pragma: no cover


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_stopped_server_starts_again_afresh(tmp_path, mode: str) -> None:
    server = damselfly.Server(mode=mode, dir=str(tmp_path))
    for round in range(2):
        server.start()
        client = redis.Redis(port=server.port)
        assert client.get("k") is None  # nothing kept from the first run
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        client.set("k", "v")
        client.config_set("maxmemory-policy", "allkeys-lru")  # not carried into the next start
        client.close()
        port = server.port
        server.stop()
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    with pytest.raises(RuntimeError, match="already started"):
        with server:
            server.start()


def test_process_mode() -> None:
    with damselfly.Server(mode="process", databases=4) as server:
        client = redis.Redis(port=server.port)
        assert client.ping() is True
        with pytest.raises(redis.ResponseError, match="DB index is out of range"):
            client.execute_command("SELECT", 5)
        client.close()


async def test_serve_on_running_loop() -> None:
    async with damselfly.serve(port=0) as server:
        client = aredis.Redis(port=server.port)
        await client.set("a", "1")
        assert await client.get("a") == b"1"
        await client.aclose()


def test_thread_server_loads_the_dump_at_start(tmp_path) -> None:
    with damselfly.Server(dir=str(tmp_path), dbfilename="embed.rdb") as first:
        client = redis.Redis(port=first.port)
        client.set("k", "v")
        client.rpush("l", "a", "b")
        assert client.save() is True
        client.close()
    with damselfly.Server(dir=str(tmp_path), dbfilename="embed.rdb") as second:
        client = redis.Redis(port=second.port)
        assert client.get("k") == b"v" and client.lrange("l", 0, -1) == [b"a", b"b"]
        assert client.info("persistence")["rdb_changes_since_last_save"] == 0
        client.close()


def test_thread_server_refuses_to_start_on_a_bad_dump(tmp_path) -> None:
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0009 not a dump")
    server = damselfly.Server(dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="could not load the DB from"):
        server.start()


async def test_serve_loads_the_dump(tmp_path) -> None:
    with damselfly.Server(dir=str(tmp_path)) as first:
        client = redis.Redis(port=first.port)
        client.set("k", "v")
        client.save()
        client.close()
    async with damselfly.serve(dir=str(tmp_path)) as running:
        client = aredis.Redis(port=running.port)
        assert await client.get("k") == b"v"
        await client.aclose()


def test_stop_during_a_bgsave_leaves_no_child_behind(tmp_path) -> None:
    with damselfly.Server(port=0, dir=str(tmp_path)):  # first start: what a process opens once and keeps
        pass
    before = _children(), _fds()
    for attempt in ("thread", "serve"):
        if attempt == "thread":
            with damselfly.Server(port=0, dir=str(tmp_path), rdb_key_save_delay=100000) as srv:
                client = redis.Redis(port=srv.port)
                client.mset({f"k{i}": i for i in range(50)})
                assert client.bgsave() is True  # the child sleeps per key: still writing at stop()
                assert _children() == before[0] + 1
                client.close()
        else:
            async def run() -> None:
                async with damselfly.serve(port=0, dir=str(tmp_path), rdb_key_save_delay=100000) as srv:
                    client = aredis.Redis(port=srv.port)
                    await client.mset({f"k{i}": i for i in range(50)})
                    assert await client.bgsave() is True
                    assert _children() == before[0] + 1
                    await client.aclose()
            asyncio.run(run())
        assert (_children(), _fds()) == before, attempt  # the child is killed and reaped, its pipe closed
        assert not [p for p in tmp_path.iterdir() if p.name.startswith("temp-")]
