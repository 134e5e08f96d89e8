"""A connection with no socket and no event loop, for the data- and control-path unit tests.

:class:`FakeLoop` runs ``call_soon`` callbacks one turn at a time and
:class:`FakeTransport` records each write (one syscall on a real socket), so
a test checks what reaches the "socket" and when. :func:`make_connection`
builds a fresh server state with Redis option names and one connection on
a given transport.
"""
from __future__ import annotations

from typing import Any, Callable

from damselfly.app import build_state
from damselfly.config import Config
from damselfly.net.connection import Connection


class FakeLoop:
    """``call_soon`` queues; ``turn()`` runs what was queued before it started (one loop turn)."""

    def __init__(self) -> None:
        self.ready: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.ready.append((fn, args))

    def turn(self) -> int:
        ready, self.ready = self.ready, []
        for fn, args in ready:
            fn(*args)
        return len(ready)

    def run(self, limit: int = 10_000) -> int:
        turns = 0
        while self.ready and turns < limit:
            self.turn()
            turns += 1
        return turns


class FakeTransport:
    """Records writes; ``buffered`` is what ``get_write_buffer_size`` reports (set by tests)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0
        self.aborted = False
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def make_connection(transport: Any, **options: str) -> tuple[Connection, FakeLoop]:
    """A connection of a new server (``save ""`` plus ``options``, ``_`` for ``-``) made on ``transport``."""
    config = Config()
    config.set("save", "")
    for name, value in options.items():
        config.set(name.replace("_", "-"), value)
    state = build_state(config)
    loop = FakeLoop()
    conn = Connection(state, loop)  # type: ignore[arg-type]
    if hasattr(transport, "protocol"):
        transport.protocol = conn
    conn.connection_made(transport)
    return conn, loop


def frame(argv: list[bytes] | tuple[bytes, ...]) -> bytes:
    """One command as a RESP array of bulk strings."""
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)
