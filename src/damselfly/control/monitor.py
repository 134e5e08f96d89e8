"""The MONITOR feed: one line per executed command, shared by every monitor.

Line format is Redis's ``replicationFeedMonitors``:
``<unix secs>.<usecs> [<db> <addr>] "<arg>" "<arg>" ...`` with each argument
quoted by ``sdscatrepr`` rules. The line is built once and the same
:class:`MonitorMessage` is queued on every monitor's dispatch queue.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .messages import MonitorMessage

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..state import ServerState

_REPR = {0x5C: b"\\\\", 0x22: b'\\"', 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t",
         0x07: b"\\a", 0x08: b"\\b"}
_TABLE = [(_REPR.get(i) or (bytes([i]) if 0x20 <= i < 0x7F else b"\\x%02x" % i)) for i in range(256)]


def quote_repr(arg: bytes) -> bytes:
    """Redis's ``sdscatrepr``: printable bytes as-is, escapes for the rest."""
    if arg.isalnum():
        return b'"' + arg + b'"'
    return b'"' + b"".join(_TABLE[c] for c in arg) + b'"'


def monitor_line(db_index: int, addr: str, argv: list[bytes], now: float | None = None) -> bytes:
    """One line; ``now`` (seconds) defaults to the wall clock, kept in whole microseconds like gettimeofday."""
    micros = time.time_ns() // 1000 if now is None else round(now * 1_000_000)
    secs, usecs = divmod(micros, 1_000_000)
    head = b"%d.%06d [%d %s]" % (secs, usecs, db_index, addr.encode())
    return head + b" " + b" ".join(quote_repr(a) for a in argv)


def feed_monitors(server: "ServerState", client: "Client", argv: list[bytes]) -> None:
    """Queue the line for ``argv`` on every MONITOR client, the sender included.

    Redis 7.0 feeds after the command ran (so SELECT shows the new db), and a
    monitor sees its own commands: the line follows that command's reply,
    hence ``send_after_reply`` for the sender and ``send_async`` for others.
    """
    msg = MonitorMessage(monitor_line(client.db.index, client.addr, argv))
    for mon in server.monitors:
        outbox = mon.outbox
        if outbox is None:
            continue
        if mon is client:
            outbox.send_after_reply(msg)
        else:
            outbox.send_async(msg)


def start(client: "Client") -> bool:
    """Put ``client`` in monitor mode; False if it already was (Redis then replies nothing)."""
    if client.monitor:
        return False
    client.monitor = True
    client.server.monitors.append(client)
    return True


def stop(client: "Client") -> None:
    """Leave monitor mode (disconnect, RESET)."""
    if client.monitor:
        client.monitor = False
        monitors = client.server.monitors
        if client in monitors:
            monitors.remove(client)


def install(state: "ServerState") -> None:
    """Monitors leave ``state.monitors`` when they disconnect or RESET.

    INFO has no monitor count in Redis 7.0; monitors are ordinary entries of
    ``connected_clients`` and CLIENT LIST shows them with the ``O`` flag
    (``client.monitor``).
    """
    state.disconnect_hooks.append(stop)
