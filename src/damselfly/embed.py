"""Running a server from Python: on its own thread, on your loop, or as a child process.

``Server(port=0, **options).start()`` returns once the server accepts
connections; options take config names with ``_`` or ``-``
(``Server(save="", notify_keyspace_events="KEA")``). ``mode="process"`` runs
``python -m damselfly`` as a child process instead (isolation, or clients in
other languages that should not share the GIL). ``serve()`` is the async form
for code that already runs an event loop. Every mode loads ``dir/dbfilename``
at start-up when it exists, as the CLI does (``dir`` defaults to the current
directory, as Redis's).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
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
    """A damselfly server on a background thread (or child process) of its own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mode: str = "thread", **options: Any) -> None:
        if mode not in ("thread", "process"):
            raise ValueError("mode must be 'thread' or 'process'")
        self.config = _config(host, port, options)  # validates options in both modes
        self.mode = mode
        self._options = options
        self._proc: subprocess.Popen[bytes] | None = None
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
        if self._thread is not None or self._proc is not None:
            raise RuntimeError("server already started")
        if self.mode == "process":
            return self._start_process(timeout)
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
            await _load_dump(self.state, self._listener)
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self.port = self._listener.port
        self._ready.set()
        await self._listener.wait_stopped()
        await self._listener.stop()

    def _start_process(self, timeout: float) -> "Server":
        args = [sys.executable, "-m", "damselfly"]
        from .config import OPTIONS
        for name in OPTIONS:
            if name in ("bind", "port", "save") or name.replace("-", "_") in self._options \
                    or name in self._options:
                args += [f"--{name}", self.config.format(name)]
        env = dict(os.environ)
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        assert self._proc.stdout is not None
        while time.monotonic() < deadline:
            raw = self._proc.stdout.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip()
            lines.append(line)
            found = re.search(r"port=(\d+)", line)
            if found:
                self.port = int(found.group(1))
            if "Ready to accept connections" in line:
                threading.Thread(target=self._drain_output, daemon=True).start()
                return self
        self._proc.kill()
        self._proc.wait()
        self._proc = None
        raise RuntimeError("damselfly process failed to start: " + " | ".join(lines[-5:]))

    def _drain_output(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdout is not None:
            for _ in iter(proc.stdout.readline, b""):
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """Close every client, free the port, join the thread (or end the process)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
            return
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


async def _load_dump(state: ServerState, listener: Listener) -> None:
    """Load ``dir/dbfilename`` as the CLI does; a dump that cannot be read stops the start.

    The listener is closed first, so a failed start leaves no port bound.
    """
    from .app import load_dump_at_startup
    if not load_dump_at_startup(state, listener):
        await listener.stop()
        persistence = state.extensions.get("persistence")
        path = getattr(persistence, "path", "the dump")
        raise RuntimeError(f"damselfly could not load the DB from {path} (see the 'damselfly' log)")


class RunningServer:
    """What ``serve()`` yields: where the server listens, and its state."""

    def __init__(self, host: str, listener: Listener) -> None:
        self.host = host
        self.port = listener.port
        self.state = listener.state
        self.listener = listener

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def serve(host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncIterator[RunningServer]:
    """Run a server on the current event loop for the duration of the block."""
    from .app import build_state
    state = build_state(_config(host, port, options))
    listener = Listener(state)
    await listener.start()
    await _load_dump(state, listener)
    try:
        yield RunningServer(host, listener)
    finally:
        listener.request_stop()
        await listener.stop()


__all__ = ["ConfigError", "Server", "serve"]
