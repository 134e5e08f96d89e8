"""The fan-out load generators: one subscriber process, a few publisher processes.

They run in child processes (multiprocessing, spawn) so they do not share a
GIL with each other or with the orchestrator, and they use raw non-blocking
sockets and epoll rather than asyncio or redis-py: a load generator that is
slower than the server measures itself. Each process reports the CPU time it
used during the measured window so the report can say when one was saturated.

Control messages over the multiprocessing pipe (tuples):
  child -> parent  ("ready", info) | ("error", text) | ("done", SubscriberReport | PublisherReport)
  parent -> child  ("go", end_ns) | ("expect", published) | ("stop",)
"""

import select
import signal
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from bench.frames import (
    FrameCounter,
    TimestampSampler,
    message_header,
    timestamped_payload,
)
from bench.procstat import self_cpu_seconds
from bench.resp import encode_command

RECV_SIZE = 1 << 18
STALL_TIMEOUT = 10.0
LATENCY_SAMPLE_CAP = 500_000


@dataclass
class SubscriberReport:
    """What the subscriber process saw, sent back when the drain ends."""

    status: str
    delivered: int = 0
    min_per_subscriber: int = 0
    max_per_subscriber: int = 0
    go_ns: int = 0
    last_recv_ns: int = 0
    end_ns: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    latency: dict[str, int] = field(default_factory=dict)


@dataclass
class PublisherReport:
    """What one publisher process did during the window."""

    published: int
    start_ns: int
    stop_ns: int
    cpu_seconds: float
    wall_seconds: float
    error: str


