"""Messages that travel on the control path (a connection's dispatch queue).

A message knows whether it produces a reply (``replying``), its size for
output-buffer accounting, and how to encode itself for a protocol version.
Pub/Sub frames are encoded once per (message, protocol) and the bytes object
is shared by every subscriber that receives it: a fan-out to 1,000 clients
formats the frame once, not 1,000 times.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client


class ControlMessage:
    """Base class. ``replying`` messages write bytes; the others run code."""

    __slots__ = ()
    replying = True
    size = 0

    def encode(self, resp: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


class PubMessage(ControlMessage):
    """One published message as seen by one kind of subscription.

    ``pattern`` is set for ``pmessage`` deliveries; ``sharded`` selects
    ``smessage``. All subscribers of a channel (or of a pattern) share one
    instance, hence one encoded frame per protocol.
    """

    __slots__ = ("channel", "payload", "pattern", "sharded", "size", "_resp2", "_resp3")

    def __init__(self, channel: bytes, payload: bytes, pattern: bytes | None = None,
                 sharded: bool = False) -> None:
        self.channel = channel
        self.payload = payload
        self.pattern = pattern
        self.sharded = sharded
        self.size = len(payload) + len(channel) + 48
        self._resp2: bytes | None = None
        self._resp3: bytes | None = None

    def _body(self) -> bytes:
        if self.pattern is not None:
            return (b"$8\r\npmessage\r\n" + _bulk(self.pattern) + _bulk(self.channel)
                    + _bulk(self.payload))
        kind = b"$8\r\nsmessage\r\n" if self.sharded else b"$7\r\nmessage\r\n"
        return kind + _bulk(self.channel) + _bulk(self.payload)

    def encode(self, resp: int) -> bytes:
        if resp == 3:
            frame = self._resp3
            if frame is None:
                frame = self._resp3 = (b">4\r\n" if self.pattern is not None else b">3\r\n") + self._body()
            return frame
        frame = self._resp2
        if frame is None:
            frame = self._resp2 = (b"*4\r\n" if self.pattern is not None else b"*3\r\n") + self._body()
        return frame


class MonitorMessage(ControlMessage):
    """One MONITOR line, a status reply in both protocols (shared by all monitors)."""

    __slots__ = ("frame", "size")

    def __init__(self, line: bytes) -> None:
        self.frame = b"+" + line + b"\r\n"
        self.size = len(self.frame)

    def encode(self, resp: int) -> bytes:
        return self.frame


class RawPush(ControlMessage):
    """An already-built reply value delivered as a push (invalidations, redirect notices).

    ``value`` is encoded by the protocol layer for each version on first use.
    """

    __slots__ = ("value", "size", "_frames")

    def __init__(self, value: Any, size: int = 64) -> None:
        self.value = value
        self.size = size
        self._frames: dict[int, bytes] = {}

    def encode(self, resp: int) -> bytes:
        frame = self._frames.get(resp)
        if frame is None:
            from ..protocol.reply import encode
            frame = self._frames[resp] = encode(self.value, resp)
        return frame


class InvalidationMessage(RawPush):
    """Client-side-caching invalidation: keys, or None meaning "flush everything"."""

    __slots__ = ("keys",)

    def __init__(self, value: Any, keys: list[bytes] | None, size: int = 64) -> None:
        super().__init__(value, size)
        self.keys = keys


class Checkpoint(ControlMessage):
    """A barrier: runs ``callback(client)`` once every earlier message was written.

    It produces no reply itself, so it never turns batching on.
    """

    __slots__ = ("callback",)
    replying = False

    def __init__(self, callback: Callable[["Client"], None]) -> None:
        self.callback = callback

    def encode(self, resp: int) -> bytes:  # pragma: no cover - never called
        raise TypeError("a checkpoint has no frame")
