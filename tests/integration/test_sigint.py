"""SIGINT (Ctrl-C) on a real ``python -m damselfly`` process: the same shutdown as SIGTERM.

With save points configured the server saves the dataset before exiting 0,
and a restart on that dump holds the data; with ``save ""`` it exits 0 and
writes nothing. Redis 7.0 treats SIGINT as SIGTERM here (``shutdown-on-sigint
default``).
"""
from __future__ import annotations

import signal
from pathlib import Path

from damselfly.persistence.rdb_reader import RdbFile

from .test_persistence_restart import Proc, procs, start  # noqa: F401  (procs is a fixture)


def test_sigint_saves_when_save_points_exist_and_restart_loads(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "3600 1")
    c = p.conn()
    for i in range(100):
        c.command("SET", f"k{i}", f"v{i}")
    c.command("RPUSH", "list", "a", "b")
    c.close()
    assert not (tmp_path / "dump.rdb").exists()  # one change does not reach "3600 1" before an hour
    assert p.stop(signal.SIGINT) == 0
    assert any("Received SIGINT scheduling shutdown" in line for line in p.lines), p.lines
    assert any("DB saved on disk" in line for line in p.lines), p.lines
    assert len(list(RdbFile((tmp_path / "dump.rdb").read_bytes()).records())) == 101
    q = start(procs, "--dir", str(tmp_path), "--save", "")
    c = q.conn()
    assert c.command("DBSIZE") == b":101\r\n"
    assert c.command("GET", "k42") == b"$3\r\nv42\r\n"
    assert c.command("LRANGE", "list", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    c.close()
    assert q.stop() == 0


def test_sigint_without_save_points_writes_nothing(procs: list[Proc], tmp_path: Path) -> None:
    p = start(procs, "--dir", str(tmp_path), "--save", "")
    c = p.conn()
    c.command("SET", "a", "1")
    c.close()
    assert p.stop(signal.SIGINT) == 0
    assert any("Received SIGINT scheduling shutdown" in line for line in p.lines), p.lines
    assert not (tmp_path / "dump.rdb").exists()
