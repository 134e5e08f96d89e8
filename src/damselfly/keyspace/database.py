"""Databases of binary-safe keys with lazy and active expiry.

Values are stored as the Python object of their type, so a type check is one
``type(v) is ...``: ``bytes`` (string), :class:`~damselfly.keyspace.types`
containers for the other types. Expiry times live in a separate dict (most
keys have none) plus an index that orders them: keys bucketed by deadline and
a heap of the distinct deadlines. So the active cycle reclaims expired keys in
deadline order without scanning (Redis samples randomly because its dict has
no order; the index finds every due key and no live one). Buckets matter: keys
set together share a millisecond, and a heap of (deadline, key) tuples cost
2.5 us a pop at 200,000 keys (tuple ties compare the keys) against ~0.3 us a
key for a bucket. The cycle runs for a time budget, as Redis's slow cycle:
see :meth:`Keyspace.active_expire_cycle`.

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
import time
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

    def __init__(self, count: int = 16, clock: Clock | None = None,
                 timer: Callable[[], float] | None = None) -> None:
        self.clock = clock or SystemClock()
        # Seconds for the active cycle's time budget (never the expiry clock:
        # deadlines follow ``clock``, the budget follows CPU time spent).
        self.timer: Callable[[], float] = timer or time.perf_counter
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
        # INFO's expired_stale_perc (a percentage) and expired_time_cap_reached_count.
        self.expired_stale_perc = 0.0
        self.expired_time_cap_reached_count = 0
        self._expire_cursor = 0  # where the next cycle starts (Redis's static current_db)
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
        for attr in ("data", "expires", "_deadlines", "_buckets", "_entries", "lru", "str_encodings"):
            va, vb = getattr(da, attr), getattr(db, attr)
            setattr(da, attr, vb)
            setattr(db, attr, va)

    def refresh_lru_clock(self) -> None:
        """Advance the cached access clock (the cron does it every tick, cycle or not)."""
        self.lru_clock = self.clock.now_ms() // 1000

    def active_expire_cycle(self, effort: int = 1, hz: int = 10) -> int:
        """Redis's slow ``activeExpireCycle``: reclaim due keys for up to 25% of a cron period.

        The budget is ``25 + 2 * (effort - 1)`` percent of ``1 / hz`` seconds
        (25 ms at hz 10; ``active-expire-effort`` 10 makes it 43%), measured on
        ``timer`` every :data:`EXPIRE_BATCH` index entries. Within it the cycle
        goes on while any visited database still has a due key, so a burst of
        expiring keys is reclaimed as fast as the budget allows rather than at a
        fixed number per tick. As in Redis, each cycle starts at the database
        after the last one it visited, so a capped cycle in a big database does
        not starve the others, and a cycle that runs out of time stops and
        counts in ``expired_time_cap_reached_count``. ``expired_stale_perc`` is Redis's
        running average (5% weight per cycle) of the share of keys with a TTL
        that had expired: with an exact index that share is what was reclaimed
        out of the keys with a TTL in the databases visited.

        Returns the number of keys reclaimed.
        """
        timer = self.timer
        started = timer()
        budget = (25 + 2 * (max(1, min(10, effort)) - 1)) / 100 / max(1, hz)
        now = self.clock.now_ms()
        self.lru_clock = now // 1000
        dbs = self.dbs
        count = len(dbs)
        first = self._expire_cursor
        done = with_ttl = visited = 0
        capped = False
        while visited < count and not capped:
            db = dbs[(first + visited) % count]
            visited += 1
            if not db.expires:
                continue
            with_ttl += len(db.expires)
            while db.has_due(now):
                done += db.expire_due(now, EXPIRE_BATCH)
                if timer() - started >= budget:
                    capped = True
                    break
        self._expire_cursor = (first + visited) % count
        if capped:
            self.expired_time_cap_reached_count += 1
        # Redis's running average, fed 0 by a cycle that found no key with a TTL
        stale = 100.0 * done / with_ttl if with_ttl else 0.0
        self.expired_stale_perc = stale * 0.05 + self.expired_stale_perc * 0.95
        return done


# Index entries a cycle examines between two looks at its timer: about 50-100 us
# of work, so a 25 ms budget is overrun by a fraction of a percent.
EXPIRE_BATCH = 256


class Database:
    """One numbered database: ``data`` maps key to value; ``expires`` to a ms deadline."""

    __slots__ = ("index", "keyspace", "data", "expires", "_deadlines", "_buckets", "_entries", "lru",
                 "str_encodings")

    def __init__(self, index: int, keyspace: Keyspace) -> None:
        self.index = index
        self.keyspace = keyspace
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        # The expiry index: keys by deadline, a heap of the distinct deadlines, and the
        # number of keys in the buckets (stale entries included, see set_expire).
        self._deadlines: list[int] = []
        self._buckets: dict[int, list[bytes]] = {}
        self._entries = 0
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
        created = ks.on_new is not None and key not in self.data  # one attribute test while nobody listens
        self.data[key] = value
        if ks.lfu:
            lfu_stored(self, key)
        else:
            self.lru[key] = ks.lru_clock
        if self.str_encodings:
            self.str_encodings.pop(key, None)
        if created:
            ks.on_new(self, key)  # type: ignore[misc]

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
        """Give ``key`` a deadline (ms since the epoch) and index it.

        An older entry of the key stays in its bucket until reached, when it
        no longer matches ``expires`` and is skipped; when stale entries
        outnumber live ones the index is rebuilt.
        """
        self.expires[key] = deadline_ms
        bucket = self._buckets.get(deadline_ms)
        if bucket is None:
            self._buckets[deadline_ms] = [key]
            heapq.heappush(self._deadlines, deadline_ms)
        else:
            bucket.append(key)
        self._entries += 1
        if self._entries > 2 * len(self.expires) + 1024:
            self._rebuild_expiry_index()

    def _rebuild_expiry_index(self) -> None:
        buckets: dict[int, list[bytes]] = {}
        for key, deadline in self.expires.items():
            bucket = buckets.get(deadline)
            if bucket is None:
                buckets[deadline] = [key]
            else:
                bucket.append(key)
        self._buckets = buckets
        self._deadlines = list(buckets)
        heapq.heapify(self._deadlines)
        self._entries = len(self.expires)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def flush(self) -> None:
        for fn in self.keyspace.replace_hooks:
            fn(self, None)
        self.data = {}
        self.expires = {}
        self._deadlines = []
        self._buckets = {}
        self._entries = 0
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

    def has_due(self, now_ms: int) -> bool:
        """Whether the index holds an entry whose deadline is ``now_ms`` or earlier."""
        deadlines = self._deadlines
        return bool(deadlines) and deadlines[0] <= now_ms

    def expire_due(self, now_ms: int, limit: int) -> int:
        """Reclaim keys due at ``now_ms``, examining at most ``limit`` index entries.

        Returns the keys reclaimed (stale entries are examined, not counted).
        With no change listener the keys go in a tight loop: what
        :meth:`_expire` does, less the change hook that nobody hears.
        """
        deadlines = self._deadlines
        buckets = self._buckets
        expires = self.expires
        ks = self.keyspace
        quiet = not ks.listeners
        data, lru, encodings = self.data, self.lru, self.str_encodings
        done = examined = 0
        while deadlines and deadlines[0] <= now_ms and examined < limit:
            deadline = deadlines[0]
            keys = buckets[deadline]
            room = limit - examined
            if len(keys) > room:  # a part of the bucket, from its end (keys share a deadline)
                batch = keys[-room:]
                del keys[-room:]
            else:
                heapq.heappop(deadlines)
                del buckets[deadline]
                batch = keys
            examined += len(batch)
            self._entries -= len(batch)
            for key in batch:
                if expires.get(key) != deadline:
                    continue
                done += 1
                if quiet:
                    del data[key]
                    del expires[key]
                    lru.pop(key, None)
                    if encodings:
                        encodings.pop(key, None)
                else:
                    self._expire(key)
        if quiet:
            ks.expired_keys += done
        return done
