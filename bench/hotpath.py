"""In-process micro-benchmark of the hot paths: µs per command, no network.

A :class:`~damselfly.net.connection.Connection` gets a fake transport and a
fake loop; a pre-built pipeline of ``depth`` commands is handed to
``data_received`` again and again, so what is timed is exactly the server's
per-read work (parse, dispatch, handler, encode, one write) without sockets,
syscalls or the load generator. ``publish`` adds ``subscribers`` RESP2
subscriber connections and runs their drains after each read, as the event
loop would, so it times the command path plus the fan-out.

    python -m bench.hotpath [--depth 16] [--rounds 3000] [--subscribers 10] [--profile] [--ab] [TEST ...]

Prints the median µs/command over ``--repeat`` timings per test. Compare
before/after on the same machine only; the machine is shared, so repeat.
``--ab`` interleaves timings with the connection's plain branch on and off
(``Connection._plain_ready`` forced false), so both see the same load.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from typing import Any, Callable

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.net.connection import Connection


class _Loop:
    def __init__(self) -> None:
        self.ready: list[Callable[[], Any]] = []

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.ready.append(fn)

    def run(self) -> None:
        while self.ready:
            ready, self.ready = self.ready, []
            for fn in ready:
                fn()


class _Transport:
    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self.bytes += len(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


TESTS: dict[str, Callable[[int], bytes]] = {
    "set": lambda i: _cmd(b"SET", b"key:%06d" % (i % 1000), b"xxx"),
    "get": lambda i: _cmd(b"GET", b"key:%06d" % (i % 1000)),
    "incr": lambda i: _cmd(b"INCR", b"counter:rand"),
    "mset": lambda i: _cmd(b"MSET", *[w for k in range(10) for w in (b"key:%06d" % k, b"xxx")]),
    "ping": lambda i: _cmd(b"PING"),
    "publish": lambda i: _cmd(b"PUBLISH", b"chan", b"x" * 32),
}


def _setup(subscribers: int) -> tuple[Connection, _Loop]:
    config = Config()
    config.set("save", "")
    state = build_state(config)
    loop = _Loop()
    conn = Connection(state, loop)  # type: ignore[arg-type]
    conn.connection_made(_Transport())  # type: ignore[arg-type]
    for _ in range(subscribers):
        sub = Connection(state, loop)  # type: ignore[arg-type]
        sub.connection_made(_Transport())  # type: ignore[arg-type]
        sub.data_received(_cmd(b"SUBSCRIBE", b"chan"))
    loop.run()
    return conn, loop


def _general(self: Connection, client: Any) -> bool:
    return False


def measure(test: str, depth: int, rounds: int, subscribers: int, plain: bool = True) -> float:
    """µs per command for ``rounds`` reads of ``depth`` pipelined commands."""
    ready = getattr(Connection, "_plain_ready", None)  # None: a tree from before the plain branch
    if not plain and ready is not None:
        Connection._plain_ready = _general  # type: ignore[method-assign]
    try:
        return _measure(test, depth, rounds, subscribers)
    finally:
        if ready is not None:
            Connection._plain_ready = ready  # type: ignore[method-assign]


def _measure(test: str, depth: int, rounds: int, subscribers: int) -> float:
    conn, loop = _setup(subscribers if test == "publish" else 0)
    data = b"".join(TESTS[test](i) for i in range(depth))
    feed = conn.data_received
    run = loop.run
    for _ in range(50):  # warm-up
        feed(data)
        run()
    t0 = time.process_time()  # CPU time: the machine is shared, wall time counts the neighbours
    for _ in range(rounds):
        feed(data)
        run()
    return (time.process_time() - t0) / (rounds * depth) * 1e6


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hotpath")
    p.add_argument("tests", nargs="*", default=["set", "get", "incr", "mset", "publish"])
    p.add_argument("--depth", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--subscribers", type=int, default=10)
    p.add_argument("--profile", action="store_true", help="cProfile one timing per test instead")
    p.add_argument("--ab", action="store_true", help="interleave plain branch on / off")
    args = p.parse_args(argv)
    for test in args.tests:
        if args.ab:
            on: list[float] = []
            off: list[float] = []
            for _ in range(args.repeat):
                on.append(measure(test, args.depth, args.rounds, args.subscribers, True))
                off.append(measure(test, args.depth, args.rounds, args.subscribers, False))
            a, b = statistics.median(on), statistics.median(off)
            print(f"{test:8s} depth={args.depth:<4d} plain {a:6.3f} us/cmd  general {b:6.3f} us/cmd  "
                  f"ratio {b / a:.2f}x")
            continue
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            measure(test, args.depth, args.rounds, args.subscribers)
            prof.disable()
            print(f"== {test}")
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
            continue
        times = [measure(test, args.depth, args.rounds, args.subscribers) for _ in range(args.repeat)]
        print(f"{test:8s} depth={args.depth:<4d} median {statistics.median(times):6.3f} us/cmd  "
              f"(min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
