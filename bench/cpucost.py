"""Server CPU time per request under redis-benchmark, damselfly beside Redis.

Throughput on a shared 2-core machine says as much about the neighbours as
about the server: redis-benchmark itself needs most of a core at these
rates. The CPU the server process spent per request (user + system, from
/proc, over the whole redis-benchmark run) moves much less with the load, so
it is what this compares, next to the requests/s of the same runs.

    python -m bench.cpucost [--tests get,set,incr,mset] [-P 16] [-n 200000] [--repeat 3] [-r KEYS]
                            [--tree NAME=DIR ...] [--targets damselfly,redis]

``--tree NAME=DIR`` adds a target ``NAME``: damselfly imported from
``DIR/src`` (for example ``git archive <commit> | tar -x -C DIR``), so
commits run side by side with each other and with the working tree. Targets are interleaved per cell;
the medians of ``--repeat`` runs are printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.datapath import parse_csv
from bench.procstat import CLOCK_TICKS
from bench.servers import REPO_ROOT, ServerProcess, TargetSpec


def _damselfly(port: int) -> list[str]:
    return [sys.executable, "-m", "damselfly", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]


def _redis(port: int) -> list[str]:
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]


def _start(name: str, src: Path | None, workdir: Path) -> ServerProcess:
    spec = TargetSpec(name, name, _redis if name == "redis" else _damselfly)
    old = os.environ.get("PYTHONPATH")
    if src is not None:  # ServerProcess puts the repo's src first; the base tree must win
        os.environ["PYTHONPATH"] = str(src)
    try:
        server = ServerProcess(spec, workdir / name, workdir / f"{name}.log")
    finally:
        if src is not None:
            if old is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old
    server.wait_ready()
    return server


def _cpu(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of ``pid``."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        raw = fh.read()
    fields = raw[raw.rindex(b")") + 2:].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def run_cell(server: ServerProcess, test: str, pipeline: int, requests: int, clients: int,
             keyspace: int = 0) -> tuple[float, float, float]:
    """(requests/s, server user CPU µs per request, system CPU µs per request) of one redis-benchmark run."""
    user0, sys0 = _cpu(server.pid)
    proc = subprocess.run(
        ["redis-benchmark", "-p", str(server.port), "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
         "-t", test, "--csv"] + (["-r", str(keyspace)] if keyspace else []),
        capture_output=True, text=True, timeout=600, check=False)
    user1, sys1 = _cpu(server.pid)
    rps = parse_csv(proc.stdout, test)
    if rps is None:
        raise RuntimeError(f"{server.name} {test}: {proc.stdout[-300:]} {proc.stderr[-300:]}")
    return rps, (user1 - user0) / requests * 1e6, (sys1 - sys0) / requests * 1e6


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.cpucost")
    p.add_argument("--tests", default="get,set,incr,mset")
    p.add_argument("-P", "--pipeline", type=int, default=16)
    p.add_argument("-n", "--requests", type=int, default=200_000)
    p.add_argument("-c", "--clients", type=int, default=50)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("-r", "--keyspace", type=int, default=0, help="redis-benchmark -r (default: one key, as bench datapath)")
    p.add_argument("--targets", default="damselfly,redis")
    p.add_argument("--tree", action="append", default=[], metavar="NAME=DIR",
                   help="also run damselfly from DIR/src as target NAME")
    args = p.parse_args(argv)
    trees = {name: Path(path) for name, _, path in (t.partition("=") for t in args.tree)}
    names = [n for n in args.targets.split(",") if n] + list(trees)
    with tempfile.TemporaryDirectory(prefix="cpucost-") as tmp:
        servers: dict[str, ServerProcess] = {}
        try:
            for name in names:
                src = (trees[name] / "src").resolve() if name in trees else (REPO_ROOT / "src" if name != "redis" else None)
                servers[name] = _start(name, src, Path(tmp))
            print(f"redis-benchmark -c {args.clients} -n {args.requests} -P {args.pipeline}; medians of {args.repeat}")
            print("server CPU per request in us: user+system (user, system)")
            print(f"{'test':6s} " + " ".join(f"{n + ' rps':>14s} {n + ' us/req':>28s}" for n in names))
            for test in args.tests.split(","):
                rps: dict[str, list[float]] = {n: [] for n in names}
                user: dict[str, list[float]] = {n: [] for n in names}
                system: dict[str, list[float]] = {n: [] for n in names}
                for _ in range(args.repeat):
                    for name in names:
                        r, u, k = run_cell(servers[name], test, args.pipeline, args.requests, args.clients,
                                           args.keyspace)
                        rps[name].append(r)
                        user[name].append(u)
                        system[name].append(k)
                cells = []
                for n in names:
                    u, k = statistics.median(user[n]), statistics.median(system[n])
                    cells.append(f"{statistics.median(rps[n]):14,.0f} {f'{u + k:.2f} ({u:.2f}, {k:.2f})':>28s}")
                print(f"{test:6s} " + " ".join(cells), flush=True)
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    main()
