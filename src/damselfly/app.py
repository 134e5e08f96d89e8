"""Assembling a server: state + command table + listener, and running it."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

from . import __version__, malloc_tuning
from .commands import build_table
from .config import Config
from .keyspace import Clock
from .net.server import Listener
from .state import ServerState

log = logging.getLogger("damselfly")

_LEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
           "warning": logging.WARNING, "nothing": logging.CRITICAL + 10}


def build_state(config: Config, clock: Clock | None = None) -> ServerState:
    """A ready ServerState: table installed, subsystems registered."""
    state = ServerState(config, clock)
    state.table = build_table()
    from .subsystems import install
    install(state)
    return state


def setup_logging(config: Config) -> None:
    """Redis-like log lines: ``pid:M 29 Nov 2026 01:02:03.456 * message``."""
    handler: logging.Handler
    if config.logfile:
        handler = logging.FileHandler(config.logfile)
    else:
        handler = logging.StreamHandler(sys.stdout)
    fmt = logging.Formatter(f"{os.getpid()}:M %(asctime)s.%(msecs)03d * %(message)s",
                            datefmt="%d %b %Y %H:%M:%S")
    handler.setFormatter(fmt)
    log.handlers[:] = [handler]
    log.setLevel(_LEVELS.get(config.loglevel, logging.INFO))
    log.propagate = False
    config.listeners.append(_follow_loglevel)


def _follow_loglevel(name: str, value: Any) -> None:
    """CONFIG SET loglevel takes effect at once, as in Redis."""
    if name == "loglevel":
        log.setLevel(_LEVELS.get(value, logging.INFO))


def load_dump_at_startup(state: ServerState, listener: Listener) -> bool:
    """Load ``dir/dbfilename`` if it exists; False (after one log line) if it cannot be loaded.

    A server never starts with an empty keyspace in place of a dump it could
    not read: the operator has to move the file away or fix it.
    """
    from .persistence.rdb_reader import RdbLoadError
    persistence = state.extensions.get("persistence")
    if persistence is None:
        return True
    persistence.attach(listener)
    try:
        persistence.load()
    except RdbLoadError as exc:
        message = f"Fatal error loading the DB from {persistence.path}: {exc}. Exiting."
    except OSError as exc:
        message = f"Fatal error loading the DB from {persistence.path}: {exc.strerror or exc}. Exiting."
    else:
        return True
    log.warning("%s", message)
    if state.config.logfile:
        sys.stderr.write(message + "\n")
    return False


async def serve(config: Config, ready: Any = None) -> int:
    """Run until SHUTDOWN or a signal; returns the process exit code."""
    state = build_state(config)
    listener = Listener(state)
    await listener.start()
    if not load_dump_at_startup(state, listener):
        await listener.stop()
        return 1
    loop = asyncio.get_running_loop()
    exit_code = 0

    def on_signal(signame: str) -> None:
        log.info("Received %s scheduling shutdown...", signame)
        listener.request_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
    log.info("damselfly %s started, pid=%d, port=%d", __version__, os.getpid(), listener.port)
    log.info("Ready to accept connections tcp")
    if ready is not None:
        ready(listener)
    await listener.wait_stopped()
    for hook in state.extensions.get("shutdown_hooks", []):
        try:
            hook()
        except Exception:
            log.exception("shutdown hook failed")
            exit_code = 1
    await listener.stop()
    log.info("damselfly is now ready to exit, bye bye...")
    return exit_code


def install_event_loop_policy() -> None:
    """uvloop where available: measured 2-3x faster than asyncio's loop on this data path."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - optional
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run(config: Config) -> int:
    """Run a server that owns this process: fit maxclients to the fd limit first, as Redis does."""
    setup_logging(config)
    from .fdlimit import FdLimitFatal, adjust_open_files_limit, watch_maxclients
    try:
        adjust_open_files_limit(config)
    except FdLimitFatal as exc:
        log.warning("%s", exc)
        return 1
    watch_maxclients(config)
    malloc_tuning.tune_malloc()
    install_event_loop_policy()
    return asyncio.run(serve(config))
