"""Memory figures for INFO memory, MEMORY USAGE and maxmemory, and how they are estimated.

Redis reports the bytes its allocator handed out (``used_memory``) and evicts
against that figure. A Python process has no cheap equivalent (pymalloc's
arenas hold the interpreter, modules and data alike; walking the object graph
is far too slow), and its resident size (RSS) is no use for eviction: freed
objects go back to pymalloc's free lists, not to the OS, so RSS does not fall
when keys are evicted. damselfly therefore keeps a **model** of what the
dataset and the clients occupy (see docs/design.md, "Memory accounting", for
the measurements behind the choice):

* each database costs its dict tables, sized by CPython's growth rule from the
  key count (``data``, ``lru``, ``expires``; what a dict holding that many
  keys allocates, so evicting keys lowers the figure as in Redis), plus, per
  key, the key and value objects as pymalloc rounds them: an average taken
  from random keys (:class:`~damselfly.keyspace.eviction.RandomKeys`),
  refreshed at most ``hz`` times a second and on INFO; a key with a TTL adds
  its deadline and heap entry, an LFU word its int;
* clients cost a fixed per-connection figure plus their query, reply and
  dispatch-queue bytes.

``used_memory`` = ``used_memory_startup`` (the model of the empty server) +
dataset + clients; it leaves out the interpreter itself, so ``maxmemory
20mb`` means about 20 MB of data as in Redis. ``used_memory_rss`` is the real
resident size (``/proc/self/statm``; the peak from ``getrusage`` where there
is no ``/proc``) and ``mem_fragmentation_ratio`` their ratio, large for a
small dataset as in Redis. Between two calibrations the figure moves by the
change in key count times the last average per key, or by the argument bytes
of the write commands run since if that is more (:meth:`MemoryTracker.used_fast`),
which is what the eviction check reads before every command.

MEMORY USAGE estimates one key with ``sys.getsizeof``: the key, the value and,
for a collection, the average size of up to SAMPLES elements (5 by default,
0 = all, as Redis) times the element count, plus a fixed 32 bytes for the
dictionary slot.
"""
from __future__ import annotations

import itertools
import os
import resource
import sys
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
DICT_SLOT_BYTES = 32  # a CPython dict entry (hash, key, value) plus its index slot, rounded


def rss_bytes() -> int:
    """Resident set size of this process, in bytes."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def bytes_to_human(n: int) -> str:
    """Redis's ``bytesToHuman``: B, then K/M/G/T/P with two decimals."""
    if n < 1024:
        return f"{n}B"
    for unit, power in (("K", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5)):
        if n < 1024 ** (power + 1):
            return f"{n / 1024 ** power:.2f}{unit}"
    return f"{n}B"


# -- the model -------------------------------------------------------------------------------

_SMALL = 512  # pymalloc serves requests up to this size from 16-byte size classes
_INT_BYTES = 32  # an int beyond the small-int cache (deadlines, LFU words)
_HEAP_ENTRY_BYTES = 64 + 8  # a (deadline, key) tuple and its heap-list slot
ENTRY_GUESS = 200  # bytes per key before any key was sampled (a short string key and value)
CLIENT_BYTES = 6 * 1024  # one idle connection (Client, Connection, transport, parser): RSS grew 5.9 KB each for 2,000
CALIBRATE_SAMPLES = 32  # random keys per database per calibration before a command
THOROUGH_SAMPLES = 2048  # per database for INFO (1-2 ms per database with keys; with 512, a
# mix of 14% hashes and 86% strings read +-7% from one INFO to the next)
HEAVY_BYTES = 64 * 1024  # a key this large, or 16x the average, is measured on its own
HEAVY_MAX = 1024  # heavy keys tracked per database


def alloc(nbytes: int) -> int:
    """What an object of ``nbytes`` really takes: pymalloc's 16-byte classes, or malloc's chunk."""
    if nbytes <= _SMALL:
        return (nbytes + 15) & ~15
    return (nbytes + 8 + 15) & ~15


