"""Cursors for SCAN-style iteration, and random key sampling, over Python dicts.

Redis's SCAN walks its hash table's buckets in reverse-binary order, so a
cursor is a bucket index that survives rehashing. A Python dict offers no such
position: its iteration order is insertion order and an index shifts whenever
an earlier key is deleted. So damselfly iterates over a *snapshot*:

* ``SCAN 0`` copies the key list (``list(dict)``, a C-speed copy of
  references, about 25 ms per million keys) unless the whole list fits in one
  reply, in which case nothing is kept and the cursor returned is 0.
* The snapshot is stored in a :class:`ScanCache` under a fresh 32-bit id; the
  cursor handed out is ``id << 32 | position``. Each later call slices
  ``count`` entries from the position and the caller drops the entries that
  are no longer live. A key present from the first call to the last is in the
  snapshot and is returned exactly once; a key added meanwhile may or may not
  be (it is not), a deleted one is not, exactly SCAN's guarantees.
* When the last slice is served the snapshot is dropped.

Memory bound: the cache holds at most ``max_snapshots`` snapshots and
``max_entries`` references in total (defaults 4096 and 4 Mi, i.e. 32 MiB of
pointers plus the keys deleted since that the snapshots keep alive); beyond
either bound the least recently used snapshot is evicted, but never the one
just created, so one iteration over any keyspace always works. A cursor whose
snapshot was evicted, or that this server never issued, restarts the
iteration on a new snapshot: keys may then be returned twice (SCAN allows
duplicates) but none present throughout is missed.

The cache is generic (an ``owner`` token says what a snapshot lists), so
HSCAN/SSCAN/ZSCAN can use the same class over their containers.
"""
from __future__ import annotations

import random
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Hashable

if TYPE_CHECKING:  # pragma: no cover
    from ..state import ServerState
    from .database import Database

_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1
_ID_LIMIT = (1 << 32) - 1
MAX_CURSOR = (1 << 64) - 1


class ScanCache:
    """Snapshots of item lists, addressed by the high 32 bits of a cursor."""

    __slots__ = ("_snapshots", "_entries", "_next_id", "max_entries", "max_snapshots")

    def __init__(self, max_entries: int = 1 << 22, max_snapshots: int = 4096) -> None:
        self._snapshots: OrderedDict[int, tuple[Hashable, list[Any]]] = OrderedDict()
        self._entries = 0
        self._next_id = 0
        self.max_entries = max_entries
        self.max_snapshots = max_snapshots

    def __len__(self) -> int:
        return len(self._snapshots)

    @property
    def entries(self) -> int:
        """References held by all cached snapshots."""
        return self._entries

    def step(self, owner: Hashable, cursor: int, count: int,
             source: Callable[[], list[Any]]) -> tuple[int, list[Any]]:
        """One SCAN call: the next cursor and up to ``count`` candidate items.

        ``source`` builds the snapshot (called for cursor 0 or an unknown
        cursor). Candidates are not filtered: the caller drops dead items and
        applies MATCH/TYPE, as Redis filters after collecting.
        """
        items: list[Any] | None = None
        sid = 0
        pos = 0
        if cursor:
            sid = cursor >> _POS_BITS
            entry = self._snapshots.get(sid)
            if entry is not None and entry[0] == owner:
                self._snapshots.move_to_end(sid)
                items = entry[1]
                pos = cursor & _POS_MASK
            else:
                sid = 0
        if items is None:
            items = source()
        end = pos + count
        batch = items[pos:end]
        if end >= len(items):
            if sid:
                self._drop(sid)
            return 0, batch
        if not sid:
            sid = self._add(owner, items)
        return (sid << _POS_BITS) | end, batch

    def _add(self, owner: Hashable, items: list[Any]) -> int:
        self._next_id = self._next_id % _ID_LIMIT + 1
        sid = self._next_id
        old = self._snapshots.pop(sid, None)  # an id reused after 2**32 snapshots
        if old is not None:
            self._entries -= len(old[1])
        self._snapshots[sid] = (owner, items)
        self._entries += len(items)
        snaps = self._snapshots
        while len(snaps) > 1 and (len(snaps) > self.max_snapshots or self._entries > self.max_entries):
            _, (_, evicted) = snaps.popitem(last=False)
            self._entries -= len(evicted)
        return sid

    def _drop(self, sid: int) -> None:
        entry = self._snapshots.pop(sid, None)
        if entry is not None:
            self._entries -= len(entry[1])

    def clear(self) -> None:
        self._snapshots.clear()
        self._entries = 0


