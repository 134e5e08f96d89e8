"""Keyspace notifications (Redis's notify.c) as a listener on the keyspace change hook.

Every write calls ``db.changed(key, event, NotifyKind.X)`` with Redis's event
name; when ``notify-keyspace-events`` enables the class ``X`` this publishes,
through the ordinary channel registry,

* ``__keyspace@<db>__:<key>`` with the event name as payload (flag ``K``),
* ``__keyevent@<db>__:<event>`` with the key as payload (flag ``E``),

in that order, exactly as ``notifyKeyspaceEvent`` does. The letters map to
:class:`NotifyKind` bit for bit (``g`` GENERIC, ``$`` STRING, ``l`` LIST,
``s`` SET, ``h`` HASH, ``z`` ZSET, ``x`` EXPIRED, ``e`` EVICTED, ``t`` STREAM,
``m`` KEY_MISS, ``d`` MODULE, ``n`` NEW; ``A`` is ``g$lshzxetd``). The
listener is registered only while some class and K or E are on, so a write
pays nothing when notifications are off (the default).

``new`` (Redis's ``dbAdd``) is not a change: WATCH, tracking and the dirty
counter must not see it. It does not pass through ``db.changed``; instead
``Keyspace.on_new`` points at :meth:`Notifier.on_new` while ``n`` and K or E
are on, and is None otherwise, so key creation costs one attribute test.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..keyspace import NotifyKind

if TYPE_CHECKING:  # pragma: no cover
    from ..keyspace import Database
    from ..state import ServerState
    from .pubsub import PubSub

LETTERS: dict[str, int] = {
    "K": NotifyKind.KEYSPACE, "E": NotifyKind.KEYEVENT, "g": NotifyKind.GENERIC,
    "$": NotifyKind.STRING, "l": NotifyKind.LIST, "s": NotifyKind.SET, "h": NotifyKind.HASH,
    "z": NotifyKind.ZSET, "x": NotifyKind.EXPIRED, "e": NotifyKind.EVICTED,
    "t": NotifyKind.STREAM, "m": NotifyKind.KEY_MISS, "d": NotifyKind.MODULE, "n": NotifyKind.NEW,
}
ALL = (NotifyKind.GENERIC | NotifyKind.STRING | NotifyKind.LIST | NotifyKind.SET | NotifyKind.HASH
       | NotifyKind.ZSET | NotifyKind.EXPIRED | NotifyKind.EVICTED | NotifyKind.STREAM
       | NotifyKind.MODULE)
LETTERS["A"] = ALL
_TARGETS = int(NotifyKind.KEYSPACE | NotifyKind.KEYEVENT)
_NEW = int(NotifyKind.NEW)


def parse_flags(text: str) -> int:
    """Bits of a validated ``notify-keyspace-events`` string (config.py validates it)."""
    flags = 0
    for ch in text:
        flags |= LETTERS[ch]
    return int(flags)


class Notifier:
    """Publishes keyspace/keyevent messages for the enabled classes."""

    def __init__(self, state: "ServerState", pubsub: "PubSub") -> None:
        self.state = state
        self.pubsub = pubsub
        self.flags = 0
        self._listening = False
        self._events: dict[str, bytes] = {}
        self.configure(state.config.notify_keyspace_events)

    def configure(self, text: str) -> None:
        """Apply a new ``notify-keyspace-events`` value (startup and CONFIG SET)."""
        self.flags = parse_flags(text)
        targets = bool(self.flags & _TARGETS)
        keyspace = self.state.keyspace
        keyspace.on_new = self.on_new if targets and self.flags & _NEW else None
        wanted = targets and bool(self.flags & ~(_TARGETS | _NEW))
        if wanted != self._listening:
            if wanted:
                keyspace.add_listener(self.on_change)
            else:
                keyspace.remove_listener(self.on_change)
            self._listening = wanted

    def on_config(self, name: str, value: Any) -> None:
        if name == "notify-keyspace-events":
            self.configure(value)

    def on_change(self, db: "Database", key: bytes | None, event: str, kind: int) -> None:
        flags = self.flags
        if key is None or not flags & kind:
            return
        name = self._events.get(event)
        if name is None:
            name = self._events[event] = event.encode()
        publish = self.pubsub.publish
        if flags & NotifyKind.KEYSPACE:
            publish(b"__keyspace@%d__:%s" % (db.index, key), name)
        if flags & NotifyKind.KEYEVENT:
            publish(b"__keyevent@%d__:%s" % (db.index, name), key)

    def on_new(self, db: "Database", key: bytes) -> None:
        """A key was created (``dbAdd``): publish ``new`` as the K and E flags ask."""
        publish = self.pubsub.publish
        flags = self.flags
        if flags & NotifyKind.KEYSPACE:
            publish(b"__keyspace@%d__:%s" % (db.index, key), b"new")
        if flags & NotifyKind.KEYEVENT:
            publish(b"__keyevent@%d__:new" % db.index, key)


def install(state: "ServerState") -> Notifier:
    """Create the notifier (``state.extensions["notifications"]``) and follow CONFIG SET."""
    notifier = Notifier(state, state.extensions["pubsub"])
    state.extensions["notifications"] = notifier
    state.config.listeners.append(notifier.on_config)
    return notifier
