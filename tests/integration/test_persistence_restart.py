"""A real ``python -m damselfly`` process: load at start-up, save on SIGTERM, crashes mid-save."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from damselfly.persistence.rdb_reader import RdbFile

from ..resp import RawConnection, encode_command

SRC = str(Path(__file__).resolve().parents[2] / "src")


class Proc:
    """One damselfly process on a free port; ``lines`` is its log so far."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-m", "damselfly", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: list[str] = []
        self.port = 0
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode().rstrip()
            self.lines.append(line)
            m = re.search(r"port=(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if "Ready to accept connections" in line:
                return
        self.proc.wait(10)

    def conn(self) -> RawConnection:
        return RawConnection("127.0.0.1", self.port)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(10)
        out, err = self.proc.communicate()
        self.lines += out.decode().splitlines()
        self.stderr = err.decode()
        return code


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()


def start(procs: list[Proc], *args: str) -> Proc:
    p = Proc(*args)
    procs.append(p)
    return p


def test_sigterm_saves_when_save_points_exist_and_restart_loads(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "3600 1")
    c = p.conn()
    c.command("SET", "a", "1")
    c.command("SET", "b", "two")
    c.close()
    assert p.stop() == 0
    assert any("DB saved on disk" in line for line in p.lines)
    q = start(procs, "--dir", str(tmp_path), "--save", "")
    assert any("keys loaded: 2" in line for line in q.lines)
    c = q.conn()
    assert c.command("GET", "b") == b"$3\r\ntwo\r\n"
    c.close()
    assert q.stop(signal.SIGINT) == 0


def test_sigterm_without_save_points_writes_nothing(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "")
    c = p.conn()
    c.command("SET", "a", "1")
    c.close()
    assert p.stop() == 0
    assert not (tmp_path / "dump.rdb").exists()


def _child_of(pid: int) -> int:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids = fh.read().split()
            if kids:
                return int(kids[0])
        time.sleep(0.01)
    raise AssertionError("no child process")


def test_kill_9_during_bgsave_and_save_leaves_the_previous_dump(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "", "--rdb-key-save-delay", "20000")
    c = p.conn()
    c.command("SET", "old", "1")
    assert c.command("SAVE") == b"+OK\r\n"
    dump = tmp_path / "dump.rdb"
    before = dump.read_bytes()
    for i in range(50):
        c.command("SET", f"new{i}", "x")
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    child = _child_of(p.proc.pid)
    time.sleep(0.2)  # the child is part-way through its temp file
    assert any(f.startswith("temp-") for f in os.listdir(tmp_path))
    os.kill(child, signal.SIGKILL)
    assert c.command("PING") == b"+PONG\r\n"
    assert dump.read_bytes() == before
    # A kill -9 of the whole server during a foreground SAVE.
    c.send(b"*1\r\n$4\r\nSAVE\r\n")
    time.sleep(0.2)
    p.proc.kill()
    p.proc.wait()
    c.close()
    assert dump.read_bytes() == before
    assert [r.key for r in RdbFile(before).records()] == [b"old"]
    q = start(procs, "--dir", str(tmp_path), "--save", "")
    c = q.conn()
    assert c.command("GET", "old") == b"$1\r\n1\r\n"
    assert c.command("GET", "new1") == b"$-1\r\n"
    c.close()


def _write_dump(tmp_path: Path, procs: list[Proc]) -> bytes:
    p = start(procs, "--dir", str(tmp_path), "--save", "")
    c = p.conn()
    for i in range(20):
        c.command("SET", f"key:{i}", f"value:{i}")
    c.command("SAVE")
    c.close()
    p.stop()
    return (tmp_path / "dump.rdb").read_bytes()


def _fails_to_start(procs: list[Proc], tmp_path: Path, *extra: str) -> tuple[int, list[str], str]:
    p = start(procs, "--dir", str(tmp_path), "--save", "", *extra)
    code = p.stop()
    return code, p.lines, p.stderr


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_dump_stops_the_start_with_one_line(procs: list[Proc], tmp_path: Path, damage: str) -> None:
    data = bytearray(_write_dump(tmp_path, procs))
    if damage == "truncate":
        data = data[:len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x10
    (tmp_path / "dump.rdb").write_bytes(bytes(data))
    code, lines, stderr = _fails_to_start(procs, tmp_path)
    assert code != 0
    fatal = [line for line in lines if "Fatal error loading the DB" in line]
    assert len(fatal) == 1, lines
    assert str(tmp_path / "dump.rdb") in fatal[0] and re.search(r"at offset \d+", fatal[0])
    assert "Traceback" not in stderr and "Traceback" not in "\n".join(lines)
    assert not any("Ready to accept" in line for line in lines)


def test_rdbchecksum_no_loads_a_dump_whose_checksum_is_wrong(procs: list[Proc], tmp_path: Path) -> None:
    data = bytearray(_write_dump(tmp_path, procs))
    data[-1] ^= 0xFF
    (tmp_path / "dump.rdb").write_bytes(bytes(data))
    code, lines, _ = _fails_to_start(procs, tmp_path)
    assert code != 0 and any("wrong RDB checksum" in line for line in lines)
    p = start(procs, "--dir", str(tmp_path), "--save", "", "--rdbchecksum", "no")
    c = p.conn()
    assert c.command("GET", "key:7") == b"$7\r\nvalue:7\r\n"
    c.close()


def _shutdown(p: Proc, *flags: str) -> int:
    """SHUTDOWN over the wire: the server closes the connection without a reply, then exits."""
    c = p.conn()
    c.command("SET", "k", "v")
    c.send(encode_command("SHUTDOWN", *flags))
    assert c.is_closed(wait=5)
    c.close()
    p.proc.wait(10)  # it exits by itself: a SIGTERM from stop() while it shuts down would be the exit status
    return p.stop()


def test_shutdown_save_writes_a_dump_without_save_points(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "")
    assert _shutdown(p, "SAVE") == 0
    assert any("DB saved on disk" in line for line in p.lines), p.lines
    assert [(r.key, r.payload) for r in RdbFile((tmp_path / "dump.rdb").read_bytes()).records()] == [(b"k", b"v")]


@pytest.mark.parametrize("flags", [("NOSAVE",), ("NOSAVE", "NOW")])
def test_shutdown_nosave_writes_nothing_despite_save_points(procs: list[Proc], tmp_path: Path,
                                                            flags: tuple[str, ...]) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "3600 1")
    assert _shutdown(p, *flags) == 0
    assert not any("DB saved on disk" in line for line in p.lines), p.lines
    assert not (tmp_path / "dump.rdb").exists()
    assert not any(name.startswith("temp-") for name in os.listdir(tmp_path))


def test_plain_shutdown_saves_when_save_points_exist(procs: list[Proc], tmp_path: Path) -> None:
    """The control for the NOSAVE test: the same server without the flag does write the dump."""
    p = start(procs, "--dir", str(tmp_path), "--save", "3600 1")
    assert _shutdown(p) == 0
    assert [r.key for r in RdbFile((tmp_path / "dump.rdb").read_bytes()).records()] == [b"k"]
