"""A string grown by many APPENDs: the standalone server with glibc's thresholds fixed, or not.

    python -m bench.append [--appends 100000] [--size 10] [--repeat 3]

Each measurement starts a fresh standalone server (``python -m damselfly``
as ``make run`` does, which calls ``damselfly.malloc_tuning.tune_malloc()``
at start-up) or the same server with that call replaced by a no-op, and
times ``--appends`` pipelined ``APPEND k <size bytes>`` over TCP, 1,000 per
round trip. redis-server runs the same load when installed. Prints medians;
the ratio is the result (the machine is shared).
"""
from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import time

import redis


def _load(port: int, appends: int, size: int) -> float:
    client = redis.Redis(port=port)
    client.delete("k")
    tail = b"x" * size
    t0 = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i in range(appends):
        pipe.append("k", tail)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    elapsed = time.perf_counter() - t0
    assert client.strlen("k") == appends * size
    return elapsed


_UNTUNED = ("import sys, damselfly.malloc_tuning as m; m.tune_malloc = lambda: False; "
            "from damselfly.cli import main; sys.exit(main(sys.argv[1:]))")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_and_load(command: list[str], appends: int, size: int) -> float:
    port = _free_port()
    proc = subprocess.Popen([*command, "--port", str(port), "--save", ""], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        return _load(port, appends, size)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.append", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"default malloc": [], "tuned malloc": [], "redis-server": []}
    targets = [("default malloc", [sys.executable, "-c", _UNTUNED]),
               ("tuned malloc", [sys.executable, "-m", "damselfly"])]
    if shutil.which("redis-server"):
        targets.append(("redis-server", ["redis-server", "--appendonly", "no"]))
    for _ in range(args.repeat):
        for label, command in targets:
            times[label].append(_serve_and_load(command, args.appends, args.size))
    print(f"{args.appends:,} x APPEND of {args.size} bytes to one key, median of {args.repeat}:")
    for label, values in times.items():
        if values:
            med = statistics.median(values)
            print(f"  {label:<15} {med:8.2f} s  {args.appends / med:>10,.0f} appends/s")


if __name__ == "__main__":
    main()
