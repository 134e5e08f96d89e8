"""CLIENT LIST / CLIENT INFO lines and client types, as Redis 7.0 prints them.

One line per client, fields in Redis 7.0.15's order (``catClientInfoString``)::

    id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free
    argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp

(7.0 has no ``lib-name``/``lib-ver``: those came with CLIENT SETINFO in 7.2.)

Values are damselfly's own where its buffers differ from Redis's:

* ``qbuf`` is the request bytes received but not yet parsed, ``qbuf-free`` 0:
  the parser keeps no preallocated query buffer.
* ``rbs``/``rbp``/``obl``/``oll`` are 0: there is no fixed 16 KiB reply buffer
  nor a list of reply blocks; ``omem`` is everything waiting to reach the
  peer (encoded replies the transport has not written plus the dispatch
  queue), the same figure ``client-output-buffer-limit`` is applied to.
* ``argv-mem`` is the argument bytes of the command being executed (the
  caller's own, or one held by CLIENT PAUSE); ``multi-mem`` counts queued
  arguments plus 8 bytes per argument pointer, as Redis does.
* ``tot-mem`` adds those to ``sys.getsizeof`` of the client's own objects.
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Iterable, Iterator

from ..pause import Postponed

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..state import ServerState

# getClientTypeByName: "slave" and "replica" name the same type.
TYPE_BY_NAME = {b"normal": "normal", b"slave": "replica", b"replica": "replica",
                b"pubsub": "pubsub", b"master": "master"}


def client_type(client: "Client") -> str:
    """Redis's ``getClientType``: a MONITOR client counts as normal, not as a replica."""
    if client.kind == "master":
        return "master"
    if client.kind == "replica" and not client.monitor:
        return "replica"
    if client.channels or client.patterns or client.shard_channels:
        return "pubsub"
    return "normal"


def is_gone(client: "Client") -> bool:
    """True once the client's connection is closing (killed, QUIT): Redis frees it at once."""
    outbox = client.outbox
    return outbox is None or bool(getattr(outbox, "closing", False))


def live_clients(server: "ServerState") -> Iterator["Client"]:
    """Connected clients in connection order, leaving out those already being closed."""
    for client in list(server.clients.values()):
        if not is_gone(client):
            yield client


def flags(client: "Client") -> str:
    """The ``flags=`` letters in Redis's order; ``N`` when none applies."""
    out = []
    if client.monitor:
        out.append("O")
    elif client.kind == "replica":
        out.append("S")
    if client.kind == "master":
        out.append("M")
    if client.channels or client.patterns or client.shard_channels:
        out.append("P")
    if client.multi is not None:
        out.append("x")
    if client.blocked is not None:
        out.append("b")
    tracking = client.tracking
    if tracking is not None:
        out.append("t")
        if tracking.broken_redirect:
            out.append("R")
        if tracking.bcast:
            out.append("B")
    if client.dirty_cas:
        out.append("d")
    if client.close_after_reply:
        out.append("c")
    if client.addr.startswith("unix:"):
        out.append("U")
    if client.flags_extra:
        out.append(client.flags_extra)
    if client.no_evict:
        out.append("e")
    return "".join(out) or "N"


def _argv_mem(argv: Iterable[bytes]) -> int:
    return sum(len(a) for a in argv)


def multi_mem(client: "Client") -> int:
    """Redis's ``mstate.argv_len_sums``: argument bytes plus one pointer per argument."""
    if not client.multi:
        return 0
    return sum(_argv_mem(argv) + 8 * len(argv) for _, argv in client.multi)


def _own_size(client: "Client") -> int:
    return (sys.getsizeof(client) + sys.getsizeof(client.channels) + sys.getsizeof(client.patterns)
            + sys.getsizeof(client.shard_channels) + sys.getsizeof(client.watched))


def info_line(client: "Client", current: "Client | None" = None,
              current_argv: list[bytes] | None = None) -> str:
    """One CLIENT LIST line (without the trailing newline).

    ``current``/``current_argv``: the client running CLIENT LIST and its
    arguments, so its own ``argv-mem`` is shown as Redis shows it.
    """
    now = time.monotonic()
    outbox = client.outbox
    qbuf = outbox.input_bytes() if outbox is not None else 0
    pending = outbox.output_bytes() if outbox is not None else 0
    omem = pending + (outbox.queued_bytes() if outbox is not None else 0)
    if client is current and current_argv is not None:
        argv_mem = _argv_mem(current_argv)
    elif isinstance(client.blocked, Postponed):
        argv_mem = _argv_mem(client.blocked.argv)
    else:
        argv_mem = 0
    mmem = multi_mem(client)
    tracking = client.tracking
    name = client.name.decode("utf-8", "replace")
    return (
        f"id={client.id} addr={client.addr} laddr={client.laddr} fd={client.fd} name={name} "
        f"age={int(now - client.created)} idle={int(now - client.last_interaction)} "
        f"flags={flags(client)} db={client.db.index} sub={len(client.channels)} "
        f"psub={len(client.patterns)} ssub={len(client.shard_channels)} "
        f"multi={len(client.multi) if client.multi is not None else -1} "
        f"qbuf={qbuf} qbuf-free=0 argv-mem={argv_mem} multi-mem={mmem} rbs=0 rbp=0 obl=0 oll=0 "
        f"omem={omem} tot-mem={_own_size(client) + qbuf + argv_mem + mmem + omem} "
        f"events={'rw' if pending else 'r'} cmd={client.last_cmd} user={client.user} "
        f"redir={tracking.redirect if tracking is not None else -1} "
        f"resp={client.resp}"
    )