def _quiet_child() -> None:
    """Leave Ctrl-C to the orchestrator, which stops children in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=30.0)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _latency_summary(latencies: list[int]) -> dict[str, int]:
    """Percentiles of the sampled publish-to-delivery times (nearest rank), in ns."""
    if not latencies:
        return {}
    ordered = sorted(latencies)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"samples": len(ordered), "p50_ns": at(0.50), "p90_ns": at(0.90), "p99_ns": at(0.99), "max_ns": ordered[-1]}


def _subscribe_all(host: str, port: int, channel: bytes, count: int) -> list[socket.socket]:
    """Open `count` connections and SUBSCRIBE each; return once all are confirmed."""
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel)
    request = encode_command(b"SUBSCRIBE", channel)
    socks = []
    for _ in range(count):
        sock = _connect(host, port)
        sock.sendall(request)
        socks.append(sock)
    for sock in socks:
        got = b""
        while len(got) < len(confirm):
            chunk = sock.recv(len(confirm) - len(got))
            if not chunk:
                raise ConnectionError("server closed a subscriber connection during SUBSCRIBE")
            got += chunk
        if got != confirm:
            raise ConnectionError(f"unexpected SUBSCRIBE reply {got!r}")
        sock.setblocking(False)
    return socks


def subscriber_main(
    ctrl: Connection,
    host: str,
    port: int,
    channel: bytes,
    count: int,
    payload_len: int,
    sample_latency: bool,
) -> None:
    """Hold `count` subscriptions, count deliveries, report when told to drain."""
    _quiet_child()
    try:
        socks = _subscribe_all(host, port, channel, count)
    except Exception as exc:
        ctrl.send(("error", f"subscriber setup failed: {type(exc).__name__}: {exc}"))
        return
    try:
        ctrl.send(("ready", {"subscribers": len(socks)}))
        try:
            result = _subscriber_loop(ctrl, socks, message_header(channel, payload_len), sample_latency)
        except OSError as exc:
            ctrl.send(("error", f"subscriber failed: {type(exc).__name__}: {exc}"))
            return
        if result.status != "orchestrator gone":
            ctrl.send(("done", result))
    finally:
        for sock in socks:
            sock.close()


def _subscriber_loop(
    ctrl: Connection, socks: list[socket.socket], header: bytes, sample_latency: bool
) -> SubscriberReport:
    """Read every socket until told how many messages to expect and all have arrived.

    One flat loop with local variables on purpose: at millions of deliveries
    per second, method calls and attribute lookups per read show up as
    load-generator CPU.
    """
    counters = [FrameCounter(header) for _ in socks]
    sampler = TimestampSampler(header) if sample_latency else None
    latencies: list[int] = []
    poller = select.epoll()
    index_of: dict[int, int] = {}
    for i, sock in enumerate(socks):
        poller.register(sock.fileno(), select.EPOLLIN)
        index_of[sock.fileno()] = i
    ctrl_fd = ctrl.fileno()
    poller.register(ctrl_fd, select.EPOLLIN)
    buf = bytearray(RECV_SIZE)
    view = memoryview(buf)
    total = 0
    closed: list[int] = []
    go_ns = 0
    cpu_at_go = self_cpu_seconds()
    expected_total: int | None = None
    expected_each = 0
    expect_at = 0.0
    last_recv_ns = 0
    status = "ok"
    while True:
        for fd, _event in poller.poll(0.2):
            if fd == ctrl_fd:
                try:
                    message = ctrl.recv()
                except EOFError:
                    return SubscriberReport(status="orchestrator gone")
                if message[0] == "go":
                    go_ns = time.monotonic_ns()
                    cpu_at_go = self_cpu_seconds()
                elif message[0] == "expect":
                    expected_each = int(message[1])
                    expected_total = expected_each * len(socks)
                    expect_at = time.monotonic()
                elif message[0] == "stop":
                    return SubscriberReport(status="stopped")
                continue
            i = index_of[fd]
            try:
                n = socks[i].recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                poller.unregister(fd)
                closed.append(i)
                continue
            total += counters[i].feed(buf, n)
            last_recv_ns = time.monotonic_ns()
            if sampler is not None and i == 0 and len(latencies) < LATENCY_SAMPLE_CAP:
                for stamp in sampler.feed(bytes(view[:n])):
                    latencies.append(last_recv_ns - stamp)
        if expected_total is not None:
            now = time.monotonic()
            if total >= expected_total:
                break
            if closed:
                status = f"{len(closed)} subscriber connection(s) closed by the server"
                break
            if now - max(expect_at, last_recv_ns / 1e9) > STALL_TIMEOUT:
                status = (
                    f"stalled: {total} of {expected_total} deliveries, none for {STALL_TIMEOUT:.0f} s"
                )
                break
    end_ns = time.monotonic_ns()
    cpu = self_cpu_seconds() - cpu_at_go
    counts = [c.count for c in counters]
    if status == "ok" and any(c != expected_each for c in counts):
        status = f"per-subscriber counts differ from published ({min(counts)}..{max(counts)} vs {expected_each})"
    return SubscriberReport(
        status=status,
        delivered=total,
        min_per_subscriber=min(counts),
        max_per_subscriber=max(counts),
        go_ns=go_ns,
        last_recv_ns=last_recv_ns,
        end_ns=end_ns,
        cpu_seconds=cpu,
        wall_seconds=(end_ns - go_ns) / 1e9 if go_ns else 0.0,
        latency=_latency_summary(latencies),
    )


def publisher_main(
    ctrl: Connection,
    host: str,
    port: int,
    channel: bytes,
    connections: int,
    pipeline: int,
    payload_len: int,
    stamp_payloads: bool,
) -> None:
    """Drive `connections` publishers: write `pipeline` PUBLISHes, read as many replies, repeat."""
    _quiet_child()
    try:
        socks = [_connect(host, port) for _ in range(connections)]
    except Exception as exc:
        ctrl.send(("error", f"publisher setup failed: {type(exc).__name__}: {exc}"))
        return
    try:
        ctrl.send(("ready", {"connections": len(socks)}))
        try:
            message = ctrl.recv()
        except EOFError:
            return
        if message[0] != "go":
            return
        try:
            result = _publisher_loop(socks, channel, pipeline, payload_len, stamp_payloads, int(message[1]))
        except OSError as exc:
            ctrl.send(("error", f"publisher failed: {type(exc).__name__}: {exc}"))
            return
        ctrl.send(("done", result))
    finally:
        for sock in socks:
            sock.close()


def _publisher_loop(
    socks: list[socket.socket],
    channel: bytes,
    pipeline: int,
    payload_len: int,
    stamp_payloads: bool,
    end_ns: int,
) -> PublisherReport:
    """Run until `end_ns`; every batch is fully acknowledged before the next is sent.

    Replies are integers (`:<receivers>\r\n`), so each one holds exactly one
    newline and counting b"\n" counts replies; an error reply starts with "-",
    which no integer reply here contains.
    """
    static_batch = encode_command(b"PUBLISH", channel, b"p" * payload_len) * pipeline

    def batch() -> bytes:
        if stamp_payloads:
            return encode_command(b"PUBLISH", channel, timestamped_payload(payload_len)) * pipeline
        return static_batch

    poller = select.epoll()
    pending: dict[int, int] = {}
    by_fd: dict[int, socket.socket] = {}
    cpu0 = self_cpu_seconds()
    start_ns = time.monotonic_ns()
    for sock in socks:
        poller.register(sock.fileno(), select.EPOLLIN)
        by_fd[sock.fileno()] = sock
        sock.sendall(batch())
        pending[sock.fileno()] = pipeline
    buf = bytearray(RECV_SIZE)
    published = 0
    error = ""
    active = len(socks)
    last_reply = time.monotonic()
    while active:
        events = poller.poll(1.0)
        if not events and time.monotonic() - last_reply > STALL_TIMEOUT:
            error = f"no reply to PUBLISH for {STALL_TIMEOUT:.0f} s"
            break
        for fd, _event in events:
            try:
                n = by_fd[fd].recv_into(buf)
            except OSError as exc:
                error, n = f"publisher connection failed: {exc}", 0
            if n == 0:
                error = error or "server closed a publisher connection"
                active = 0
                break
            last_reply = time.monotonic()
            dash = buf.find(b"-", 0, n)
            if dash >= 0:
                line = bytes(buf[dash : min(n, dash + 120)]).split(b"\r\n")[0]
                error = "error reply: " + line.decode(errors="replace")
                active = 0
                break
            replies = buf.count(b"\n", 0, n)
            published += replies
            left = pending[fd] - replies
            if left > 0:
                pending[fd] = left
                continue
            if time.monotonic_ns() < end_ns:
                by_fd[fd].sendall(batch())
                pending[fd] = pipeline
            else:
                pending[fd] = 0
                poller.unregister(fd)
                active -= 1
    stop_ns = time.monotonic_ns()
    return PublisherReport(
        published=published,
        start_ns=start_ns,
        stop_ns=stop_ns,
        cpu_seconds=self_cpu_seconds() - cpu0,
        wall_seconds=(stop_ns - start_ns) / 1e9,
        error=error,
    )
