"""The latency monitor (Redis 7.0's latency.c): per-event time series behind LATENCY.

An *event* is a named kind of pause (``command``, ``fast-command``,
``expire-cycle``, ``eviction-del``, ``eviction-cycle``). While
``latency-monitor-threshold`` (ms) is above 0, every pause of an event that
lasts at least the threshold is recorded (Redis's
``latencyAddSampleIfNeeded``); nothing is recorded when it is 0.

Each event keeps Redis's 160-slot ring of ``(unix seconds, ms)`` samples,
at most one per second (a second pause in the same second keeps the
larger), plus the largest pause ever seen. An event exists from its first
sample until LATENCY RESET deletes it. A slot whose time is 0 is empty, as in
Redis. Event names are bytes: LATENCY HISTORY and GRAPH look them up case
sensitively, RESET ignores ASCII case, as Redis does.

Commands are timed where their duration is already measured
(``commands.dispatch.call`` and the connection's plain branch), behind one
comparison with :attr:`ServerState.record_usec`: the smaller of the SLOWLOG
and latency thresholds, kept current by the state's own config listener, so a fast
command pays nothing more than it did for SLOWLOG alone.

The report texts (LATENCY DOCTOR, GRAPH) are in :mod:`damselfly.latency_report`.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .state import ServerState

SERIES_LEN = 160  # Redis's LATENCY_TS_LEN


class EventSeries:
    """One event's ring of samples (Redis's ``latencyTimeSeries``)."""

    __slots__ = ("times", "latencies", "idx", "max")

    def __init__(self) -> None:
        self.times = [0] * SERIES_LEN
        self.latencies = [0] * SERIES_LEN
        self.idx = 0  # the slot the next sample of a new second goes to
        self.max = 0  # the largest latency ever added, even when its slot was overwritten

    def add(self, now: int, latency: int) -> None:
        """Redis's ``latencyAddSample`` for this series: one slot per second, the max of that second."""
        if latency > self.max:
            self.max = latency
        prev = (self.idx - 1) % SERIES_LEN
        if self.times[prev] == now:
            if latency > self.latencies[prev]:
                self.latencies[prev] = latency
            return
        self.times[self.idx] = now
        self.latencies[self.idx] = latency
        self.idx = (self.idx + 1) % SERIES_LEN

    def latest(self) -> tuple[int, int]:
        """The newest sample's (time, latency)."""
        prev = (self.idx - 1) % SERIES_LEN
        return self.times[prev], self.latencies[prev]

    def samples(self) -> list[tuple[int, int]]:
        """The filled slots, oldest first (LATENCY HISTORY, GRAPH)."""
        out = []
        times, latencies = self.times, self.latencies
        for j in range(SERIES_LEN):
            i = (self.idx + j) % SERIES_LEN
            if times[i]:
                out.append((times[i], latencies[i]))
        return out


class LatencyMonitor:
    """Every event's series, the threshold, and the clock (unix seconds) samples are stamped with."""

    __slots__ = ("events", "threshold_ms", "now")

    def __init__(self, now: Callable[[], int], threshold_ms: int = 0) -> None:
        self.events: dict[bytes, EventSeries] = {}
        self.threshold_ms = threshold_ms
        self.now = now

    def add_sample(self, event: bytes, latency_ms: int) -> None:
        """Record a pause whatever its length (Redis's ``latencyAddSample``)."""
        series = self.events.get(event)
        if series is None:
            series = self.events[event] = EventSeries()
        series.add(self.now(), latency_ms)

    def add_if_needed(self, event: bytes, latency_ms: int) -> None:
        """Record a pause when monitoring is on and it reaches the threshold (``latencyAddSampleIfNeeded``)."""
        threshold = self.threshold_ms
        if threshold and latency_ms >= threshold:
            self.add_sample(event, latency_ms)

    def reset(self, event: bytes | None = None) -> int:
        """Delete ``event`` (ASCII case ignored) or every event; how many were deleted."""
        if event is None:
            count = len(self.events)
            self.events.clear()
            return count
        wanted = event.lower()
        doomed = [name for name in self.events if name.lower() == wanted]
        for name in doomed:
            del self.events[name]
        return len(doomed)

    def latest(self) -> list[list[Any]]:
        """LATENCY LATEST: per event, its name, newest sample's time and latency, and all-time max."""
        out: list[list[Any]] = []
        for name, series in self.events.items():
            when, latency = series.latest()
            out.append([name, when, latency, series.max])
        return out

    def history(self, event: bytes) -> list[list[int]]:
        """LATENCY HISTORY: the event's samples as ``[time, ms]``, oldest first (none if unknown)."""
        series = self.events.get(event)
        return [] if series is None else [[when, latency] for when, latency in series.samples()]


def monotonic_ms() -> int:
    """Milliseconds of a monotonic clock: Redis times its non-command events as a difference of ``mstime()``."""
    return time.monotonic_ns() // 1_000_000


def record_usec(slowlog_usec: int, latency_ms: int) -> float:
    """The shortest command duration (us) that SLOWLOG or the latency monitor would record; inf for none.

    SLOWLOG logs at ``usec >= slowlog-log-slower-than`` when that is >= 0;
    the monitor records ``int(usec) // 1000 >= latency-monitor-threshold``
    when that is > 0, that is ``usec >= threshold * 1000``.
    """
    slow = slowlog_usec if slowlog_usec >= 0 else math.inf
    latency = latency_ms * 1000 if latency_ms > 0 else math.inf
    return min(slow, latency)


def install(state: "ServerState") -> None:
    """Create the server's monitor (``state.extensions["latency"]``) and keep the thresholds current."""
    config = state.config
    clock = state.keyspace.clock
    monitor = LatencyMonitor(lambda: clock.now_ms() // 1000, config.latency_monitor_threshold)
    state.extensions["latency"] = monitor

    def follow(name: str, value: Any) -> None:
        """CONFIG SET latency-monitor-threshold applies to the next pause (the state keeps record_usec)."""
        if name == "latency-monitor-threshold":
            monitor.threshold_ms = value

    config.listeners.append(follow)
