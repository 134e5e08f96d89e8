"""Time from "start a server" to the first PING reply, for embedding in test suites.

Targets: damselfly's in-process ``Server().start()`` (thread mode), damselfly's
``mode="process"``, a ``redis-server`` binary (when installed), and fakeredis's
``TcpFakeServer`` (when fakeredis is installed).

Two figures per target:

- **first start**: in a fresh interpreter (``--fresh`` of them per target), the
  first start, which pays the lazy imports and the command table; the module
  import (``import damselfly`` / ``import fakeredis``) is timed apart;
- **later starts**: in this interpreter after one warm-up, ``--repeat`` starts
  with the targets interleaved; median and p90.

The clock stops at the first ``+PONG`` read on a raw socket (no client library
in the measurement). Every server gets a scratch directory as ``dir``, so a
``dump.rdb`` in the working directory is never loaded.

    python -m bench.startup [--repeat 20] [--fresh 5] [--targets damselfly-thread,redis-server]
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

LABELS = {
    "damselfly-thread": "damselfly `Server().start()` (thread)",
    "damselfly-process": "damselfly `Server(mode=\"process\")`",
    "redis-server": "redis-server binary",
    "fakeredis": "fakeredis `TcpFakeServer`",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping_until_ready(port: int, deadline: float) -> None:
    """Connect and PING until ``+PONG`` comes back (the server may not listen yet)."""
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")  # fakeredis reads no inline commands
                reply = b""
                while not reply.endswith(b"\r\n"):
                    chunk = sock.recv(64)
                    if not chunk:
                        break
                    reply += chunk
                if reply == b"+PONG\r\n":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no PONG from port {port}")
        time.sleep(0.0005)


def time_damselfly_thread(scratch: str) -> float:
    import damselfly
    t0 = time.perf_counter()
    server = damselfly.Server(dir=scratch).start()
    _ping_until_ready(server.port, time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed


def time_damselfly_process(scratch: str) -> float:
    import damselfly
    t0 = time.perf_counter()
    server = damselfly.Server(mode="process", dir=scratch).start()
    _ping_until_ready(server.port, time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed


def time_redis_server(scratch: str) -> float:
    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", scratch],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _ping_until_ready(port, time.monotonic() + 10)
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait()


def time_fakeredis_tcp(scratch: str) -> float:
    from fakeredis import TcpFakeServer
    t0 = time.perf_counter()
    server = TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ping_until_ready(server.server_address[1], time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.shutdown()
    server.server_close()
    thread.join()
    return elapsed


TIMERS: dict[str, Callable[[str], float]] = {
    "damselfly-thread": time_damselfly_thread,
    "damselfly-process": time_damselfly_process,
    "redis-server": time_redis_server,
    "fakeredis": time_fakeredis_tcp,
}
# What a fresh interpreter imports before its first start (timed apart from the start).
IMPORTS = {"damselfly-thread": "damselfly", "damselfly-process": "damselfly", "fakeredis": "fakeredis"}


def available_targets() -> list[str]:
    names = ["damselfly-thread", "damselfly-process"]
    if shutil.which("redis-server"):
        names.append("redis-server")
    try:
        import fakeredis  # noqa: F401
        names.append("fakeredis")
    except ImportError:
        pass
    return names


def one_fresh_start(target: str) -> dict[str, float | None]:
    """Run in a fresh interpreter: import the target's module, then time its first start."""
    module = IMPORTS.get(target)
    import_s = None
    if module is not None:
        t0 = time.perf_counter()
        __import__(module)
        import_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        first_s = TIMERS[target](scratch)
    return {"import_s": import_s, "first_s": first_s}


def fresh_starts(target: str, count: int) -> list[dict[str, float | None]]:
    runs = []
    for _ in range(count):
        done = subprocess.run([sys.executable, "-m", "bench.startup", "--one", target], capture_output=True,
                              text=True, timeout=120, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"fresh start of {target} failed: {done.stderr.strip()[-500:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def later_starts(targets: list[str], repeat: int, scratch: str) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for name in targets:  # warm imports and caches once
        TIMERS[name](scratch)
    for _ in range(repeat):
        for name in targets:  # interleaved: drift on a shared machine spreads over every target
            samples[name].append(TIMERS[name](scratch))
    return samples


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.1f} ms"


def render(fresh: dict[str, list[dict[str, float | None]]], later: dict[str, list[float]]) -> str:
    rows = ["| target | import | first start (fresh interpreter), median | later starts, median | p90 |",
            "|---|---|---|---|---|"]
    for name, values in later.items():
        runs = fresh.get(name, [])
        imports = [r["import_s"] for r in runs if r["import_s"] is not None]
        firsts = [r["first_s"] for r in runs if r["first_s"] is not None]
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))] if ordered else None
        rows.append(f"| {LABELS[name]} | {_ms(statistics.median(imports) if imports else None)} "
                    f"| {_ms(statistics.median(firsts) if firsts else None)} "
                    f"| {_ms(statistics.median(values) if values else None)} | {_ms(p90)} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="later starts per target (default 20)")
    parser.add_argument("--fresh", type=int, default=5, help="fresh interpreters per target (default 5)")
    parser.add_argument("--targets", default="", help="comma-separated subset of: " + ", ".join(TIMERS))
    parser.add_argument("--one", choices=sorted(TIMERS), help=argparse.SUPPRESS)  # a fresh interpreter's run
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_fresh_start(args.one)))
        return 0
    targets = available_targets()
    if args.targets:
        wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
        unknown = [t for t in wanted if t not in TIMERS]
        if unknown:
            parser.error(f"unknown target(s): {', '.join(unknown)}")
        targets = [t for t in wanted if t in targets]
    fresh = {name: fresh_starts(name, args.fresh) for name in targets}
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        later = later_starts(targets, args.repeat, scratch)
    print(render(fresh, later))
    return 0


if __name__ == "__main__":
    sys.exit(main())
