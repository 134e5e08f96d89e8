"""Databases of binary-safe keys with lazy and active expiry.

Values are stored as the Python object of their type, so a type check is one
``type(v) is ...``: ``bytes`` (string), :class:`~damselfly.keyspace.types`
containers for the other types. Expiry times live in a separate dict (most
keys have none) plus a heap that orders them, so the active cycle reclaims
expired keys in deadline order without scanning (Redis samples randomly
because its dict has no order; a heap gives the same bound with no misses).

Every change goes through one hook, :meth:`Database.changed`, which command
handlers call with the key and Redis's event name. It fans out to WATCH,
client-side-caching invalidation and keyspace notifications, whichever are
active; when none is, it costs one attribute test.

Key creation is the exception: Redis's ``new`` event (flag ``n``) comes from
``dbAdd`` and is a notification only, which WATCH, tracking and the dirty
counter never see. So :meth:`Database.set` calls ``Keyspace.on_new`` directly
when it creates a key; the notifications subsystem keeps that attribute None
unless someone listens for ``n``, so a write pays one attribute test for it.
"""
from __future__ import annotations

import enum
import heapq
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .clock import Clock, SystemClock
from .lfu import lfu_stored, lfu_touch

if TYPE_CHECKING:  # pragma: no cover
    pass


class NotifyKind(enum.IntFlag):
    """Keyspace-notification classes (the letters of notify-keyspace-events)."""

    KEYSPACE = 1 << 0   # K
    KEYEVENT = 1 << 1   # E
    GENERIC = 1 << 2    # g
    STRING = 1 << 3     # $
    LIST = 1 << 4       # l
    SET = 1 << 5        # s
    HASH = 1 << 6       # h
    ZSET = 1 << 7       # z
    EXPIRED = 1 << 8    # x
    EVICTED = 1 << 9    # e
    STREAM = 1 << 10    # t
    KEY_MISS = 1 << 11  # m
    MODULE = 1 << 12    # d
    NEW = 1 << 13       # n


ChangeListener = Callable[["Database", bytes, str, int], None]
NewKeyHook = Callable[["Database", bytes], None]


