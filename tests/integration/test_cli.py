"""The command line: --help, --version, a config file with --option overrides, CONFIG REWRITE, SHUTDOWN."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from ..conftest import free_port
from ..resp import RawConnection

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "damselfly", *args], capture_output=True, text=True,
                          timeout=30, env=_env())


def test_help_lists_options() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: damselfly [/path/to/damselfly.conf] [options]")
    for option in ("--port", "--save", "--control-batching", "--enable-protected-configs"):
        assert option in result.stdout


def test_console_script_help() -> None:
    script = shutil.which("damselfly", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the damselfly console script is not installed in this environment")
    result = subprocess.run([script, "-h"], capture_output=True, text=True, timeout=30, env=_env())
    assert result.returncode == 0 and "Known options" in result.stdout


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.startswith("damselfly v=")


def test_bad_option_is_fatal() -> None:
    result = _run("--no-such-option", "1")
    assert result.returncode == 1 and "FATAL CONFIG FILE ERROR" in result.stderr


class Process:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "damselfly", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=_env())

    def wait_port(self, port: int) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                pytest.fail(f"damselfly exited early: {out}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("damselfly did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def launched() -> Iterator[list[Process]]:
    procs: list[Process] = []
    yield procs
    for p in procs:
        p.stop()


def _get(conn: RawConnection, name: str) -> bytes:
    reply = conn.command("CONFIG", "GET", name)
    return reply.split(b"\r\n")[-2]


def test_config_file_overrides_and_rewrite(tmp_path: Path, launched: list[Process]) -> None:
    port = free_port()
    conf = tmp_path / "damselfly.conf"
    conf.write_text(f"# test server\nport {port}\nbind 127.0.0.1\nhz 20\nmaxmemory 1mb\nsave \"\"\n"
                    f"dir {tmp_path}\n")
    proc = Process(str(conf), "--maxmemory", "2mb", "--loglevel", "warning")
    launched.append(proc)
    proc.wait_port(port)
    conn = RawConnection("127.0.0.1", port)
    try:
        assert _get(conn, "maxmemory") == b"2097152"  # the command line wins over the file
        assert _get(conn, "hz") == b"20"
        assert f"config_file:{conf}\r\n".encode() in conn.command("INFO", "server")
        assert conn.command("CONFIG", "SET", "hz", "33") == b"+OK\r\n"
        assert conn.command("CONFIG", "REWRITE") == b"+OK\r\n"
        text = conf.read_text()
        assert text.startswith(f"# test server\nport {port}\nbind 127.0.0.1\nhz 33\nmaxmemory 2097152\n")
        assert "loglevel warning" in text
        conn.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        assert conn.is_closed()
        assert proc.proc.wait(10) == 0
    finally:
        conn.close()
    again = Process(str(conf))
    launched.append(again)
    again.wait_port(port)
    conn = RawConnection("127.0.0.1", port)
    try:
        assert _get(conn, "hz") == b"33" and _get(conn, "maxmemory") == b"2097152"
    finally:
        conn.close()


def test_rewrite_without_config_file(launched: list[Process]) -> None:
    port = free_port()
    proc = Process("--port", str(port), "--save", "")
    launched.append(proc)
    proc.wait_port(port)
    conn = RawConnection("127.0.0.1", port)
    try:
        assert conn.command("CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"
        assert b"config_file:\r\n" in conn.command("INFO", "server")
    finally:
        conn.close()
