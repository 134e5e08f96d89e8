"""SAVE and start-up load of N small keys: damselfly beside redis-server.

Standalone: ``python bench/persistence.py [--keys 1000000]``. For each
server: fill it with ``key:NNNNNNN -> value:NNNNNNN`` (pipelined SETs), time
SAVE as a client sees it, note the dump's size, then restart the server on
that dump and report the load time it logs ("DB loaded from disk: X seconds")
and the wall-clock time until it answers PING. Exits non-zero if a server
fails or the two dumps hold different key counts.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Target:
    def __init__(self, name: str, argv: list[str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = workdir / "server.log"

    def start(self) -> float:
        """Start on a fresh port; seconds until PING answers."""
        self.port = free_port()
        t0 = time.monotonic()
        with open(self.log, "wb") as out:
            env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
            self.proc = subprocess.Popen(self.argv + ["--port", str(self.port)], stdout=out,
                                         stderr=subprocess.STDOUT, env=env, cwd=self.workdir)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=60) as s:
                    s.sendall(command(b"PING"))
                    if s.recv(64).startswith(b"+PONG"):
                        return time.monotonic() - t0
            except OSError:
                time.sleep(0.01)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def fill(self, keys: int) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            for start in range(0, keys, BATCH):
                stop = min(keys, start + BATCH)
                s.sendall(b"".join(command(b"SET", b"key:%07d" % i, b"value:%07d" % i)
                                   for i in range(start, stop)))
                expect = b"+OK\r\n" * (stop - start)
                got = b""
                while len(got) < len(expect):
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        raise RuntimeError("connection closed while filling")
                    got += chunk
                if got != expect:
                    raise RuntimeError(f"unexpected reply while filling: {got[:200]!r}")

    def save(self) -> float:
        with socket.create_connection(("127.0.0.1", self.port), timeout=600) as s:
            t0 = time.monotonic()
            s.sendall(command(b"SAVE"))
            reply = s.recv(64)
            elapsed = time.monotonic() - t0
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"SAVE failed: {reply!r}")
        return elapsed

    def logged_load_time(self) -> float | None:
        m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", self.log.read_text())
        return float(m.group(1)) if m else None


def key_count(path: Path) -> int:
    out = subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"(\d+) keys read", out)
    if "RDB looks OK" not in out or not m:
        raise RuntimeError(f"redis-check-rdb refused {path}: {out[-300:]}")
    return int(m.group(1))


def run(keys: int) -> int:
    if shutil.which("redis-server") is None:
        print("redis-server is not installed", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="bench-persistence-"))
    rows = []
    try:
        for name, argv in (
            ("redis-server 7.0", ["redis-server", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]),
            ("damselfly", [sys.executable, "-m", "damselfly", "--save", "", "--bind", "127.0.0.1"]),
        ):
            work = base / name.split()[0]
            work.mkdir()
            target = Target(name, argv + ["--dir", str(work)], work)
            try:
                target.start()
                t0 = time.monotonic()
                target.fill(keys)
                fill = time.monotonic() - t0
                save = target.save()
                target.stop()
                dump = work / "dump.rdb"
                size = dump.stat().st_size
                count = key_count(dump)
                ready = target.start()
                load = target.logged_load_time()
            finally:
                target.stop()
            rows.append((name, fill, save, size, count, load, ready))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{keys:,} keys (key:NNNNNNN -> value:NNNNNNN), one SAVE, one restart on the dump\n")
    print(f"{'server':<18}{'fill s':>9}{'SAVE s':>9}{'dump bytes':>14}{'keys':>10}{'load s':>9}{'ready s':>9}")
    for name, fill, save, size, count, load, ready in rows:
        load_text = f"{load:.3f}" if load is not None else "?"
        print(f"{name:<18}{fill:>9.2f}{save:>9.3f}{size:>14,}{count:>10,}{load_text:>9}{ready:>9.3f}")
    (_, _, rs, rsize, rcount, rload, rready), (_, _, ds, dsize, dcount, dload, dready) = rows
    print(f"\ndamselfly / redis: SAVE {ds / rs:.1f}x, file size {dsize / rsize:.3f}x, "
          f"load {dload / rload if dload and rload else float('nan'):.1f}x, ready {dready / rready:.1f}x")
    return 0 if rcount == dcount == keys else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000, help="number of keys (default 1,000,000)")
    return run(parser.parse_args().keys)


if __name__ == "__main__":
    sys.exit(main())
