"""INFO: the sections, their fields under Redis 7.0's names, and section selection.

Selection follows Redis 7.0's ``genInfoSectionDict``: no argument or
``default`` gives every section but ``commandstats``; ``all`` and
``everything`` add it; other words name sections (case-insensitive, unknown
ones ignored) and the output keeps Redis's section order, not the argument
order. Sections are joined by a blank line, every field ends with CRLF.

Fields Redis has but damselfly cannot fill truthfully are left out rather
than invented (``atomicvar_api``, ``gcc_version``, the allocator's own
figures, ``repl_backlog_size``, the instantaneous kbps rates, latency
percentiles); ``damselfly_version`` and the control-path counters of
docs/design.md (``dispatch_queue_bytes``, ``dispatch_queue_peak_bytes``,
``control_batches``, ``control_messages``) are damselfly's own additions.
Memory figures are estimates: see :mod:`damselfly.memory` for the method.

Subsystems extend a section without editing this module by registering a
provider: ``state.extensions.setdefault("info_providers", {})[section]``
holds callables returning ``(name, value)`` pairs appended to that section.
"""
from __future__ import annotations

import asyncio
import os
import platform
import resource
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .memory import MemoryTracker, bytes_to_human, rss_bytes, total_system_memory

if TYPE_CHECKING:  # pragma: no cover
    from .state import ServerState

Fields = list[tuple[str, Any]]

SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
            "commandstats", "errorstats", "cluster", "keyspace")
DEFAULT_SECTIONS = frozenset(SECTIONS) - {"commandstats"}
_TITLES = {"cpu": "CPU"}
LRU_CLOCK_MAX = (1 << 24) - 1


def select_sections(args: Iterable[bytes]) -> list[str]:
    """The sections INFO ``args`` ask for, in output order."""
    wanted: set[str] = set()
    given = False
    for raw in args:
        given = True
        word = raw.decode("utf-8", "replace").lower()
        if word in ("all", "everything"):
            wanted.update(SECTIONS)
        elif word == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif word in SECTIONS:
            wanted.add(word)
    if not given:
        wanted = set(DEFAULT_SECTIONS)
    return [s for s in SECTIONS if s in wanted]


def render(state: "ServerState", args: Iterable[bytes] = ()) -> str:
    """The INFO text for ``args`` (section names)."""
    parts = []
    for section in select_sections(args):
        fields = _BUILDERS[section](state)
        providers = state.extensions.get("info_providers", {}).get(section, ())
        for provider in providers:
            fields.extend(provider())
        title = _TITLES.get(section, section.capitalize())
        parts.append(f"# {title}\r\n" + "".join(f"{k}:{_fmt(v)}\r\n" for k, v in fields))
    return "\r\n".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def tracker(state: "ServerState") -> MemoryTracker:
    mem = state.extensions.get("memory")
    if mem is None:
        mem = state.extensions["memory"] = MemoryTracker()
    return mem


# -- sections ------------------------------------------------------------------------------

def _multiplexing_api() -> str:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None and type(loop).__module__.startswith("uvloop"):
        return "epoll" if sys.platform.startswith("linux") else "kqueue"
    selector = getattr(loop, "_selector", None)
    name = type(selector).__name__.lower() if selector is not None else ""
    for api in ("epoll", "kqueue", "poll", "select"):
        if api in name:
            return api
    return "epoll" if sys.platform.startswith("linux") else "select"


def _executable(state: "ServerState") -> str:
    if state.executable:
        return state.executable
    return os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""


