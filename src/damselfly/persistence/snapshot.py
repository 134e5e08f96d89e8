"""Writing a snapshot file safely, in-process (SAVE) or in a forked child (BGSAVE).

Safety: the image goes to ``temp-<pid>.rdb`` in the target directory, is
flushed and fsynced, renamed over the dump (atomic on POSIX), and the
directory is fsynced so the rename itself survives a crash. Whatever kills
the writer part-way (kill -9, a full disk), the previous dump stays intact.

BGSAVE forks: the child sees the keyspace as it was at the fork (pages are
shared copy-on-write), writes it and leaves with ``os._exit`` so no cleanup
of the parent's (atexit handlers, asyncio loop, sockets) runs twice. The
parent never waits: its cron polls ``os.waitpid(pid, WNOHANG)``.

Copy-on-write is measured as Redis measures it: the child's private dirty
pages (Linux ``/proc/PID/smaps_rollup``), which are the pages either side
wrote since the fork. CPython writes an object's reference count whenever
it is touched, so a child that walks the whole keyspace copies most pages
that hold values; INFO shows the figure rather than hiding it.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import time
from typing import Any, Callable

from .rdb_writer import write_keyspace

log = logging.getLogger("damselfly")

EXIT_OK = 0
EXIT_FAILED = 1


def temp_path(directory: str, pid: int) -> str:
    return os.path.join(directory, f"temp-{pid}.rdb")


def fsync_dir(directory: str) -> None:
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(keyspace: Any, config: Any, path: str, tmp: str, aux: dict[bytes, bytes],
                   access: Callable[[Any, bytes], bytes] | None = None) -> int:
    """Write the RDB image to ``tmp``, then rename it to ``path``; returns the key count.

    Raises OSError (with the temp file removed) when anything fails.
    """
    try:
        fh = open(tmp, "wb")
    except OSError as exc:
        raise OSError(exc.errno, f"Failed opening the temp RDB file {os.path.basename(tmp)} "
                                 f"(in server root dir {os.path.abspath(os.path.dirname(tmp))}) "
                                 f"for saving: {exc.strerror}") from None
    try:
        with fh:
            keys = write_keyspace(keyspace, fh, compress=config.rdbcompression,
                                  checksum=config.rdbchecksum, now_ms=keyspace.clock.now_ms(),
                                  aux=aux, access=access,
                                  key_delay_us=getattr(config, "rdb_key_save_delay", 0),
                                  list_fill=config.list_max_listpack_size)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OSError(exc.errno, f"Write error saving DB on disk: {exc.strerror or exc}") from None
        raise
    fsync_dir(os.path.dirname(path))
    return keys


def private_dirty(pid: int | str = "self") -> int | None:
    """Bytes of private dirty memory of ``pid`` (in a fork child: what copy-on-write cost); None if unknown."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def fork_writer(body: Callable[[], None], close_fds: list[int], report_fd: int | None = None) -> int:
    """Fork a child that runs ``body`` and exits; returns the child's pid to the parent.

    With ``report_fd`` (a pipe's write end) the child writes its final
    copy-on-write size there in decimal before it exits, as Redis's child
    sends ``CHILD_INFO_TYPE_RDB_COW_SIZE``; the parent closes its copy.
    """
    pid = os.fork()
    if pid:
        if report_fd is not None:
            os.close(report_fd)
        return pid
    code = EXIT_FAILED
    try:
        # The child shares every page with the parent: a garbage collection
        # would write to all of them. It runs one job and exits, so no GC.
        gc.disable()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (ValueError, OSError):  # not the main thread: handlers are the parent's concern
                pass
        for fd in close_fds:  # listening sockets: only the parent accepts
            try:
                os.close(fd)
            except OSError:
                pass
        body()
        code = EXIT_OK
        if report_fd is not None:
            os.write(report_fd, b"%d" % (private_dirty() or 0))
    except BaseException as exc:  # reported by the parent through the exit status
        try:
            log.warning("%s", exc)
        except BaseException:
            pass
    finally:
        os._exit(code)


def reap(pid: int) -> tuple[bool, int | None]:
    """(done, exit code or None when killed by a signal) for a child, without blocking."""
    try:
        got, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True, None
    if got == 0:
        return False, None
    if os.WIFEXITED(status):
        return True, os.WEXITSTATUS(status)
    return True, None


def kill_and_reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done, _ = reap(pid)
        if done:
            return
        time.sleep(0.005)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
