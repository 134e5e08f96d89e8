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
    now = time.time() if now is None else now
    secs = int(now)
    usecs = int((now - secs) * 1_000_000)
    head = b"%d.%06d [%d %s]" % (secs, usecs, db_index, addr.encode())
    return head + b" " + b" ".join(quote_repr(a) for a in argv)


def feed_monitors(server: "ServerState", client: "Client", argv: list[bytes]) -> None:
    """Queue the line for ``argv`` on every MONITOR client (not on the sender itself)."""
    msg = MonitorMessage(monitor_line(client.db.index, client.addr, argv))
    for mon in server.monitors:
        if mon is not client and mon.outbox is not None:
            mon.outbox.send_async(msg)