def dict_slots(n: int) -> int:
    """CPython 3.11's table size for a dict grown by inserting ``n`` keys (usable = 2/3 of the
    size; a full table grows to the next power of two >= 3 x used)."""
    size = 8
    while (size << 1) // 3 < n:
        want = 3 * ((size << 1) // 3)
        size = 8
        while size < want:
            size <<= 1
    return size


# A table of S slots holds between S/3 and 2S/3 keys and costs S x (index width + 2/3 x 24
# bytes); averaged over that range, a key costs 3 ln 2 (2.08) times (index width + 16).
_TABLE_FACTOR = 3 * 0.6931


def dict_table_bytes(n: int) -> int:
    """A dict of ``n`` non-str keys: its header plus the amortised share of the table per key.

    The real size (``sys.getsizeof``) is a step function of ``n`` that doubles at each
    growth and does not fall when keys are deleted; the model is linear in ``n`` so that
    evicting a key lowers the figure by its share and eviction does not swing across a
    step. It is within -42%/+39% of the real size of a dict grown by insertion (1 to 300k keys).
    """
    if n == 0:
        return 64
    slots = _TABLE_FACTOR * n
    index = 1 if slots <= 0xFF else 2 if slots <= 0xFFFF else 4 if slots <= 0xFFFFFFFF else 8
    return 96 + int(n * _TABLE_FACTOR * (index + 16))


def _avg_alloc(items: Any, n: int, samples: int = 5) -> float:
    sampled = list(itertools.islice(iter(items), samples))
    if not sampled:
        return 0.0
    getsize = sys.getsizeof
    return sum(alloc(getsize(x)) for x in sampled) / len(sampled)


def object_bytes(value: Any) -> int:
    """The estimated bytes of a stored value (strings exactly; collections from 5 elements)."""
    if type(value) is bytes:
        return alloc(sys.getsizeof(value))
    if isinstance(value, dict):  # Hash: the table plus field and value objects
        n = len(value)
        if not n:
            return alloc(sys.getsizeof(value))
        pairs = list(itertools.islice(value.items(), 5))
        getsize = sys.getsizeof
        avg = sum(alloc(getsize(f)) + alloc(getsize(v)) for f, v in pairs) / len(pairs)
        return sys.getsizeof(value) + int(avg * n)
    if isinstance(value, (set, frozenset, list)) or type(value).__name__ == "LongList":
        return sys.getsizeof(value) + int(_avg_alloc(value, len(value)) * len(value))
    scores = getattr(value, "scores", None)
    if isinstance(scores, dict):  # ZSet: member -> score dict plus a SortedList of (score, member)
        n = len(scores)
        per = _avg_alloc(scores, n) + _INT_BYTES + 64 + 8  # member, float, tuple, list slot
        return sys.getsizeof(scores) + 64 + n * int(per) + (n // 1000 + 1) * 120
    return value_usage(b"", value, 5) - DICT_SLOT_BYTES


def entry_bytes(key: bytes, value: Any) -> int:
    """The key object plus the value's estimate (the dict slots are counted per table)."""
    return alloc(sys.getsizeof(key)) + object_bytes(value)


def table_bytes(db: Any, lfu: bool) -> tuple[int, int]:
    """(main, expires) table bytes of one database, as MEMORY STATS splits them.

    main: the ``data`` and ``lru`` dicts (and the LFU words); expires: the
    ``expires`` dict, each deadline and its heap entry.
    """
    e = len(db.expires)
    main = dict_table_bytes(len(db.data)) + dict_table_bytes(len(db.lru))
    if lfu:
        main += len(db.lru) * _INT_BYTES
    return main, dict_table_bytes(e) + e * (_INT_BYTES + _HEAP_ENTRY_BYTES)


class MemoryTracker:
    """The memory model of one server (``state.extensions["memory"]``).

    :meth:`calibrate` computes the whole model (tens of microseconds per
    non-empty database); :meth:`used_fast` extrapolates from the last
    calibration by the key count, for the check before every command.
    """

    __slots__ = ("startup_rss", "startup", "peak", "avg_entry", "samplers", "cached", "cached_keys",
                 "per_key", "clients", "tables", "calibrated_at", "cached_written", "heavy", "clients_at")

    def __init__(self) -> None:
        self.startup_rss = rss_bytes()
        self.startup = 0  # the model of the empty server, set by the first calibration
        self.peak = 0
        self.avg_entry: dict[int, float] = {}  # db index -> average key + value bytes
        self.samplers: dict[int, Any] = {}
        self.cached = 0
        self.cached_keys = 0
        self.per_key = float(ENTRY_GUESS)
        self.clients = 0
        self.clients_at = -1  # the LRU clock second of the last walk over the clients
        self.tables = 0
        self.calibrated_at = 0.0
        self.cached_written = 0  # the eviction check's count of bytes written, at calibration
        # db index -> key -> bytes: keys far larger than the rest, found by sampling or by a
        # large write, measured one by one at each calibration; an average taken over
        # random keys would miss one huge key among many small ones most of the time.
        self.heavy: dict[int, dict[bytes, int]] = {}

    # -- calibration -------------------------------------------------------------------
    def _measure(self, data: dict, keys: list[bytes], heavy: dict[bytes, int], hint: float) -> tuple[int, int]:
        """(bytes, count) of the sampled keys that are not heavy; heavy ones found are recorded."""
        total = count = 0
        limit = max(HEAVY_BYTES, 16 * hint)
        for k in keys:
            if k in heavy:
                continue
            size = entry_bytes(k, data[k])
            if size >= limit and len(heavy) < HEAVY_MAX:
                heavy[k] = size
                continue
            total += size
            count += 1
        return total, count

    def _sample_entries(self, db: Any, samples: int) -> float:
        """The average key + value bytes of ``db``'s keys that are not heavy."""
        from .keyspace.eviction import RandomKeys
        sampler = self.samplers.get(db.index)
        if sampler is None:
            sampler = self.samplers[db.index] = RandomKeys()
        data = db.data
        heavy = self.heavy.setdefault(db.index, {})
        old = self.avg_entry.get(db.index)
        hint = old if old is not None else float(ENTRY_GUESS)
        total, count = self._measure(data, sampler.sample(data, samples), heavy, hint)
        if not count:
            return hint
        mean = total / count
        # Keys added since the sampler's list was taken are not in it; they are the last
        # ones in the dict's order, so the newest few stand for them, weighted by their count.
        new = sampler.unlisted(data)
        if new:
            tail = list(itertools.islice(reversed(data), min(new, samples)))
            tail_total, tail_count = self._measure(data, tail, heavy, hint)
            if tail_count:
                n = len(data)
                mean = (mean * (n - new) + tail_total / tail_count * new) / n
        # A thorough sample stands alone; the quick ones (32 keys, noisy) are averaged
        # exponentially over the recent calibrations (a weight of 1/4: about 0.4 s at hz 10).
        avg = mean if old is None or samples >= THOROUGH_SAMPLES else old * 0.75 + mean * 0.25
        self.avg_entry[db.index] = avg
        return avg

    def _heavy_bytes(self, db: Any) -> tuple[int, int]:
        """(count, bytes) of ``db``'s heavy keys, each measured again (the gone ones dropped)."""
        heavy = self.heavy.get(db.index)
        if not heavy:
            return 0, 0
        data = db.data
        total = 0
        for key in list(heavy):
            value = data.get(key)
            if value is None:
                del heavy[key]
                continue
            heavy[key] = size = entry_bytes(key, value)
            total += size
        return len(heavy), total

    def note_heavy(self, index: int, key: bytes) -> None:
        """A large write to ``key`` (the eviction check saw its arguments): measure it on its own."""
        heavy = self.heavy.setdefault(index, {})
        if len(heavy) < HEAVY_MAX:
            heavy.setdefault(key, 0)

    def database_bytes(self, db: Any, lfu: bool, samples: int = CALIBRATE_SAMPLES) -> tuple[int, int]:
        """(table bytes, key and value bytes) of one database."""
        n = len(db.data)
        main, expires = table_bytes(db, lfu)
        tables = main + expires
        if not n:
            return tables, 0
        avg = self._sample_entries(db, samples)
        heavy_count, heavy_bytes = self._heavy_bytes(db)
        return tables, int(max(0, n - heavy_count) * avg) + heavy_bytes

    def client_bytes(self, state: Any) -> int:
        total = 0
        for client in state.clients.values():
            out = client.outbox
            total += CLIENT_BYTES
            if out is not None:
                total += out.output_bytes() + out.queued_bytes() + out.input_bytes()
        return total

    def calibrate(self, state: Any, now: float = 0.0, samples: int = CALIBRATE_SAMPLES) -> int:
        """Recompute the whole model; returns ``used_memory``."""
        ks = state.keyspace
        tables = entries = keys = 0
        for db in ks.dbs:
            t, d = self.database_bytes(db, ks.lfu, samples)
            tables += t
            entries += d
            keys += len(db.data)
        self.startup = len(ks.dbs) * 3 * dict_table_bytes(0)  # the empty databases' tables
        if samples >= THOROUGH_SAMPLES or ks.lru_clock != self.clients_at:
            # Once a second for the eviction check: a walk over 10k clients takes milliseconds.
            self.clients = self.client_bytes(state)
            self.clients_at = ks.lru_clock
        self.tables = tables
        used = tables + entries + self.clients
        self.cached = used
        self.cached_keys = keys
        evictor = state.extensions.get("eviction")
        self.cached_written = evictor.written if evictor is not None else 0
        heavy_count = sum(len(h) for h in self.heavy.values())
        if keys > heavy_count:  # what a new key adds on average: the heavy ones aside
            heavy_bytes = sum(sum(h.values()) for h in self.heavy.values())
            self.per_key = (used - self.startup - self.clients - heavy_bytes) / (keys - heavy_count)
        self.calibrated_at = now
        if used > self.peak:
            self.peak = used
        return used

    def used_fast(self, keyspace: Any, written: int = 0) -> int:
        """The last calibration moved by the growth since: the new keys at the average size, or
        the bytes written by denyoom commands if more (a few dict lengths)."""
        keys = sum([len(db.data) for db in keyspace.dbs])
        used = self.cached + max(int((keys - self.cached_keys) * self.per_key),
                                 written - self.cached_written)
        if used > self.peak:
            self.peak = used
        return used

    def entry_size(self, key: bytes, value: Any) -> int:
        """The bytes ``key`` holding ``value`` frees when deleted (its tables' share aside)."""
        return entry_bytes(key, value)

    def forget(self, nbytes: int) -> None:
        """One key of ``nbytes`` was evicted: lower the figure by it, not by the average."""
        self.cached -= nbytes
        self.cached_keys -= 1

    def used(self, state: Any = None) -> int:
        """``used_memory`` now: a fresh calibration of ``state`` (INFO), else the last figure."""
        if state is None:
            return self.cached
        return self.calibrate(state, self.calibrated_at, THOROUGH_SAMPLES)


def _collections(value: Any) -> list[Any]:
    """The element containers inside a stored value (the value itself, or its slots)."""
    if isinstance(value, (dict, set, frozenset, list, tuple)) or hasattr(value, "__len__") and hasattr(value, "__iter__"):
        return [value]
    found = []
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            inner = getattr(value, slot, None)
            if inner is not None and not isinstance(inner, (bytes, str, int, float, bool)) \
                    and hasattr(inner, "__len__") and hasattr(inner, "__iter__"):
                found.append(inner)
    return found


def _element_size(item: Any, container: Any) -> int:
    size = sys.getsizeof(item)
    if isinstance(container, dict):
        size += sys.getsizeof(container[item]) + DICT_SLOT_BYTES
    elif isinstance(item, tuple):
        size += sum(sys.getsizeof(part) for part in item)
    return size


def value_usage(key: bytes, value: Any, samples: int) -> int:
    """MEMORY USAGE's estimate for ``key`` holding ``value`` (``samples`` 0 = every element)."""
    total = sys.getsizeof(key) + DICT_SLOT_BYTES + sys.getsizeof(value)
    if isinstance(value, (bytes, bytearray)):
        return total
    for container in _collections(value):
        n = len(container)
        if not n:
            continue
        if container is not value:
            total += sys.getsizeof(container)
        take = n if samples == 0 else min(samples, n)
        sampled = list(itertools.islice(iter(container), take))
        avg = sum(_element_size(item, container) for item in sampled) / len(sampled)
        total += int(avg * n)
    return total
