"""Sorted-set complexity and memory: damselfly beside redis-server in the same run.

Standalone script (it imports nothing from the ``bench`` package)::

    python bench/complexity.py                 # sizes 10^3, 10^5, 10^6
    python bench/complexity.py --sizes 1000,100000 --ops 20000
    python bench/complexity.py --structures    # in-process: candidate zset layouts

It starts ``python -m damselfly --port P --save ""`` and
``redis-server --port Q --save ""`` itself, loads one sorted set of N
members into each with pipelined ZADDs over a raw socket, then times
``--ops`` single-member ZADDs (score updates of existing members, so N stays
fixed) and ZRANKs of random members, pipelined ``--depth`` deep. Redis does
both in O(log N); so must damselfly: the report divides the per-operation
time at each N by the time at the smallest N and compares the growth with
log2(N)/log2(N0). It also reports the resident memory each server gained per
member (RSS delta; Redis's own ``used_memory`` delta beside it).

Exit status: 0 when damselfly's growth stays within 1.5 times the larger of
the log factor and Redis's own growth (both servers slow down as the set
outgrows the CPU caches), 1 otherwise, 2 when a server cannot be started.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def encode(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A raw RESP connection that pipelines commands whose replies are single lines."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""

    def _lines(self, n: int) -> list[bytes]:
        out: list[bytes] = []
        while len(out) < n:
            i = self.buf.find(b"\r\n")
            if i < 0:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
                continue
            out.append(self.buf[:i])
            self.buf = self.buf[i + 2:]
        return out

    def pipeline(self, commands: list[bytes]) -> list[bytes]:
        """Send encoded commands in one write; read one line-reply per command."""
        self.sock.sendall(b"".join(commands))
        replies = self._lines(len(commands))
        for r in replies:
            if r[:1] == b"-":
                raise RuntimeError(r.decode())
        return replies

    def bulk(self, *args: bytes) -> bytes:
        self.sock.sendall(encode(*args))
        head = self._lines(1)[0]
        if head[:1] != b"$":
            return head
        n = int(head[1:])
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 20)
        body, self.buf = self.buf[:n], self.buf[n + 2:]
        return body


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(conn: Conn) -> int | None:
    info = conn.bulk(b"INFO", b"memory")
    for line in info.split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    return None


def member(i: int) -> bytes:
    return b"member:%d" % i


def load(conn: Conn, key: bytes, n: int, rnd: random.Random) -> None:
    batch: list[bytes] = []
    per_command = 500
    for start in range(0, n, per_command):
        args = [b"ZADD", key]
        for i in range(start, min(n, start + per_command)):
            args += [repr(rnd.random() * n).encode(), member(i)]
        batch.append(encode(*args))
        if len(batch) == 20:
            conn.pipeline(batch)
            batch = []
    if batch:
        conn.pipeline(batch)


def timed(conn: Conn, commands: list[bytes], depth: int) -> float:
    """Seconds per command, pipelined ``depth`` deep."""
    t0 = time.perf_counter()
    for i in range(0, len(commands), depth):
        conn.pipeline(commands[i:i + depth])
    return (time.perf_counter() - t0) / len(commands)


def measure(name: str, pid: int, conn: Conn, sizes: list[int], ops: int, depth: int) -> dict[int, dict[str, float]]:
    rows: dict[int, dict[str, float]] = {}
    for n in sizes:
        rnd = random.Random(n)
        key = b"z:%d" % n
        conn.pipeline([encode(b"DEL", key)])
        time.sleep(0.2)
        rss0, used0 = rss_bytes(pid), used_memory(conn)
        t0 = time.perf_counter()
        load(conn, key, n, rnd)
        load_s = time.perf_counter() - t0
        time.sleep(0.2)
        rss1, used1 = rss_bytes(pid), used_memory(conn)
        picks = [member(rnd.randrange(n)) for _ in range(ops)]
        zadd = [encode(b"ZADD", key, repr(rnd.random() * n).encode(), m) for m in picks]
        zrank = [encode(b"ZRANK", key, m) for m in picks]
        timed(conn, zadd, depth)  # warm-up: allocator, caches, branch predictors
        timed(conn, zrank, depth)
        t_zadd = min(timed(conn, zadd, depth) for _ in range(5))
        t_zrank = min(timed(conn, zrank, depth) for _ in range(5))
        rows[n] = {"zadd_us": t_zadd * 1e6, "zrank_us": t_zrank * 1e6, "load_s": load_s,
                   "rss_per_member": (rss1 - rss0) / n,
                   "used_per_member": ((used1 - used0) / n) if used0 is not None and used1 is not None else math.nan}
        print(f"  {name:10s} N={n:>9,d}  ZADD {t_zadd * 1e6:7.2f} us/op  ZRANK {t_zrank * 1e6:7.2f} us/op  "
              f"load {load_s:6.2f} s  RSS +{(rss1 - rss0) / n:7.1f} B/member", flush=True)
        conn.pipeline([encode(b"DEL", key)])
    return rows


def start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def servers(sizes: list[int], ops: int, depth: int) -> int:
    dport, rport = free_port(), free_port()
    env_python = sys.executable
    procs = {
        "damselfly": start([env_python, "-m", "damselfly", "--port", str(dport), "--save", ""]),
        "redis": start(["redis-server", "--port", str(rport), "--save", "", "--bind", "127.0.0.1"]),
    }
    try:
        conns = {}
        for name, port in (("damselfly", dport), ("redis", rport)):
            try:
                conns[name] = Conn(port)
            except OSError:
                print(f"cannot start {name}", file=sys.stderr)
                return 2
        results = {}
        for name in ("damselfly", "redis"):
            print(f"{name}:", flush=True)
            results[name] = measure(name, procs[name].pid, conns[name], sizes, ops, depth)
        return report(results, sizes)
    finally:
        for p in procs.values():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def report(results: dict[str, dict[int, dict[str, float]]], sizes: list[int]) -> int:
    n0 = sizes[0]
    print("\nGrowth of the per-operation time relative to N =", f"{n0:,}", "(log factor = log2 N / log2 N0)")
    print(f"{'N':>10} {'log factor':>10} " + " ".join(f"{s + ' ' + op:>17}" for s in results for op in ("ZADD", "ZRANK")))
    ok = True
    for n in sizes:
        logf = math.log2(n) / math.log2(n0)
        cells = []
        for name, rows in results.items():
            for op in ("zadd_us", "zrank_us"):
                growth = rows[n][op] / rows[n0][op]
                cells.append(f"{growth:17.2f}")
                if name == "damselfly" and "redis" in results:
                    # Memory latency grows with N for both servers: the bound is a log
                    # factor or Redis's own growth, whichever is larger, with 50 % slack.
                    ref = results["redis"][n][op] / results["redis"][n0][op]
                    if growth > 1.5 * max(logf, ref):
                        ok = False
        print(f"{n:>10,d} {logf:>10.2f} " + " ".join(cells))
    big = sizes[-1]
    print(f"\nMemory for one {big:,}-member zset (members 'member:<i>', random double scores):")
    for name, rows in results.items():
        r = rows[big]
        used = "" if math.isnan(r["used_per_member"]) else f", used_memory +{r['used_per_member']:.1f} B/member"
        print(f"  {name:10s} RSS +{r['rss_per_member']:.1f} B/member{used}")
    print("\nverdict:", "within a log factor" if ok else "GROWS FASTER THAN log N")
    return 0 if ok else 1


# -- in-process comparison of zset layouts ---------------------------------------------

def _pack(score: float, m: bytes) -> bytes:
    """Order-preserving bytes for (score, member): IEEE bits with the sign flipped."""
    bits = struct.unpack(">Q", struct.pack(">d", score + 0.0))[0]
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | (1 << 63)
    return struct.pack(">Q", bits) + m


def structures(n: int, only: int | None = None) -> int:
    """Each layout is measured in a fresh process, so none inherits another's heap."""
    if only is None:
        print(f"{'layout':40s} {'ZADD/s':>10} {'rank/s':>10} {'bytes/member':>13}", flush=True)
        for i in range(3):
            subprocess.run([sys.executable, os.path.abspath(__file__), "--structures", "-n", str(n),
                            "--only", str(i)], check=True)
        return 0

    from sortedcontainers import SortedKeyList, SortedList

    rnd = random.Random(1)
    items = [(rnd.random() * n, b"%08x:%d" % (rnd.getrandbits(32), i)) for i in range(n)]

    def tuples() -> tuple[Callable[[float, bytes], None], Callable[[bytes], int]]:
        d: dict[bytes, float] = {}
        sl = SortedList()

        def add(s: float, m: bytes) -> None:
            old = d.get(m)
            if old is not None:
                sl.remove((old, m))
            d[m] = s
            sl.add((s, m))
        return add, lambda m: sl.bisect_left((d[m], m))

    def keyed() -> tuple[Callable[[float, bytes], None], Callable[[bytes], int]]:
        d: dict[bytes, float] = {}
        sl = SortedKeyList(key=lambda m: (d[m], m))

        def add(s: float, m: bytes) -> None:
            if m in d:
                sl.remove(m)
            d[m] = s
            sl.add(m)
        return add, lambda m: sl.index(m)

    def packed() -> tuple[Callable[[float, bytes], None], Callable[[bytes], int]]:
        d: dict[bytes, float] = {}
        sl = SortedList()

        def add(s: float, m: bytes) -> None:
            old = d.get(m)
            if old is not None:
                sl.remove(_pack(old, m))
            d[m] = s
            sl.add(_pack(s, m))
        return add, lambda m: sl.bisect_left(_pack(d[m], m))

    layouts = (("SortedList[(score, member)] + dict", tuples),
               ("SortedKeyList[member] key=dict lookup", keyed),
               ("SortedList[packed bytes key] + dict", packed))
    for label, factory in layouts[only:only + 1]:
        members = [m for _, m in items]
        add, rank = factory()
        t0 = time.perf_counter()
        for s, m in items:
            add(s, m)
        t_add = time.perf_counter() - t0
        probe = rnd.sample(members, min(n, 100_000))
        t0 = time.perf_counter()
        for m in probe:
            rank(m)
        t_rank = time.perf_counter() - t0
        del add, rank
        tracemalloc.start()  # a second build, traced, for the memory (tracing slows it down)
        base = tracemalloc.get_traced_memory()[0]
        add, rank = factory()
        for s, m in items:
            add(s, m)
        used = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        # members and score floats are allocated before tracing: add their size once
        member_bytes = sum(sys.getsizeof(m) for m in members[:1000]) / 1000
        print(f"{label:40s} {n / t_add:>10,.0f} {len(probe) / t_rank:>10,.0f} "
              f"{used / n + member_bytes + sys.getsizeof(1.0):>13.0f}", flush=True)
        del add, rank
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000", help="zset sizes (comma-separated)")
    parser.add_argument("--ops", type=int, default=20000, help="timed operations per size and command")
    parser.add_argument("--depth", type=int, default=100, help="pipeline depth")
    parser.add_argument("--structures", action="store_true", help="compare zset layouts in-process instead")
    parser.add_argument("-n", type=int, default=1_000_000, help="members for --structures")
    parser.add_argument("--only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.structures:
        return structures(args.n, args.only)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    return servers(sizes, args.ops, args.depth)


if __name__ == "__main__":
    sys.exit(main())
