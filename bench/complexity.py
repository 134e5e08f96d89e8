"""Container complexity and memory: damselfly beside redis-server in the same run.

Standalone script (it imports nothing else from the ``bench`` package)::

    python -m bench.complexity                 # sizes 10^3, 10^5, 10^6
    python -m bench.complexity --sizes 1000,100000 --ops 20000
    python -m bench.complexity --memory        # bytes per element, 10^6-member zset, hash, set
    python -m bench.complexity --structures    # in-process: candidate zset layouts

(``python bench/complexity.py`` works the same.)

Default mode: it starts ``python -m damselfly --save ""`` and
``redis-server --save ""`` itself. For each N it loads one sorted set and
one list of N elements into each server (pipelined ZADD/RPUSH over a raw
socket), then times ``--ops`` commands of each kind, pipelined ``--depth``
deep:

* ZADD (score updates of existing members, so N stays fixed) and ZRANK of
  random members: O(log N) in Redis;
* LPUSH and RPOP alternated (N stays fixed), LINDEX at a random index among
  the first ten and among the last ten: O(1) in Redis.

Each N is measured on damselfly, then on Redis, before the next N, so slow
drift on a shared machine touches both. The report divides each time at N
by the time at the smallest N and compares that growth with the expected
factor: log2(N)/log2(N0) for the zset commands, 1 for the list commands.
It also gives the resident memory the 10^6 zset added (RSS delta, Redis's
``used_memory`` delta beside it); that server already held and freed the
smaller sets, so ``--memory`` is the figure to quote.

``--memory``: for each of a sorted set (``member:<i>``, random double
scores), a hash (``field:<i>`` -> ``value:<i>``) and a set (``member:<i>``)
of ``--members`` elements, one key, each server is started fresh; VmRSS is
read from ``/proc/<pid>/status`` before and after loading, and the key's
cardinality is checked. The report gives bytes per element and the
damselfly / Redis ratio.

Exit status: 0 when each damselfly growth stays within 1.5 times the larger
of the expected factor and Redis's own growth for that command (both servers
slow down as the data outgrows the CPU caches), 1 otherwise or when a loaded
key has the wrong size, 2 when a server cannot be started.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("damselfly", "redis")


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
    """A raw RESP connection that pipelines commands and skims their replies.

    Replies are read with an offset into one buffer (no copy per line), so the
    client's own cost per reply stays small and equal for both servers.
    """

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
        self.pos = 0

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def reply(self) -> bytes:
        """One whole reply: a bulk string's body, else the first line (arrays are skipped)."""
        head = self._line()
        kind = head[:1]
        if kind == b"$":
            n = int(head[1:])
            if n < 0:
                return head
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            body = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return body
        if kind == b"*":
            for _ in range(max(0, int(head[1:]))):
                self.reply()
        return head

    def pipeline(self, commands: list[bytes]) -> list[bytes]:
        """Send encoded commands in one write; read one reply per command; raise on an error."""
        self.sock.sendall(b"".join(commands))
        replies = [self.reply() for _ in commands]
        for r in replies:
            if r[:1] == b"-":
                raise RuntimeError(r.decode())
        return replies

    def call(self, *args: bytes) -> bytes:
        return self.pipeline([encode(*args)])[0]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(conn: Conn) -> int | None:
    info = conn.call(b"INFO", b"memory")
    for line in info.split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    return None


def member(i: int) -> bytes:
    return b"member:%d" % i


def _elements(kind: str, i: int, rnd: random.Random) -> list[bytes]:
    """The arguments that add element ``i`` to a container of ``kind``."""
    if kind == "zset":
        return [repr(rnd.random() * 1e6).encode(), member(i)]
    if kind == "hash":
        return [b"field:%d" % i, b"value:%d" % i]
    if kind == "set":
        return [member(i)]
    return [b"item:%d" % i]  # list


LOADERS = {"zset": (b"ZADD", b"ZCARD"), "hash": (b"HSET", b"HLEN"), "set": (b"SADD", b"SCARD"),
           "list": (b"RPUSH", b"LLEN")}


def load(conn: Conn, kind: str, key: bytes, n: int, rnd: random.Random) -> None:
    """Build one ``kind`` of ``n`` elements, 500 per command, 20 commands per write; check its size."""
    add, size = LOADERS[kind]
    batch: list[bytes] = []
    per_command = 500
    for start in range(0, n, per_command):
        args = [add, key]
        for i in range(start, min(n, start + per_command)):
            args += _elements(kind, i, rnd)
        batch.append(encode(*args))
        if len(batch) == 20:
            conn.pipeline(batch)
            batch = []
    if batch:
        conn.pipeline(batch)
    got = conn.call(size, key)
    if got != b":%d" % n:
        raise RuntimeError(f"{size.decode()} {key.decode()} is {got.decode()}, expected {n}")


