"""Server commands over real sockets: INFO, CONFIG, SLOWLOG, SHUTDOWN, DEBUG, COMMAND."""
from __future__ import annotations

import socket
import time

import pytest
import redis

from ..resp import RawConnection


@pytest.mark.parametrize("protocol", [2, 3])
def test_info_parses_with_redis_py(server, protocol: int) -> None:
    client = redis.Redis(host=server.host, port=server.port, protocol=protocol)
    try:
        client.flushall()
        client.set("info-key", "1", px=60000)
        info = client.info()
        assert info["redis_version"] == "7.0.15"
        assert info["tcp_port"] == server.port
        assert info["connected_clients"] >= 1
        assert info["db0"]["keys"] == 1 and info["db0"]["expires"] == 1 and info["db0"]["avg_ttl"] > 0
        assert 0 < info["used_memory"] < info["used_memory_rss"]  # the model leaves the interpreter out
        stats = client.info("stats")
        assert "total_commands_processed" in stats and "dispatch_queue_peak_bytes" in stats
        assert client.info("commandstats")["cmdstat_set"]["calls"] >= 1
    finally:
        client.close()


def test_info_counts_reads_and_writes(server) -> None:
    conn = RawConnection(server.host, server.port)
    try:
        def stat(name: str) -> int:
            text = conn.command("INFO", "stats").decode()
            return int(text.split(f"{name}:", 1)[1].split("\r\n", 1)[0])
        reads, writes = stat("total_reads_processed"), stat("total_writes_processed")
        for _ in range(5):
            conn.command("PING")
        assert stat("total_reads_processed") - reads >= 6
        assert stat("total_writes_processed") - writes >= 6
    finally:
        conn.close()


def test_info_commandstats_deltas(r: redis.Redis) -> None:
    def calls(name: str) -> int:
        return r.info("commandstats").get(f"cmdstat_{name}", {}).get("calls", 0)
    before = calls("echo")
    for _ in range(3):
        r.echo("x")
    assert calls("echo") - before == 3


def test_config_get_set_through_redis_py(start_server) -> None:
    srv = start_server()
    client = redis.Redis(host=srv.host, port=srv.port, decode_responses=True)
    try:
        assert client.config_get("maxmemory") == {"maxmemory": "0"}
        assert client.config_set("maxmemory", "2mb") is True
        assert client.config_get("maxmemory*")["maxmemory"] == "2097152"
        with pytest.raises(redis.ResponseError, match="can't set immutable config"):
            client.config_set("databases", "4")
        client.config_set("timeout", "1")
        idle = RawConnection(srv.host, srv.port)
        assert idle.is_closed(wait=3.0)  # the new timeout applies to connected clients
    finally:
        client.close()


def test_slowlog_records_and_resets(start_server) -> None:
    srv = start_server(slowlog_log_slower_than=0)
    client = redis.Redis(host=srv.host, port=srv.port)
    try:
        client.client_setname("slowname")
        client.slowlog_reset()
        client.set("slowkey", "v")
        entries = client.slowlog_get(2)
        assert entries[0]["command"] == b"SET slowkey v"
        assert entries[0]["client_name"] == b"slowname" and entries[0]["duration"] >= 0
        assert client.slowlog_len() >= 2
    finally:
        client.close()


def test_shutdown_stops_the_server(start_server) -> None:
    srv = start_server()
    conn = RawConnection(srv.host, srv.port)
    other = RawConnection(srv.host, srv.port)
    try:
        conn.send(b"*1\r\n$8\r\nSHUTDOWN\r\n")
        assert conn.is_closed()
        assert other.is_closed()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((srv.host, srv.port), timeout=0.2).close()
            except OSError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("server still accepts connections after SHUTDOWN")
    finally:
        conn.close()
        other.close()


def test_debug_sleep_blocks_the_server(start_server) -> None:
    srv = start_server(enable_debug_command="yes")
    a = RawConnection(srv.host, srv.port)
    b = RawConnection(srv.host, srv.port)
    try:
        a.send(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n")
        time.sleep(0.02)
        started = time.monotonic()
        assert b.command("PING") == b"+PONG\r\n"
        assert time.monotonic() - started >= 0.1
        assert a.read_reply() == b"+OK\r\n"
    finally:
        a.close()
        b.close()


def test_command_through_redis_py(r: redis.Redis) -> None:
    commands = r.command()
    assert commands["get"]["arity"] == 2 and "readonly" in commands["get"]["flags"]
    assert r.command_count() == len(commands)
    assert [k if isinstance(k, str) else k.decode() for k in r.command_getkeys("MSET", "a", "1", "b", "2")] == ["a", "b"]


def test_debug_reload_round_trips_the_dataset(start_server, tmp_path) -> None:
    srv = start_server(enable_debug_command="yes", dir=str(tmp_path))
    conn = RawConnection(srv.host, srv.port)
    try:
        conn.command("SET", "reload-key", "v")
        conn.command("RPUSH", "reload-list", "a", "b")
        assert conn.command("DEBUG", "RELOAD") == b"+OK\r\n"
        assert conn.command("GET", "reload-key") == b"$1\r\nv\r\n"
        assert conn.command("LRANGE", "reload-list", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        conn.command("SET", "after-save", "x")
        assert conn.command("DEBUG", "RELOAD", "NOSAVE") == b"+OK\r\n"  # back to the dump: no after-save
        assert conn.command("EXISTS", "after-save") == b":0\r\n"
        (tmp_path / "dump.rdb").unlink()
        assert conn.command("DEBUG", "RELOAD", "NOSAVE") == b"-ERR Error trying to load the RDB dump\r\n"
    finally:
        conn.close()
