"""One fan-out cell: one target, one pipeline depth, one repeat.

S subscriber connections on one channel (one process) and P publisher
connections (one process per `publishers_per_process`), each writing p
PUBLISHes at once and reading p replies before the next write, for
`duration` seconds. Then the cell waits until every subscriber has received
every message (delivered == published x S) or marks itself FAILED.

Around the window we read the server's CPU time from /proc, its write-type
syscalls from perf (attached before "go", stopped after the drain, so the
count covers every write the workload caused) and INFO total_writes_processed
as a cross-check.
"""

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from bench import loadgen
from bench.frames import TIMESTAMP_DIGITS
from bench.procstat import cpu_seconds
from bench.servers import ServerProcess
from bench.syscalls import PerfWriteCounter

T = TypeVar("T")
SETUP_TIMEOUT = 60.0
HOST = "127.0.0.1"


@dataclass(frozen=True)
class FanoutConfig:
    subscribers: int = 10
    publishers: int = 4
    pipelines: tuple[int, ...] = (1, 10, 100, 500)
    payload: int = 32
    duration: float = 5.0
    repeat: int = 3
    publishers_per_process: int = 2
    channel: bytes = b"fanout"

    def publisher_groups(self) -> list[int]:
        """Connections per publisher process, e.g. 4 publishers by 2 -> [2, 2]."""
        per = max(1, self.publishers_per_process)
        return [min(per, self.publishers - i) for i in range(0, self.publishers, per)]

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["channel"] = self.channel.decode()
        data["pipelines"] = list(self.pipelines)
        return data


@dataclass
class FanoutCell:
    """Raw numbers for one (target, pipeline, repeat); written to results.json as is."""

    target: str
    pipeline: int
    repeat: int
    ok: bool = False
    error: str = ""
    note: str = ""
    published: int = 0
    delivered: int = 0
    expected: int = 0
    publish_seconds: float = 0.0
    delivery_seconds: float = 0.0
    publishes_per_s: float = 0.0
    deliveries_per_s: float = 0.0
    server_cpu_pct: float = 0.0
    syscall_source: str = ""
    perf_writes: int | None = None
    info_writes: int | None = None
    syscalls_per_publish: float | None = None
    syscalls_per_delivery: float | None = None
    latency: dict[str, float] = field(default_factory=dict)
    loadgen_cpu_pct: dict[str, float] = field(default_factory=dict)


class CellError(RuntimeError):
    """A load generator failed or timed out; the cell is marked FAILED."""