class KeySampler:
    """RANDOMKEY without an O(n) copy per call.

    A dict has no random access, so a list of a database's keys is kept and
    reused while the database still has as many keys as when the list was
    taken (any insertion or deletion changes the count, overwrites do not
    matter) and the picked keys are live; otherwise it is rebuilt. A stale
    list can only cost a retry: a key is returned only after checking that it
    is live now.
    """

    __slots__ = ("_lists",)

    def __init__(self) -> None:
        self._lists: dict[int, tuple[int, list[bytes]]] = {}

    def random_key(self, db: "Database") -> bytes | None:
        """A random live key of ``db``, or None when it has none (Redis's ``dbRandomKey``).

        A picked key that turns out expired is deleted (as Redis does) and
        another is tried; every 8 misses the list is rebuilt from live keys
        only, so a database full of expired keys costs O(n) per call, never
        O(n) per expired key.
        """
        if not db.data:
            return None
        cached = self._lists.get(db.index)
        if cached is not None and cached[0] == id(db.data) and len(cached[1]) == len(db.data):
            keys = cached[1]
        else:
            keys = self._rebuild(db)
        randrange = random.randrange
        for attempt in range(1, 33):
            if not keys:
                return None
            key = keys[randrange(len(keys))]
            if db.peek(key) is not None:
                return key
            if attempt % 8 == 0:
                keys = self._rebuild(db)
        for key in keys:  # only reached if keys keep expiring under us
            if db.peek(key) is not None:
                return key
        return None

    def _rebuild(self, db: "Database") -> list[bytes]:
        keys = list(db.data) if not db.expires else list(db.keys())
        self._lists[db.index] = (id(db.data), keys)
        return keys


class KeyspaceIteration:
    """The server's SCAN cache and RANDOMKEY sampler (``state.extensions["scan"]``)."""

    __slots__ = ("cache", "sampler")

    def __init__(self) -> None:
        self.cache = ScanCache()
        self.sampler = KeySampler()


def install(state: "ServerState") -> None:
    state.extensions["scan"] = KeyspaceIteration()


def iteration(state: "ServerState") -> KeyspaceIteration:
    """The server's iteration state, created on first use when not installed."""
    it = state.extensions.get("scan")
    if it is None:
        it = state.extensions["scan"] = KeyspaceIteration()
    return it


def parse_cursor(raw: bytes) -> int | None:
    """Redis's ``parseScanCursorOrReply`` (``strtoul``): None for an invalid cursor.

    ``strtoul`` accepts a sign (``-1`` wraps to 2**64-1) and an empty string
    (0), rejects leading spaces, trailing junk and values beyond 64 bits. It reads a
    C string, so a NUL ends the cursor.
    """
    nul = raw.find(b"\x00")
    if nul >= 0:
        raw = raw[:nul]
    if not raw:
        return 0
    if raw[0] in b" \t\n\r\x0b\x0c":
        return None
    body = raw
    negative = False
    if body[:1] in (b"+", b"-"):
        negative = body[:1] == b"-"
        body = body[1:]
    if not body.isdigit():
        return None
    value = int(body)
    if value > MAX_CURSOR:
        return None
    return (-value) & MAX_CURSOR if negative else value