def timed(conn: Conn, commands: list[bytes], depth: int) -> float:
    """Seconds per command, pipelined ``depth`` deep."""
    t0 = time.perf_counter()
    for i in range(0, len(commands), depth):
        conn.pipeline(commands[i:i + depth])
    return (time.perf_counter() - t0) / len(commands)


# (column, container, expected growth: "log" or "flat")
OPERATIONS = (("ZADD", "zset", "log"), ("ZRANK", "zset", "log"), ("LPUSH+RPOP", "list", "flat"),
              ("LINDEX head", "list", "flat"), ("LINDEX tail", "list", "flat"))


def workloads(n: int, ops: int, rnd: random.Random) -> dict[str, list[bytes]]:
    """The timed command streams for containers of ``n`` elements (none changes a size)."""
    zkey, lkey = b"z:%d" % n, b"l:%d" % n
    picks = [member(rnd.randrange(n)) for _ in range(ops)]
    churn = [encode(b"LPUSH", lkey, b"x") if i % 2 == 0 else encode(b"RPOP", lkey) for i in range(ops)]
    return {
        "ZADD": [encode(b"ZADD", zkey, repr(rnd.random() * 1e6).encode(), m) for m in picks],
        "ZRANK": [encode(b"ZRANK", zkey, m) for m in picks],
        "LPUSH+RPOP": churn,
        "LINDEX head": [encode(b"LINDEX", lkey, b"%d" % rnd.randrange(10)) for _ in range(ops)],
        "LINDEX tail": [encode(b"LINDEX", lkey, b"%d" % -(1 + rnd.randrange(10))) for _ in range(ops)],
    }


def measure(name: str, pid: int, conn: Conn, n: int, ops: int, depth: int) -> dict[str, float]:
    """Load a zset and a list of ``n`` elements, time every operation, drop both."""
    rnd = random.Random(n)
    zkey, lkey = b"z:%d" % n, b"l:%d" % n
    time.sleep(0.2)
    rss0, used0 = rss_bytes(pid), used_memory(conn)
    t0 = time.perf_counter()
    load(conn, "zset", zkey, n, rnd)
    load_s = time.perf_counter() - t0
    time.sleep(0.2)
    rss1, used1 = rss_bytes(pid), used_memory(conn)
    load(conn, "list", lkey, n, rnd)
    row: dict[str, float] = {"load_s": load_s, "rss_per_member": (rss1 - rss0) / n,
                             "used_per_member": ((used1 - used0) / n) if used0 is not None and used1 is not None
                             else math.nan}
    for op, commands in workloads(n, ops, rnd).items():
        timed(conn, commands, depth)  # warm-up: allocator, caches, branch predictors
        row[op] = min(timed(conn, commands, depth) for _ in range(5)) * 1e6
    for key, kind in ((zkey, "zset"), (lkey, "list")):
        if conn.call(LOADERS[kind][1], key) != b":%d" % n:
            raise RuntimeError(f"{name}: {key.decode()} changed size while timed")
    conn.call(b"DEL", zkey, lkey)
    print(f"  {name:10s} N={n:>9,d}  " + "  ".join(f"{op} {row[op]:.2f}" for op, _, _ in OPERATIONS)
          + f"  (us/op; zset load {load_s:.2f} s)", flush=True)
    return row


