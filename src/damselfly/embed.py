"""Running a server inside a Python process: on its own thread, or on your loop.

``Server(port=0, **options).start()`` returns once the server accepts
connections; options take config names with ``_`` or ``-``
(``Server(save="", notify_keyspace_events="KEA")``). ``serve()`` is the async
form for code that already runs an event loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, AsyncIterator

from .config import Config, ConfigError
from .net.server import Listener
from .state import ServerState


def _config(host: str, port: int, options: dict[str, Any]) -> Config:
    cfg = Config()
    cfg.set("bind", host)
    cfg.set("port", str(port))
    cfg.set("save", "")
    for name, value in options.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        cfg.set(name.replace("_", "-"), str(value))
    return cfg


class Server:
    """A damselfly server on a background thread with its own event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.config = _config(host, port, options)
        self.host = host
        self.port = port
        self.state: ServerState | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: Listener | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._done: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "Server":
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name=f"damselfly:{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("damselfly server did not start in time")
        if self._error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise self._error
        return self

    def _run(self) -> None:
        try:
            import uvloop
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        from .app import build_state
        try:
            self.state = build_state(self.config)
            self._listener = Listener(self.state)
            await self._listener.start()
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self.port = self._listener.port
        self._ready.set()
        await self._listener.wait_stopped()
        await self._listener.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Close every client, free the port, join the thread."""
        if self._thread is None:
            return
        loop, listener = self._loop, self._listener
        if loop is not None and listener is not None and not loop.is_closed():
            loop.call_soon_threadsafe(listener.request_stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.asynccontextmanager
async def serve(host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncIterator[Listener]:
    """Run a server on the current event loop for the duration of the block."""
    from .app import build_state
    state = build_state(_config(host, port, options))
    listener = Listener(state)
    await listener.start()
    try:
        yield listener
    finally:
        listener.request_stop()
        await listener.stop()


__all__ = ["ConfigError", "Server", "serve"]