class LoadGenerators:
    """The subscriber process and the publisher processes of one cell.

    Spawned fresh for every cell (spawn, not fork: the orchestrator has a
    progress thread, and a clean interpreter keeps the children small).
    `close` always stops them, also on Ctrl-C.
    """

    def __init__(self, server: ServerProcess, config: FanoutConfig, pipeline: int, latency: bool) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._children: list[tuple[BaseProcess, Connection]] = []
        self.subscriber = self._spawn(
            loadgen.subscriber_main,
            (HOST, server.port, config.channel, config.subscribers, config.payload, latency),
        )
        self.publishers = [
            self._spawn(
                loadgen.publisher_main,
                (HOST, server.port, config.channel, group, pipeline, config.payload, latency),
            )
            for group in config.publisher_groups()
        ]

    def _spawn(self, target: Callable[..., None], args: tuple[object, ...]) -> Connection:
        parent_end, child_end = self._ctx.Pipe()
        proc = self._ctx.Process(target=target, args=(child_end, *args), daemon=True)
        proc.start()
        child_end.close()
        self._children.append((proc, parent_end))
        return parent_end

    def wait_ready(self) -> None:
        receive(self.subscriber, "subscriber process", SETUP_TIMEOUT)
        for conn in self.publishers:
            receive(conn, "publisher process", SETUP_TIMEOUT)

    def go(self, end_ns: int) -> None:
        for conn in (self.subscriber, *self.publishers):
            conn.send(("go", end_ns))

    def close(self) -> None:
        for proc, conn in self._children:
            try:
                if proc.is_alive():
                    conn.send(("stop",))
            except (OSError, ValueError):
                pass
        for proc, conn in self._children:
            proc.join(2.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
        self._children.clear()

    def __enter__(self) -> "LoadGenerators":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def receive(conn: Connection, who: str, timeout: float) -> object:
    """Wait for one message from a child; error reports and silence become CellError."""
    if not conn.poll(timeout):
        raise CellError(f"{who} did not report within {timeout:.0f} s")
    try:
        kind, payload = conn.recv()
    except EOFError as exc:
        raise CellError(f"{who} exited unexpectedly") from exc
    if kind == "error":
        raise CellError(str(payload))
    return payload


def receive_report(conn: Connection, who: str, timeout: float, kind: type[T]) -> T:
    report = receive(conn, who, timeout)
    if not isinstance(report, kind):
        raise CellError(f"{who} sent {report!r} instead of a {kind.__name__}")
    return report


def run_cell(
    server: ServerProcess,
    config: FanoutConfig,
    pipeline: int,
    repeat: int,
    use_perf: bool,
    perf_dir: Path,
) -> FanoutCell:
    """Measure one cell; any failure is recorded in the returned cell, not raised."""
    cell = FanoutCell(target=server.name, pipeline=pipeline, repeat=repeat)
    latency = pipeline == 1 and config.payload >= TIMESTAMP_DIGITS
    perf: PerfWriteCounter | None = None
    try:
        with LoadGenerators(server, config, pipeline, latency) as gens:
            gens.wait_ready()
            info_before = server.info_counter("total_writes_processed")
            if use_perf:
                perf = PerfWriteCounter(server.pid, perf_dir / f"{server.name}-p{pipeline}-r{repeat}.perf")
                try:
                    perf.start()
                except RuntimeError as exc:
                    cell.note = f"perf failed for this cell, INFO counter used ({exc})"
                    perf = None
            cpu_before = cpu_seconds(server.pid)
            go_ns = time.monotonic_ns()
            gens.go(go_ns + int(config.duration * 1e9))
            pubs = [
                receive_report(conn, "publisher process", config.duration + SETUP_TIMEOUT, loadgen.PublisherReport)
                for conn in gens.publishers
            ]
            published = sum(r.published for r in pubs)
            gens.subscriber.send(("expect", published))
            sub = receive_report(
                gens.subscriber,
                "subscriber process",
                config.duration + SETUP_TIMEOUT + loadgen.STALL_TIMEOUT,
                loadgen.SubscriberReport,
            )
            drained_ns = time.monotonic_ns()
            cpu_after = cpu_seconds(server.pid)
            cell.perf_writes = perf.stop() if perf else None
            perf = None
            info_after = server.info_counter("total_writes_processed")
        if info_before is not None and info_after is not None:
            cell.info_writes = info_after - info_before
        _fill(cell, config, pubs, sub, go_ns, drained_ns, cpu_after - cpu_before)
    except (CellError, OSError) as exc:
        cell.ok = False
        cell.error = f"{exc}" if isinstance(exc, CellError) else f"{type(exc).__name__}: {exc}"
    finally:
        if perf is not None:
            perf.stop()
    return cell


def _fill(
    cell: FanoutCell,
    config: FanoutConfig,
    pubs: list[loadgen.PublisherReport],
    sub: loadgen.SubscriberReport,
    go_ns: int,
    drained_ns: int,
    server_cpu: float,
) -> None:
    """Derive rates, ratios and the verdict from the raw reports."""
    published = sum(r.published for r in pubs)
    cell.published = published
    cell.delivered = sub.delivered
    cell.expected = published * config.subscribers
    cell.publish_seconds = (max(r.stop_ns for r in pubs) - min(r.start_ns for r in pubs)) / 1e9
    cell.delivery_seconds = max(1e-9, ((sub.last_recv_ns or drained_ns) - go_ns) / 1e9)
    cell.publishes_per_s = published / cell.publish_seconds if cell.publish_seconds > 0 else 0.0
    cell.deliveries_per_s = cell.delivered / cell.delivery_seconds
    cell.server_cpu_pct = 100.0 * server_cpu / ((drained_ns - go_ns) / 1e9)
    if cell.perf_writes is not None:
        cell.syscall_source, writes = "perf", cell.perf_writes
    elif cell.info_writes is not None:
        cell.syscall_source, writes = "INFO counter", cell.info_writes
    else:
        cell.syscall_source, writes = "none", None
    if writes is not None and published:
        cell.syscalls_per_publish = writes / published
    if writes is not None and cell.delivered:
        cell.syscalls_per_delivery = writes / cell.delivered
    cell.latency = {k: float(v) for k, v in sub.latency.items()}
    cell.loadgen_cpu_pct["subscriber"] = 100.0 * sub.cpu_seconds / max(1e-9, sub.wall_seconds)
    for i, r in enumerate(pubs, 1):
        cell.loadgen_cpu_pct[f"publisher-{i}"] = 100.0 * r.cpu_seconds / max(1e-9, r.wall_seconds)
    problems = [r.error for r in pubs if r.error]
    if sub.status != "ok":
        problems.append(sub.status)
    if cell.delivered != cell.expected:
        problems.append(f"delivered {cell.delivered} != published {published} x {config.subscribers}")
    if published == 0:
        problems.append("nothing was published")
    cell.ok = not problems
    cell.error = "; ".join(problems)
