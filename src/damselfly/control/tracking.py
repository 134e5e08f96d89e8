"""Client-side caching: the tracking table and invalidation messages (Redis's tracking.c).

Default mode remembers, per key name, the ids of the clients that read it
(readonly commands only; their keys found as COMMAND GETKEYS finds them,
movable ones included); the first change of the key sends each of them one
invalidation and forgets the key. Keys are names,
not (db, name) pairs, as in Redis: a write in db 1 invalidates a read in db 0.
OPTIN/OPTOUT make remembering depend on CLIENT CACHING for the next command.

BCAST mode remembers nothing per client: every change of a key under a
registered prefix is collected, and once per event-loop turn each prefix
sends the sorted keys collected for it to its clients (Redis does this in
``beforeSleep``).

Delivery: RESP3 clients receive ``>2 invalidate [keys]`` pushes; with
``REDIRECT id`` the messages go to that client instead, as a push if it
speaks RESP3 or as a ``message`` on ``__redis__:invalidate`` if it is a RESP2
client in Pub/Sub mode. A vanished redirect target earns the tracking client
a ``tracking-redir-broken`` push. FLUSHDB/FLUSHALL send every tracking
client a null invalidation and empty the table. A client's invalidations
caused by its own command are sent after that command's reply
(``send_after_reply``), unless NOLOOP suppresses them.

Statistics for INFO, read from ``state.extensions["tracking"]``
(a :class:`Tracking`): ``tracking_clients`` = ``.clients_count``,
``tracking_total_keys`` = ``.total_keys``, ``tracking_total_items`` =
``.total_items``, ``tracking_total_prefixes`` = ``.total_prefixes``.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable, Iterable

from ..protocol.reply import Push
from .messages import InvalidationMessage, RawPush

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..commands.registry import CommandSpec
    from ..keyspace import Database
    from ..state import ServerState

_FLUSH_EVENTS = frozenset({"flushdb", "flushall"})


class ClientTracking:
    """``client.tracking`` while CLIENT TRACKING is on (None when off).

    CLIENT LIST renders its flags from here: ``t`` (tracking on), ``B``
    (``bcast``), ``R`` (``broken_redirect``).
    """

    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "caching", "broken_redirect",
                 "prefixes")

    def __init__(self) -> None:
        self.redirect = 0
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False           # CLIENT CACHING given for the next command
        self.broken_redirect = False
        self.prefixes: set[bytes] = set()   # BCAST prefixes ("" when none was given)


class _Prefix:
    """One BCAST prefix: its clients and the keys changed under it this loop turn."""

    __slots__ = ("clients", "keys")

    def __init__(self) -> None:
        self.clients: dict["Client", None] = {}
        # key -> the client whose command changed it last (None outside commands), for NOLOOP
        self.keys: dict[bytes, "Client | None"] = {}


class Tracking:
    """The server-wide tracking table, prefix table and invalidation sender."""

    def __init__(self, state: "ServerState") -> None:
        self.state = state
        self.table: dict[bytes, dict[int, None]] = {}   # key -> ids of clients that read it
        self.total_items = 0
        self.prefix_table: dict[bytes, _Prefix] = {}
        self.tracking: dict["Client", None] = {}       # clients with tracking on, in order
        self._listening = False
        self._hooked = False
        self._bcast_scheduled = False
        self._flushed_by: tuple[int, int] | None = None  # (client id, command count) of the last flush

    # -- INFO ------------------------------------------------------------------------
    @property
    def clients_count(self) -> int:
        return len(self.tracking)

    @property
    def total_keys(self) -> int:
        return len(self.table)

    @property
    def total_prefixes(self) -> int:
        return len(self.prefix_table)

    # -- CLIENT TRACKING on / off ------------------------------------------------------
    def enable(self, client: "Client", redirect: int, bcast: bool, optin: bool, optout: bool,
               noloop: bool, prefixes: list[bytes]) -> None:
        """Redis's ``enableTracking``: flags are replaced, prefixes are added."""
        t = client.tracking
        if t is None:
            t = client.tracking = ClientTracking()
            self.tracking[client] = None
        t.redirect = redirect
        t.broken_redirect = False
        t.bcast = bcast
        t.optin = optin
        t.optout = optout
        t.noloop = noloop
        if bcast:
            for prefix in prefixes or [b""]:
                if prefix not in t.prefixes:
                    t.prefixes.add(prefix)
                    self.prefix_table.setdefault(prefix, _Prefix()).clients[client] = None
        self._update_hooks()

    def disable(self, client: "Client") -> None:
        """Redis's ``disableTracking``; the client's entries in the table are left to go stale."""
        t = client.tracking
        if t is None:
            return
        for prefix in t.prefixes:
            state = self.prefix_table.get(prefix)
            if state is not None:
                state.clients.pop(client, None)
                if not state.clients:
                    del self.prefix_table[prefix]
        client.tracking = None
        self.tracking.pop(client, None)
        self._update_hooks()

    def prefix_collision(self, client: "Client", prefixes: list[bytes]) -> str | None:
        """The error text when a prefix overlaps another of the same client, else None."""
        existing = sorted(client.tracking.prefixes) if client.tracking is not None else []
        for i, prefix in enumerate(prefixes):
            for other in existing:
                if _overlap(other, prefix):
                    return (f"ERR Prefix '{_text(prefix)}' overlaps with an existing prefix "
                            f"'{_text(other)}'. Prefixes for a single client must not overlap.")
            for other in prefixes[i + 1:]:
                if _overlap(prefix, other):
                    return (f"ERR Prefix '{_text(prefix)}' overlaps with another provided prefix "
                            f"'{_text(other)}'. Prefixes for a single client must not overlap.")
        return None

    def _update_hooks(self) -> None:
        """Listen to changes and run the after-command hook only while tracking is in use."""
        state = self.state
        wanted = bool(self.tracking or self.table or self.prefix_table)
        if wanted != self._listening:
            if wanted:
                state.keyspace.add_listener(self.on_change)
            else:
                state.keyspace.remove_listener(self.on_change)
            self._listening = wanted
        hooked = bool(self.tracking)
        if hooked != self._hooked:
            if hooked:
                state.after_command_hooks.append(self.after_command)
            else:
                state.after_command_hooks.remove(self.after_command)
            self._hooked = hooked

    # -- remembering reads -----------------------------------------------------------
    def after_command(self, client: "Client") -> None:
        """Remember the keys a readonly command read; drop the one-shot CACHING flag; apply the cap."""
        t = client.tracking
        if t is not None:
            spec = client.cmd
            if not t.bcast and "readonly" in spec.flags and "pubsub" not in spec.flags:
                if not ((t.optin and not t.caching) or (t.optout and t.caching)):
                    self.remember(client, _keys_read(spec, client.argv))
            if t.caching and client.multi is None and not client.in_exec:
                parent = spec.parent
                if parent is None or parent.name != "client":
                    t.caching = False
        if self.table:
            self._limit(client)

    def remember(self, client: "Client", keys: Iterable[bytes]) -> None:
        table = self.table
        cid = client.id
        for key in keys:
            ids = table.pop(key, None)  # re-inserted: the table is kept in order of last read
            if ids is None:
                ids = {}
            table[key] = ids
            if cid not in ids:
                ids[cid] = None
                self.total_items += 1

    def _limit(self, client: "Client") -> None:
        """``tracking-table-max-keys``: invalidate the least recently read keys until under the cap.

        Redis picks victims by a random walk of its radix tree (up to 100 per
        command, before the next command runs). damselfly does not: a random
        key of a dict costs O(n) to draw in Python, and the choice is not
        observable beyond "some remembered key is invalidated early". The
        table is kept in order of last read instead (``remember`` re-inserts
        a key read again), so the victim is the coldest key, never a hot key
        read over and over; which is what a random pick achieves for hot keys
        in expectation, deterministically. A victim of the client whose
        command overflowed the table is told right after that command's
        reply, which is where Redis's message lands for it too.
        """
        cap = self.state.config.tracking_table_max_keys
        table = self.table
        while cap and len(table) > cap:
            self.invalidate_key(next(iter(table)), bcast=False, reply_first=client)

    # -- invalidating ------------------------------------------------------------------
    def on_change(self, db: "Database", key: bytes | None, event: str, kind: int) -> None:
        """The keyspace change hook: every modified key is invalidated; flushes send nulls."""
        if key is None:
            if event in _FLUSH_EVENTS:
                self.flush()
            return
        if event == "keymiss":
            return
        self.invalidate_key(key, bcast=True)

    def invalidate_key(self, key: bytes, bcast: bool, reply_first: "Client | None" = None) -> None:
        """Redis's ``trackingInvalidateKey``; ``reply_first`` also waits for its command's reply."""
        if bcast and self.prefix_table:
            self._collect_for_broadcast(key)
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.total_items -= len(ids)
        clients = self.state.clients
        current = self.state.current_client
        msg: InvalidationMessage | None = None
        for cid in ids:
            target = clients.get(cid)
            if target is None:
                continue
            t = target.tracking
            if t is None or t.bcast or (t.noloop and target is current):
                continue
            if msg is None:
                msg = InvalidationMessage([key])
            self._send(target, msg, current or reply_first)
        if not self.table and not self.tracking and not self.prefix_table:
            # Stop listening, but not from inside the keyspace's listener loop.
            _call_soon(self._update_hooks)

    def flush(self) -> None:
        """FLUSHDB/FLUSHALL: one null invalidation per tracking client, then an empty table."""
        current = self.state.current_client
        if current is not None:
            command = (current.id, self.state.stats.total_commands_processed)
            if self._flushed_by == command:
                return  # FLUSHALL signals every database; Redis sends one null per command
            self._flushed_by = command
        nulls = {2: InvalidationMessage(None, 2), 3: InvalidationMessage(None, 3)}
        for client in list(self.tracking):
            self._send(client, nulls[3 if client.resp == 3 else 2], current)
        self.table.clear()
        self.total_items = 0
        if not self.tracking and not self.prefix_table:
            _call_soon(self._update_hooks)

    def _send(self, client: "Client", msg: InvalidationMessage, current: "Client | None") -> None:
        """Redis's ``sendTrackingMessage``: follow the redirect, pick who can receive it."""
        t = client.tracking
        receiver = client
        if t is not None and t.redirect:
            receiver = self.state.clients.get(t.redirect)  # type: ignore[assignment]
            if receiver is None:
                t.broken_redirect = True
                if client.resp == 3:
                    _deliver(client, RawPush(Push([b"tracking-redir-broken", t.redirect])), current)
                return
            if receiver.resp != 3 and not (receiver.channels or receiver.patterns
                                           or receiver.shard_channels):
                return
        elif client.resp != 3:
            return  # RESP2 without a redirect has no way to receive pushes
        _deliver(receiver, msg, current)

    # -- BCAST -------------------------------------------------------------------------
    def _collect_for_broadcast(self, key: bytes) -> None:
        modifier = self.state.current_client
        for prefix, state in self.prefix_table.items():
            if key.startswith(prefix):
                state.keys[key] = modifier
                if not self._bcast_scheduled:
                    self._bcast_scheduled = True
                    _call_soon(self.broadcast)

    def broadcast(self) -> None:
        """Send each prefix's collected keys, sorted, to its clients (NOLOOP clients minus their own)."""
        self._bcast_scheduled = False
        for prefix in sorted(self.prefix_table):
            state = self.prefix_table[prefix]
            if not state.keys:
                continue
            collected = state.keys
            state.keys = {}
            keys = sorted(collected)
            shared = InvalidationMessage(keys)
            for client in list(state.clients):
                t = client.tracking
                if t is not None and t.noloop:
                    own = [k for k in keys if collected[k] is not client]
                    if own:
                        self._send(client, InvalidationMessage(own), None)
                else:
                    self._send(client, shared, None)


