"""Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, ...), as Redis 7.0 does it.

A blocking command first tries to run like its non-blocking form. When there
is nothing to serve it calls :func:`block`, which parks the client:

* the client is queued, FIFO, on each of its keys (``(db index, key)``);
* a keyspace listener, attached only while someone is blocked, notes every
  write to such a key as *ready* (Redis's ``signalKeyAsReady``);
* an after-command hook serves the ready keys once the command that wrote
  them has finished (after EXEC for a transaction, as Redis does): for each
  ready key in the order it was signalled, the clients blocked on it are
  offered the key in the order they blocked, by calling their ``serve``
  callback; the first that returns a reply is resumed with it and leaves
  every key it was blocked on. Serving stops when the key disappears.
  Redis's ``handleClientsBlockedOnKeys`` loop, including keys made ready by
  the serving itself (BLMOVE pushing to a key someone else waits on);
* a timer (``loop.call_later``) resumes the client with the timeout reply;
  disconnecting or ``CLIENT UNBLOCK`` removes every trace.

While a client is blocked ``client.blocked`` holds its :class:`BlockState`
(CLIENT LIST shows the ``b`` flag from it), and its connection holds later
pipelined commands back until :meth:`resume_blocked` replays them.

``serve(client)`` can read ``client.blocked.key``: the ready key it is
offered. Redis 7.0 serves a client blocked on several keys from the key that
became ready, not from the first of its keys that has data (``BLPOP a b``
woken by a transaction that pushed to ``b`` then ``a`` pops from ``b``).

INFO reads :attr:`BlockingRegistry.blocked_clients` and
:attr:`BlockingRegistry.clients_in_timeout_table` from
``state.extensions["blocking"]``.
"""
from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any, Callable

from . import errors
from .commands.dispatch import BLOCKED
from .commands.longdouble import is_finite, parse_ld, round_ld
from .errors import CommandError

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .keyspace import Database
    from .state import ServerState

Serve = Callable[["Client"], Any]

# Timers further away than this are not armed: Redis's deadline arithmetic
# overflows there too, and event loops reject delays this large.
_MAX_TIMER_SECONDS = 10 * 365 * 24 * 3600.0
# Events that can never make a waited-on key servable.
_NOT_READY_EVENTS = frozenset({"keymiss", "del", "expired", "evicted"})


def parse_timeout(raw: bytes) -> float:
    """A blocking command's timeout in seconds (0 = forever), with Redis 7.0's rules.

    Redis reads it with ``strtold``, multiplies by 1000 in long double and
    takes ``ceill``: ``0.0001`` is 1 ms, ``-0.0009`` is 0 (forever), values
    past 2**63 ms wrap to negative.
    """
    if raw.isdigit() and len(raw) < 16:  # the common case: whole seconds
        return float(int(raw))
    value = parse_ld(raw)
    if value is None:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    # (long long) ceill(value * 1000.0L); out of range converts to LLONG_MIN on x86
    product = round_ld(value * 1000) if is_finite(value) else value
    ms = math.ceil(product) if is_finite(product) else -1
    if ms < 0 or ms >= 2**63:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return ms / 1000.0


class BlockState:
    """Why and how a client is blocked; ``client.blocked`` while it is."""

    __slots__ = ("db", "keys", "serve", "timeout_reply", "timer", "key", "live")

    def __init__(self, db: int, keys: list[bytes], serve: Serve, timeout_reply: Any) -> None:
        self.db = db
        self.keys = keys
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.timer: asyncio.TimerHandle | None = None
        self.key: bytes | None = None  # the ready key being offered to serve()
        self.live = True  # False once removed from the registry (served, timed out, gone)

    def __repr__(self) -> str:
        return f"BlockState(db={self.db}, keys={self.keys!r})"


