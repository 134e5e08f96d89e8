"""maxmemory: evicting keys before a command, and refusing writes when nothing can go.

Redis 7.0's ``performEvictions`` (evict.c) runs before every command while
``maxmemory`` is set: when the used memory (see :mod:`damselfly.memory`) is
over the limit it deletes keys chosen by ``maxmemory-policy`` until the
estimate is back under it, then the dispatcher refuses ``denyoom`` commands
if it could not get there (:func:`oom_check`, Redis's ``processCommand``
rule: inside MULTI every command but EXEC, DISCARD, QUIT and RESET is
refused, and EXEC is refused when a queued command is ``denyoom``).

Choosing a key is approximate, as in Redis: ``maxmemory-samples`` random keys
of each database (or of its keys with a TTL, for ``volatile-*``) are scored
and merged into a pool of the 16 best candidates kept across calls; the best
one that still exists is evicted. Scores: seconds idle (LRU, from
``db.lru``), 255 minus the decayed LFU counter (LFU, ``keyspace/lfu.py``),
nearness of the deadline (TTL). ``*-random`` takes one random key from the
next non-empty database in turn.

A dict has no random access, so :class:`RandomKeys` samples from a list of
the dict's keys taken earlier and rebuilt when an eighth of the picks found
dead keys, the dict grew by an eighth, or the evictor deleted a sixteenth of
the listed keys (at steady state as many new keys arrived, which the list
cannot offer: with a looser bound ``*-random`` evicted old keys four times
as often as new ones). Rebuilding costs 10-30 ms per million keys, once
per n/16 evictions: a fraction of a microsecond per eviction.

An eviction deletes through ``db.delete`` and signals ``db.changed(key,
"evicted", EVICTED)``, so WATCH, client tracking and keyspace notifications
see it as in Redis (which does not count it in ``rdb_changes_since_last_save``).
``maxmemory-eviction-tenacity`` bounds the time spent per call (50 us x N up
to 10, then x1.15 per step, 100 = no bound); when it runs out the rest is
evicted in later loop turns and commands are not refused meanwhile.
"""
from __future__ import annotations

import asyncio
import random
import time
from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..latency import monotonic_ms
from .database import NotifyKind
from .lfu import decayed_counter, minutes

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..commands.registry import CommandSpec
    from ..latency import LatencyMonitor
    from ..memory import MemoryTracker
    from ..state import ServerState
    from .database import Database

EVPOOL_SIZE = 16
HEAVY_WRITE = 64 * 1024  # a write this large marks its first key for measuring on its own
EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2
_TTL_BASE = 1 << 64  # volatile-ttl's score: the sooner the deadline, the higher
_MULTI_ALLOWED = frozenset({"exec", "discard", "quit", "reset"})
_random = random.random
_perf = time.perf_counter


class RandomKeys:
    """Random live keys of one dict, from a key list refreshed when too stale (see module doc)."""

    __slots__ = ("_keys", "_of", "_dead", "_size", "removed")

    def __init__(self) -> None:
        self._keys: list[Any] = []
        self._of = 0
        self._dead = 0
        self._size = 0
        # Keys the evictor deleted since the list was taken: at steady state as many new
        # keys arrived that the list does not hold, and which could never be picked.
        self.removed = 0

    def unlisted(self, d: dict) -> int:
        """About how many keys of ``d`` were added since the list was taken (the newest ones)."""
        return max(0, len(d) - self._size) if self._of == id(d) else len(d)

    def _rebuild(self, d: dict) -> list[Any]:
        keys = self._keys = list(d)
        self._of = id(d)
        self._dead = 0
        self._size = len(keys)
        self.removed = 0
        return keys

    def sample(self, d: dict, count: int) -> list[Any]:
        """Up to ``count`` random keys present in ``d`` now (repeats possible, as Redis's);
        never more than ``d`` holds, as ``dictGetSomeKeys`` (maxmemory-samples may be huge)."""
        n = len(d)
        if not n:
            return []
        if count > n:
            count = n
        keys = self._keys
        if (self._of != id(d) or not keys or self._dead * 8 > len(keys) or self.removed * 16 > len(keys)
                or n > self._size + (self._size >> 3) + 8):
            keys = self._rebuild(d)
        out = []
        tries = 0
        limit = 4 * count + 8
        rebuilt = False
        while len(out) < count:
            key = keys[int(_random() * len(keys))]
            if key in d:
                out.append(key)
            else:
                self._dead += 1
            tries += 1
            if tries >= limit:
                if out or rebuilt:
                    break
                keys = self._rebuild(d)  # mostly dead keys: start over once
                rebuilt = True
                tries = 0
        return out


