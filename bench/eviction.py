"""Eviction accuracy and memory accounting, damselfly beside redis-server.

``python -m bench.eviction accuracy``: the same workload on each server with
``maxmemory 20mb`` and ``allkeys-lru``: write a hot set (10% of the keys),
then the other 90% in paced batches, reading a slice of the hot set between
batches; finally count the keys left and how many hot keys survived. The
batches are paced (``--pause``) so the run spans several seconds: both
servers keep access times with a one-second resolution, and a run shorter
than that would make any LRU look random.

``python -m bench.eviction accounting``: on a fresh damselfly, load 1M
strings then 100k hashes in steps and print, at each step, the growth of
``used_memory`` beside the growth of the process's RSS, then FLUSHALL to
show that RSS does not come back down (why eviction cannot use RSS).

``python -m bench.eviction hotpath``: in-process cost per SET of the
maxmemory check, and of the write-time alternative to sampling (a change
listener keeping a size per key), against a plain SET.
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import MemoryConfig, hash_commands, load, string_commands
from bench.procstat import rss_bytes
from bench.resp import RespConnection, encode_command, parse_info
from bench.servers import ServerProcess, TargetSpec

_DAMSELFLY = TargetSpec("damselfly", "damselfly", lambda port: [
    sys.executable, "-m", "damselfly", "--port", str(port), "--bind", "127.0.0.1", "--save", ""])
_REDIS = TargetSpec("redis", "redis-server", lambda port: [
    "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    needs="redis-server")


def _start(spec: TargetSpec, workdir: Path) -> ServerProcess:
    server = ServerProcess(spec, workdir / spec.name, workdir / f"{spec.name}.log")
    server.wait_ready()
    return server


def _info(conn: RespConnection, section: str) -> dict[str, str]:
    reply = conn.call("INFO", section)
    assert isinstance(reply, bytes)
    return parse_info(reply)


# -- accuracy -----------------------------------------------------------------------------

def _key(i: int) -> bytes:
    return b"key:%08d" % i


def run_accuracy(conn: RespConnection, keys: int, value_size: int, maxmemory: str, policy: str,
                 batch: int, pause: float) -> dict[str, float]:
    """The workload on one server; returns the figures of the report."""
    conn.call("CONFIG", "SET", "maxmemory", maxmemory)
    conn.call("CONFIG", "SET", "maxmemory-policy", policy)
    value = b"v" * value_size
    hot = keys // 10
    started = time.monotonic()
    for start in range(0, hot, batch):
        conn.send(b"".join(encode_command(b"SET", _key(i), value) for i in range(start, min(hot, start + batch))))
        conn.read_replies(min(hot, start + batch) - start)
    cursor = 0
    for start in range(hot, keys, batch):
        stop = min(keys, start + batch)
        conn.send(b"".join(encode_command(b"SET", _key(i), value) for i in range(start, stop)))
        conn.read_replies(stop - start)
        # Touch a slice of the hot set: the whole set is read once every ~10 batches.
        reads = max(1, hot // 10)
        conn.send(b"".join(encode_command(b"GET", _key((cursor + j) % hot)) for j in range(reads)))
        conn.read_replies(reads)
        cursor = (cursor + reads) % hot
        if pause:
            time.sleep(pause)
    elapsed = time.monotonic() - started
    survivors = 0
    for start in range(0, hot, 1000):
        chunk = [_key(i) for i in range(start, min(hot, start + 1000))]
        conn.send(encode_command(b"EXISTS", *chunk))
        reply = conn.read_replies(1)[0]
        survivors += int(reply)  # type: ignore[arg-type]
    remaining = int(conn.call("DBSIZE"))  # type: ignore[arg-type]
    stats = _info(conn, "stats")
    memory = _info(conn, "memory")
    return {"keys_written": keys, "hot_keys": hot, "hot_survivors": survivors,
            "hot_survival_pct": 100.0 * survivors / hot, "keys_remaining": remaining,
            "cold_survival_pct": 100.0 * (remaining - survivors) / (keys - hot),
            "evicted_keys": int(stats["evicted_keys"]), "used_memory": int(memory["used_memory"]),
            "maxmemory": int(memory["maxmemory"]), "rss": int(memory["used_memory_rss"]),
            "seconds": round(elapsed, 1)}


def accuracy(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-eviction-") as tmp:
        rows = {}
        for spec in (_DAMSELFLY, _REDIS):
            if spec.unavailable_reason():
                print(f"{spec.name}: skipped ({spec.unavailable_reason()})")
                continue
            server = _start(spec, Path(tmp))
            try:
                with RespConnection("127.0.0.1", server.port, timeout=120.0) as conn:
                    rows[spec.name] = run_accuracy(conn, args.keys, args.value_size, args.maxmemory,
                                                   args.policy, args.batch, args.pause)
            finally:
                server.stop()
    names = list(rows)
    fields = list(next(iter(rows.values()))) if rows else []
    print(f"workload: {args.keys:,} SETs of {args.value_size}-byte values, hot set 10%, "
          f"maxmemory {args.maxmemory}, {args.policy}, batches of {args.batch}, pause {args.pause}s")
    print(f"{'':24}" + "".join(f"{n:>16}" for n in names))
    for field in fields:
        cells = []
        for n in names:
            v = rows[n][field]
            cells.append(f"{v:>16.1f}" if isinstance(v, float) else f"{v:>16,}")
        print(f"{field:24}" + "".join(cells))


# -- accounting ---------------------------------------------------------------------------

def accounting(args: argparse.Namespace) -> None:
    cfg = MemoryConfig(keys=args.strings, hashes=args.hashes)
    with tempfile.TemporaryDirectory(prefix="bench-accounting-") as tmp:
        server = _start(_DAMSELFLY, Path(tmp))
        try:
            with RespConnection("127.0.0.1", server.port, timeout=300.0) as conn:
                time.sleep(0.5)
                used0 = int(_info(conn, "memory")["used_memory"])
                rss0 = rss_bytes(server.pid)
                print(f"baseline: used_memory {used0:,}  rss {rss0:,}")
                print(f"{'step':28}{'used_memory delta':>20}{'rss delta':>16}{'used/rss':>10}")
                worst = 0.0

                def report(label: str) -> None:
                    nonlocal worst
                    used = int(_info(conn, "memory")["used_memory"]) - used0
                    rss = rss_bytes(server.pid) - rss0
                    ratio = used / rss if rss > 0 else 0.0
                    worst = max(worst, abs(ratio - 1.0))
                    print(f"{label:28}{used:>20,}{rss:>16,}{ratio:>10.3f}")

                step = max(1, cfg.keys // 10)
                commands = list(string_commands(cfg))
                per_step = max(1, len(commands) // 10)
                for n in range(0, len(commands), per_step):
                    load(conn, iter(commands[n:n + per_step]), cfg.commands_per_write)
                    report(f"strings {min(cfg.keys, (n + per_step) * cfg.pairs_per_command):,}")
                del commands, step
                commands = list(hash_commands(cfg))
                per_step = max(1, len(commands) // 5)
                for n in range(0, len(commands), per_step):
                    load(conn, iter(commands[n:n + per_step]), cfg.commands_per_write)
                    report(f"+ hashes {min(cfg.hashes, n + per_step):,}")
                print(f"largest |used/rss - 1| while loading: {worst:.3f}")
                conn.call("FLUSHALL")
                time.sleep(0.5)
                used = int(_info(conn, "memory")["used_memory"]) - used0
                print(f"after FLUSHALL: used_memory delta {used:,}  rss delta {rss_bytes(server.pid) - rss0:,}")
        finally:
            server.stop()


# -- hot path -----------------------------------------------------------------------------

def hotpath(args: argparse.Namespace) -> None:
    from damselfly.app import build_state
    from damselfly.client import Client
    from damselfly.commands.dispatch import execute
    from damselfly.config import Config
    from damselfly.memory import entry_bytes

    def one(maxmemory: str, listener: bool) -> float:
        state = build_state(Config({"maxmemory": maxmemory}))
        client = Client(state.next_client_id(), state, None, "127.0.0.1:1", "127.0.0.1:2", 0)
        state.clients[client.id] = client
        if listener:
            sizes: dict[bytes, int] = {}
            total = [0]

            def track(db, key, event, kind):  # type: ignore[no-untyped-def]
                if key is None:
                    return
                value = db.data.get(key)
                new = entry_bytes(key, value) if value is not None else 0
                total[0] += new - sizes.pop(key, 0)
                if new:
                    sizes[key] = new

            state.keyspace.add_listener(track)
        cmds = [[b"SET", _key(i), b"v" * 32] for i in range(args.n)]
        gc.disable()
        try:
            t0 = time.perf_counter()
            for argv in cmds:
                execute(client, argv)
            return (time.perf_counter() - t0) / args.n * 1e6
        finally:
            gc.enable()

    best = {"plain": float("inf"), "checked": float("inf"), "listened": float("inf")}
    for _ in range(args.rounds):  # interleaved rounds, best of each: the machine is shared
        best["plain"] = min(best["plain"], one("0", False))
        best["checked"] = min(best["checked"], one("1gb", False))
        best["listened"] = min(best["listened"], one("0", True))
    plain, checked, listened = best["plain"], best["checked"], best["listened"]
    print(f"SET via dispatch, {args.n:,} new keys, us per command (in-process, best of {args.rounds}):")
    print(f"  maxmemory 0 (no check)             {plain:6.2f}")
    print(f"  maxmemory 1gb (eviction check)     {checked:6.2f}  (+{100 * (checked / plain - 1):.0f}%)")
    print(f"  write-time per-key size listener   {listened:6.2f}  (+{100 * (listened / plain - 1):.0f}%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eviction", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    acc = sub.add_parser("accuracy", help="eviction accuracy, damselfly and redis-server")
    acc.add_argument("--keys", type=int, default=200_000)
    acc.add_argument("--value-size", type=int, default=100)
    acc.add_argument("--maxmemory", default="20mb")
    acc.add_argument("--policy", default="allkeys-lru")
    acc.add_argument("--batch", type=int, default=1000)
    acc.add_argument("--pause", type=float, default=0.05)
    mem = sub.add_parser("accounting", help="used_memory growth against RSS growth")
    mem.add_argument("--strings", type=int, default=1_000_000)
    mem.add_argument("--hashes", type=int, default=100_000)
    hot = sub.add_parser("hotpath", help="per-SET cost of the check and of write-time accounting")
    hot.add_argument("--n", type=int, default=200_000)
    hot.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    {"accuracy": accuracy, "accounting": accounting, "hotpath": hotpath}[args.what](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
