"""MEMORY STATS's breakdown and MEMORY DOCTOR's report, from damselfly's memory model.

Redis fills both from ``getMemoryOverheadData`` (object.c): what the
allocator handed out, split into the server's overheads and the dataset.
damselfly has no allocator count (see :mod:`damselfly.memory`); it splits
the same model INFO memory reports, so the two agree as they do in Redis
(``total.allocated`` is ``used_memory``, ``overhead.total``
``used_memory_overhead``, ``dataset.bytes`` ``used_memory_dataset``). The
fields of MEMORY STATS, in Redis 7.0.15's order, mean here:

* ``peak.allocated``, ``total.allocated``, ``startup.allocated``: the model's
  peak, current figure and empty-server figure (INFO's ``used_memory_peak``,
  ``used_memory``, ``used_memory_startup``);
* ``replication.backlog``, ``clients.slaves``, ``cluster.links``,
  ``aof.buffer``, ``lua.caches``, ``functions.caches``: 0. damselfly has no
  replication, cluster bus, AOF, scripting or functions, and these are what
  Redis reports with none of them allocated (Redis's empty function
  libraries cost it 200 bytes; damselfly has none);
* ``clients.normal``: every connection's fixed cost plus its query, reply and
  dispatch-queue bytes (INFO's ``mem_clients_normal``);
* ``db.N`` (one per database holding keys, as Redis): ``overhead.hashtable.main``
  is the growth of the ``data`` and LRU dicts (and the LFU words) beyond the
  empty database's tables counted at start-up, ``overhead.hashtable.expires``
  that of the ``expires`` dict plus each deadline and its heap entry,
  ``overhead.hashtable.slot-to-keys`` 0 (no cluster mode);
* ``overhead.total``: start-up + clients + the databases' tables;
  ``dataset.bytes`` the rest of ``total.allocated`` (keys and values);
* ``keys.count``, ``keys.bytes-per-key`` (net of start-up, as Redis),
  ``dataset.percentage`` (of the net figure), ``peak.percentage``;
* ``allocator.*`` and the ratios: what Redis reports when its allocator gives
  no statistics (a libc build: ``cronUpdateMemoryStats`` fakes them), here
  with the measured RSS: ``allocator.allocated`` is ``total.allocated``,
  ``allocator.active`` and ``allocator.resident`` the process's RSS, so
  ``allocator-fragmentation`` and ``fragmentation`` are RSS over the model
  (INFO's ``mem_fragmentation_ratio``) and ``allocator-rss`` and
  ``rss-overhead`` are 1 and 0 bytes.

Redis keeps the ratios and percentages in C ``float`` fields, so their
doubles carry float precision (99.85406494140625, not 99.854...); they are
rounded the same way here.

MEMORY DOCTOR applies Redis's rules to these figures: under 5 MB the
instance counts as empty; otherwise a peak over 150% of the current figure,
fragmentation over 1.4 and 10 MB, allocator fragmentation or RSS overhead
over 1.1 and 10 MB, and clients averaging over 200 KB are reported, each in
Redis's words. Replica buffers and cached scripts never are (damselfly has
neither).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .info import tracker
from .memory import dict_table_bytes, rss_bytes, table_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .state import ServerState

ALLOCATOR = "pymalloc"  # INFO memory's mem_allocator
EMPTY_BYTES = 5 * 1024 * 1024  # below this the doctor declines, as Redis
_TEN_MB = 10 << 20
_CLIENT_BUF_LIMIT = 200 * 1024


def _f32(value: float) -> float:
    """``value`` as a C float holds it (Redis's ratio fields), back as a double."""
    return ctypes.c_float(value).value


@dataclass(slots=True)
class Overhead:
    """Redis's ``struct redisMemOverhead`` plus the cron's allocator figures it reads."""

    peak_allocated: int
    total_allocated: int
    startup_allocated: int
    clients_normal: int
    rss: int
    dbs: list[tuple[int, int, int]] = field(default_factory=list)  # (index, main, expires)
    repl_backlog: int = 0
    clients_slaves: int = 0
    cluster_links: int = 0
    aof_buffer: int = 0
    lua_caches: int = 0
    functions_caches: int = 0
    total_keys: int = 0

    @property
    def overhead_total(self) -> int:
        return (self.startup_allocated + self.repl_backlog + self.clients_slaves + self.clients_normal
                + self.cluster_links + self.aof_buffer + self.lua_caches + self.functions_caches
                + sum(main + expires for _, main, expires in self.dbs))

    @property
    def dataset(self) -> int:
        return max(0, self.total_allocated - self.overhead_total)

    @property
    def net_usage(self) -> int:
        """The figure net of start-up; 1 when not above it, as Redis (no division by zero)."""
        net = self.total_allocated - self.startup_allocated
        return net if net > 0 else 1

    @property
    def bytes_per_key(self) -> int:
        return self.net_usage // self.total_keys if self.total_keys else 0

    @property
    def dataset_perc(self) -> float:
        return _f32(self.dataset * 100 / self.net_usage)

    @property
    def peak_perc(self) -> float:
        return _f32(self.total_allocated * 100 / self.peak_allocated) if self.peak_allocated else 0.0

    # -- allocator figures: Redis's stand-ins when the allocator reports none ---------------
    @property
    def allocator_allocated(self) -> int:
        return self.total_allocated

    @property
    def allocator_active(self) -> int:
        return self.rss

    @property
    def allocator_resident(self) -> int:
        return self.rss

    @property
    def allocator_frag(self) -> float:
        return _ratio(self.allocator_active, self.allocator_allocated)

    @property
    def allocator_frag_bytes(self) -> int:
        return self.allocator_active - self.allocator_allocated

    @property
    def allocator_rss(self) -> float:
        return _ratio(self.allocator_resident, self.allocator_active)

    @property
    def allocator_rss_bytes(self) -> int:
        return self.allocator_resident - self.allocator_active

    @property
    def rss_extra(self) -> float:
        return _ratio(self.rss, self.allocator_resident)

    @property
    def rss_extra_bytes(self) -> int:
        return self.rss - self.allocator_resident

    @property
    def total_frag(self) -> float:
        return _ratio(self.rss, self.total_allocated)

    @property
    def total_frag_bytes(self) -> int:
        return self.rss - self.total_allocated


def _ratio(num: int, den: int) -> float:
    return _f32(num / den) if den else 0.0


def overhead(state: "ServerState") -> Overhead:
    """The breakdown now: a thorough calibration of the model (as INFO memory) and the RSS."""
    mem = tracker(state)
    used = mem.used(state)
    ks = state.keyspace
    empty = dict_table_bytes(0)
    found = Overhead(peak_allocated=mem.peak, total_allocated=used, startup_allocated=mem.startup,
                     clients_normal=mem.clients, rss=rss_bytes())
    for db in ks.dbs:
        n = len(db.data)
        if not n:
            continue
        found.total_keys += n
        main, expires = table_bytes(db, ks.lfu)
        # start-up already counts each database's three empty tables
        found.dbs.append((db.index, main - 2 * empty, expires - empty))
    return found


def stats_reply(mh: Overhead) -> dict[bytes, object]:
    """MEMORY STATS: Redis 7.0.15's keys in its order (ints, C-float doubles, a map per db)."""
    out: dict[bytes, object] = {
        b"peak.allocated": mh.peak_allocated,
        b"total.allocated": mh.total_allocated,
        b"startup.allocated": mh.startup_allocated,
        b"replication.backlog": mh.repl_backlog,
        b"clients.slaves": mh.clients_slaves,
        b"clients.normal": mh.clients_normal,
        b"cluster.links": mh.cluster_links,
        b"aof.buffer": mh.aof_buffer,
        b"lua.caches": mh.lua_caches,
        b"functions.caches": mh.functions_caches,
    }
    for index, main, expires in mh.dbs:
        out[b"db.%d" % index] = {
            b"overhead.hashtable.main": main,
            b"overhead.hashtable.expires": expires,
            b"overhead.hashtable.slot-to-keys": 0,
        }
    out.update({
        b"overhead.total": mh.overhead_total,
        b"keys.count": mh.total_keys,
        b"keys.bytes-per-key": mh.bytes_per_key,
        b"dataset.bytes": mh.dataset,
        b"dataset.percentage": mh.dataset_perc,
        b"peak.percentage": mh.peak_perc,
        b"allocator.allocated": mh.allocator_allocated,
        b"allocator.active": mh.allocator_active,
        b"allocator.resident": mh.allocator_resident,
        b"allocator-fragmentation.ratio": mh.allocator_frag,
        b"allocator-fragmentation.bytes": mh.allocator_frag_bytes,
        b"allocator-rss.ratio": mh.allocator_rss,
        b"allocator-rss.bytes": mh.allocator_rss_bytes,
        b"rss-overhead.ratio": mh.rss_extra,
        b"rss-overhead.bytes": mh.rss_extra_bytes,
        b"fragmentation": mh.total_frag,
        b"fragmentation.bytes": mh.total_frag_bytes,
    })
    return out


# -- MEMORY DOCTOR: Redis 7.0.15's texts (object.c, getMemoryDoctorReport) ---------------------

_NO_ISSUES = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what"
    " occurs on this base.\n"
)
_HEADER = (
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
)
_PEAK = (
    " * Peak memory: In the past this instance used more than 150% the memory that is"
    " currently using. The allocator is normally not able to release memory after a peak,"
    " so you can expect to see a big fragmentation ratio, however this is actually harmless"
    " and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS)"
    " is currently bigger than expected, the memory will be used as soon as you fill the"
    " Redis instance with more data. If the memory peak was only occasional and you want to"
    " try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other"
    " option is to shutdown and restart the instance.\n\n"
)
_HIGH_FRAG = (
    " * High total RSS: This instance has a memory fragmentation and RSS overhead greater"
    " than 1.4 (this means that the Resident Set Size of the Redis process is much larger"
    " than the sum of the logical allocations Redis performed). This problem is usually due"
    " either to a large peak memory (check if there is a peak memory entry above in the"
    " report) or may result from a workload that causes the allocator to fragment memory a"
    " lot. If the problem is a large peak memory, then there is no issue. Otherwise, make"
    " sure you are using the Jemalloc allocator and not the default libc malloc. Note: The"
    ' currently used allocator is "{allocator}".\n\n'
)
_HIGH_ALLOC_FRAG = (
    " * High allocator fragmentation: This instance has an allocator external fragmentation"
    " greater than 1.1. This problem is usually due either to a large peak memory (check if"
    " there is a peak memory entry above in the report) or may result from a workload that"
    " causes the allocator to fragment memory a lot. You can try enabling 'activedefrag'"
    " config option.\n\n"
)
_HIGH_ALLOC_RSS = (
    " * High allocator RSS overhead: This instance has an RSS memory overhead is greater"
    " than 1.1 (this means that the Resident Set Size of the allocator is much larger than"
    " the sum what the allocator actually holds). This problem is usually due to a large"
    " peak memory (check if there is a peak memory entry above in the report), you can try"
    " the MEMORY PURGE command to reclaim it.\n\n"
)
_HIGH_PROC_RSS = (
    " * High process RSS overhead: This instance has non-allocator RSS memory overhead is"
    " greater than 1.1 (this means that the Resident Set Size of the Redis process is much"
    " larger than the RSS the allocator holds). This problem may be due to Lua scripts or"
    " Modules.\n\n"
)
_BIG_REPLICA_BUF = (
    " * Big replica buffers: The replica output buffers in this instance are greater than"
    " 10MB for each replica (on average). This likely means that there is some replica"
    " instance that is struggling receiving data, either because it is too slow or because"
    " of networking issues. As a result, data piles on the master output buffers. Please"
    " try to identify what replica is not receiving data correctly and why. You can use the"
    " INFO output in order to check the replicas delays and the CLIENT LIST command to"
    " check the output buffers of each replica.\n\n"
)
_BIG_CLIENT_BUF = (
    " * Big client buffers: The clients output buffers in this instance are greater than"
    " 200K per client (on average). This may result from different causes, like Pub/Sub"
    " clients subscribed to channels bot not receiving data fast enough, so that data piles"
    " on the Redis instance output buffer, or clients sending commands with large replies"
    " or very large sequences of commands in the same pipeline. Please use the CLIENT LIST"
    " command in order to investigate the issue if it causes problems in your instance, or"
    " to understand better why certain clients are using a big amount of memory.\n\n"
)
_MANY_SCRIPTS = (
    " * Many scripts: There seem to be many cached scripts in this instance (more than"
    " 1000). This may be because scripts are generated and `EVAL`ed, instead of being"
    " parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT"
    " FLUSH` is called periodically, the scripts' caches may end up consuming most of your"
    " memory.\n\n"
)
_CLOSING = (
    "I'm here to keep you safe, Sam. I want to help you.\n"
)
_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector"
    " can't be used in these conditions. Please, leave for your mission on Earth and fill"
    " it with some data. The new Sam and I will be back to our programming as soon as I"
    " finished rebooting.\n"
)