def _keys_read(spec: "CommandSpec", argv: list[bytes]) -> list[bytes]:
    """Redis's ``getKeysFromCommand``: movable keys (ZUNION, SORT_RO, SINTERCARD...) included.

    Arguments that do not let the keys be found (the command failed on
    them) remember nothing, as Redis's zero keys.
    """
    from ..commands.getkeys import KeysError, key_positions
    try:
        return [argv[i] for i in key_positions(spec, argv)]
    except (KeysError, IndexError):
        return []


def _deliver(receiver: "Client", msg: "InvalidationMessage | RawPush", current: "Client | None") -> None:
    outbox = receiver.outbox
    if outbox is None:
        return
    if receiver is current:
        outbox.send_after_reply(msg)  # Redis 7.0: a client's own invalidations follow its reply
    else:
        outbox.send_async(msg)


def _call_soon(fn: Callable[[], None]) -> None:
    """Run ``fn`` once the current loop turn is done (Redis's ``beforeSleep``).

    Without a running loop (unit tests driving the table directly) it runs now.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    loop.call_soon(fn)


def _overlap(a: bytes, b: bytes) -> bool:
    """Redis's ``stringCheckPrefix``: one is a prefix of the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _text(raw: bytes) -> str:
    """Prefixes are printed with %s in Redis: up to the first NUL byte."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def install(state: "ServerState") -> Tracking:
    """Create the tracking table as ``state.extensions["tracking"]``; disable tracking on disconnect/RESET."""
    tracking = Tracking(state)
    state.extensions["tracking"] = tracking

    def forget(client: "Client") -> None:
        if client.tracking is not None:
            tracking.disable(client)

    state.disconnect_hooks.append(forget)
    return tracking
