"""Time from "start a server" to the first PING reply, for embedding in test suites.

Compares, in one run and interleaved: damselfly's in-process ``Server().start()``
(thread mode), damselfly's ``mode="process"``, a ``redis-server`` binary, and
fakeredis's ``TcpFakeServer`` when fakeredis is installed. Reports medians.

    python -m bench.startup [--repeat 20]
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import redis  # noqa: E402

import damselfly  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping_until_ready(port: int, deadline: float) -> None:
    while True:
        try:
            client = redis.Redis(port=port, protocol=2, socket_connect_timeout=0.5)
            client.ping()
            client.close()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.0005)


def time_damselfly_thread() -> float:
    t0 = time.perf_counter()
    server = damselfly.Server().start()
    _ping_until_ready(server.port, time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed


def time_damselfly_process() -> float:
    t0 = time.perf_counter()
    server = damselfly.Server(mode="process").start()
    _ping_until_ready(server.port, time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.stop()
    return elapsed


def time_redis_server() -> float:
    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _ping_until_ready(port, time.monotonic() + 10)
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait()


def time_fakeredis_tcp() -> float:
    from fakeredis import TcpFakeServer
    port = _free_port()
    t0 = time.perf_counter()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ping_until_ready(port, time.monotonic() + 10)
    elapsed = time.perf_counter() - t0
    server.shutdown()
    server.server_close()
    return elapsed


def available_targets() -> dict[str, Callable[[], float]]:
    targets: dict[str, Callable[[], float]] = {
        "damselfly (thread)": time_damselfly_thread,
        "damselfly (process)": time_damselfly_process,
    }
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode == 0:
        targets["redis-server binary"] = time_redis_server
    try:
        import fakeredis  # noqa: F401
        targets["fakeredis TcpFakeServer"] = time_fakeredis_tcp
    except ImportError:
        pass
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    targets = available_targets()
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for fn in targets.values():  # warm imports and caches once
        fn()
    for _ in range(args.repeat):
        for name, fn in targets.items():  # interleaved
            samples[name].append(fn())
    print("| target | start -> first PING, median | p90 |")
    print("|---|---|---|")
    for name, values in samples.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"| {name} | {statistics.median(values) * 1000:.1f} ms | {p90 * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