def doctor_report(mh: Overhead, clients: int, replicas: int = 0, scripts: int = 0) -> str:
    """Redis's memory doctor over ``mh``; ``clients`` counts every connection, replicas included."""
    if mh.total_allocated < EMPTY_BYTES:
        return _EMPTY
    found = []
    if mh.peak_allocated and _f32(mh.peak_allocated / mh.total_allocated) > 1.5:
        found.append(_PEAK)
    if mh.total_frag > 1.4 and mh.total_frag_bytes > _TEN_MB:
        found.append(_HIGH_FRAG.format(allocator=ALLOCATOR))
    if mh.allocator_frag > 1.1 and mh.allocator_frag_bytes > _TEN_MB:
        found.append(_HIGH_ALLOC_FRAG)
    if mh.allocator_rss > 1.1 and mh.allocator_rss_bytes > _TEN_MB:
        found.append(_HIGH_ALLOC_RSS)
    if mh.rss_extra > 1.1 and mh.rss_extra_bytes > _TEN_MB:
        found.append(_HIGH_PROC_RSS)
    big_replicas = replicas > 0 and mh.clients_slaves > _TEN_MB
    if big_replicas:  # Redis prints the replicas' paragraph before the clients'
        found.append(_BIG_REPLICA_BUF)
    if mh.clients_normal // max(1, clients - replicas) > _CLIENT_BUF_LIMIT:
        found.append(_BIG_CLIENT_BUF)
    if scripts > 1000:
        found.append(_MANY_SCRIPTS)
    if not found:
        return _NO_ISSUES
    return _HEADER + "".join(found) + _CLOSING