def server_fields(state: "ServerState") -> Fields:
    from . import REDIS_COMPAT_VERSION, __version__
    now = time.time()
    uptime = int(state.uptime())
    uname = platform.uname()
    config = state.config
    return [
        ("redis_version", REDIS_COMPAT_VERSION),
        ("damselfly_version", __version__),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", _multiplexing_api()),
        ("python_version", platform.python_version()),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", state.run_id),
        ("tcp_port", state.tcp_port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", config.hz),
        ("configured_hz", config.hz),
        ("lru_clock", int(now) & LRU_CLOCK_MAX),
        ("executable", _executable(state)),
        ("config_file", getattr(config, "file", "") or state.config_file),
        ("io_threads_active", 0),
    ]


def client_fields(state: "ServerState") -> Fields:
    from .commands.client_list import live_clients
    clients = list(live_clients(state))
    max_in = max_out = 0
    for c in clients:
        if c.outbox is not None:
            max_in = max(max_in, c.outbox.input_bytes())
            max_out = max(max_out, c.outbox.output_bytes() + c.outbox.queued_bytes())
    blocking = state.extensions.get("blocking")
    tracking = state.extensions.get("tracking")
    return [
        ("connected_clients", len(clients)),
        ("cluster_connections", 0),
        ("maxclients", state.config.maxclients),
        ("client_recent_max_input_buffer", max_in),
        ("client_recent_max_output_buffer", max_out),
        ("blocked_clients", blocking.blocked_clients if blocking is not None else 0),
        ("tracking_clients", tracking.clients_count if tracking is not None else 0),
        ("clients_in_timeout_table", blocking.clients_in_timeout_table if blocking is not None else 0),
    ]


def memory_fields(state: "ServerState") -> Fields:
    """Redis 7.0's memory fields from the model of :mod:`damselfly.memory` (RSS is measured).

    ``used_memory_overhead`` is the databases' dict tables plus the clients
    (Redis counts its dict overhead and client buffers there too), so
    ``used_memory_dataset`` is the key and value objects.
    """
    mem = tracker(state)
    used = mem.used(state)
    rss = rss_bytes()
    overhead = mem.tables + mem.clients
    dataset = max(0, used - overhead)
    net = used - mem.startup
    system = total_system_memory()
    maxmemory = state.config.maxmemory
    return [
        ("used_memory", used),
        ("used_memory_human", bytes_to_human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", bytes_to_human(rss)),
        ("used_memory_peak", mem.peak),
        ("used_memory_peak_human", bytes_to_human(mem.peak)),
        ("used_memory_peak_perc", f"{100.0 * used / mem.peak if mem.peak else 0.0:.2f}%"),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", mem.startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", f"{100.0 * dataset / net if net > 0 else 0.0:.2f}%"),
        ("total_system_memory", system),
        ("total_system_memory_human", bytes_to_human(system)),
        ("maxmemory", maxmemory),
        ("maxmemory_human", bytes_to_human(maxmemory)),
        ("maxmemory_policy", state.config.maxmemory_policy),
        ("mem_fragmentation_ratio", rss / used if used else 0.0),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", mem.clients),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "pymalloc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def persistence_fields(state: "ServerState") -> Fields:
    persistence = state.extensions.get("persistence")
    if persistence is not None and hasattr(persistence, "info_fields"):
        fields = list(persistence.info_fields())
    else:
        fields = [
            ("loading", int(bool(state.loading))),
            ("rdb_changes_since_last_save", state.keyspace.dirty),
            ("rdb_bgsave_in_progress", 0),
            ("rdb_last_save_time", state.lastsave),
        ]
    fields.extend([
        ("aof_enabled", 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ])
    return fields


def stats_fields(state: "ServerState") -> Fields:
    stats = state.stats
    ks = state.keyspace
    pubsub = state.extensions.get("pubsub")
    tracking = state.extensions.get("tracking")
    persistence = state.extensions.get("persistence")
    return [
        ("total_connections_received", stats.total_connections_received),
        ("total_commands_processed", stats.total_commands_processed),
        ("instantaneous_ops_per_sec", stats.instantaneous_ops_per_sec),
        ("total_net_input_bytes", stats.total_net_input_bytes),
        ("total_net_output_bytes", stats.total_net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", ks.expired_keys),
        ("expired_stale_perc", float(getattr(ks, "expired_stale_perc", 0.0))),
        ("expired_time_cap_reached_count", ks.expired_time_cap_reached_count),
        ("evicted_keys", stats.evicted_keys),
        ("evicted_clients", 0),
        *_eviction_times(state),
        ("keyspace_hits", ks.keyspace_hits),
        ("keyspace_misses", ks.keyspace_misses),
        ("pubsub_channels", len(pubsub.channels) if pubsub is not None else 0),
        ("pubsub_patterns", len(pubsub.patterns) if pubsub is not None else 0),
        ("pubsubshard_channels", len(pubsub.shard_channels) if pubsub is not None else 0),
        ("pubsub_clients", pubsub.clients() if pubsub is not None else 0),
        ("latest_fork_usec", getattr(persistence, "latest_fork_usec", 0)),
        ("total_forks", getattr(persistence, "total_forks", 0)),
        ("tracking_total_keys", tracking.total_keys if tracking is not None else 0),
        ("tracking_total_items", getattr(tracking, "total_items", 0) if tracking is not None else 0),
        ("tracking_total_prefixes", tracking.total_prefixes if tracking is not None else 0),
        ("unexpected_error_replies", stats.unexpected_error_replies),
        ("total_error_replies", stats.total_error_replies),
        ("total_reads_processed", stats.total_reads_processed),
        ("total_writes_processed", stats.total_writes_processed),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("client_query_buffer_limit_disconnections", stats.client_query_buffer_limit_disconnections),
        ("client_output_buffer_limit_disconnections", stats.client_output_buffer_limit_disconnections),
        ("dispatch_queue_bytes", stats.dispatch_queue_bytes),
        ("dispatch_queue_peak_bytes", stats.dispatch_queue_peak_bytes),
        ("control_batches", stats.control_batches),
        ("control_messages", stats.control_messages),
    ]


def _eviction_times(state: "ServerState") -> Fields:
    evictor = state.extensions.get("eviction")
    total, current = evictor.exceeded_ms() if evictor is not None else (0, 0)
    return [("total_eviction_exceeded_time", total), ("current_eviction_exceeded_time", current)]


def replication_fields(state: "ServerState") -> Fields:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", state.extensions.setdefault("master_replid", os.urandom(20).hex())),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def cpu_fields(state: "ServerState") -> Fields:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", f"{me.ru_stime:.6f}"),
        ("used_cpu_user", f"{me.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{thread.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{thread.ru_utime:.6f}"),
    ]


def commandstats_fields(state: "ServerState") -> Fields:
    """``cmdstat_<name>`` for every command or subcommand called, rejected or failed.

    ``CommandSpec.usec`` accumulates microseconds as a float; Redis reports
    whole ones.
    """
    fields: Fields = []
    if state.table is None:
        return fields
    for spec in state.table.all_specs():
        if not (spec.calls or spec.rejected_calls or spec.failed_calls):
            continue
        usec = int(spec.usec)
        per_call = usec / spec.calls if spec.calls else 0.0
        fields.append((f"cmdstat_{spec.full_name}",
                       f"calls={spec.calls},usec={usec},usec_per_call={per_call:.2f},"
                       f"rejected_calls={spec.rejected_calls},failed_calls={spec.failed_calls}"))
    return fields


def errorstats_fields(state: "ServerState") -> Fields:
    """``errorstat_<CODE>:count=N``, sorted by code as Redis's rax is."""
    return [(f"errorstat_{code}", f"count={count}") for code, count in sorted(state.stats.errorstats.items())]


def keyspace_fields(state: "ServerState") -> Fields:
    """``dbN:keys=..,expires=..,avg_ttl=..`` for each non-empty database.

    ``avg_ttl`` (ms) averages the remaining TTL of up to 1024 keys with one;
    Redis also estimates it, from the keys its expiry cycle samples.
    """
    fields: Fields = []
    now = state.keyspace.clock.now_ms()
    for db in state.keyspace.dbs:
        keys = len(db.data)
        if not keys:
            continue
        expires = len(db.expires)
        avg = 0
        if expires:
            sample = [d - now for _, d in zip(range(1024), db.expires.values()) if d > now]
            avg = sum(sample) // len(sample) if sample else 0
        fields.append((f"db{db.index}", f"keys={keys},expires={expires},avg_ttl={avg}"))
    return fields


_BUILDERS: dict[str, Callable[["ServerState"], Fields]] = {
    "server": server_fields,
    "clients": client_fields,
    "memory": memory_fields,
    "persistence": persistence_fields,
    "stats": stats_fields,
    "replication": replication_fields,
    "cpu": cpu_fields,
    "modules": lambda state: [],
    "commandstats": commandstats_fields,
    "errorstats": errorstats_fields,
    "cluster": lambda state: [("cluster_enabled", 0)],
    "keyspace": keyspace_fields,
}


def install(state: "ServerState") -> None:
    """Record the process's resident size now, while the server holds no data."""
    tracker(state)
