"""Redis's LFU access counter (``evict.c``), kept only under a *-lfu maxmemory-policy.

Under LFU, ``db.lru[key]`` holds Redis's 24-bit word: the last decrement time
in minutes (16 bits, wrapping) shifted left by 8, and a logarithmic counter
(8 bits). A new key starts at ``LFU_INIT_VAL`` so it is not evicted at once;
each access first decays the counter by one per ``lfu-decay-time`` minutes
elapsed, then increments it with probability ``1 / ((counter - 5) * lfu-log-factor + 1)``,
so the counter grows with the logarithm of the hit count. OBJECT FREQ reports
the decayed counter without recording an access.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .database import Database

LFU_INIT_VAL = 5
_random = random.random


def minutes(clock_s: int) -> int:
    """Redis's ``LFUGetTimeInMinutes``: 16 bits of minutes, wrapping."""
    return (clock_s // 60) & 0xFFFF


def elapsed_minutes(ldt: int, now: int) -> int:
    """Redis's ``LFUTimeElapsed``, wrap-around included."""
    return now - ldt if now >= ldt else 65535 - ldt + now


def decayed_counter(word: int, now_minutes: int, decay_time: int) -> int:
    """Redis's ``LFUDecrAndReturn``: the counter after the elapsed decay periods."""
    counter = word & 0xFF
    periods = elapsed_minutes(word >> 8, now_minutes) // decay_time if decay_time else 0
    if periods:
        counter = 0 if periods > counter else counter - periods
    return counter


def log_incr(counter: int, log_factor: int) -> int:
    """Redis's ``LFULogIncr``: a probabilistic, saturating logarithmic increment."""
    if counter == 255:
        return 255
    base = counter - LFU_INIT_VAL
    if base < 0:
        base = 0
    if _random() < 1.0 / (base * log_factor + 1):
        counter += 1
    return counter


def lfu_touch(db: "Database", key: bytes) -> None:
    """An access to ``key`` (Redis's ``updateLFU``)."""
    ks = db.keyspace
    now = minutes(ks.lru_clock)
    word = db.lru.get(key)
    counter = LFU_INIT_VAL if word is None else decayed_counter(word, now, ks.lfu_decay_time)
    db.lru[key] = (now << 8) | log_incr(counter, ks.lfu_log_factor)


def lfu_stored(db: "Database", key: bytes) -> None:
    """A value stored at ``key``: a new key starts at LFU_INIT_VAL; an existing one
    counts one access, as Redis's ``setKey`` looks the key up (LOOKUP_WRITE) before
    ``dbOverwrite`` keeps its LFU word."""
    if key in db.lru:
        lfu_touch(db, key)
    else:
        db.lru[key] = (minutes(db.keyspace.lru_clock) << 8) | LFU_INIT_VAL


def frequency(db: "Database", key: bytes) -> int:
    """OBJECT FREQ: the decayed counter, without recording an access."""
    ks = db.keyspace
    word = db.lru.get(key)
    if word is None:
        return LFU_INIT_VAL
    return decayed_counter(word, minutes(ks.lru_clock), ks.lfu_decay_time)