class Server:
    """One server process on a free port, in a scratch directory, persistence off."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-complexity-")
        if target == "damselfly":
            argv = [sys.executable, "-m", "damselfly"]
        else:
            argv = ["redis-server", "--appendonly", "no"]
        argv += ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir, env=env)
        self.pid = self.proc.pid
        self.conn = Conn(self.port)

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_servers(targets: tuple[str, ...]) -> dict[str, Server] | None:
    started: dict[str, Server] = {}
    for target in targets:
        try:
            started[target] = Server(target)
        except OSError:
            print(f"cannot start {target}", file=sys.stderr)
            for s in started.values():
                s.stop()
            return None
    return started


def servers(sizes: list[int], ops: int, depth: int) -> int:
    procs = start_servers(TARGETS)
    if procs is None:
        return 2
    results: dict[str, dict[int, dict[str, float]]] = {t: {} for t in TARGETS}
    try:
        for n in sizes:
            for name, server in procs.items():
                results[name][n] = measure(name, server.pid, server.conn, n, ops, depth)
    finally:
        for server in procs.values():
            server.stop()
    return report(results, sizes)


def report(results: dict[str, dict[int, dict[str, float]]], sizes: list[int]) -> int:
    """One row per (command, N): time per command on each server and its growth since N0."""
    n0 = sizes[0]
    print(f"\nMicroseconds per command (pipelined, best of 5) and growth relative to N = {n0:,}; "
          "expected growth: log2 N / log2 N0 for the zset commands, 1 for the list commands")
    head = f"{'command':<12}{'N':>11}"
    for t in results:
        head += f"{t + ' us':>14}{t + ' growth':>18}"
    print(head + f"{'expected':>10}")
    ok = True
    for op, _, shape in OPERATIONS:
        for n in sizes:
            expected = math.log2(n) / math.log2(n0) if shape == "log" else 1.0
            line = f"{op:<12}{n:>11,d}"
            for name, rows in results.items():
                line += f"{rows[n][op]:>14.2f}{rows[n][op] / rows[n0][op]:>18.2f}"
            print(line + f"{expected:>10.2f}")
            if "damselfly" in results and "redis" in results:
                # Memory latency grows with N for both servers: the bound is the expected
                # factor or Redis's own growth, whichever is larger, with 50 % slack.
                growth = results["damselfly"][n][op] / results["damselfly"][n0][op]
                ref = results["redis"][n][op] / results["redis"][n0][op]
                if growth > 1.5 * max(expected, ref):
                    ok = False
                    print(f"  ^ damselfly grows {growth:.2f}x, more than 1.5 x {max(expected, ref):.2f}")
    big = sizes[-1]
    print(f"\nMemory added by the {big:,}-member zset (a server that held the smaller ones; see --memory):")
    for name, rows in results.items():
        r = rows[big]
        used = "" if math.isnan(r["used_per_member"]) else f", used_memory +{r['used_per_member']:.1f} B/member"
        print(f"  {name:10s} RSS +{r['rss_per_member']:.1f} B/member{used}")
    print("\nverdict:", "within the expected growth" if ok else "GROWS FASTER THAN EXPECTED")
    return 0 if ok else 1


# -- one big container per fresh server ------------------------------------------------

MEMORY_KINDS = ("zset", "hash", "set")
SETTLE_SECONDS = 0.5


def memory(members: int) -> int:
    """Bytes per element of one ``members``-element zset, hash and set, a fresh server each."""
    rows: dict[tuple[str, str], tuple[float, float]] = {}
    for kind in MEMORY_KINDS:
        for target in TARGETS:
            procs = start_servers((target,))
            if procs is None:
                return 2
            server = procs[target]
            try:
                time.sleep(SETTLE_SECONDS)
                rss0, used0 = rss_bytes(server.pid), used_memory(server.conn)
                load(server.conn, kind, b"k", members, random.Random(members))
                time.sleep(SETTLE_SECONDS)
                rss1, used1 = rss_bytes(server.pid), used_memory(server.conn)
            except RuntimeError as exc:
                print(f"{target} {kind}: {exc}", file=sys.stderr)
                return 1
            finally:
                server.stop()
            used = (used1 - used0) / members if used0 is not None and used1 is not None else math.nan
            rows[(target, kind)] = ((rss1 - rss0) / members, used)
            print(f"  {target:10s} {kind:5s} RSS +{rows[(target, kind)][0]:7.1f} B/element  "
                  f"used_memory +{used:7.1f} B/element", flush=True)
    print(f"\nBytes per element, one {members:,}-element key, a fresh server each "
          "(RSS growth from /proc; used_memory growth in brackets):")
    print(f"{'type':<6}{'damselfly':>20}{'redis':>20}{'ratio (RSS)':>13}")
    for kind in MEMORY_KINDS:
        (d_rss, d_used), (r_rss, r_used) = rows[("damselfly", kind)], rows[("redis", kind)]
        ratio = f"{d_rss / r_rss:.2f}x" if r_rss > 0 else "n/a"
        print(f"{kind:<6}{f'{d_rss:.1f} ({d_used:.1f})':>20}{f'{r_rss:.1f} ({r_used:.1f})':>20}{ratio:>13}")
    return 0


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
    parser.add_argument("--sizes", default="1000,100000,1000000", help="container sizes (comma-separated)")
    parser.add_argument("--ops", type=int, default=20000, help="timed operations per size and command")
    parser.add_argument("--depth", type=int, default=100, help="pipeline depth")
    parser.add_argument("--memory", action="store_true",
                        help="bytes per element of one big zset, hash and set, a fresh server each")
    parser.add_argument("--members", type=int, default=1_000_000, help="elements per key for --memory")
    parser.add_argument("--structures", action="store_true", help="compare zset layouts in-process instead")
    parser.add_argument("-n", type=int, default=1_000_000, help="members for --structures")
    parser.add_argument("--only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.structures:
        return structures(args.n, args.only)
    if args.memory:
        return memory(args.members)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    return servers(sizes, args.ops, args.depth)


if __name__ == "__main__":
    sys.exit(main())
