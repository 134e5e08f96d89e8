"""MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Queueing happens in the dispatcher (a command issued after MULTI is checked,
then queued with ``+QUEUED``); EXEC runs the queue through ``dispatch.call``
so every queued command is timed, logged and monitored like any other.

WATCH is optimistic locking: a registry maps (db, key) to the clients watching
it and listens on the keyspace change hook only while something is watched,
so writes pay nothing when no one uses WATCH.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.reply import NULL_ARRAY, OK
from .registry import CommandGroup

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..keyspace import Database
    from ..state import ServerState

group = CommandGroup("transactions")


class WatchRegistry:
    """(db index, key) -> clients watching it."""

    def __init__(self, state: "ServerState") -> None:
        self.state = state
        self.keys: dict[tuple[int, bytes], set["Client"]] = {}
        self._listening = False

    def watch(self, client: "Client", key: bytes) -> None:
        entry = (client.db.index, key)
        if entry in client.watched:
            return
        client.db.lookup(key)  # expire it now if due, so a later expiry is a change
        client.watched.add(entry)
        self.keys.setdefault(entry, set()).add(client)
        if not self._listening:
            self.state.keyspace.add_listener(self.on_change)
            self.state.keyspace.replace_hooks.append(self.touch_all)
            self._listening = True

    def unwatch_all(self, client: "Client") -> None:
        for entry in client.watched:
            watchers = self.keys.get(entry)
            if watchers is not None:
                watchers.discard(client)
                if not watchers:
                    del self.keys[entry]
        client.watched.clear()
        client.dirty_cas = False
        if not self.keys and self._listening:
            self.state.keyspace.remove_listener(self.on_change)
            self.state.keyspace.replace_hooks.remove(self.touch_all)
            self._listening = False

    def on_change(self, db: "Database", key: bytes | None, event: str, kind: int) -> None:
        if event == "keymiss" or key is None:  # FLUSHDB/FLUSHALL/SWAPDB: see touch_all
            return
        watchers = self.keys.get((db.index, key))
        if watchers:
            for client in watchers:
                client.dirty_cas = True


    def touch_all(self, emptied: "Database", replaced_with: "Database | None") -> None:
        """Redis's ``touchAllWatchedKeysInDb``, before a flush or SWAPDB replaces ``emptied``.

        Only a watched key that exists in the emptied database, or in the one
        replacing it, is touched: WATCH on a key absent from both survives.
        """
        index = emptied.index
        for (watched_index, key), watchers in self.keys.items():
            if watched_index == index and (key in emptied.data
                                           or (replaced_with is not None and key in replaced_with.data)):
                for client in watchers:
                    client.dirty_cas = True


def install(state: "ServerState") -> None:
    registry = WatchRegistry(state)
    state.extensions["watch"] = registry

    def forget(client: "Client") -> None:
        client.multi = None
        if client.watched:
            registry.unwatch_all(client)

    state.disconnect_hooks.append(forget)


def _registry(client: "Client") -> WatchRegistry:
    return client.server.extensions["watch"]


@group.command("multi", 1, "noscript loading stale fast allow_busy", acl="fast transaction", since="1.2.0")
def multi(client: "Client", argv: list[bytes]) -> Any:
    """Mark the start of a transaction block."""
    if client.multi is not None:
        raise CommandError(errors.MULTI_NESTED)
    client.multi = []
    client.multi_error = False
    return OK


@group.command("discard", 1, "noscript loading stale fast allow_busy", acl="fast transaction", since="2.0.0")
def discard(client: "Client", argv: list[bytes]) -> Any:
    """Discard all commands issued after MULTI."""
    if client.multi is None:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    client.multi = None
    client.multi_error = False
    if client.watched:
        _registry(client).unwatch_all(client)
    return OK


@group.command("exec", 1, "noscript loading stale skip_slowlog", acl="slow transaction", since="1.2.0")
def exec_(client: "Client", argv: list[bytes]) -> Any:
    """Execute all commands issued after MULTI."""
    from ..acl.checker import exec_denial
    from .dispatch import call
    queued = client.multi
    if queued is None:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    registry = _registry(client)
    if client.multi_error:
        client.multi = None
        client.multi_error = False
        if client.watched:
            registry.unwatch_all(client)
        raise CommandError(errors.EXECABORT)
    if client.watched:
        for index, key in list(client.watched):  # a watched key that expired is a change
            client.server.keyspace.dbs[index].lookup(key)
    if client.dirty_cas:
        client.multi = None
        registry.unwatch_all(client)
        return NULL_ARRAY
    if client.watched:
        registry.unwatch_all(client)
    replies: list[Any] = []
    # The queue stays in place while it runs, as Redis's mstate does: CLIENT LIST
    # from inside EXEC shows flags=x and multi=<queued count>.
    client.in_exec = True
    try:
        for spec, args in queued:
            user = client.acl_user
            if user is not None and not user.unrestricted:  # ACL rules may have changed since MULTI
                denied = exec_denial(client, spec, args)
                if denied is not None:
                    replies.append(denied)
                    continue
            replies.append(call(client, spec, args))
    finally:
        client.in_exec = False
        client.multi = None
    return replies


@group.command("watch", -2, "noscript loading stale fast allow_busy", keys=(1, -1, 1),
               acl="fast transaction", since="2.2.0")
def watch(client: "Client", argv: list[bytes]) -> Any:
    """Monitor changes to keys to conditionally execute a transaction."""
    if client.multi is not None:
        raise CommandError(errors.WATCH_IN_MULTI)
    registry = _registry(client)
    for key in argv[1:]:
        registry.watch(client, key)
    return OK


@group.command("unwatch", 1, "noscript loading stale fast allow_busy", acl="fast transaction", since="2.2.0")
def unwatch(client: "Client", argv: list[bytes]) -> Any:
    """Forget about all watched keys."""
    if client.watched:
        _registry(client).unwatch_all(client)
    client.dirty_cas = False
    return OK
