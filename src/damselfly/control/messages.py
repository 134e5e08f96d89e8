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
    count = 1  # messages it stands for (a PubRun stands for many)
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


RUN_BYTES = 64 * 1024    # payload bytes after which a run stops growing
RUN_MESSAGES = 1024      # and messages: the work one dispatch-queue entry can stand for


class PubRun(ControlMessage):
    """Consecutive publishes to one channel (or pattern), queued once per subscriber.

    A PUBLISH fan-out to S subscribers costs S queue appends; a pipeline of
    P publishes to the same channel would cost P x S. A run turns that into
    S appends for the first publish and one list append for each following
    one: the run is *open* while it sits, undrained, at the tail of every
    subscriber's queue, and later publishes to the same channel join it.
    It closes (and later publishes start a new run) as soon as anything
    could observe a difference:

    * any subscriber drains it (reading a frame closes it);
    * anything else is queued to one of its subscribers (the connection
      closes its tail run), so per-connection order is kept exactly;
    * the channel's (or pattern's) subscriptions change;
    * it holds :data:`RUN_MESSAGES` messages or :data:`RUN_BYTES` of payload,
      which bounds the work one dispatch-queue entry stands for.

    ``size`` grows with the run (an estimate of its encoded bytes). Each
    connection counted it when the run was queued and adds the growth when
    the run stops being its tail (or when it drains), so a connection's
    ``queued_bytes`` is never more than one run's growth behind the truth.

    Frames are built once per protocol when the run is first drained, with
    one C-level join: ``head + head.join(bodies)`` writes the per-message
    header before every body.
    """

    __slots__ = ("head2", "head3", "name", "pattern", "payloads", "channels", "open", "nbytes",
                 "overhead", "_bodies", "_frame2", "_frame3", "__weakref__")

    def __init__(self, head2: bytes, head3: bytes, name: bytes, pattern: bool = False) -> None:
        self.head2 = head2
        self.head3 = head3
        self.name = name          # the channel, or the pattern of a pattern run
        self.pattern = pattern
        self.payloads: list[bytes] = []
        self.channels: list[bytes] | None = [] if pattern else None  # pattern runs: each message's channel
        self.open = True
        self.nbytes = 0           # payload (and, for patterns, channel) bytes so far
        self.overhead = len(head2) + 16  # per message beyond those bytes: header, lengths, CRLFs
        self._bodies: list[bytes] | None = None
        self._frame2: bytes | None = None
        self._frame3: bytes | None = None

    @classmethod
    def for_channel(cls, channel: bytes, sharded: bool = False) -> "PubRun":
        body = (b"$8\r\nsmessage\r\n" if sharded else b"$7\r\nmessage\r\n") + _bulk(channel)
        return cls(b"*3\r\n" + body, b">3\r\n" + body, channel)

    @classmethod
    def for_pattern(cls, pattern: bytes) -> "PubRun":
        body = b"$8\r\npmessage\r\n" + _bulk(pattern)
        return cls(b"*4\r\n" + body, b">4\r\n" + body, pattern, pattern=True)

    @property
    def size(self) -> int:  # type: ignore[override]
        """Estimated encoded bytes so far (output-buffer accounting)."""
        return self.nbytes + self.overhead * len(self.payloads)

    def messages(self) -> list[tuple[bytes | None, bytes, bytes]]:
        """(pattern or None, channel, payload) of each message, for tests and introspection."""
        if self.channels is None:
            return [(None, self.name, p) for p in self.payloads]
        return [(self.name, c, p) for c, p in zip(self.channels, self.payloads)]

    @property
    def count(self) -> int:  # type: ignore[override]
        return len(self.payloads)

    def bodies(self) -> list[bytes]:
        """Per-message bodies (channel for patterns, then payload); closes the run."""
        bodies = self._bodies
        if bodies is None:
            self.open = False
            if self.channels is None:
                bodies = [b"$%d\r\n%s\r\n" % (len(p), p) for p in self.payloads]
            else:
                bodies = [b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(c), c, len(p), p)
                          for c, p in zip(self.channels, self.payloads)]
            self._bodies = bodies
        return bodies

    @property
    def frame2(self) -> bytes:  # type: ignore[override]
        frame = self._frame2
        if frame is None:
            head = self.head2
            frame = self._frame2 = head + head.join(self.bodies())
        return frame

    @property
    def frame3(self) -> bytes:  # type: ignore[override]
        frame = self._frame3
        if frame is None:
            head = self.head3
            frame = self._frame3 = head + head.join(self.bodies())
        return frame

    def frames(self, resp: int) -> list[bytes]:
        """One frame per message (``control-batching no`` writes them one by one)."""
        head = self.head3 if resp == 3 else self.head2
        return [head + body for body in self.bodies()]


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
    count = 0

    def __init__(self, callback: Callable[["Client"], None]) -> None:
        self.callback = callback
