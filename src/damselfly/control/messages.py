"""Messages that travel on the control path (a connection's dispatch queue).

A message knows whether it produces a reply (``replying``), its size for
output-buffer accounting, and its encoded frame per protocol version:
``frame2`` (RESP2) and ``frame3`` (RESP3), ``None`` for messages that write
nothing (:class:`Checkpoint`). Frames are built once, when the message is
created, and the same bytes object is shared by every receiver: a fan-out to
1,000 subscribers formats a PUBLISH once per protocol, not 1,000 times, and
the drain reads an attribute instead of calling a method per delivery.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..protocol.reply import encode

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client


class ControlMessage:
    """Base class. ``replying`` messages write bytes; the others run code."""

    __slots__ = ()
    replying = True
    size = 0
    frame2: bytes | None = None
    frame3: bytes | None = None

    def encode(self, resp: int) -> bytes:
        """The frame for protocol ``resp`` (2 or 3)."""
        frame = self.frame3 if resp == 3 else self.frame2
        if frame is None:
            raise TypeError(f"{type(self).__name__} has no frame")
        return frame


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


class PubMessage(ControlMessage):
    """One published message as seen by one kind of subscription.

    ``pattern`` is set for ``pmessage`` deliveries; ``sharded`` selects
    ``smessage``. All subscribers of a channel (or of a pattern) share one
    instance. Both frames are built eagerly: two short concatenations per
    publish cost less than one method call per delivered message.
    """

    __slots__ = ("channel", "payload", "pattern", "sharded", "size", "frame2", "frame3")

    def __init__(self, channel: bytes, payload: bytes, pattern: bytes | None = None,
                 sharded: bool = False) -> None:
        self.channel = channel
        self.payload = payload
        self.pattern = pattern
        self.sharded = sharded
        if pattern is not None:
            body = b"$8\r\npmessage\r\n" + _bulk(pattern) + _bulk(channel) + _bulk(payload)
            self.frame2 = b"*4\r\n" + body
            self.frame3 = b">4\r\n" + body
        else:
            body = (b"$8\r\nsmessage\r\n" if sharded else b"$7\r\nmessage\r\n") + _bulk(channel) + _bulk(payload)
            self.frame2 = b"*3\r\n" + body
            self.frame3 = b">3\r\n" + body
        self.size = len(body) + 4


class MonitorMessage(ControlMessage):
    """One MONITOR line, a status reply in both protocols (shared by all monitors)."""

    __slots__ = ("size", "frame2", "frame3")

    def __init__(self, line: bytes) -> None:
        self.frame2 = self.frame3 = b"+" + line + b"\r\n"
        self.size = len(self.frame2)


class RawPush(ControlMessage):
    """An already-built reply value delivered as a push (``tracking-redir-broken``)."""

    __slots__ = ("value", "size", "frame2", "frame3")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.frame2 = encode(value, 2)
        self.frame3 = encode(value, 3)
        self.size = len(self.frame3)


_INVALIDATE_RESP3 = b">2\r\n$10\r\ninvalidate\r\n"
_INVALIDATE_RESP2 = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"


class InvalidationMessage(ControlMessage):
    """Client-side-caching invalidation: ``keys``, or None meaning "flush everything".

    The receiver's protocol picks the frame, as Redis's ``sendTrackingMessage``
    does: a RESP3 receiver gets ``>2 invalidate <keys>``, a RESP2 redirect
    target gets a ``message`` on ``__redis__:invalidate`` whose payload is the
    key array. The null of a flush is written in the protocol of the
    *tracking* client (``null_resp``), which may differ from the receiver's
    when invalidations are redirected: Redis does exactly that.
    One instance may be shared by many receivers (BCAST, flushes).
    """

    __slots__ = ("keys", "size", "frame2", "frame3")

    def __init__(self, keys: list[bytes] | None, null_resp: int = 3) -> None:
        self.keys = keys
        if keys is None:
            body = b"_\r\n" if null_resp == 3 else b"$-1\r\n"
        else:
            body = b"*%d\r\n" % len(keys) + b"".join(_bulk(k) for k in keys)
        self.frame2 = _INVALIDATE_RESP2 + body
        self.frame3 = _INVALIDATE_RESP3 + body
        self.size = len(self.frame2)


class Checkpoint(ControlMessage):
    """A barrier: runs ``callback(client)`` once every earlier message was written.

    It produces no reply itself (no frame), so it never turns batching on.
    """

    __slots__ = ("callback",)
    replying = False

    def __init__(self, callback: Callable[["Client"], None]) -> None:
        self.callback = callback
