"""Running a server from Python: on its own thread, on your loop, or as a child process.

``Server(port=0, **options).start()`` returns once the server accepts
connections; options take config names with ``_`` or ``-``
(``Server(save="", notify_keyspace_events="KEA")``). ``mode="process"`` runs
``python -m damselfly`` as a child process instead (isolation, or clients in
other languages that should not share the GIL). ``serve()`` is the async form
for code that already runs an event loop. Every mode loads ``dir/dbfilename``
at start-up when it exists, as the CLI does (``dir`` defaults to the current
directory, as Redis's).

``start(timeout)`` is a deadline in both modes: past it, the child process is
killed and reaped, or the server thread is told to stop and joined, before
:class:`StartTimeout` is raised. A stopped ``Server`` can be started again; it
starts afresh from its options (a new free port when ``port=0``).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import selectors
import stat
import subprocess
import sys
import threading
import time
from typing import Any, AsyncIterator

from .config import OPTIONS, Config, ConfigError, canonical
from .net.server import Listener
from .state import ServerState

# How long a timed-out start() waits for the server thread to end once told to
# stop: the thread only has to close its listener and loop (milliseconds).
_STOP_GRACE = 2.0


class StartTimeout(TimeoutError, RuntimeError):
    """The server did not accept connections before ``start(timeout)`` expired."""


def _config(host: str, port: int, options: dict[str, Any]) -> Config:
    """A Config from keyword options; a bad one raises ConfigError naming option and value.

    Config.set's own text is Redis's reason alone ("argument couldn't be parsed
    into an integer"), which says nothing when a dozen options were passed.
    """
    cfg = Config()
    settings: list[tuple[str, str, Any]] = [("host", "bind", host), ("port", "port", port), ("save", "save", "")]
    settings += [(key, key.replace("_", "-"), value) for key, value in options.items()]
    for given, name, value in settings:
        if canonical(name) not in OPTIONS:
            raise ConfigError(f"unknown option {name!r} (passed as {given}={value!r})")
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        try:
            cfg.set(name, text)
        except ConfigError as exc:
            raise ConfigError(f"option {name!r} cannot be {text!r}: {exc}") from None
    return cfg


class Server:
    """A damselfly server on a background thread (or child process) of its own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mode: str = "thread", **options: Any) -> None:
        if mode not in ("thread", "process"):
            raise ValueError("mode must be 'thread' or 'process'")
        self.config = _config(host, port, options)  # validates options in both modes
        self.mode = mode
        self._options = options
        self._requested_port = port
        self._config_used = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None
        self.host = host
        self.port = port
        self.state: ServerState | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: Listener | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._abandoned = False
        self._busy_thread: threading.Thread | None = None  # a timed-out start's thread that had not ended
        self._stage = "not started"

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "Server":
        """Start and return once the server accepts connections, or raise.

        A failed start leaves nothing running, except a thread-mode start that
        timed out inside a step that cannot be interrupted: :class:`StartTimeout`
        says so, and that thread stops itself once the step ends.
        """
        if self._thread is not None or self._proc is not None:
            raise RuntimeError("server already started")
        busy = self._busy_thread
        if busy is not None and busy.is_alive():  # the two attempts would share this object's state
            raise RuntimeError("the thread of a start that timed out is still busy; start again once it ends")
        self._busy_thread = None
        if self._config_used:  # a restart: CONFIG SET and the old state's listeners stay behind
            self.config = _config(self.host, self._requested_port, self._options)
        self._config_used = True
        self.port = self._requested_port
        if self.mode == "process":
            return self._start_process(timeout)
        self._ready = threading.Event()
        self._error = None
        self._abandoned = False
        self._loop = self._listener = self.state = None
        self._stage = "starting its thread"
        thread = threading.Thread(target=self._run, name=f"damselfly:{self.port}", daemon=True)
        self._thread = thread
        thread.start()
        ready = self._ready.wait(timeout)
        if ready and self._error is None:
            return self
        if not ready:
            stage = self._stage
            ended = self._abandon_start(thread)
            self._thread = None
            self._busy_thread = None if ended else thread
            rest = "" if ended else "; its thread is still busy and will stop when that step ends"
            raise StartTimeout(f"damselfly server did not start within {timeout:g} s "
                               f"(it was {stage}){rest}") from self._error
        thread.join(_STOP_GRACE)
        self._thread = None
        assert self._error is not None
        raise self._error

    def _abandon_start(self, thread: threading.Thread) -> bool:
        """Tell a server thread that missed its deadline to stop; True once it has ended."""
        self._abandoned = True  # read by _main before it reports ready
        loop, listener = self._loop, self._listener
        if loop is not None and listener is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the thread is ending anyway
                loop.call_soon_threadsafe(listener.request_stop)
        _wake_fifo_reader(os.path.join(self.config.dir, self.config.dbfilename))
        thread.join(_STOP_GRACE)
        return not thread.is_alive()

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
        listener: Listener | None = None
        try:
            self._stage = "building its state"
            self.state = build_state(self.config)
            listener = self._listener = Listener(self.state)
            self._stage = f"binding {self.config.bind} port {self.config.port}"
            await listener.start()
            self._stage = f"loading {os.path.join(self.config.dir, self.config.dbfilename)}"
            await _load_dump(self.state, listener)
        except BaseException as exc:  # reported to the starting thread
            if listener is not None:
                await listener.stop()
            self._error = exc
            self._ready.set()
            return
        if self._abandoned:  # start() gave up while we were busy: nobody will stop us
            await listener.stop()
            return
        self.port = listener.port
        self._stage = "serving"
        self._ready.set()
        await listener.wait_stopped()
        _end_background_save(self.state)
        await listener.stop()

    def _start_process(self, timeout: float) -> "Server":
        deadline = time.monotonic() + timeout
        args = [sys.executable, "-m", "damselfly"]
        for name in OPTIONS:
            if name in ("bind", "port", "save") or name.replace("-", "_") in self._options \
                    or name in self._options:
                args += [f"--{name}", self.config.format(name)]
        env = dict(os.environ)
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert proc.stdout is not None
        try:
            self.port = _read_until_ready(proc, deadline, timeout)
        except BaseException:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            raise
        self._proc = proc
        # The child logs to the pipe for as long as it runs: keep reading, or it blocks on a full pipe.
        self._drain = threading.Thread(target=_drain, args=(proc.stdout.fileno(),),
                                       name=f"damselfly-log:{self.port}", daemon=True)
        self._drain.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every client, free the port, join the thread (or end and reap the process)."""
        if self._proc is not None:
            proc, self._proc = self._proc, None
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if self._drain is not None:  # the pipe is at EOF once the child is gone
                self._drain.join(timeout)
                self._drain = None
            if proc.stdout is not None:
                proc.stdout.close()
            return
        if self._thread is None:
            return
        loop, listener = self._loop, self._listener
        if loop is not None and listener is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed in between
                loop.call_soon_threadsafe(listener.request_stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


_PORT_LINE = re.compile(rb"port=(\d+)")


def _read_until_ready(proc: subprocess.Popen[bytes], deadline: float, timeout: float) -> int:
    """The child's port, read from its log once it says it accepts connections.

    Reads with a selector so the deadline holds even when the child prints
    nothing at all (blocked loading a dump, say); ``readline()`` would wait.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    lines: list[bytes] = []
    pending = b""
    port: int | None = None
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartTimeout(f"damselfly process did not start within {timeout:g} s "
                                   f"(killed); its last output: {_tail(lines + [pending])}")
            if not sel.select(remaining):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.0, deadline - time.monotonic()))
                raise RuntimeError(f"damselfly process failed to start (exit status {proc.returncode}): "
                                   f"{_tail(lines + [pending])}")
            *complete, pending = (pending + chunk).split(b"\n")
            for line in complete:
                lines.append(line)
                found = _PORT_LINE.search(line)
                if found:
                    port = int(found.group(1))
                if b"Ready to accept connections" in line and port is not None:
                    return port


def _tail(lines: list[bytes]) -> str:
    text = [line.decode("utf-8", "replace").rstrip() for line in lines if line.strip()]
    return " | ".join(text[-5:]) or "(none)"


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass


def _wake_fifo_reader(path: str) -> None:
    """Free a thread blocked opening a FIFO dump (it waits for a writer that may never come).

    Opening the write end and closing it at once wakes the reader's ``open()``;
    its read then sees EOF, the load fails and the thread can end. Any other
    file is left alone.
    """
    try:
        if not stat.S_ISFIFO(os.stat(path).st_mode):
            return
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # gone, or ENXIO: nobody is reading it
        return
    os.close(fd)


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
        _end_background_save(state)
        await listener.stop()


def _end_background_save(state: Any) -> None:
    """Stop and reap a BGSAVE child still writing when an embedded server stops.

    A standalone server runs its shutdown hooks (a final save included); an
    embedded one only must not leave a child process or its pipe behind.
    """
    persistence = state.extensions.get("persistence") if state is not None else None
    if persistence is not None:
        persistence.kill_child()


__all__ = ["ConfigError", "Server", "StartTimeout", "serve"]
