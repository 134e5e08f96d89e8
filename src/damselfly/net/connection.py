"""One client connection: the data path and the control path's dispatch queue.

Data path (``data_received``): parse every complete command of the read,
deliver control messages queued before it (so no reply overtakes an older
push), run the commands in order, encode replies into one buffer, and write
once per read. Large pipelines are flushed every ~64 KiB so memory stays
bounded.

Control path (``send_async``): producers (PUBLISH, MONITOR, tracking,
keyspace events) append a message to this connection's deque and schedule a
single drain with ``loop.call_soon``; everything published in the same loop
tick piles up before the drain runs, which is where batching comes from.
Consecutive publishes to one channel share one queue entry (a growing
:class:`PubRun`). The drain follows DESIGN section 3 and docs/design.md
"Control path": batch only when two or more reply-producing messages wait,
stop at ``async-dispatch-quota`` entries and flush before yielding, restore
batch mode on every exit path, and apply client-output-buffer-limit to
queued plus transport-buffered bytes.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from itertools import islice, repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from .. import errors
from ..client import Client
from ..commands.dispatch import BLOCKED, count_error, execute, plain_commands, plain_ok, record_duration
from ..commands.registry import REPLY_MARK
from ..control.messages import ControlMessage, PubRun
from ..errors import CommandError
from ..protocol.parser import RequestParser
from ..protocol.reply import Raw, encode_into_resp2, encode_into_resp3

if TYPE_CHECKING:  # pragma: no cover
    from ..state import ServerState

# Mid-pipeline flushes. The sink's size is measured every CHECK_CHUNKS chunks,
# each chunk once (measured: summing the whole sink after every command past
# 512 chunks cost +11 us/command at depth 1000; this costs nothing up to 64
# chunks and ~20 ns per chunk beyond). A large value is 3 chunks, so at most
# ~21 large replies pile up before a check flushes them, or holds the rest of
# the pipeline back when the peer is not reading (backpressure).
CHECK_CHUNKS = 64
FLUSH_BYTES = 64 * 1024   # flush mid-pipeline once the sink passes this


_NO_LIMIT = float("inf")
REPLY_CHUNK_BYTES = 16 * 1024  # Redis's PROTO_REPLY_CHUNK_BYTES: a client's static reply buffer
_perf = time.perf_counter
_NOT_PLAIN: Any = {}.get  # the plain branch's lookup while it is off: every command misses
_LOOPBACK = ("127.0.0.1", "::1")  # Redis's islocalClient: not the rest of 127.0.0.0/8
_FRAME2 = attrgetter("frame2")
_FRAME3 = attrgetter("frame3")
_COUNT = attrgetter("count")
_SIZE = attrgetter("size")
# First in a connection's ``_post``: own events left queued to follow the reply (_events_before_reply).
_EVENTS_AFTER_REPLY: Any = object()


def _count_replying(queue: deque[ControlMessage], quota: int = 0) -> int:
    """Reply-producing messages in the next ``quota`` entries (0 = all), counting no further than 2 (rule 1).

    A Checkpoint (or any non-replying message) never counts, so it cannot
    turn batching on for a lone reply (the seed's first review bug); a
    PubRun counts as the messages it holds.
    """
    n = 0
    for index, msg in enumerate(queue):
        if quota and index >= quota:
            break
        if msg.replying:
            n += msg.count
            if n >= 2:
                return 2
    return n


class Connection(asyncio.Protocol):
    """asyncio protocol for one client; implements :class:`~damselfly.client.Outbox`."""

    __slots__ = (
        "state", "loop", "transport", "client", "parser", "queue", "_queued", "_reported",
        "_obuf_budget", "_tail_run", "_tail_credit", "_drain_scheduled",
        "closing", "_out", "_post", "_pending", "_soft_since", "batch_mode", "_read_paused",
        "_write_paused", "_owner", "_held_bytes",
    )

    def __init__(self, state: "ServerState", loop: asyncio.AbstractEventLoop, owner: Any = None) -> None:
        self.state = state
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.client: Client | None = None
        self.parser = RequestParser(state.config.proto_max_bulk_len)
        self.queue: deque[ControlMessage] = deque()
        self._queued = 0                   # bytes in the dispatch queue
        self._reported = 0                 # of which counted in INFO dispatch_queue_bytes
        self._obuf_budget = 0              # queued bytes before the output limit needs a look
        self._tail_run: PubRun | None = None  # the run last queued, possibly still growing
        self._tail_credit = 0              # its size when counted in _queued
        self._drain_scheduled = False
        self.closing = False
        self._out: list[bytes] = []        # the reply sink for the current batch
        self._post: list[ControlMessage] = []  # pushes that must follow the current reply
        self._pending: deque[list[bytes]] = deque()  # commands waiting behind a blocked one
        self._soft_since = 0.0
        self.batch_mode = False
        self._read_paused = False
        self._write_paused = False
        self._owner = owner
        self._held_bytes = 0               # input read while commands wait behind a blocked one

    # -- lifecycle -----------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        state = self.state
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        sock = transport.get_extra_info("socket")
        fd = -1
        if sock is not None:
            fd = sock.fileno()
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        if len(state.clients) >= state.config.maxclients:
            # Redis's acceptCommonHandler: refused before a client exists, so no
            # id is used and total_connections_received does not count it.
            state.stats.rejected_connections += 1
            transport.write(b"-" + errors.MAX_CLIENTS.encode() + b"\r\n")
            self.closing = True
            transport.close()
            return
        self.client = Client(state.next_client_id(), state, self, _fmt_addr(peer), _fmt_addr(local), fd)
        # Redis's protected mode (clientAcceptHandler, after any TLS handshake): with no password
        # for the default user, only 127.0.0.1, ::1 and unix-socket clients are served.
        if (state.config.protected_mode and isinstance(peer, tuple) and peer[0] not in _LOOPBACK
                and _default_user_nopass(state)):
            state.stats.rejected_connections += 1
            transport.write(b"-" + errors.PROTECTED_MODE_DENIED.encode() + b"\r\n")
            self.closing = True
            transport.close()
            return
        state.stats.total_connections_received += 1
        state.clients[self.client.id] = self.client
        if self._owner is not None:
            self._owner.connection_opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        client = self.client
        state = self.state
        if self.queue:
            self._drop_queue()
        if client is not None and state.clients.pop(client.id, None) is not None:
            for hook in state.disconnect_hooks:
                hook(client)
            client.outbox = None
        if self._owner is not None:
            self._owner.connection_closed(self)

    def close(self, reason: str = "") -> None:
        """Close after what is already written (CLIENT KILL, QUIT, timeouts)."""
        if self.closing or self.transport is None:
            return
        self._flush()
        self.closing = True
        self.transport.close()

    def abort(self) -> None:
        """Drop buffers and close at once (output buffer limit reached)."""
        if self.transport is None:
            return
        self.closing = True
        self._out.clear()
        if self.queue:
            self._drop_queue()
        self.transport.abort()

    # -- backpressure ----------------------------------------------------------
    def pause_writing(self) -> None:
        """The peer is not reading: stop reading its requests until it catches up."""
        self._write_paused = True
        if not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        """Drained below the low-water mark: run the commands held back, then read again."""
        self._write_paused = False
        if self.closing or self.transport is None:
            return
        if self.client is not None:  # the peer is reading: for ``timeout``, as a write is in Redis
            self.client.last_interaction = time.monotonic()
        if self._pending and self.client is not None and self.client.blocked is None:
            self.loop.call_soon(self._run_held)
        elif self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()

    def _run_held(self) -> None:
        """Run the commands a full transport buffer held back (see ``_run``), in order."""
        client = self.client
        if self.closing or self._write_paused or client is None or client.blocked is not None:
            return
        held = self._pending
        self._pending = deque()
        self._run(list(held))
        if self.closing:
            return
        if not self._pending and self.parser.error is not None:
            self._protocol_error(self.parser.error)  # what followed the held commands was garbage
            return
        self._flush()
        if self._write_paused and not self.closing:
            self._reply_limit_reached()
        self._maybe_resume_reading()

    def _maybe_resume_reading(self) -> None:
        """Read again once nothing is held back and the transport has drained."""
        if self._read_paused and not (self._pending or self._write_paused or self.closing) \
                and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()

    def _unwritten_over_limit(self, size: int) -> bool:
        """client-output-buffer-limit for ``size`` bytes about to be written, before writing them.

        Redis builds a read's replies in the client's buffer and writes them
        later, checking the limit as they are added: a reply over the hard
        limit closes the client before any of it is sent. Its first
        :data:`REPLY_CHUNK_BYTES` sit in the static buffer, which the limit
        does not count, so neither does this; smaller writes are only
        checked when the transport backs up (:meth:`_reply_limit_reached`).
        """
        limit = self._obuf_limit()
        return bool(limit.hard or limit.soft) and self._over_output_limit(size - REPLY_CHUNK_BYTES)

    def _reply_limit_reached(self) -> bool:
        """client-output-buffer-limit for command replies (the ``normal`` class, or ``pubsub``).

        Checked when a write leaves the transport above its high-water mark,
        so a client that reads its replies pays nothing; a reply larger than
        the hard limit closes the client, as in Redis.
        """
        limit = self._obuf_limit()
        return bool(limit.hard or limit.soft) and self._over_output_limit()

    # -- data path -------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        state = self.state
        stats = state.stats
        stats.total_reads_processed += 1
        stats.total_net_input_bytes += len(data)
        client = self.client
        if self.closing or client is None:
            return
        client.last_interaction = time.monotonic()
        parser = self.parser
        parser.auth_required = not client.authenticated
        parser.max_bulk_len = state.config.proto_max_bulk_len  # read per request, as Redis: CONFIG SET applies at once
        commands = parser.feed(data)
        if parser.error is None and parser.pending_bytes > state.config.client_query_buffer_limit:
            stats.client_query_buffer_limit_disconnections += 1
            self.abort()
            return
        if self._pending or client.blocked is not None:
            # Held behind a blocked command: still input, so the query buffer limit applies
            # (bytes read since the held queue was last empty; Redis keeps them in querybuf).
            held = self._held_bytes = (self._held_bytes if self._pending else 0) + len(data)
            self._pending.extend(commands)
            if held > state.config.client_query_buffer_limit:
                stats.client_query_buffer_limit_disconnections += 1
                self.abort()
                return
            if parser.error is not None:
                self._protocol_error(parser.error)
            return
        self._run(commands)
        if parser.error is not None and not self.closing and not (self._pending and self._write_paused):
            self._protocol_error(parser.error)  # (commands held by backpressure answer first: _run_held)
            return
        self._flush()
        if self._write_paused and not self.closing:
            self._reply_limit_reached()

    def _protocol_error(self, message: str) -> None:
        """Reply the protocol error after earlier replies, then close (Redis's behaviour)."""
        self._out.append(b"-" + message.encode("utf-8", "surrogateescape") + b"\r\n")  # raw bytes
        self.close()

    def _plain_ready(self, client: Client) -> bool:
        """:func:`~damselfly.commands.dispatch.plain_ok`, plus what this loop adds to a reply:
        replies on (no CLIENT REPLY OFF/SKIP), no push due after it, no close requested."""
        return (client.reply_mode == "on" and not client.skip_replies and not self._post
                and not client.close_after_reply and plain_ok(client))

    def _plain_setup(self, client: Client) -> tuple[Any, Any, bytes, float]:
        """What the plain branch of :meth:`_run` reads per command, taken once per read and
        after each general command: the plain-command lookup (finding nothing unless
        :meth:`_plain_ready`), the reply encoder and null for the protocol, and the duration
        from which SLOWLOG or the latency monitor records (``state.record_usec``)."""
        plain = plain_commands(self.state.table).get if self._plain_ready(client) else _NOT_PLAIN
        resp3 = client.resp == 3
        return (plain, encode_into_resp3 if resp3 else encode_into_resp2, b"_\r\n" if resp3 else b"$-1\r\n",
                self.state.record_usec)

    def _run(self, commands: Any) -> None:
        """Execute ``commands`` in order, encoding replies into the sink.

        Two branches per command. The general one is :func:`execute`, then
        what a reply may need (BLOCKED, CLIENT REPLY, pushes after the reply,
        close). The plain one runs a plain command (``plain``, from
        :func:`~damselfly.commands.dispatch.plain_commands`) while
        :meth:`_plain_ready` holds (else ``plain`` finds nothing), and is that same sequence with every
        step that is a known no-op left out: :func:`execute`'s checks all
        pass and it would go straight to :func:`~damselfly.commands.dispatch.call`;
        ``call`` feeds no MONITOR and runs no hook; the reply is encoded
        (replies on) and nothing else is due. What it still does, in
        ``call``'s order: ``last_cmd``, ``current_client`` around the
        handler, a CommandError as the reply (``failed_calls``, errorstats),
        calls/usec, ``total_commands_processed``, SLOWLOG and the latency
        monitor (:func:`~damselfly.commands.dispatch.record_duration`). Readiness is
        checked once per read and again after every general command, since
        only those can change it (see ``plain_ok``).

        Measured trade-off: the plain branch reads the clock once per command,
        so a command's usec (commandstats, SLOWLOG) runs from the end of the
        previous one and includes encoding its reply, about 0.1 us more than
        ``call`` measures; two clock reads per command cost more than that.
        The encoding of bulk, status, null and integer replies is inlined
        (the same bytes as ``protocol.reply``); other values go to the encoder.

        Pushes the command queued for this client (its own keyspace events)
        go before or after its reply, or both, where Redis writes them (see
        :meth:`_events_before_reply`); both branches look at that only when
        the queue is not empty, and what follows the reply rides on the test
        of ``_post`` already there, so a command that queued nothing pays
        nothing for it.
        """
        client = self.client
        assert client is not None
        out = self._out
        queue = self.queue
        state = self.state
        if queue:  # pushes queued before this read are written before its replies (rule 6)
            self._drain_into(out, 0, state.config.control_batching)
        check, seen, size = CHECK_CHUNKS, 0, 0  # when to look at the sink, chunks measured, their bytes
        plain, encode, null, record = self._plain_setup(client)
        stats = state.stats
        t = _perf()
        for index, argv in enumerate(commands):
            spec = plain(argv[0])
            if spec is not None and (len(argv) == spec.arity or (spec.arity < 0 and len(argv) >= -spec.arity)):
                client.last_cmd = spec.name
                state.current_client = client
                try:
                    reply = spec.handler(client, argv)  # type: ignore[misc]
                except CommandError as err:
                    spec.failed_calls += 1
                    count_error(client, err)
                    reply = err
                finally:
                    state.current_client = None
                now = _perf()
                usec = (now - t) * 1e6
                t = now
                spec.calls += 1
                spec.usec += usec
                stats.total_commands_processed += 1
                if usec >= record:  # SLOWLOG or the latency monitor wants it (call()'s one comparison)
                    record_duration(client, spec, argv, usec, reply)
                if queue:  # the command's own events: those Redis sends before its reply
                    self._events_before_reply(out, spec.reply_first and not isinstance(reply, CommandError))
                if reply is BLOCKED:
                    self._pending.extend(commands[index + 1:])
                    return
                cls = reply.__class__
                if cls is bytes and len(reply) < 16384:
                    out.append(b"$%d\r\n%s\r\n" % (len(reply), reply))
                elif cls is Raw:
                    out.append(reply)
                elif reply is None:
                    out.append(null)
                elif cls is int:
                    out.append(b":%d\r\n" % reply)
                else:
                    encode(reply, out)
                if self._post:
                    self._write_after_reply(out)
            else:
                reply = execute(client, argv)
                if queue:
                    self._events_before_reply(out, reply is not BLOCKED and self._replies_first(argv, reply))
                if reply is BLOCKED:
                    self._pending.extend(commands[index + 1:])
                    return
                if client.reply_mode == "on" and not client.skip_replies:
                    if client.resp == 3:
                        encode_into_resp3(reply, out)
                    else:
                        encode_into_resp2(reply, out)
                elif client.skip_replies:
                    client.skip_replies -= 1
                if self._post:
                    self._write_after_reply(out)
                if client.close_after_reply:
                    self.close()
                    return
                # the command may have changed what the plain branch relies on
                plain, encode, null, record = self._plain_setup(client)
                t = _perf()
            if len(out) >= check:  # every CHECK_CHUNKS chunks; each chunk's size is read once
                size += sum(map(len, out[seen:]))
                seen = check = len(out)
                if size >= FLUSH_BYTES or self._write_paused:
                    self._flush()
                    if self._write_paused:  # the peer is not reading: the rest waits (backpressure)
                        if not self._reply_limit_reached():
                            self._pending.extend(commands[index + 1:])
                        return
                    if self.closing:
                        return
                    seen = size = 0
                    check = CHECK_CHUNKS
                else:
                    check += CHECK_CHUNKS

    def _events_before_reply(self, out: list[bytes], reply_first: bool) -> None:
        """Write the queued pushes that Redis sends before the reply about to be encoded.

        Where the reply goes: at the :data:`REPLY_MARK` the command queued
        (:func:`~damselfly.commands.registry.reply_here`) if any, else before
        every queued push for a ``reply_first`` command, else after all of
        them. In ``_run`` the queue holds only the command's own events (it
        was drained before the command). EXEC is never ``reply_first`` and
        nothing inside it marks: a transaction's events all precede EXEC's
        reply, never inside its array as in Redis (rule 6).

        What follows the reply stays queued and :data:`_EVENTS_AFTER_REPLY`
        goes first in ``_post``, so the callers' existing test of ``_post``
        after the reply also covers it (a second test of the queue there
        cost ~15 ns a GET in ``bench.hotpath``): see :meth:`_write_after_reply`.
        """
        queue = self.queue
        if REPLY_MARK in queue:
            before = queue.index(REPLY_MARK)
            if before:
                self._drain_into(out, before, self.state.config.control_batching)
            if queue and queue[0] is REPLY_MARK:  # the drain may have closed the client (output limit)
                queue.popleft()  # the mark itself: size 0, never counted
        elif not reply_first:
            self._drain_into(out, 0, self.state.config.control_batching)
            return
        if queue:
            self._post.insert(0, _EVENTS_AFTER_REPLY)

    def _write_after_reply(self, out: list[bytes]) -> None:
        """After a reply: the command's own events Redis sends after it, then the pushes
        queued with :meth:`send_after_reply` (own invalidations follow them in Redis too)."""
        post = self._post
        if post[0] is _EVENTS_AFTER_REPLY:
            del post[0]
            self._drain_into(out, 0, self.state.config.control_batching)
            if not post:
                return
        self._write_post(out)

    def _replies_first(self, argv: list[bytes], reply: Any) -> bool:
        """``reply_first`` of the command :func:`execute` just ran; not for an error reply, which
        follows whatever was queued (evictions before the command, lazy expiry)."""
        spec = self.state.table.get(argv[0])
        return spec is not None and spec.reply_first and not isinstance(reply, CommandError)

    def resume_blocked(self, reply: Any) -> None:
        """A blocked command finished (served, timed out, or CLIENT UNBLOCK)."""
        client = self.client
        if client is None or self.closing:
            return
        client.blocked = None
        out = self._out
        if self.queue:  # older pushes first (rule 6), then the served command's events up to its mark
            self._events_before_reply(out, False)
        if client.reply_mode == "on":
            (encode_into_resp3 if client.resp == 3 else encode_into_resp2)(reply, out)
        if self._post:
            self._write_after_reply(out)
        pending = self._pending
        while pending and client.blocked is None and not self.closing and not self._write_paused:
            argv = pending.popleft()
            self._run_one(argv)
        self._flush()
        self._maybe_resume_reading()

    def _run_one(self, argv: list[bytes]) -> None:
        pending = self._pending
        self._pending = deque()
        self._run([argv])
        if self._pending:  # the command blocked again: keep the rest behind it
            self._pending.extend(pending)
        else:
            self._pending = pending

    def _flush(self) -> None:
        out = self._out
        if not out or self.transport is None:
            return
        data = b"".join(out) if len(out) > 1 else out[0]
        out.clear()
        if not data:
            return
        if len(data) > REPLY_CHUNK_BYTES and self._unwritten_over_limit(len(data)):
            return  # closed: as in Redis, a client over its limit gets none of its pending output
        stats = self.state.stats
        stats.total_writes_processed += 1
        stats.total_net_output_bytes += len(data)
        self.transport.write(data)

    # -- control path ------------------------------------------------------------
    # Rules 1-8 of the design's control path. Per delivered message the work
    # is: append to the deque and add its size (send_async), then one
    # attribute read of the already-encoded frame when the drain batches
    # (measured: the old per-message limit check and global counter updates
    # were 60% of send_async's cost in a 10-subscriber fan-out profile).
    def send_async(self, msg: ControlMessage) -> None:
        """Queue a control message for this client; never blocks the producer (rule 7).

        A :class:`PubRun` at the tail of the queue keeps growing while later
        publishes to its channel join it; anything queued behind it closes it,
        so nothing published later can overtake this message.
        """
        if self.closing:
            return
        tail = self._tail_run
        if tail is not None:
            tail.open = False
            self._queued += tail.size - self._tail_credit  # what it grew by since we counted it
            self._tail_run = None
        size = msg.size  # a property on a PubRun: read it once
        if msg.__class__ is PubRun:
            self._tail_run = msg
            self._tail_credit = size
        self.queue.append(msg)
        queued = self._queued = self._queued + size
        if queued >= self._obuf_budget and self._over_output_limit():
            return
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.loop.call_soon(self._scheduled_drain)

    def send_after_reply(self, msg: ControlMessage) -> None:
        """Queue a push that must follow the reply of the command now running."""
        self._post.append(msg)

    def _write_post(self, out: list[bytes]) -> None:
        resp = self.client.resp if self.client else 2
        for msg in self._post:
            out.append(msg.encode(resp))
        self.state.stats.control_messages += len(self._post)
        self._post.clear()

    def _scheduled_drain(self) -> None:
        self._drain_scheduled = False
        queue = self.queue
        if self.closing or not queue:
            return
        if len(queue) == 1:
            count = queue[0].count
            if count == 1 or (count > 1 and self.state.config.control_batching):
                self._write_lone_entry(count)
                return
        self.process_control_messages(self.state.config.async_dispatch_quota)

    def _write_lone_entry(self, count: int) -> None:
        """The commonest wake-ups: one queued entry with a frame, written at once.

        One message at pipeline depth 1 (rules 1-2: no batching for a lone
        reply); or, when publishers pipeline, one :class:`PubRun` of ``count``
        messages, whose single frame is the batch (rule 1 with batching on).
        What ``process_control_messages`` would do for it, without its
        general machinery: a lone message 1.9 us -> 0.7 us a drain; a
        10-subscriber fan-out at depth 10, 4.6 us -> 3.2 us a publish
        (``python -m bench.hotpath --depth 10 publish``, in-process).
        ``_flush`` and ``_refresh_obuf_budget`` are inlined for the queue it
        leaves empty: 10 subscribers, 19.0 -> 17.2 us a publish at depth 1,
        3.23 -> 3.04 us at depth 10.
        """
        state = self.state
        stats = state.stats
        queued = self._queued
        tail = self._tail_run
        if tail is not None:
            queued += tail.size - self._tail_credit
            self._tail_run = None
        # _report_queue and the drain's release folded: the peak sees the queue, the gauge drops it again
        total = stats.dispatch_queue_bytes + queued - self._reported
        if total > stats.dispatch_queue_peak_bytes:
            stats.dispatch_queue_peak_bytes = total
        stats.dispatch_queue_bytes = total - queued
        self._queued = self._reported = 0
        msg = self.queue.popleft()
        client = self.client
        frame = msg.frame3 if client is not None and client.resp == 3 else msg.frame2
        stats.control_messages += count
        if count > 1:
            stats.control_batches += 1
        transport = self.transport
        if frame is not None:
            if self._out or transport is None or not frame:
                self._out.append(frame)  # behind what the sink holds (never, at a wake-up)
                self._flush()
            else:  # _flush of one frame
                size = len(frame)
                if size > REPLY_CHUNK_BYTES and self._unwritten_over_limit(size):
                    return  # closed: as in Redis, a client over its limit gets none of it
                stats.total_writes_processed += 1
                stats.total_net_output_bytes += size
                transport.write(frame)
        # _refresh_obuf_budget, with nothing queued
        subscribed = client is not None and (client.channels or client.patterns or client.shard_channels)
        limit = state.config.client_output_buffer_limit["pubsub" if subscribed else "normal"]
        lowest = limit.lowest
        if not lowest:
            self._obuf_budget = _NO_LIMIT
            return
        used = transport.get_write_buffer_size() if transport is not None else 0
        if limit.soft and used < limit.soft:
            self._soft_since = 0.0  # below the soft limit again: its timer restarts
        self._obuf_budget = lowest - used

    def process_control_messages(self, quota: int) -> None:
        """Drain up to ``quota`` messages (0 = all); batch when 2+ of those are replies.

        Every exit path (including an exception raised by a message) restores
        batch mode, writes what was batched, and reschedules what is left.
        """
        queue = self.queue
        batching = (bool(queue) and (len(queue) > 1 or queue[0].count > 1) and self.state.config.control_batching
                    and _count_replying(queue, quota) >= 2)
        self.batch_mode = batching
        try:
            processed = self._drain_into(self._out, quota, batching)
            if batching and processed:
                self.state.stats.control_batches += 1
        finally:
            self.batch_mode = False  # rule 4
            if self._out:
                self._flush()  # rule 3: never leave batched replies behind, even when the quota stopped us
            if queue and not self._drain_scheduled and not self.closing:
                self._drain_scheduled = True  # the rest waits for the next turn: commands get in first
                self.loop.call_soon(self._scheduled_drain)
            self._refresh_obuf_budget()

    def _drain_into(self, out: list[bytes], quota: int, batching: bool = True) -> int:
        """Move up to ``quota`` queued entries into ``out`` (or write each message when not batching).

        The quota counts dispatch-queue entries, as the seed's does; a PubRun
        is one entry standing for up to RUN_MESSAGES publishes (RUN_BYTES of
        payload), so one drain's work stays bounded while a subscriber can
        still keep up with publishers that pipeline. Returns the entries taken.
        """
        queue = self.queue
        client = self.client
        resp3 = client is not None and client.resp == 3
        stats = self.state.stats
        tail = self._tail_run
        if tail is not None:  # count the growth of the run that may be drained now
            self._queued += tail.size - self._tail_credit
            self._tail_credit = tail.size
        if self._queued != self._reported:
            self._report_queue(stats)
        popleft = queue.popleft
        if batching:
            # Fast path, no barrier among the next ``quota`` entries: frames in one C-level pass.
            count = len(queue)
            whole = quota == 0 or count <= quota
            taken = queue if whole else list(islice(queue, quota))
            try:
                frames: list[bytes | None] | None = list(map(_FRAME3 if resp3 else _FRAME2, taken))
            except Exception:
                # A frame that raises: this pass took nothing, so the loop below pops the
                # messages one by one and drops the failing one alone, as for a failing
                # barrier; left queued, it would fail every later drain and strand the rest.
                frames = None
            if frames is not None and None not in frames:
                if whole:
                    freed = self._queued
                    messages = sum(map(_COUNT, queue))
                    queue.clear()
                    self._tail_run = None  # drained, hence closed
                else:
                    count = quota
                    freed = sum(map(_SIZE, taken))
                    messages = sum(map(_COUNT, taken))
                    for _ in repeat(None, count):
                        popleft()
                out.extend(frames)
                self._queued -= freed
                self._reported -= freed
                stats.dispatch_queue_bytes -= freed
                stats.control_messages += messages
                return count
        done = 0
        freed = 0
        messages = 0
        try:
            while queue and (quota == 0 or done < quota):
                msg = popleft()
                freed += msg.size
                messages += msg.count
                done += 1
                if not batching and msg.__class__ is PubRun:
                    for frame in msg.frames(3 if resp3 else 2):  # type: ignore[attr-defined]
                        out.append(frame)
                        self._flush()  # out of batch mode a reply is written at once (rule 2)
                    continue
                frame = msg.frame3 if resp3 else msg.frame2
                if frame is None:
                    self._flush()  # a barrier sees every earlier message written
                    msg.callback(client)  # type: ignore[attr-defined]
                else:
                    out.append(frame)
                    if not batching:
                        self._flush()
        finally:
            self._queued -= freed
            self._reported -= freed
            stats.dispatch_queue_bytes -= freed
            stats.control_messages += messages
        return done

    def _report_queue(self, stats: Any) -> None:
        """Fold this queue's growth since the last drain into INFO's dispatch_queue_* counters.

        Done once per drain instead of once per message; the queue is at its
        largest right before a drain, so the peak is still observed.
        """
        total = stats.dispatch_queue_bytes = stats.dispatch_queue_bytes + self._queued - self._reported
        self._reported = self._queued
        if total > stats.dispatch_queue_peak_bytes:
            stats.dispatch_queue_peak_bytes = total

    def _drop_queue(self) -> None:
        self.state.stats.dispatch_queue_bytes -= self._reported
        self.queue.clear()
        self._queued = 0
        self._reported = 0
        self._tail_run = None

    def _obuf_limit(self) -> Any:
        """This client's client-output-buffer-limit class (Redis's getClientType)."""
        client = self.client
        subscribed = client is not None and (client.channels or client.patterns or client.shard_channels)
        return self.state.config.client_output_buffer_limit["pubsub" if subscribed else "normal"]

    def _refresh_obuf_budget(self) -> None:
        """Queued bytes that may still arrive before a limit could be reached (rule 7).

        send_async only checks the limit once the queue passes this budget,
        so the common message pays one comparison. Refreshed after every
        drain, when the transport's buffer size is known.
        """
        client = self.client  # _obuf_limit(), inlined: this runs after every drain
        subscribed = client is not None and (client.channels or client.patterns or client.shard_channels)
        limit = self.state.config.client_output_buffer_limit["pubsub" if subscribed else "normal"]
        lowest = limit.lowest
        if not lowest:
            self._obuf_budget = _NO_LIMIT
            return
        t = self.transport
        used = t.get_write_buffer_size() if t is not None else 0
        if limit.soft and used + self._queued < limit.soft:
            self._soft_since = 0.0  # below the soft limit again: its timer restarts
        self._obuf_budget = lowest - used

    def _over_output_limit(self, unwritten: int = 0) -> bool:
        """Apply client-output-buffer-limit to queued plus transport-buffered bytes (rule 7).

        Redis's ``checkClientOutputBufferLimits``: the hard limit closes at
        once; the soft limit closes once it has been exceeded continuously
        for more than its seconds. The queue is dropped, the client closed,
        ``client_output_buffer_limit_disconnections`` counted.
        """
        limit = self._obuf_limit()
        if not limit.hard and not limit.soft:
            self._obuf_budget = _NO_LIMIT
            return False
        used = self._queued + self.output_bytes() + unwritten
        if limit.hard and used >= limit.hard:
            return self._kill_for_limit()
        if limit.soft and used >= limit.soft:
            now = time.monotonic()
            if not self._soft_since:
                self._soft_since = now
            elif now - self._soft_since > limit.soft_seconds:
                return self._kill_for_limit()
            # keep checking every message while above the soft limit
            self._obuf_budget = self._queued
        else:
            self._soft_since = 0.0
            self._obuf_budget = self._queued + limit.lowest - used
        return False

    def _kill_for_limit(self) -> bool:
        """Close at once, with Redis's warning (the CLIENT LIST line as it stood)."""
        self.state.stats.client_output_buffer_limit_disconnections += 1
        if self.client is not None:
            from ..commands.client_list import info_line
            logging.getLogger("damselfly").warning(
                "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                info_line(self.client))
        self.abort()
        return True

    # -- Outbox accounting -------------------------------------------------------
    def output_bytes(self) -> int:
        t = self.transport
        return (t.get_write_buffer_size() if t is not None else 0) + sum(map(len, self._out))

    def queued_bytes(self) -> int:
        return self._queued

    def input_bytes(self) -> int:
        return self.parser.pending_bytes


def _default_user_nopass(state: "ServerState") -> bool:
    """Protected mode's test, Redis's ``DefaultUser->flags & USER_FLAG_NOPASS``: on or off alike."""
    acl = state.extensions.get("acl")
    return acl.default.nopass if acl is not None else not state.auth_required()


def _fmt_addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = addr[0]
        return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
    if isinstance(addr, str):
        return f"unix:{addr}" if addr else "unix:"
    return "?"
