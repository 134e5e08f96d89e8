"""Server-wide state that command handlers may read and change.

One :class:`ServerState` per server: configuration, the keyspace, the command
table, connected clients, statistics and the control-path registries. It has
no sockets; the network layer owns a reference to it.
"""
from __future__ import annotations

import os
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from .config import Config
from .keyspace import Clock, Keyspace
from .latency import record_usec

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .commands.registry import CommandTable


class Stats:
    """Counters reported by INFO (Redis's names)."""

    __slots__ = (
        "total_connections_received", "total_commands_processed", "rejected_connections",
        "total_reads_processed", "total_writes_processed", "total_net_input_bytes",
        "total_net_output_bytes", "errorstats", "total_error_replies",
        "client_output_buffer_limit_disconnections", "client_query_buffer_limit_disconnections",
        "dispatch_queue_bytes", "dispatch_queue_peak_bytes", "control_batches", "control_messages",
        "evicted_keys", "unexpected_error_replies", "ops_samples", "_last_ops", "_last_ops_time",
        "eviction_exceeded_total", "eviction_exceeded_since",
    )

    def __init__(self) -> None:
        self.dispatch_queue_bytes = 0  # a gauge (bytes queued right now): reset() leaves it alone
        self.reset()
        self.ops_samples: deque[float] = deque(maxlen=16)
        self._last_ops = 0
        self._last_ops_time = time.monotonic()

    def reset(self) -> None:
        """CONFIG RESETSTAT: zero the counters; the peak restarts from the current gauge."""
        self.total_connections_received = 0
        self.total_commands_processed = 0
        self.rejected_connections = 0
        self.total_reads_processed = 0
        self.total_writes_processed = 0
        self.total_net_input_bytes = 0
        self.total_net_output_bytes = 0
        self.errorstats: dict[str, int] = {}
        self.total_error_replies = 0
        self.client_output_buffer_limit_disconnections = 0
        self.client_query_buffer_limit_disconnections = 0
        self.dispatch_queue_peak_bytes = self.dispatch_queue_bytes
        self.control_batches = 0
        self.control_messages = 0
        self.evicted_keys = 0
        # Time over maxmemory (keyspace/eviction.py): seconds in finished periods, and the
        # monotonic start of the current one (0.0 when under the limit).
        self.eviction_exceeded_total = 0.0
        self.eviction_exceeded_since = 0.0
        self.unexpected_error_replies = 0

    def sample_ops(self) -> None:
        now = time.monotonic()
        dt = now - self._last_ops_time
        if dt > 0:
            self.ops_samples.append((self.total_commands_processed - self._last_ops) / dt)
        self._last_ops = self.total_commands_processed
        self._last_ops_time = now

    @property
    def instantaneous_ops_per_sec(self) -> int:
        return int(sum(self.ops_samples) / len(self.ops_samples)) if self.ops_samples else 0


def _trim_arg(arg: bytes) -> bytes:
    if len(arg) > 128:
        return arg[:128] + b"... (%d more bytes)" % (len(arg) - 128)
    return arg


class SlowlogEntry:
    __slots__ = ("id", "timestamp", "duration_us", "argv", "addr", "name")

    def __init__(self, entry_id: int, duration_us: int, argv: list[bytes], addr: str, name: bytes) -> None:
        self.id = entry_id
        self.timestamp = int(time.time())
        self.duration_us = duration_us
        if len(argv) > 32:
            shown = [_trim_arg(a) for a in argv[:31]]
            shown.append(b"... (%d more arguments)" % (len(argv) - 31))
        else:
            shown = [_trim_arg(a) for a in argv]
        self.argv = shown
        self.addr = addr
        self.name = name


