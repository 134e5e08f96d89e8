"""Soak test: mixed traffic for N minutes against a process-mode server; memory over time.

``python -m bench.soak --minutes 5`` (``make soak``) starts ``python -m
damselfly`` on a free port, then runs, from one asyncio process:

- data workers: strings (SET/GET/INCR/APPEND), hashes (HSET/HGETALL/HDEL),
  lists (LPUSH+LTRIM/LRANGE/RPOP), keys with a TTL of 1-3 s (SET EX,
  EXPIRE), DEL; every key drawn from a bounded key space, so a server
  without leaks reaches a plateau;
- pub/sub: subscribers on a channel and a pattern, one publisher; the
  subscribers count what they receive;
- churn: a worker that connects, runs a few commands (sometimes SUBSCRIBE,
  sometimes leaves mid-pipeline) and disconnects, over and over.

Every second it samples the server's RSS (``/proc/PID/status`` VmRSS, from
outside) and INFO ``used_memory``, ``connected_clients``,
``total_commands_processed`` and writes them to
``bench/results/soak-<timestamp>/soak.csv`` and ``soak.png``. After the
traffic it keeps sampling 5 s at rest, then 5 s after FLUSHALL (the CSV's
``phase`` column), so growth of the dataset can be told from a leak. The
summary (start, peak, end of both curves, the end of each phase) is
printed and saved as ``summary.txt``.
Not part of CI: it runs for minutes.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
STRING_KEYS = 20_000
HASH_KEYS = 2_000
LIST_KEYS = 500
LIST_LEN = 100


@dataclass
class Counters:
    commands: int = 0
    errors: int = 0
    messages: int = 0
    connects: int = 0
    last_error: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def start_server(port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "damselfly", "--port", str(port), "--save", "", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    for raw in proc.stdout:
        if b"Ready to accept connections" in raw:
            return proc
    raise RuntimeError("damselfly did not start")


async def data_worker(port: int, stop: asyncio.Event, c: Counters, seed: int, pause: float) -> None:
    rnd = random.Random(seed)
    r = aioredis.Redis(port=port)
    payload = b"x" * 100
    try:
        while not stop.is_set():
            pipe = r.pipeline(transaction=False)
            for _ in range(20):
                kind = rnd.random()
                if kind < 0.35:
                    k = f"s:{rnd.randrange(STRING_KEYS)}"
                    if rnd.random() < 0.5:
                        pipe.set(k, payload[: rnd.randrange(1, 100)])
                    else:
                        pipe.get(k)
                elif kind < 0.45:
                    pipe.incr(f"n:{rnd.randrange(1000)}")
                elif kind < 0.6:
                    h = f"h:{rnd.randrange(HASH_KEYS)}"
                    if rnd.random() < 0.6:
                        pipe.hset(h, f"f{rnd.randrange(20)}", payload[:30])
                    elif rnd.random() < 0.5:
                        pipe.hgetall(h)
                    else:
                        pipe.hdel(h, f"f{rnd.randrange(20)}")
                elif kind < 0.75:
                    lk = f"l:{rnd.randrange(LIST_KEYS)}"
                    roll = rnd.random()
                    if roll < 0.4:
                        pipe.lpush(lk, payload[:20])
                        pipe.ltrim(lk, 0, LIST_LEN - 1)
                    elif roll < 0.6:
                        pipe.lrange(lk, 0, 50)
                    else:
                        pipe.rpop(lk)
                elif kind < 0.92:
                    pipe.set(f"e:{rnd.randrange(50_000)}", payload, ex=rnd.randint(1, 3))
                else:
                    pipe.delete(f"s:{rnd.randrange(STRING_KEYS)}")
            results = await pipe.execute(raise_on_error=False)
            c.commands += len(results)
            for res in results:
                if isinstance(res, Exception):
                    c.errors += 1
                    c.last_error = repr(res)
            await asyncio.sleep(pause)  # a steady load, not a benchmark: the machine is shared
    finally:
        await r.aclose()


async def subscriber(port: int, stop: asyncio.Event, c: Counters, pattern: bool) -> None:
    r = aioredis.Redis(port=port)
    ps = r.pubsub()
    if pattern:
        await ps.psubscribe("soak:*")
    else:
        await ps.subscribe("soak:ch")
    try:
        while not stop.is_set():
            msg = await ps.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if msg is not None:
                c.messages += 1
    finally:
        await ps.aclose()
        await r.aclose()


async def publisher(port: int, stop: asyncio.Event, c: Counters) -> None:
    r = aioredis.Redis(port=port)
    try:
        while not stop.is_set():
            pipe = r.pipeline(transaction=False)
            for i in range(10):
                pipe.publish("soak:ch", b"m%d" % i)
            await pipe.execute()
            c.commands += 10
            await asyncio.sleep(0.005)
    finally:
        await r.aclose()


async def churn(port: int, stop: asyncio.Event, c: Counters, seed: int) -> None:
    """Short-lived connections, some leaving with a request half sent or while subscribed."""
    rnd = random.Random(seed)
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            c.errors += 1
            c.last_error = repr(exc)
            await asyncio.sleep(0.1)
            continue
        c.connects += 1
        choice = rnd.random()
        if choice < 0.3:
            writer.write(b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$3\r\nc:k\r\n$1\r\nv\r\n")
            await reader.readexactly(len(b"+PONG\r\n+OK\r\n"))
        elif choice < 0.5:
            writer.write(b"*2\r\n$9\r\nSUBSCRIBE\r\n$7\r\nsoak:ch\r\n")
            await reader.readuntil(b":1\r\n")
        elif choice < 0.7:
            writer.write(b"*3\r\n$3\r\nSET\r\n$3\r\nc:k\r\n$10\r\nhalf")  # never finished
        else:
            writer.write(b"*2\r\n$5\r\nWATCH\r\n$3\r\nc:k\r\n*1\r\n$5\r\nMULTI\r\n")
            await reader.readexactly(len(b"+OK\r\n+OK\r\n"))
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
        await asyncio.sleep(0.01)


async def sampler(port: int, pid: int, stop: asyncio.Event, c: Counters, started: float,
                  writer: "csv.DictWriter[str]", fh: object, phase: list[str]) -> None:
    r = aioredis.Redis(port=port)
    try:
        while not stop.is_set():
            row: dict[str, Any] = {"t": round(time.monotonic() - started, 1), "rss": rss_bytes(pid),
                                   "phase": phase[0]}
            try:
                info = await r.info()
                row["used_memory"] = int(info.get("used_memory", 0))
                row["connected_clients"] = int(info.get("connected_clients", 0))
                row["total_commands_processed"] = int(info.get("total_commands_processed", 0))
                row["keys"] = int(await r.dbsize())
            except Exception as exc:  # record the gap, keep sampling
                c.last_error = repr(exc)
            row["client_errors"] = c.errors
            row["messages"] = c.messages
            c.samples.append(row)
            writer.writerow(row)
            fh.flush()  # type: ignore[attr-defined]
            await asyncio.sleep(1.0)
    finally:
        await r.aclose()


def write_chart(samples: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [s["t"] for s in samples]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(t, [s["rss"] / 2**20 for s in samples], label="RSS (VmRSS)")
    ax.plot(t, [s.get("used_memory", 0) / 2**20 for s in samples], label="INFO used_memory")
    for before, after in zip(samples, samples[1:]):
        if before.get("phase") != after.get("phase"):  # traffic -> idle -> flushed
            ax.axvline(after["t"], color="black", linestyle=":", alpha=0.6)
            ax.text(after["t"], 1, f" {after['phase']}", fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_ylabel("MiB")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(t, [s.get("keys", 0) for s in samples], color="grey", alpha=0.4, label="keys")
    ax2.set_ylabel("keys")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summarize(samples: list[dict[str, Any]], c: Counters, minutes: float) -> str:
    def curve(name: str) -> str:
        values = [s.get(name, 0) for s in samples if name in s]
        if not values:
            return f"{name}: no samples"
        peak = max(values)
        return (f"{name}: start {values[0] / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB "
                f"(at {samples[[s.get(name, 0) for s in samples].index(peak)]['t']:.0f} s), "
                f"end {values[-1] / 2**20:.1f} MiB")
    def last(phase: str) -> str:
        rows = [s for s in samples if s.get("phase") == phase]
        if not rows:
            return f"{phase}: no samples"
        row = rows[-1]
        return (f"end of {phase}: rss {row['rss'] / 2**20:.1f} MiB, used_memory "
                f"{row.get('used_memory', 0) / 2**20:.1f} MiB, {row.get('connected_clients', '?')} clients, "
                f"{row.get('keys', '?')} keys")
    return "\n".join([
        f"soak: {minutes} min, {len(samples)} samples, {c.commands} commands from the workers, "
        f"{c.messages} pub/sub messages received, {c.connects} churn connections, {c.errors} errors"
        + (f" (last: {c.last_error})" if c.errors else ""),
        curve("rss"),
        curve("used_memory"),
        last("traffic"),
        last("idle"),
        last("flushed"),
    ])


async def soak(minutes: float, out_dir: Path, extra: list[str], pause: float = 0.005) -> str:
    port = free_port()
    proc = start_server(port, extra)
    c = Counters()
    stop = asyncio.Event()
    out_dir.mkdir(parents=True, exist_ok=True)
    fields = ["t", "phase", "rss", "used_memory", "connected_clients", "total_commands_processed", "keys",
              "client_errors", "messages"]
    phase = ["traffic"]
    sampler_stop = asyncio.Event()
    try:
        with open(out_dir / "soak.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            started = time.monotonic()
            sampling = asyncio.create_task(sampler(port, proc.pid, sampler_stop, c, started, writer, fh, phase))
            tasks = [asyncio.create_task(data_worker(port, stop, c, seed, pause)) for seed in range(4)]
            tasks += [asyncio.create_task(subscriber(port, stop, c, pattern)) for pattern in (False, True)]
            tasks.append(asyncio.create_task(publisher(port, stop, c)))
            tasks += [asyncio.create_task(churn(port, stop, c, 100 + seed)) for seed in range(2)]
            await asyncio.sleep(minutes * 60)
            stop.set()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            for res in done:
                if isinstance(res, Exception):
                    c.errors += 1
                    c.last_error = repr(res)
            # Then the same server at rest, and emptied: what it gives back once the load is gone.
            phase[0] = "idle"
            await asyncio.sleep(5)
            r = aioredis.Redis(port=port)
            await r.flushall()
            await r.aclose()
            phase[0] = "flushed"
            await asyncio.sleep(5)
            sampler_stop.set()
            await sampling
    finally:
        proc.terminate()
        proc.wait(30)
    summary = summarize(c.samples, c, minutes)
    (out_dir / "summary.txt").write_text(summary + "\n")
    write_chart(c.samples, out_dir / "soak.png", f"damselfly soak, {minutes} min mixed traffic")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "5")))
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--pause-ms", type=float, default=5.0, help="pause of each data worker between pipelines")
    parser.add_argument("server_args", nargs="*", help="extra damselfly options after --")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "bench" / "results" / time.strftime("soak-%Y%m%d-%H%M%S", time.gmtime())
    summary = asyncio.run(soak(args.minutes, out, args.server_args, args.pause_ms / 1000))
    print(summary)
    print(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