class Keyspace:
    """All databases plus the listeners that want to hear about changes.

    ``listeners`` is empty unless WATCH, tracking or notifications are in use,
    so the common write pays only for the emptiness test.
    """

    def __init__(self, count: int = 16, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.listeners: list[ChangeListener] = []
        # Called with (db, key) when Database.set creates a key (Redis's dbAdd and
        # its "new" event); None unless notify-keyspace-events asks for n.
        self.on_new: NewKeyHook | None = None
        # Called with (emptied, replaced_with) just before a database's contents go
        # away wholesale: (db, None) for a flush, both orders for SWAPDB. Redis's
        # touchAllWatchedKeysInDb call sites: WATCH needs to see what existed.
        self.replace_hooks: list[Callable[["Database", "Database | None"], None]] = []
        self.dbs = [Database(i, self) for i in range(count)]
        self.dirty = 0  # changes since the last save (rdb_changes_since_last_save)
        self.expired_keys = 0
        self.expired_stale_perc = 0.0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        # Access clock for OBJECT IDLETIME/FREQ: seconds, refreshed by the cron
        # (active_expire_cycle) so a lookup reads one attribute, as Redis's
        # cached ``server.lruclock``. ``lfu`` is on under a *-lfu maxmemory-policy;
        # ``db.lru`` then holds Redis's (minutes << 8 | counter) words instead.
        self.lru_clock = self.clock.now_ms() // 1000
        self.lfu = False
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1

    def add_listener(self, fn: ChangeListener) -> None:
        if fn not in self.listeners:
            self.listeners.append(fn)

    def remove_listener(self, fn: ChangeListener) -> None:
        if fn in self.listeners:
            self.listeners.remove(fn)

    def swap(self, a: int, b: int) -> None:
        """SWAPDB: exchange contents; database objects keep their index."""
        da, db = self.dbs[a], self.dbs[b]
        for fn in self.replace_hooks:
            fn(da, db)
            fn(db, da)
        for attr in ("data", "expires", "_heap", "lru", "str_encodings"):
            va, vb = getattr(da, attr), getattr(db, attr)
            setattr(da, attr, vb)
            setattr(db, attr, va)

    def active_expire_cycle(self, budget_keys: int = 2000) -> int:
        """Reclaim up to ``budget_keys`` expired keys over all databases."""
        now = self.clock.now_ms()
        self.lru_clock = now // 1000
        done = 0
        for db in self.dbs:
            if db.expires:
                done += db.expire_due(now, budget_keys - done)
                if done >= budget_keys:
                    break
        return done


class Database:
    """One numbered database: ``data`` maps key to value; ``expires`` to a ms deadline."""

    __slots__ = ("index", "keyspace", "data", "expires", "_heap", "lru", "str_encodings")

    def __init__(self, index: int, keyspace: Keyspace) -> None:
        self.index = index
        self.keyspace = keyspace
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []
        # Last access per key, in seconds (OBJECT IDLETIME, LRU eviction).
        self.lru: dict[bytes, int] = {}
        # key -> (the exact value object, its OBJECT ENCODING) for the few string
        # values whose encoding is not the one their bytes imply (APPEND and
        # SETRANGE make "raw" strings, INCRBYFLOAT an "embstr" integer); see
        # keyspace/encoding.py. Empty unless such commands ran.
        self.str_encodings: dict[bytes, tuple[bytes, str]] = {}

    def __len__(self) -> int:
        return len(self.data)

    # -- reads -------------------------------------------------------------
    def lookup(self, key: bytes) -> Any:
        """The live value of ``key`` or None; expires it lazily if due.

        Records the access for OBJECT IDLETIME/FREQ (Redis's ``lookupKey``
        without LOOKUP_NOTOUCH): one dict store of a cached clock value.
        """
        value = self.data.get(key)
        if value is not None:
            if self.expires:
                deadline = self.expires.get(key)
                if deadline is not None and deadline <= self.keyspace.clock.now_ms():
                    self._expire(key)
                    return None
            ks = self.keyspace
            if ks.lfu:
                lfu_touch(self, key)
            else:
                self.lru[key] = ks.lru_clock
        return value

    def peek(self, key: bytes) -> Any:
        """:meth:`lookup` without recording an access (TYPE, TTL, EXISTS, OBJECT...)."""
        value = self.data.get(key)
        if value is not None and self.expires:
            deadline = self.expires.get(key)
            if deadline is not None and deadline <= self.keyspace.clock.now_ms():
                self._expire(key)
                return None
        return value

    def peek_read(self, key: bytes, notify: bool = True) -> Any:
        """:meth:`peek` counting hits/misses, and a keymiss event unless ``notify`` is false."""
        value = self.peek(key)
        ks = self.keyspace
        if value is None:
            ks.keyspace_misses += 1
            if notify and ks.listeners:
                for fn in ks.listeners:
                    fn(self, key, "keymiss", NotifyKind.KEY_MISS)
        else:
            ks.keyspace_hits += 1
        return value

    def touch(self, key: bytes) -> None:
        """Record an access to a live ``key`` without looking it up."""
        ks = self.keyspace
        if ks.lfu:
            lfu_touch(self, key)
        else:
            self.lru[key] = ks.lru_clock

    def lookup_read(self, key: bytes) -> Any:
        """:meth:`lookup` that also counts keyspace hits/misses (read commands).

        GET's path: :meth:`lookup` is inlined for a hit without expiry, which
        saves a call (about 15% of the handler's time).
        """
        value = self.data.get(key)
        ks = self.keyspace
        if value is not None and not self.expires and not ks.lfu:
            self.lru[key] = ks.lru_clock
            ks.keyspace_hits += 1
            return value
        value = self.lookup(key)
        if value is None:
            ks.keyspace_misses += 1
            if ks.listeners:
                for fn in ks.listeners:
                    fn(self, key, "keymiss", NotifyKind.KEY_MISS)
        else:
            ks.keyspace_hits += 1
        return value

    def lookup_read_many(self, keys: list[bytes]) -> list[Any]:
        """:meth:`lookup_read` for each key (MGET), with C-level loops when nothing can expire or listen."""
        ks = self.keyspace
        if self.expires or ks.listeners or ks.lfu:
            return [self.lookup_read(key) for key in keys]
        values = list(map(self.data.get, keys))
        misses = values.count(None)
        clock = ks.lru_clock
        if not misses:
            self.lru.update(dict.fromkeys(keys, clock))
        else:
            lru = self.lru
            for key, value in zip(keys, values):
                if value is not None:
                    lru[key] = clock
        ks.keyspace_hits += len(values) - misses
        ks.keyspace_misses += misses
        return values

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        """Milliseconds left, None if no expiry (callers check existence first)."""
        deadline = self.expires.get(key)
        if deadline is None:
            return None
        return max(0, deadline - self.keyspace.clock.now_ms())

    def keys(self) -> Iterator[bytes]:
        """Live keys (expired ones are skipped, not deleted, while iterating)."""
        if not self.expires:
            yield from list(self.data)
            return
        now = self.keyspace.clock.now_ms()
        expires = self.expires
        for key in list(self.data):
            deadline = expires.get(key)
            if deadline is None or deadline > now:
                yield key

    # -- writes ------------------------------------------------------------
    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store ``value``; drops any TTL unless ``keep_ttl`` (SET ... KEEPTTL).

        A key whose deadline has passed expires first, as Redis's
        ``lookupKeyWrite`` does before ``setKey``: the old key is reported
        ``expired`` and its TTL is not kept. Creating a key calls
        ``Keyspace.on_new`` after the store (``dbAdd``), so its ``new`` event
        precedes the event the command signals next.
        """
        ks = self.keyspace
        if self.expires:
            deadline = self.expires.get(key)
            if deadline is not None:
                if deadline <= ks.clock.now_ms():
                    self._expire(key)
                elif not keep_ttl:
                    del self.expires[key]
        if ks.on_new is not None and key not in self.data:
            self._add(key, value)
            return
        self.data[key] = value
        if ks.lfu:
            lfu_stored(self, key)
        else:
            self.lru[key] = ks.lru_clock
        if self.str_encodings:
            self.str_encodings.pop(key, None)

    def _add(self, key: bytes, value: Any) -> None:
        """:meth:`set`'s store for a key it creates while ``on_new`` is set, then the hook.

        Kept apart so the store of the hot path pays one attribute test for ``new``.
        """
        ks = self.keyspace
        self.data[key] = value
        if ks.lfu:
            lfu_stored(self, key)
        else:
            self.lru[key] = ks.lru_clock
        if self.str_encodings:
            self.str_encodings.pop(key, None)
        if ks.on_new is not None:
            ks.on_new(self, key)

    def set_pairs(self, argv: list[bytes], start: int = 1) -> None:
        """:meth:`set` for the key/value pairs ``argv[start:]`` (MSET), with C-level loops.

        The caller still signals each key with :meth:`changed`; a caller with
        change listeners present should rather interleave :meth:`set` and
        :meth:`changed` key by key, which is the order of Redis's events.
        """
        ks = self.keyspace
        if ks.lfu or self.str_encodings or ks.on_new is not None:
            for i in range(start, len(argv), 2):
                self.set(argv[i], argv[i + 1])
            return
        keys = argv[start::2]
        expires = self.expires
        if expires:
            now = ks.clock.now_ms()
            for key in keys:
                deadline = expires.get(key)
                if deadline is not None:
                    if deadline <= now:
                        self._expire(key)
                    else:
                        del expires[key]
        self.data.update(zip(keys, argv[start + 1::2]))
        self.lru.update(dict.fromkeys(keys, ks.lru_clock))

    def delete(self, key: bytes) -> bool:
        """Remove ``key`` if it is live; True if it was."""
        if self.lookup(key) is None:
            return False
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        self.lru.pop(key, None)
        if self.str_encodings:
            self.str_encodings.pop(key, None)
        return True

    def set_expire(self, key: bytes, deadline_ms: int) -> None:
        self.expires[key] = deadline_ms
        heapq.heappush(self._heap, (deadline_ms, key))
        if len(self._heap) > 2 * len(self.expires) + 1024:
            self._heap = [(d, k) for k, d in self.expires.items()]
            heapq.heapify(self._heap)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def flush(self) -> None:
        for fn in self.keyspace.replace_hooks:
            fn(self, None)
        self.data = {}
        self.expires = {}
        self._heap = []
        self.lru = {}
        self.str_encodings = {}

    def changed(self, key: bytes, event: str, kind: int, changes: int = 1) -> None:
        """The single change hook: WATCH, tracking and notifications hang off it.

        ``changes`` is what the command adds to ``dirty`` (INFO
        rdb_changes_since_last_save, save points): Redis counts elements for
        many commands (LPUSH of 3 values is 3 changes, SREM counts members
        removed, ...) and nothing for the deletion of a key a pop emptied.
        """
        ks = self.keyspace
        ks.dirty += changes
        if ks.listeners:
            for fn in ks.listeners:
                fn(self, key, event, kind)

    # -- expiry --------------------------------------------------------------
    def _expire(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self.lru.pop(key, None)
        if self.str_encodings:
            self.str_encodings.pop(key, None)
        ks = self.keyspace
        ks.expired_keys += 1
        self.changed(key, "expired", NotifyKind.EXPIRED)
        ks.dirty -= 1  # Redis does not count an expiry as a change (rdb_changes_since_last_save)

    def expire_due(self, now_ms: int, limit: int) -> int:
        """Pop heap entries whose deadline passed; stale entries are skipped."""
        heap = self._heap
        expires = self.expires
        done = 0
        while heap and heap[0][0] <= now_ms and done < limit:
            deadline, key = heapq.heappop(heap)
            if expires.get(key) == deadline:
                self._expire(key)
                done += 1
        return done