class ServerState:
    """Everything a handler can reach through ``client.server``."""

    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.config = config or Config()
        self.keyspace = Keyspace(self.config.databases, clock)
        self.stats = Stats()
        self.clients: dict[int, "Client"] = {}
        self._next_client_id = 1
        self.table: "CommandTable | None" = None
        self.start_time = time.time()
        self.start_monotonic = time.monotonic()
        self.run_id = os.urandom(20).hex()
        self.pid = os.getpid()
        self.tcp_port = self.config.port
        self.executable = ""
        self.config_file = ""
        self.shutdown_requested: Callable[[bool | None], None] | None = None
        self.lastsave = int(time.time())
        # The MISCONF error text while snapshots fail and stop-writes-on-bgsave-error
        # is on (set by persistence); the dispatcher refuses writes when not None.
        self.write_error: str | None = None
        self.extensions: dict[str, Any] = {}  # control-path and other subsystems by name
        self.after_command_hooks: list[Callable[["Client"], None]] = []
        # Subsystems that hold per-client state register cleanup here
        # (pub/sub, tracking, blocking, WATCH): run when a client goes away or RESETs.
        self.disconnect_hooks: list[Callable[["Client"], None]] = []
        self.paused_until = 0.0
        self.pause_kind = ""  # "" | "write" | "all"
        self.loading = False
        self.slowlog: deque = deque(maxlen=self.config.slowlog_max_len or None)
        self.slowlog_next_id = 0
        # The shortest command duration (us) that SLOWLOG or the latency monitor records,
        # inf for none: the dispatcher compares each command's usec with this one number
        # (kept current on CONFIG SET by _follow_record_thresholds).
        self.record_usec: float = record_usec(self.config.slowlog_log_slower_than,
                                              self.config.latency_monitor_threshold)
        self.config.listeners.append(self._follow_record_thresholds)
        self.monitors: list["Client"] = []
        # The client whose command is executing, None between commands (Redis's
        # server.current_client): tracking sends a client's own invalidations after its reply.
        self.current_client: "Client | None" = None

    def _follow_record_thresholds(self, name: str, value: Any) -> None:
        """CONFIG SET of either threshold applies to the next command (SLOWLOG needs no subsystem)."""
        if name in ("slowlog-log-slower-than", "latency-monitor-threshold"):
            self.record_usec = record_usec(self.config.slowlog_log_slower_than,
                                           self.config.latency_monitor_threshold)

    def auth_required(self) -> bool:
        acl = self.extensions.get("acl")
        if acl is not None:
            return acl.auth_required()
        return bool(self.config.requirepass)

    def next_client_id(self) -> int:
        cid = self._next_client_id
        self._next_client_id += 1
        return cid

    def uptime(self) -> float:
        return time.monotonic() - self.start_monotonic

    def slowlog_add(self, client: "Client", argv: list[bytes], duration_us: int) -> None:
        """Record a slow command (SLOWLOG GET shows newest first)."""
        maxlen = self.config.slowlog_max_len
        if maxlen <= 0:
            return
        if self.slowlog.maxlen != maxlen:
            self.slowlog = deque(self.slowlog, maxlen=maxlen)
        argv = self.redact(argv)
        self.slowlog.appendleft(SlowlogEntry(self.slowlog_next_id, duration_us, argv, client.addr, client.name))
        self.slowlog_next_id += 1


    def redact(self, argv: list[bytes]) -> list[bytes]:
        """Hide secrets from SLOWLOG and MONITOR (AUTH, HELLO AUTH, CONFIG SET requirepass...)."""
        name = argv[0].lower()
        if name == b"auth":
            return [argv[0]] + [b"(redacted)"] * (len(argv) - 1)
        if name == b"hello":
            out = list(argv)
            for i, a in enumerate(argv):
                if a.lower() == b"auth" and i + 2 < len(argv) + 0:
                    if i + 1 < len(out):
                        out[i + 1] = b"(redacted)"
                    if i + 2 < len(out):
                        out[i + 2] = b"(redacted)"
            return out
        if name == b"acl" and len(argv) > 2 and argv[1].lower() == b"setuser":
            return argv[:2] + [b"(redacted)"] * (len(argv) - 2)  # Redis 7.0 hides the whole rule list
        if name == b"config" and len(argv) > 2 and argv[1].lower() == b"set":
            out = list(argv)
            for i in range(2, len(argv) - 1, 2):
                if argv[i].lower() in (b"requirepass", b"masterauth"):
                    out[i + 1] = b"(redacted)"
            return out
        return argv


    def feed_monitors(self, client: "Client", argv: list[bytes]) -> None:
        from .control.monitor import feed_monitors
        feed_monitors(self, client, self.redact(argv))
