"""The texts of LATENCY GRAPH and LATENCY DOCTOR, as Redis 7.0 writes them.

Both are read by people but also compared by tools, so the wording, the
numbers' formats and the order of the advice are Redis's own. DOCTOR's
advice is keyed by event; only the events damselfly records have entries
(no ``fork``, ``aof-*`` or ``rdb-*``: damselfly does not time those steps,
so it could never report them). One advice does not depend on events: the
transparent huge pages warning, from this process's ``AnonHugePages``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import sparkline
from .latency import EventSeries

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

GRAPH_COLUMNS = 80
GRAPH_ROWS = 4

DISABLED = ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
            "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
            "If we weren't in a deep space mission I'd suggest to take a look at "
            "https://redis.io/topics/latency-monitor.\n")
NO_SPIKES = ("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
             "slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
             "things over.\n")
SPIKES_HEADER = ("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, "
                 "do you Dave?\n\n")
NO_ADVICE = ("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the "
             "Redis community to get some help, providing this report in your help request.\n")
ADVICE_HEADER = "\nI have a few advices for you:\n\n"

_SCHEDULER = (
    "- The system is slow to execute Redis code paths not containing system calls. This usually means the "
    "system does not provide Redis CPU time to run for long periods. You should try to:\n"
    "  1) Lower the system load.\n"
    "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
    "  3) Check if you have a \"noisy neighbour\" problem.\n"
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using "
    "Jemalloc. However this may create fragmentation problems.\n")
_SLOWLOG_INSPECT = ("- Check your Slow Log to understand what are the commands you are running which are too slow "
                    "to execute. Please check https://redis.io/commands/slowlog for more information.\n")
_HZ = ("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration "
       "parameter to 100 using 'CONFIG SET hz 100'.\n")
_LARGE_OBJECTS = ("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                  "operation. If you have very large objects that are often deleted, expired, or evicted, try to "
                  "fragment those objects into multiple smaller objects.\n")
_MASS_EVICTION = ("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via "
                  "sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations "
                  "(RESTORE command), may create sudden memory pressure forcing the server to block trying to "
                  "evict keys. \n")
_DISABLE_THP = ("- I detected a non zero amount of anonymous huge pages used by your process. This creates very "
                "serious latency events in different conditions, especially when Redis is persisting on disk. To "
                "disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', "
                "make sure to also add it into /etc/rc.local so that the command will be executed again after a "
                "reboot. Note that even if you have already disabled THP, you still need to restart the Redis "
                "process to get rid of the huge pages already created.\n")


def graph(event: bytes, series: EventSeries, now: int) -> str:
    """LATENCY GRAPH: a header, a rule, and the sparkline labelled with each sample's age."""
    samples = series.samples()
    latencies = [latency for _, latency in samples]
    high, low = max(latencies), min(latencies)
    points = [(float(latency), _age(now - when)) for when, latency in samples]
    head = (f"{event.decode('utf-8', 'surrogateescape')} - high {high} ms, low {low} ms "
            f"(all time high {series.max} ms)\n")
    return head + "-" * GRAPH_COLUMNS + "\n" + sparkline.render(points, GRAPH_COLUMNS, GRAPH_ROWS, fill=True)


def _age(elapsed: int) -> str:
    """How long ago, in the largest whole unit below the next (Redis's labels: ``5s``, ``2m``, ``3h``, ``1d``)."""
    if elapsed < 60:
        return f"{elapsed}s"
    if elapsed < 3600:
        return f"{elapsed // 60}m"
    if elapsed < 86400:
        return f"{elapsed // 3600}h"
    return f"{elapsed // 86400}d"


@dataclass
class EventStats:
    """Redis's ``latencyStats`` over an event's filled slots (integer arithmetic, as in C)."""

    samples: int = 0
    avg: int = 0
    mad: int = 0
    period: int = 0  # seconds from the oldest sample to now, at least 1