def time_limit_us(tenacity: int) -> float:
    """Redis's ``evictionTimeLimitUs``: microseconds one call may spend evicting."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


class Evictor:
    """Eviction state of one server (``state.extensions["eviction"]``)."""

    __slots__ = ("state", "tracker", "pool", "samplers", "next_db", "_scheduled", "written",
                 "budget", "budget_clock", "per_cmd")

    def __init__(self, state: "ServerState", tracker: "MemoryTracker") -> None:
        self.state = state
        self.tracker = tracker
        # The eviction pool: (score, db index, key) ascending; the best candidate is last.
        self.pool: list[tuple[int, int, bytes]] = []
        self.samplers: dict[tuple[int, bool], RandomKeys] = {}
        self.next_db = 0
        self._scheduled = False
        # Argument bytes of all denyoom commands so far: data cannot grow much faster than
        # it arrives, so a burst of large values shows before the next sample (used_fast).
        self.written = 0
        # The cheap check before each command: the headroom left at the last measure, less
        # each denyoom command's argument bytes plus an average key (``per_cmd``). While it
        # is positive, within the same second of the LRU clock, the limit cannot be reached.
        self.budget = 0
        self.budget_clock = -1
        self.per_cmd = 0

    # -- used memory -----------------------------------------------------------------------
    def used_memory(self) -> int:
        """The tracker's figure, recalibrated at most ``hz`` times a second."""
        tracker = self.tracker
        now = time.monotonic()
        if now - tracker.calibrated_at >= 1.0 / self.state.config.hz:
            return tracker.calibrate(self.state, now)
        return tracker.used_fast(self.state.keyspace, self.written)

    # -- performEvictions -------------------------------------------------------------------
    def perform(self) -> int:
        """Evict until under ``maxmemory``: EVICT_OK, EVICT_RUNNING (continues later) or EVICT_FAIL."""
        state = self.state
        config = state.config
        maxmemory = config.maxmemory
        if not maxmemory or state.loading or state.pause_kind:  # isSafeToPerformEvictions
            return EVICT_OK
        ks = state.keyspace
        if self.budget > 0 and ks.lru_clock == self.budget_clock:
            return EVICT_OK
        used = self.used_memory()
        if used <= maxmemory:
            result = EVICT_OK
            self.budget = maxmemory - used
            self.budget_clock = ks.lru_clock
            self.per_cmd = int(self.tracker.per_key)
        elif config.maxmemory_policy == "noeviction":
            result = EVICT_FAIL
        else:
            monitor = state.extensions.get("latency") if config.latency_monitor_threshold else None
            started = monotonic_ms() if monitor is not None else 0
            result = self._evict(used - maxmemory, config.maxmemory_policy,
                                 time_limit_us(config.maxmemory_eviction_tenacity) / 1e6, monitor)
            if monitor is not None:  # Redis's eviction-cycle: the whole loop, in ms of the clock
                monitor.add_if_needed(b"eviction-cycle", monotonic_ms() - started)
        self._update_metrics(result)
        return result

    def _evict(self, to_free: int, policy: str, limit_s: float, monitor: "LatencyMonitor | None" = None) -> int:
        """Delete chosen keys until ``to_free`` bytes are gone or the time limit is reached.

        With a latency ``monitor`` (latency-monitor-threshold > 0), each deletion
        is timed as Redis's ``eviction-del`` event; without one nothing is timed.
        """
        state = self.state
        ks = state.keyspace
        tracker = self.tracker
        stats = state.stats
        table_share = max(0, tracker.tables - tracker.startup) // max(1, tracker.cached_keys)
        start = _perf()
        freed = 0
        evicted = 0
        while freed < to_free:
            found = self._select(policy)
            if found is None:
                return EVICT_FAIL
            db, key = found
            value = db.data.get(key)
            if value is None:  # a TTL left without its key: drop it, or it is picked forever
                db.expires.pop(key, None)
                continue
            size = tracker.entry_size(key, value) + table_share
            for sampler in (self.samplers.get((db.index, True)), self.samplers.get((db.index, False))):
                if sampler is not None:
                    sampler.removed += 1
            if monitor is None:
                deleted = db.delete(key)
            else:
                started = monotonic_ms()
                deleted = db.delete(key)
                monitor.add_if_needed(b"eviction-del", monotonic_ms() - started)
            if deleted:  # False when it had expired: gone all the same, but not evicted
                stats.evicted_keys += 1
                db.changed(key, "evicted", NotifyKind.EVICTED)
                ks.dirty -= 1  # Redis does not count evictions as changes
            tracker.forget(size)
            freed += size
            evicted += 1
            if evicted % 16 == 0 and freed < to_free and _perf() - start > limit_s:
                self._schedule()
                return EVICT_RUNNING
        return EVICT_RUNNING if self._scheduled else EVICT_OK

    def _update_metrics(self, result: int) -> None:
        """Redis's ``update_metrics``: the time spent over the limit (CONFIG RESETSTAT clears it)."""
        stats = self.state.stats
        if result != EVICT_OK:
            self.budget = 0
            if not stats.eviction_exceeded_since:
                stats.eviction_exceeded_since = time.monotonic()
        elif stats.eviction_exceeded_since:
            stats.eviction_exceeded_total += time.monotonic() - stats.eviction_exceeded_since
            stats.eviction_exceeded_since = 0.0

    def _schedule(self) -> None:
        """Redis's ``evictionTimeProc``: keep evicting in later loop turns while over the limit."""
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._scheduled = True
        loop.call_soon(self._background)

    def _background(self) -> None:
        self._scheduled = False
        self.perform()

    # -- choosing a key ------------------------------------------------------------------------
    def _sampler(self, index: int, allkeys: bool) -> RandomKeys:
        sampler = self.samplers.get((index, allkeys))
        if sampler is None:
            sampler = self.samplers[(index, allkeys)] = RandomKeys()
        return sampler

    def _select(self, policy: str) -> "tuple[Database, bytes] | None":
        allkeys = policy.startswith("allkeys")
        dbs = self.state.keyspace.dbs
        if policy.endswith("random"):
            n = len(dbs)
            for _ in range(n):
                self.next_db += 1
                db = dbs[self.next_db % n]
                source = db.data if allkeys else db.expires
                if source:
                    keys = self._sampler(db.index, allkeys).sample(source, 1)
                    if keys:
                        return db, keys[0]
            return None
        kind = policy.split("-", 1)[1]
        pool = self.pool
        while True:
            total = 0
            for db in dbs:
                source = db.data if allkeys else db.expires
                if source:
                    total += len(source)
                    self._populate(db, source, allkeys, kind)
            if not total:
                return None
            while pool:
                _, index, key = pool.pop()
                db = dbs[index]
                if key in (db.data if allkeys else db.expires):
                    return db, key

    def _populate(self, db: "Database", source: dict, allkeys: bool, kind: str) -> None:
        """Redis's ``evictionPoolPopulate``: score sampled keys, keep the 16 best."""
        ks = db.keyspace
        keys = self._sampler(db.index, allkeys).sample(source, self.state.config.maxmemory_samples)
        pool = self.pool
        lru = db.lru
        if kind == "lru":
            now = ks.lru_clock
        elif kind == "lfu":
            now_min = minutes(ks.lru_clock)
            decay = ks.lfu_decay_time
        for key in keys:
            if kind == "lru":
                score = now - lru.get(key, 0)
            elif kind == "lfu":
                word = lru.get(key)
                score = 255 - (decayed_counter(word, now_min, decay) if word is not None else 0)
            else:
                deadline = db.expires.get(key)
                if deadline is None:
                    continue
                score = _TTL_BASE - deadline
            k = bisect_left(pool, (score,))  # (s,) sorts before every (s, index, key): leftmost
            if k == 0 and len(pool) >= EVPOOL_SIZE:
                continue  # worse than every candidate of a full pool
            pool.insert(k, (score, db.index, key))
            if len(pool) > EVPOOL_SIZE:
                del pool[0]

    # -- INFO ----------------------------------------------------------------------------------
    def exceeded_ms(self) -> tuple[int, int]:
        """(total_eviction_exceeded_time, current_eviction_exceeded_time) in milliseconds."""
        stats = self.state.stats
        since = stats.eviction_exceeded_since
        current = time.monotonic() - since if since else 0.0
        return int((stats.eviction_exceeded_total + current) * 1000), int(current * 1000)