class BlockingRegistry:
    """Blocked clients by key, the keys signalled ready, and the serving loop."""

    def __init__(self, state: "ServerState") -> None:
        self.state = state
        # (db, key) -> clients blocked on it, in blocking order (dicts keep insertion order)
        self.waiting: dict[tuple[int, bytes], dict["Client", None]] = {}
        self.ready: dict[tuple[int, bytes], None] = {}
        self.blocked_clients = 0
        self.clients_in_timeout_table = 0
        self.total_served = 0
        self._attached = False
        self._serving = False
        # injectable for tests that run without an event loop
        self.call_later: Callable[[float, Callable[..., None], Any], Any] | None = None

    # -- blocking ---------------------------------------------------------------
    def block(self, client: "Client", keys: list[bytes], timeout: float, serve: Serve,
              timeout_reply: Any) -> Any:
        """Park ``client`` on ``keys``; see the module docstring."""
        if not may_block(client):
            return timeout_reply
        state = BlockState(client.db.index, list(dict.fromkeys(keys)), serve, timeout_reply)
        client.blocked = state
        index = state.db
        for key in state.keys:
            waiters = self.waiting.get((index, key))
            if waiters is None:
                waiters = self.waiting[(index, key)] = {}
            waiters[client] = None
        self.blocked_clients += 1
        if 0 < timeout <= _MAX_TIMER_SECONDS:
            call_later = self.call_later or asyncio.get_running_loop().call_later
            state.timer = call_later(timeout, self._timed_out, client)
            self.clients_in_timeout_table += 1
        if not self._attached:
            self._attach()
        return BLOCKED

    def _forget(self, client: "Client") -> BlockState | None:
        """Remove ``client`` from every key and cancel its timer; its state, or None."""
        state = client.blocked
        if not isinstance(state, BlockState) or not state.live:
            return None
        state.live = False
        index = state.db
        for key in state.keys:
            waiters = self.waiting.get((index, key))
            if waiters is not None:
                waiters.pop(client, None)
                if not waiters:
                    del self.waiting[(index, key)]
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
            self.clients_in_timeout_table -= 1
        self.blocked_clients -= 1
        if not self.waiting and not self.ready and not self._serving:
            self._detach()
        return state

    def unblock(self, client: "Client", reply: Any) -> bool:
        """Resume a blocked client with ``reply`` now (CLIENT UNBLOCK); False if not blocked here."""
        if self._forget(client) is None:
            return False
        _resume(client, reply)
        return True

    def _timed_out(self, client: "Client") -> None:
        state = client.blocked
        if not isinstance(state, BlockState) or not state.live:
            return
        state.timer = None
        self.clients_in_timeout_table -= 1
        self._forget(client)
        _resume(client, state.timeout_reply)

    def disconnected(self, client: "Client") -> None:
        """Disconnect hook: a blocked client that goes away leaves nothing behind."""
        if self._forget(client) is not None:
            client.blocked = None

    # -- readiness -----------------------------------------------------------------
    def on_change(self, db: "Database", key: bytes | None, event: str, kind: int) -> None:
        """Keyspace listener: remember writes to keys someone is blocked on."""
        if event in _NOT_READY_EVENTS:
            return
        index = db.index
        if key is None:  # SWAPDB, FLUSHDB...: every waited-on key of the database
            for entry in self.waiting:
                if entry[0] == index:
                    self.ready[entry] = None
        elif (index, key) in self.waiting:
            self.ready[(index, key)] = None

    def after_command(self, client: "Client") -> None:
        """After-command hook: serve the ready keys (not between EXEC's commands)."""
        if self.ready and not self._serving and not client.in_exec:
            self.serve_ready()

    def serve_ready(self) -> None:
        """Redis's ``handleClientsBlockedOnKeys``."""
        self._serving = True
        server = self.state
        dbs = server.keyspace.dbs
        try:
            while self.ready:
                batch = self.ready
                self.ready = {}
                resumed: list[tuple["Client", Any]] = []
                for entry in batch:
                    waiters = self.waiting.get(entry)
                    if not waiters:
                        continue
                    index, key = entry
                    data = dbs[index].data
                    if key not in data:  # serve() looks it up properly (expiry, type)
                        continue
                    for client in list(waiters):
                        state = client.blocked
                        if client not in waiters or not isinstance(state, BlockState) or not state.live:
                            continue
                        outbox = client.outbox
                        if outbox is None or getattr(outbox, "closing", False):
                            continue
                        state.key = key
                        previous = getattr(server, "current_client", None)
                        server.current_client = client
                        try:
                            reply = state.serve(client)
                        finally:
                            server.current_client = previous
                            state.key = None
                        if reply is None:
                            continue
                        self._forget(client)
                        self.total_served += 1
                        resumed.append((client, reply))
                        if key not in data:
                            break
                # Replies go out once the batch is served, so a resumed client's
                # pipelined commands run after the clients served before it (Redis
                # runs them from beforeSleep).
                for client, reply in resumed:
                    _resume(client, reply)
        finally:
            self._serving = False
            if not self.waiting and not self.ready:
                self._detach()

    # -- hooks ---------------------------------------------------------------------
    def _attach(self) -> None:
        """Listen to writes and commands only while someone is blocked (writes pay nothing otherwise)."""
        state = self.state
        keyspace = state.keyspace
        # Lists are replaced, not mutated: the dispatcher may be iterating the old one.
        if self.on_change not in keyspace.listeners:
            keyspace.listeners = keyspace.listeners + [self.on_change]
        if self.after_command not in state.after_command_hooks:
            state.after_command_hooks = state.after_command_hooks + [self.after_command]
        self._attached = True

    def _detach(self) -> None:
        if not self._attached:
            return
        state = self.state
        keyspace = state.keyspace
        keyspace.listeners = [fn for fn in keyspace.listeners if fn != self.on_change]
        state.after_command_hooks = [fn for fn in state.after_command_hooks if fn != self.after_command]
        self._attached = False


def _resume(client: "Client", reply: Any) -> None:
    """Hand ``reply`` to the connection, which then replays the commands held behind it."""
    client.blocked = None  # also when the connection is already closing and ignores the reply
    outbox = client.outbox
    if outbox is not None:
        outbox.resume_blocked(reply)


def may_block(client: "Client") -> bool:
    """False where Redis denies blocking (inside MULTI/EXEC): the command answers at once."""
    return not client.in_exec


def registry(client: "Client") -> BlockingRegistry:
    return client.server.extensions["blocking"]


def block(client: "Client", keys: list[bytes], timeout: float, serve: Serve, timeout_reply: Any) -> Any:
    """Block ``client`` on ``keys`` for ``timeout`` seconds (0 = forever); returns BLOCKED.

    ``serve(client)`` is retried when one of the keys is written: it returns
    the reply (the client is then resumed with it) or None to stay blocked.
    On timeout the client gets ``timeout_reply``. Inside MULTI/EXEC nothing
    blocks and ``timeout_reply`` is returned at once (Redis answers a null
    array there; a command whose non-blocking null differs, like BLMOVE's
    null bulk, checks :func:`may_block` first).
    """
    return registry(client).block(client, keys, timeout, serve, timeout_reply)


def install(state: "ServerState") -> BlockingRegistry:
    """Create the registry on ``state`` (``state.extensions["blocking"]``)."""
    reg = BlockingRegistry(state)
    state.extensions["blocking"] = reg
    state.disconnect_hooks.append(reg.disconnected)
    return reg


__all__ = ["BLOCKED", "BlockState", "BlockingRegistry", "block", "install", "may_block", "parse_timeout"]