def analyze(series: EventSeries, now: int) -> EventStats:
    """Redis's ``analyzeLatencyForEvent``: count, average, mean absolute deviation, period."""
    samples = series.samples()
    stats = EventStats()
    if not samples:
        return stats
    stats.samples = len(samples)
    stats.avg = sum(latency for _, latency in samples) // stats.samples
    stats.period = (now - min(when for when, _ in samples)) or 1
    stats.mad = sum(abs(stats.avg - latency) for _, latency in samples) // stats.samples
    return stats


class _Advice:
    """Redis's ``advise_*`` flags and its ``advices`` counter (which also counts advice never printed)."""

    def __init__(self) -> None:
        self.count = 0
        self.given: set[str] = set()

    def add(self, *names: str) -> None:
        self.given.update(names)
        self.count += len(names)


def _advise_event(event: bytes, advice: _Advice, config: "Config") -> None:
    """The advice an event calls for, as Redis's ``createLatencyReport`` (ASCII case ignored)."""
    name = event.lower()
    if name == b"command":
        slowlog = config.slowlog_log_slower_than
        if slowlog < 0:
            advice.add("slowlog_enabled")
        elif slowlog // 1000 > config.latency_monitor_threshold:
            advice.add("slowlog_tuning")
        advice.add("slowlog_inspect", "large_objects")
    elif name == b"fast-command":
        advice.add("scheduler")
    elif name == b"expire-cycle":
        advice.add("hz", "large_objects")
    elif name == b"eviction-del":
        advice.add("large_objects")
    elif name == b"eviction-cycle":
        advice.add("mass_eviction")


def doctor(events: dict[bytes, EventSeries], config: "Config", now: int, huge_pages: int) -> str:
    """LATENCY DOCTOR's report; ``huge_pages`` is this process's AnonHugePages in bytes."""
    threshold = config.latency_monitor_threshold
    if not events and threshold == 0:
        return DISABLED
    report: list[str] = []
    advice = _Advice()
    for number, (event, series) in enumerate(events.items(), 1):
        if number == 1:
            report.append(SPIKES_HEADER)
        stats = analyze(series, now)
        report.append(
            f"{number}. {event.decode('utf-8', 'surrogateescape')}: {stats.samples} latency spikes "
            f"(average {stats.avg}ms, mean deviation {stats.mad}ms, period {stats.period / stats.samples:.2f} sec). "
            f"Worst all time event {series.max}ms.\n")
        _advise_event(event, advice, config)
    if huge_pages > 0:
        advice.add("disable_thp")
    if not events and not advice.count:
        report.append(NO_SPIKES)
    elif events and not advice.count:
        report.append(NO_ADVICE)
    else:
        report.append(ADVICE_HEADER)
        given = advice.given
        if "slowlog_enabled" in given:
            report.append(
                "- There are latency issues with potentially slow commands you are using. Try to enable the Slow "
                f"Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'. "
                "If the Slow log is disabled Redis is not able to log slow commands execution for you.\n")
        if "slowlog_tuning" in given:
            report.append(
                "- Your current Slow Log configuration only logs events that are slower than your configured "
                f"latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'.\n")
        if "slowlog_inspect" in given:
            report.append(_SLOWLOG_INSPECT)
        if "scheduler" in given:
            report.append(_SCHEDULER)
        if "hz" in given and config.hz < 100:
            report.append(_HZ)
        if "large_objects" in given:
            report.append(_LARGE_OBJECTS)
        if "mass_eviction" in given:
            report.append(_MASS_EVICTION)
        if "disable_thp" in given:
            report.append(_DISABLE_THP)
    return "".join(report)


def anon_huge_pages() -> int:
    """Bytes of transparent huge pages mapped by this process (Redis's ``THPGetAnonHugePagesSize``); 0 if unknown."""
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        try:
            with open(path, "rb") as f:
                total = 0
                for line in f:
                    if line.startswith(b"AnonHugePages:"):
                        total += int(line.split()[1]) * 1024
                return total
        except (OSError, ValueError, IndexError):
            continue
    return 0
