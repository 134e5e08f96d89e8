"""The channel registry: exact channels, patterns and shard channels.

Each channel maps to its subscribers as ``{client: client.outbox.send_async}``,
so a PUBLISH fan-out is one dict lookup, one :class:`PubMessage` and one call
of an already-bound method per subscriber: no per-subscriber allocation, and
the frame is encoded once per protocol however many subscribers share it.
Pattern subscriptions keep a compiled matcher (:func:`compile_glob`) so a
publish tests each distinct pattern once.

The client keeps its own sets (``client.channels``, ``patterns``,
``shard_channels``) for the reply counts, the RESP2 subscribed-mode rule and
CLIENT LIST; the registry is the reverse index. Both change together here and
nowhere else.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..glob import compile_glob
from .messages import ControlMessage, PubMessage

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..state import ServerState

Send = Callable[[ControlMessage], None]
Subscribers = dict["Client", Send]


class PubSub:
    """Reverse index from channel (or pattern) to the subscribers' ``send_async``."""

    __slots__ = ("channels", "patterns", "shard_channels", "_pattern_index")

    def __init__(self) -> None:
        self.channels: dict[bytes, Subscribers] = {}
        self.patterns: dict[bytes, Subscribers] = {}
        self.shard_channels: dict[bytes, Subscribers] = {}
        # (pattern, matcher, subscribers) for the publish loop; rebuilt when patterns change.
        self._pattern_index: list[tuple[bytes, Callable[[bytes], bool], Subscribers]] = []

    # -- subscribing ---------------------------------------------------------------
    def subscribe(self, client: "Client", channel: bytes) -> None:
        if channel not in client.channels and client.outbox is not None:
            client.channels.add(channel)
            self.channels.setdefault(channel, {})[client] = client.outbox.send_async

    def unsubscribe(self, client: "Client", channel: bytes) -> None:
        if channel in client.channels:
            client.channels.discard(channel)
            _remove(self.channels, channel, client)

    def psubscribe(self, client: "Client", pattern: bytes) -> None:
        if pattern not in client.patterns and client.outbox is not None:
            client.patterns.add(pattern)
            subs = self.patterns.get(pattern)
            if subs is None:
                subs = self.patterns[pattern] = {}
                self._pattern_index.append((pattern, compile_glob(pattern), subs))
            subs[client] = client.outbox.send_async

    def punsubscribe(self, client: "Client", pattern: bytes) -> None:
        if pattern in client.patterns:
            client.patterns.discard(pattern)
            if _remove(self.patterns, pattern, client):
                self._pattern_index = [e for e in self._pattern_index if e[0] != pattern]

    def ssubscribe(self, client: "Client", channel: bytes) -> None:
        if channel not in client.shard_channels and client.outbox is not None:
            client.shard_channels.add(channel)
            self.shard_channels.setdefault(channel, {})[client] = client.outbox.send_async

    def sunsubscribe(self, client: "Client", channel: bytes) -> None:
        if channel in client.shard_channels:
            client.shard_channels.discard(channel)
            _remove(self.shard_channels, channel, client)

    def forget(self, client: "Client") -> None:
        """Drop every subscription of ``client`` quietly (disconnect, RESET)."""
        for channel in list(client.channels):
            self.unsubscribe(client, channel)
        for pattern in list(client.patterns):
            self.punsubscribe(client, pattern)
        for channel in list(client.shard_channels):
            self.sunsubscribe(client, channel)

    # -- publishing -----------------------------------------------------------------
    def publish(self, channel: bytes, payload: bytes) -> int:
        """Queue ``message`` (and one ``pmessage`` per matching pattern); return receivers."""
        receivers = 0
        subs = self.channels.get(channel)
        if subs:
            msg = PubMessage(channel, payload)
            for send in subs.values():
                send(msg)
            receivers = len(subs)
        if self._pattern_index:
            for pattern, match, psubs in self._pattern_index:
                if match(channel):
                    msg = PubMessage(channel, payload, pattern)
                    for send in psubs.values():
                        send(msg)
                    receivers += len(psubs)
        return receivers

    def spublish(self, channel: bytes, payload: bytes) -> int:
        """SPUBLISH: shard channels have no patterns."""
        subs = self.shard_channels.get(channel)
        if not subs:
            return 0
        msg = PubMessage(channel, payload, sharded=True)
        for send in subs.values():
            send(msg)
        return len(subs)

    # -- introspection (PUBSUB, INFO) ----------------------------------------------
    def active(self, table: dict[bytes, Subscribers], pattern: bytes | None) -> list[bytes]:
        if pattern is None:
            return list(table)
        match = compile_glob(pattern)
        return [name for name in table if match(name)]

    @staticmethod
    def numsub(table: dict[bytes, Subscribers], names: Iterable[bytes]) -> Iterator[bytes | int]:
        for name in names:
            yield name
            subs = table.get(name)
            yield len(subs) if subs else 0

    def clients(self) -> int:
        """Clients with at least one subscription of any kind."""
        seen: set[int] = set()
        for table in (self.channels, self.patterns, self.shard_channels):
            for subs in table.values():
                seen.update(id(c) for c in subs)
        return len(seen)


def _remove(table: dict[bytes, Subscribers], name: bytes, client: "Client") -> bool:
    """Remove ``client`` from ``table[name]``; True when that emptied the entry."""
    subs = table.get(name)
    if subs is None:
        return False
    subs.pop(client, None)
    if subs:
        return False
    del table[name]
    return True


def install(state: "ServerState") -> PubSub:
    """Create the registry as ``state.extensions["pubsub"]`` and clean up on disconnect/RESET.

    INFO reads it: ``pubsub_channels`` = ``len(registry.channels)``,
    ``pubsub_patterns`` = ``len(registry.patterns)``, ``pubsubshard_channels`` =
    ``len(registry.shard_channels)`` (Redis 7.0 counts distinct names, not
    subscriptions), and ``registry.clients()`` for a ``pubsub_clients`` line.
    """
    registry = PubSub()
    state.extensions["pubsub"] = registry

    def forget(client: "Client") -> None:
        if client.channels or client.patterns or client.shard_channels:
            registry.forget(client)

    state.disconnect_hooks.append(forget)
    return registry
