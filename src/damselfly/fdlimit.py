"""Fitting ``maxclients`` to the process's file-descriptor limit, as Redis does.

Redis's ``adjustOpenFilesLimit`` (server.c, 7.0): a server needs
``maxclients + CONFIG_MIN_RESERVED_FDS`` descriptors (32 reserved for
listeners, the dump file, a fork's pipes, logs). When the soft
``RLIMIT_NOFILE`` is lower it asks for that many (soft and hard set
together), stepping down 16 at a time while the kernel refuses; if what it
got is still too few, ``maxclients`` shrinks to fit, with three warning
lines, and a limit of 32 or fewer is fatal. The texts below are 7.0.15's,
checked against the live server (``ulimit -Sn 100; ulimit -Hn 200`` gives
"Current maximum open files is 192. maxclients has been reduced to 160").

Only a server that owns its process applies this (``app.run``): an
embedded server on a thread must not change its host's limits.
"""
from __future__ import annotations

import errno
import logging
import os
from typing import Callable

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

from .config import Config, ConfigError

log = logging.getLogger("damselfly")

MIN_RESERVED_FDS = 32   # Redis's CONFIG_MIN_RESERVED_FDS
_STEP = 16              # how far each refused setrlimit steps down


class FdLimitFatal(Exception):
    """The descriptor limit cannot fit even one client: the server must not start."""


Getter = Callable[[], tuple[int, int]]
Setter = Callable[[int, int], None]


def _getrlimit() -> tuple[int, int]:
    assert resource is not None
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _setrlimit(soft: int, hard: int) -> None:
    assert resource is not None
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def adjust_open_files_limit(config: Config, getrlimit: Getter | None = None,
                            setrlimit: Setter | None = None) -> int:
    """At startup: raise RLIMIT_NOFILE for ``maxclients`` or lower ``maxclients`` to fit; returns it.

    Raises :class:`FdLimitFatal` (with Redis's message) when 32 descriptors
    or fewer are available. The rlimit functions are injectable for tests.
    """
    fits = fit_maxclients(config.maxclients, getrlimit, setrlimit)
    if fits != config.maxclients:
        config.set("maxclients", str(fits))
    return fits


def fit_maxclients(maxclients: int, getrlimit: Getter | None = None, setrlimit: Setter | None = None) -> int:
    """How many clients the descriptor limit allows, raising the limit first (logs as Redis)."""
    if resource is None and (getrlimit is None or setrlimit is None):  # pragma: no cover
        return maxclients
    get = getrlimit or _getrlimit
    put = setrlimit or _setrlimit
    maxfiles = maxclients + MIN_RESERVED_FDS
    try:
        oldlimit = get()[0]
    except OSError as exc:
        log.warning("Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting "
                    "the max clients configuration accordingly.", os.strerror(exc.errno or 0))
        return 1024 - MIN_RESERVED_FDS
    if oldlimit >= maxfiles:
        return maxclients
    bestlimit = maxfiles
    error = 0
    while bestlimit > oldlimit:
        try:
            put(bestlimit, bestlimit)
            break
        except (OSError, ValueError) as exc:
            error = getattr(exc, "errno", None) or errno.EPERM
            if bestlimit < _STEP:
                bestlimit = oldlimit
                break
            bestlimit -= _STEP
    bestlimit = max(bestlimit, oldlimit)
    if bestlimit >= maxfiles:
        log.info("Increased maximum number of open files to %d (it was originally set to %d).",
                 maxfiles, oldlimit)
        return maxclients
    if bestlimit <= MIN_RESERVED_FDS:
        raise FdLimitFatal(f"Your current 'ulimit -n' of {oldlimit} is not enough for the server to start. "
                           f"Please increase your open file limit to at least {maxfiles}. Exiting.")
    reduced = bestlimit - MIN_RESERVED_FDS
    log.warning("You requested maxclients of %d requiring at least %d max file descriptors.",
                maxclients, maxfiles)
    log.warning("Server can't set maximum open files to %d because of OS error: %s.",
                maxfiles, os.strerror(error))
    log.warning("Current maximum open files is %d. maxclients has been reduced to %d to compensate "
                "for low ulimit. If you need higher maxclients increase 'ulimit -n'.", bestlimit, reduced)
    return reduced


def watch_maxclients(config: Config, getrlimit: Getter | None = None,
                     setrlimit: Setter | None = None) -> Callable[[str, object], None]:
    """A config listener for CONFIG SET maxclients (Redis's ``updateMaxclients``).

    Raising maxclients raises the descriptor limit first; when the system
    cannot give enough, the old value is put back, one more warning is
    logged, and CONFIG SET fails with "The operating system is not able to
    handle the specified number of clients, try with N" (N: what fits).
    Returns the listener (already added to ``config.listeners``).
    """
    current = [config.maxclients]

    def on_set(name: str, value: object) -> None:
        if name != "maxclients":
            return
        assert isinstance(value, int)
        old = current[0]
        if value > old:
            fits = fit_maxclients(value, getrlimit, setrlimit)
            if fits != value:
                log.warning("Failed applying new configuration. Possibly related to new maxclients "
                            "setting. Restoring previous settings.")
                config.set("maxclients", str(old))
                raise ConfigError("The operating system is not able to handle the specified number "
                                  f"of clients, try with {fits}")
        current[0] = value

    config.listeners.append(on_set)
    return on_set
