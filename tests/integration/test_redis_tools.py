"""redis-cli and redis-benchmark against a running damselfly (skipped when the tools are missing)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from ..resp import RawConnection

pytestmark = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")


def _cli(server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["redis-cli", "-h", server.host, "-p", str(server.port), *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_redis_cli_arguments(server) -> None:
    assert _cli(server, "PING").stdout == "PONG\n"
    assert _cli(server, "SET", "cli:k", "hello world").stdout == "OK\n"
    assert _cli(server, "GET", "cli:k").stdout == "hello world\n"
    assert _cli(server, "--no-raw", "GET", "cli:k").stdout == '"hello world"\n'
    assert _cli(server, "--no-raw", "INCR", "cli:k").stdout == "(error) ERR value is not an integer or out of range\n"
    assert "redis_version:7.0.15" in _cli(server, "INFO", "server").stdout
    assert _cli(server, "CONFIG", "GET", "maxmemory").stdout == "maxmemory\n0\n"


def test_redis_cli_reads_commands_from_stdin(server) -> None:
    script = "DEL cli:l\nRPUSH cli:l a b c\nLRANGE cli:l 0 -1\nCLIENT SETNAME tool\nCLIENT GETNAME\nNOSUCH x\n"
    result = _cli(server, stdin=script)
    assert result.stdout == "0\n3\na\nb\nc\nOK\ntool\nERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n"  # as with redis-server
    pretty = _cli(server, "--no-raw", stdin="LRANGE cli:l 0 -1\nHGETALL cli:none\nTTL cli:l\n").stdout
    assert pretty == '1) "a"\n2) "b"\n3) "c"\n(empty array)\n(integer) -1\n'


def test_redis_cli_resp3_and_scans(server) -> None:
    result = _cli(server, "-3", "--no-raw", "HELLO", "3")
    assert '"version"' in result.stdout and '"7.0.15"' in result.stdout
    _cli(server, "SET", "cli:big", "x" * 1000)
    bigkeys = _cli(server, "--bigkeys").stdout
    assert "Biggest string found" in bigkeys and "cli:big" in bigkeys
    memkeys = _cli(server, "--memkeys").stdout  # uses MEMORY USAGE
    assert "Biggest string found" in memkeys


def test_inline_commands_over_a_raw_socket(server) -> None:
    conn = RawConnection(server.host, server.port)
    try:
        conn.send(b'SET "inline key" "a b"\r\nGET "inline key"\r\nCLIENT ID\r\n')
        assert conn.read_reply() == b"+OK\r\n"
        assert conn.read_reply() == b"$3\r\na b\r\n"
        assert conn.read_reply().startswith(b":")
    finally:
        conn.close()


@pytest.mark.skipif(shutil.which("redis-benchmark") is None, reason="redis-benchmark not installed")
def test_redis_benchmark(start_server) -> None:
    srv = start_server()
    result = subprocess.run(
        ["redis-benchmark", "-h", srv.host, "-p", str(srv.port), "-t", "ping_inline,ping_mbulk,set,get,incr,mset",
         "-n", "10000", "-q"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stdout + result.stderr
    finals = [line.split("\r")[-1] for line in result.stdout.splitlines() if "requests per second" in line]
    names = [line.split(":")[0].strip() for line in finals]
    assert names == ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]
    conn = RawConnection(srv.host, srv.port)
    try:
        stats = conn.command("INFO", "commandstats").decode()
        assert "cmdstat_mset:calls=" in stats and "cmdstat_incr:calls=" in stats
    finally:
        conn.close()
