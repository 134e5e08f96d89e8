"""Memory figures for INFO memory and MEMORY USAGE, and how they are estimated.

Redis reports the bytes its allocator handed out (``used_memory``). A Python
process has no cheap equivalent: pymalloc's arenas, the interpreter and every
imported module share one heap, and walking the object graph is far too slow
for INFO. damselfly therefore reports the process's **resident set size**,
read from ``/proc/self/statm`` (pages × page size), as ``used_memory``:

* ``used_memory`` = ``used_memory_rss`` = resident bytes now (so
  ``mem_fragmentation_ratio`` is 1.00 by construction);
* ``used_memory_startup`` = resident bytes when the server state was built
  (interpreter, modules, empty databases);
* ``used_memory_dataset`` = ``used_memory - used_memory_startup``: what data,
  clients and buffers added since, an upper bound on the dataset because
  freed memory is not always returned to the OS;
* ``used_memory_peak`` = the largest value seen by INFO, MEMORY or the
  sampling done at startup.

Servers embedded in one process (tests, ``damselfly.Server`` threads) share
that process's figure. Where ``/proc`` is missing (not Linux), the peak RSS
from ``getrusage`` is used instead.

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


class MemoryTracker:
    """Startup and peak figures of one server (``state.extensions["memory"]``)."""

    __slots__ = ("startup", "peak")

    def __init__(self) -> None:
        self.startup = rss_bytes()
        self.peak = self.startup

    def used(self) -> int:
        used = rss_bytes()
        if used > self.peak:
            self.peak = used
        return used


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