def oom_check(client: "Client", spec: "CommandSpec", argv: list[bytes]) -> None:
    """Before a command while ``maxmemory`` is set: evict, then apply Redis's OOM refusal.

    Raises the OOM error (or, for EXEC, EXECABORT with the OOM text after
    discarding the transaction) when the memory could not be brought under
    the limit and the command may not run.
    """
    server = client.server
    evictor: Evictor = server.extensions["eviction"]
    if spec.denyoom:
        size = sum(map(len, argv))
        evictor.written += size
        evictor.budget -= size + evictor.per_cmd
        if size >= HEAVY_WRITE and len(argv) > 1:
            evictor.tracker.note_heavy(client.db.index, argv[1])
    if evictor.budget > 0 and server.keyspace.lru_clock == evictor.budget_clock:
        return  # perform()'s cheap check, inlined: this runs before every command
    if evictor.perform() != EVICT_FAIL:
        return
    root = spec.parent.name if spec.parent else spec.name
    queued = client.multi
    reject = spec.denyoom
    if root == "exec" and queued and not reject:
        reject = any(s.denyoom for s, _ in queued)
    if queued is not None and root not in _MULTI_ALLOWED:
        reject = True
    if not reject:
        return
    spec.rejected_calls += 1
    raise CommandError(errors.OOM)  # an EXEC refused here is aborted by the dispatcher (EXECABORT, MONITOR)


def install(state: "ServerState") -> None:
    """The server's evictor, on the memory tracker INFO uses.

    Lowering ``maxmemory`` below the used memory starts evicting in the next
    loop turns, as Redis's ``updateMaxmemory`` starts its eviction time proc.
    """
    from ..info import tracker
    evictor = state.extensions["eviction"] = Evictor(state, tracker(state))

    def follow(name: str, value: Any) -> None:
        if name == "maxmemory":
            evictor.budget = 0  # measure again under the new limit
        if name == "maxmemory" and value:
            evictor.tracker.calibrated_at = 0.0
            if evictor.used_memory() > value:
                evictor._schedule()

    state.config.listeners.append(follow)
