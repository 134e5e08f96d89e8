"""SAVE and start-up load of N small keys: damselfly beside redis-server.

Run from the repository root::

    python -m bench.persistence                  # 1,000,000 keys
    python -m bench.persistence --keys 100000
    python -m bench.persistence --no-compression # both servers with rdbcompression no
    python -m bench.persistence --keys 100000 --containers hash  # 10-field hashes (zset, list, intset)

(``python bench/persistence.py`` works the same.) For each server, in its
own scratch directory with save points off: start it on an empty directory
(the time until it answers PING is the start-up cost without data), fill it
with ``key:NNNNNNN -> value:NNNNNNN`` (pipelined SETs), time SAVE as a
client sees it, note the dump's size and count its keys with
``redis-check-rdb``, then restart the server on that dump and report the
load time it logs ("DB loaded from disk: X seconds"), the wall-clock time
until it answers PING, and check DBSIZE. The last line gives the
damselfly / Redis ratios. Exits 1 if the dumps or the reloaded servers hold
the wrong number of keys, 2 if redis-server is not installed.
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
CONTAINERS = ("hash", "zset", "list", "intset")


def fill_command(i: int, kind: str | None) -> tuple[bytes, bytes]:
    """Key ``i``'s filling command and its reply: a string, or a 10-element container of ``kind``."""
    key = b"key:%07d" % i
    if kind is None:
        return command(b"SET", key, b"value:%07d" % i), b"+OK\r\n"
    if kind == "hash":
        args = [x for j in range(10) for x in (b"field:%d" % j, b"value:%07d" % i)]
        return command(b"HSET", key, *args), b":10\r\n"
    if kind == "zset":
        args = [x for j in range(10) for x in (b"%d.5" % (i + j), b"member:%d" % j)]
        return command(b"ZADD", key, *args), b":10\r\n"
    if kind == "list":
        return command(b"RPUSH", key, *[b"item:%07d" % (i + j) for j in range(10)]), b":10\r\n"
    return command(b"SADD", key, *[b"%d" % (i * 10 + j) for j in range(10)]), b":10\r\n"


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

    def fill(self, keys: int, kind: str | None = None) -> None:
        reply = fill_command(0, kind)[1]
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            for start in range(0, keys, BATCH):
                stop = min(keys, start + BATCH)
                s.sendall(b"".join(fill_command(i, kind)[0] for i in range(start, stop)))
                expect = reply * (stop - start)
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


def dbsize(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(command(b"DBSIZE"))
        reply = s.recv(64)
    if not reply.startswith(b":"):
        raise RuntimeError(f"DBSIZE failed: {reply!r}")
    return int(reply[1:].split(b"\r\n")[0])


def measure(name: str, argv: list[str], work: Path, keys: int,
            kind: str | None = None) -> dict[str, float | int | None]:
    """One server: empty start, fill, SAVE, restart on the dump."""
    target = Target(name, argv + ["--dir", str(work), "--dbfilename", "dump.rdb"], work)
    try:
        empty = target.start()
        t0 = time.monotonic()
        target.fill(keys, kind)
        fill = time.monotonic() - t0
        save = target.save()
        target.stop()
        dump = work / "dump.rdb"
        size = dump.stat().st_size
        count = key_count(dump)
        ready = target.start()
        load = target.logged_load_time()
        loaded = dbsize(target.port)
    finally:
        target.stop()
    return {"empty": empty, "fill": fill, "save": save, "size": size, "count": count, "load": load,
            "ready": ready, "loaded": loaded}


def _ratio(ours: float | int | None, theirs: float | int | None, digits: int) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:.{digits}f}x"


def run(keys: int, compression: bool = True, kind: str | None = None) -> int:
    if shutil.which("redis-server") is None:
        print("redis-server is not installed", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="bench-persistence-"))
    common = ["--save", "", "--bind", "127.0.0.1", "--rdbcompression", "yes" if compression else "no"]
    servers = (("redis-server 7.0", ["redis-server", "--appendonly", "no", *common]),
               ("damselfly", [sys.executable, "-m", "damselfly", *common]))
    rows: dict[str, dict[str, float | int | None]] = {}
    try:
        for name, argv in servers:
            work = base / name.split()[0]
            work.mkdir()
            rows[name] = measure(name, argv, work, keys, kind)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    what = "key:NNNNNNN -> value:NNNNNNN" if kind is None else f"10-element {kind}s"
    print(f"{keys:,} keys ({what}), rdbcompression {'yes' if compression else 'no'}, "
          "one SAVE, one restart on the dump\n")
    print(f"{'server':<18}{'empty start s':>14}{'fill s':>9}{'SAVE s':>9}{'dump bytes':>14}{'keys':>11}"
          f"{'load s':>9}{'ready s':>9}{'DBSIZE':>11}")
    for name, r in rows.items():
        load_text = f"{r['load']:.3f}" if r["load"] is not None else "?"
        print(f"{name:<18}{r['empty']:>14.3f}{r['fill']:>9.2f}{r['save']:>9.3f}{r['size']:>14,}{r['count']:>11,}"
              f"{load_text:>9}{r['ready']:>9.3f}{r['loaded']:>11,}")
    d, r = rows["damselfly"], rows["redis-server 7.0"]
    print(f"\ndamselfly / redis: SAVE {_ratio(d['save'], r['save'], 1)}, file size {_ratio(d['size'], r['size'], 3)}, "
          f"load (logged) {_ratio(d['load'], r['load'], 1)}, ready {_ratio(d['ready'], r['ready'], 1)}, "
          f"empty start {_ratio(d['empty'], r['empty'], 1)}")
    return 0 if all(row["count"] == row["loaded"] == keys for row in rows.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000, help="number of keys (default 1,000,000)")
    parser.add_argument("--no-compression", action="store_true", help="run both servers with rdbcompression no")
    parser.add_argument("--containers", choices=CONTAINERS, default=None,
                        help="fill each key with a 10-element container of this kind instead of a string")
    args = parser.parse_args(argv)
    return run(args.keys, compression=not args.no_compression, kind=args.containers)


if __name__ == "__main__":
    sys.exit(main())
