"""glibc malloc settings for a server that owns its process.

A string that grows by APPEND, SETRANGE or SETBIT is copied into a new
``bytes`` each time (docs/design.md, Keyspace). Past 128 KiB glibc serves each
copy with mmap and raises its dynamic mmap threshold to the size of the block
just freed, which the next copy exceeds by the appended bytes; and a copy
served from the heap is trimmed back to the system when freed. Either way
every APPEND faults in fresh pages. Fixing the mmap threshold at 4 MiB and
the trim threshold at twice that keeps such values in the heap, where a
freed copy's space is reused by the next one. Measured with ``python -m
bench.append`` (100,000 appends of 10 bytes to one key, standalone server):
default 16.5 s, these thresholds 2.0 s; either threshold alone changes
nothing. glibc's own 32 MiB ceiling was tried first: APPEND was no faster
with it, but below it every dict table of the keyspace comes from the heap,
and each table a growing dict frees stays resident as a hole (1,000,000 small
keys, ``python -m bench memory``: 229 bytes a key untuned, 256 at 32 MiB,
235 at 4 MiB). Values over 4 MiB that keep growing go back to mmap; the cost
of the choice is up to 8 MiB of freed memory kept at the top of the heap.

Only the standalone server applies it (``app.run``); an embedded server
runs in its host's process, whose allocator is not ours to tune.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("damselfly")

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


def tune_malloc() -> bool:
    """Fix glibc's mmap and trim thresholds; False where the C library is not glibc or refuses."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    if not ok:
        log.debug("mallopt refused the mmap or trim threshold")
    return ok


def trim_malloc() -> bool:
    """glibc's ``malloc_trim(0)``: give the free pages of every arena back to the system.

    MEMORY PURGE's work (Redis asks jemalloc to purge its dirty pages). The
    process's own symbols are searched (``CDLL(None)``) rather than
    ``find_library``, which runs ``ldconfig`` in a subprocess. True if memory
    was released; False if none was, or where the C library has no
    ``malloc_trim`` (musl, macOS).
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim(0) == 1
