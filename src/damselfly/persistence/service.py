"""The persistence subsystem of one server: SAVE, BGSAVE, save points, shutdown, reload.

One :class:`Persistence` per server lives in ``state.extensions["persistence"]``.
Its public attributes are the INFO ``# Persistence`` fields under Redis's
names (see :meth:`Persistence.info_fields`), so the INFO writer reads them
directly. It also keeps ``state.lastsave`` (LASTSAVE) and ``state.write_error``
(the MISCONF text the dispatcher sends to write commands, or None) current.
"""
from __future__ import annotations

import asyncio
import logging
import os
import resource
import time
from typing import TYPE_CHECKING, Any

from .. import __version__
from . import snapshot
from .loader import LoadStats, load_image
from .rdb_reader import RdbLoadError
from .format import encode_length
from .savepoints import due_point

if TYPE_CHECKING:  # pragma: no cover
    from ..state import ServerState

log = logging.getLogger("damselfly")

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
           "to disk. Commands that may modify the data set are disabled, because this instance is "
           "configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           "the RDB error.")


class SaveError(Exception):
    """A snapshot could not be written; the message is already in the log."""


class Persistence:
    """Snapshot state and orchestration for one :class:`~damselfly.state.ServerState`."""

    def __init__(self, state: "ServerState") -> None:
        self.state = state
        self.loading = 0
        self.rdb_bgsave_in_progress = 0
        self.rdb_last_save_time = int(time.time())
        self.rdb_last_bgsave_status = "ok"
        self.rdb_last_bgsave_time_sec = -1
        self.rdb_saves = 0
        self.rdb_last_cow_size = 0
        # A running child's copy-on-write, sampled at most once a second by the cron
        # (reading smaps_rollup walks the child's page tables): INFO current_cow_*.
        self.current_cow_size = 0
        self.current_cow_peak = 0
        self.cow_sampled_at = 0.0
        self.cow_report_fd = -1  # read end of the pipe the child reports its final figure on
        self.rdb_last_load_keys_expired = 0
        self.rdb_last_load_keys_loaded = 0
        self.current_save_keys_processed = 0
        self.current_save_keys_total = 0
        self.bgsave_scheduled = False
        self.child_pid = 0
        self.child_start = 0.0
        self.dirty_before_bgsave = 0
        self.last_bgsave_try = 0.0
        self.shutdown_done = False
        self.listen_fds: list[int] = []
        self._attached = False
        state.lastsave = self.rdb_last_save_time
        state.write_error = None

    # -- INFO ------------------------------------------------------------------
    @property
    def rdb_changes_since_last_save(self) -> int:
        return self.state.keyspace.dirty

    @property
    def rdb_current_bgsave_time_sec(self) -> int:
        return int(time.time() - self.child_start) if self.child_pid else -1

    def info_fields(self) -> list[tuple[str, Any]]:
        """The RDB part of INFO persistence, in Redis's order."""
        return [
            ("loading", self.loading),
            ("async_loading", 0),
            ("current_cow_peak", self.current_cow_peak),
            ("current_cow_size", self.current_cow_size),
            ("current_cow_size_age", int(time.monotonic() - self.cow_sampled_at) if self.cow_sampled_at else 0),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", self.current_save_keys_processed),
            ("current_save_keys_total", self.current_save_keys_total),
            ("rdb_changes_since_last_save", self.rdb_changes_since_last_save),
            ("rdb_bgsave_in_progress", self.rdb_bgsave_in_progress),
            ("rdb_last_save_time", self.rdb_last_save_time),
            ("rdb_last_bgsave_status", self.rdb_last_bgsave_status),
            ("rdb_last_bgsave_time_sec", self.rdb_last_bgsave_time_sec),
            ("rdb_current_bgsave_time_sec", self.rdb_current_bgsave_time_sec),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", self.rdb_last_cow_size),
            ("rdb_last_load_keys_expired", self.rdb_last_load_keys_expired),
            ("rdb_last_load_keys_loaded", self.rdb_last_load_keys_loaded),
        ]

    # -- wiring ----------------------------------------------------------------
    def attach(self, listener: Any = None) -> None:
        """Hook the cron of the server's listener (once it exists)."""
        if self._attached:
            return
        listener = listener or self.state.extensions.get("listener")
        if listener is None:
            return
        self._attached = True
        listener.cron_hooks.append(self.cron)
        self._listener = listener

    def _listening_fds(self) -> list[int]:
        listener = getattr(self, "_listener", None) or self.state.extensions.get("listener")
        fds = []
        for srv in getattr(listener, "servers", ()):
            for sock in srv.sockets or ():
                fds.append(sock.fileno())
        return fds

    @property
    def path(self) -> str:
        cfg = self.state.config
        return os.path.join(cfg.dir, cfg.dbfilename)

    def _aux(self) -> dict[bytes, bytes]:
        return {
            b"redis-ver": b"7.0.15",
            b"redis-bits": b"64",
            b"ctime": b"%d" % int(time.time()),
            b"used-mem": b"%d" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
            b"aof-base": b"0",
            b"damselfly-ver": __version__.encode(),
        }

    def _access(self) -> Any:
        """The IDLE (LRU policies) or FREQ (LFU policies) record writer, as ``rdbSaveKeyValuePair``."""
        policy = self.state.config.maxmemory_policy
        ks = self.state.keyspace
        clock = getattr(ks, "lru_clock", int(time.time()))
        if "lru" in policy:
            def idle(db: Any, key: bytes) -> bytes:
                last = db.lru.get(key)
                return b"" if last is None else b"\xf8" + encode_length(max(0, clock - last))
            return idle
        if "lfu" in policy:
            from ..keyspace.lfu import decayed_counter, minutes
            now = minutes(clock)
            decay = getattr(ks, "lfu_decay_time", 1)

            def freq(db: Any, key: bytes) -> bytes:
                word = db.lru.get(key)
                return b"" if word is None else b"\xf9" + bytes((decayed_counter(word, now, decay),))
            return freq
        return None

    def refresh_write_error(self) -> None:
        """Redis's ``writeCommandsDeniedByDiskError`` for RDB, cached for the dispatcher."""
        cfg = self.state.config
        failing = (cfg.stop_writes_on_bgsave_error and bool(cfg.save)
                   and self.rdb_last_bgsave_status == "err")
        self.state.write_error = MISCONF if failing else None

    def _saved(self, dirty_done: int) -> None:
        ks = self.state.keyspace
        ks.dirty = max(0, ks.dirty - dirty_done)
        self.rdb_last_save_time = int(time.time())
        self.state.lastsave = self.rdb_last_save_time
        self.rdb_last_bgsave_status = "ok"
        self.refresh_write_error()

    # -- SAVE ------------------------------------------------------------------
    def save(self) -> None:
        """Write the dump now, blocking the server (SAVE, SHUTDOWN, DEBUG RELOAD)."""
        state = self.state
        path = self.path
        tmp = snapshot.temp_path(os.path.dirname(path), os.getpid())
        dirty = state.keyspace.dirty
        self.rdb_saves += 1  # Redis counts attempts, failed ones included
        try:
            snapshot.write_snapshot(state.keyspace, state.config, path, tmp, self._aux(), self._access())
        except OSError as exc:
            log.warning("%s", exc.strerror or exc)
            raise SaveError(str(exc.strerror or exc)) from None
        except Exception as exc:  # a value the writer cannot encode: fail the save, not the server
            log.warning("Error saving DB on disk: %s", exc)
            raise SaveError(str(exc)) from None
        log.info("DB saved on disk")
        self._saved(dirty)

    # -- BGSAVE ----------------------------------------------------------------
    def bgsave(self) -> None:
        """Fork a child that writes the dump; raises SaveError if the fork fails."""
        state = self.state
        self.attach()
        path = self.path
        self.dirty_before_bgsave = state.keyspace.dirty
        self.last_bgsave_try = time.time()
        aux = self._aux()
        access = self._access()
        keyspace, config = state.keyspace, state.config
        self.rdb_saves += 1

        def body() -> None:
            snapshot.write_snapshot(keyspace, config, path,
                                    snapshot.temp_path(os.path.dirname(path), os.getpid()), aux, access)

        read_fd, write_fd = os.pipe()
        try:
            pid = snapshot.fork_writer(body, self._listening_fds(), write_fd)
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            self.rdb_last_bgsave_status = "err"
            self.refresh_write_error()
            log.warning("Can't save in background: fork: %s", exc.strerror)
            raise SaveError(f"fork: {exc.strerror}") from None
        os.set_blocking(read_fd, False)  # read at reap time only: never wait on it
        self.child_pid = pid
        self.cow_report_fd = read_fd
        self.child_start = time.time()
        self.rdb_bgsave_in_progress = 1
        self.current_save_keys_total = sum(len(db.data) for db in keyspace.dbs)
        self.bgsave_scheduled = False
        log.info("Background saving started by pid %d", pid)

    def poll_child(self) -> None:
        """Reap a finished BGSAVE child and record its outcome (Redis's ``backgroundSaveDoneHandler``)."""
        pid = self.child_pid
        if not pid:
            return
        done, code = snapshot.reap(pid)
        if not done:
            self._sample_cow(pid)
            return
        final = self._end_cow_tracking()
        self.child_pid = 0
        self.rdb_bgsave_in_progress = 0
        self.current_save_keys_total = 0
        self.rdb_last_bgsave_time_sec = int(time.time() - self.child_start)
        if code == snapshot.EXIT_OK:
            if final is not None:
                self.rdb_last_cow_size = final
                log.info("RDB: %d MB of memory used by copy-on-write", final // (1024 * 1024))
            log.info("Background saving terminated with success")
            self._saved(self.dirty_before_bgsave)
            return
        if code is None:
            log.warning("Background saving terminated by signal")
        else:
            log.warning("Background saving error")
        self._remove_child_temp(pid)
        self.rdb_last_bgsave_status = "err"
        self.refresh_write_error()

    def _sample_cow(self, pid: int) -> None:
        """INFO current_cow_size/peak of the running child, at most once a second."""
        now = time.monotonic()
        if now - self.cow_sampled_at < 1.0:
            return
        size = snapshot.private_dirty(pid)
        if size is None:
            return
        self.current_cow_size = size
        self.current_cow_peak = max(self.current_cow_peak, size)
        self.cow_sampled_at = now

    def _end_cow_tracking(self) -> int | None:
        """The child's own final copy-on-write figure (None if it sent none); resets current_cow_*."""
        final = None
        fd, self.cow_report_fd = self.cow_report_fd, -1
        if fd >= 0:
            try:
                text = os.read(fd, 64)
                final = int(text) if text else None
            except (OSError, ValueError):  # BlockingIOError included: nothing was sent
                final = None
            finally:
                os.close(fd)
        self.current_cow_size = self.current_cow_peak = 0
        self.cow_sampled_at = 0.0
        return final

    def _remove_child_temp(self, pid: int) -> None:
        try:
            os.unlink(snapshot.temp_path(os.path.dirname(self.path), pid))
        except OSError:
            pass

    def kill_child(self) -> None:
        """Stop a running BGSAVE (shutdown, FLUSHALL) and drop its temp file."""
        pid = self.child_pid
        if not pid:
            return
        snapshot.kill_and_reap(pid)
        self._end_cow_tracking()
        self._remove_child_temp(pid)
        self.child_pid = 0
        self.rdb_bgsave_in_progress = 0

    # -- cron ------------------------------------------------------------------
    def cron(self) -> None:
        """Reap the child; start a scheduled BGSAVE or one a save point asks for."""
        self.poll_child()
        if self.child_pid:
            return
        if self.bgsave_scheduled:
            self._background("Background saving scheduled")
            return
        cfg = self.state.config
        if not cfg.save:
            return
        now = time.time()
        point = due_point(cfg.save, self.state.keyspace.dirty, now, self.rdb_last_save_time,
                          self.last_bgsave_try, self.rdb_last_bgsave_status == "ok")
        if point is not None:
            log.info("%d changes in %d seconds. Saving...", point[1], point[0])
            self._background("save point")

    def _background(self, why: str) -> None:
        try:
            self.bgsave()
        except SaveError:
            pass

    # -- shutdown and reload ------------------------------------------------------
    def shutdown(self, save: bool | None = None) -> None:
        """Before exit: stop a BGSAVE child; save when asked or when save points exist.

        ``save`` is SHUTDOWN's flag: True (SAVE), False (NOSAVE), None (neither:
        save if ``save`` points are configured). Runs once; raises SaveError
        if the final save fails, so SHUTDOWN can refuse to exit.
        """
        if self.shutdown_done:
            return
        if self.child_pid:
            log.warning("There is a child saving an .rdb. Killing it!")
            self.kill_child()
        if save is True or (save is None and self.state.config.save):
            log.info("Saving the final RDB snapshot before exiting.")
            try:
                self.save()
            except SaveError:
                log.warning("Error trying to save the DB, can't exit.")
                raise
        self.shutdown_done = True

    def load(self, path: str | None = None) -> LoadStats | None:
        """Load the dump into the keyspace; None if there is no file. Raises RdbLoadError."""
        path = path or self.path
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None
        state = self.state
        state.loading = True
        self.loading = 1
        started = time.monotonic()
        try:
            stats = load_image(data, state.keyspace, state.config, state.config.rdbchecksum)
        finally:
            state.loading = False
            self.loading = 0
        if stats.checksum_skipped:
            log.warning("RDB file was saved with checksum disabled: no check performed.")
        self.rdb_last_load_keys_loaded = stats.keys_loaded
        self.rdb_last_load_keys_expired = stats.keys_expired
        state.keyspace.dirty = 0
        ver = stats.aux.get(b"redis-ver")
        if ver:
            log.info("Loading RDB produced by version %s", ver.decode("utf-8", "replace"))
        log.info("Done loading RDB, keys loaded: %d, keys expired: %d.", stats.keys_loaded, stats.keys_expired)
        log.info("DB loaded from disk: %.3f seconds", time.monotonic() - started)
        return stats

    def reload(self, save: bool = True, flush: bool = True) -> None:
        """DEBUG RELOAD: save, empty every database, load the dump again.

        Raises SaveError when the save fails and RdbLoadError when the load does.
        """
        if save:
            self.save()
        ks = self.state.keyspace
        if flush:
            for db in ks.dbs:
                db.flush()
                db.changed(None, "flushall", 0)  # type: ignore[arg-type]
        dirty = ks.dirty
        try:
            if self.load() is None:
                raise RdbLoadError(f"no dump file at {self.path}", 0)
        finally:
            ks.dirty = dirty if not save else 0


def debug_reload(state: "ServerState", save: bool = True, flush: bool = True) -> None:
    """DEBUG RELOAD [NOSAVE] [NOFLUSH] for the DEBUG command: raises CommandError with Redis's texts."""
    from ..errors import CommandError
    p: Persistence = state.extensions["persistence"]
    try:
        p.reload(save=save, flush=flush)
    except SaveError:
        raise CommandError("ERR") from None
    except (RdbLoadError, OSError) as exc:
        log.warning("Error trying to load the RDB dump: %s", exc)
        raise CommandError("ERR Error trying to load the RDB dump") from None


def on_flushall(state: "ServerState") -> None:
    """What FLUSHALL owes persistence (Redis 7.0's ``flushAllDataAndResetRDB``).

    Call after emptying the databases: a running BGSAVE is killed (its image
    is stale), and with save points configured the empty dataset is saved at
    once, leaving ``dirty`` as it was so the flush still counts as a change.
    """
    p: Persistence | None = state.extensions.get("persistence")
    if p is None:
        return
    p.kill_child()
    if state.config.save:
        dirty = state.keyspace.dirty
        try:
            p.save()
        except SaveError:
            pass
        state.keyspace.dirty = dirty


def install(state: "ServerState") -> Persistence:
    """Create the subsystem; hook the cron now or as soon as the listener exists."""
    p = Persistence(state)
    state.extensions["persistence"] = p
    state.extensions.setdefault("shutdown_hooks", []).append(p.shutdown)
    state.config.listeners.append(lambda name, value: p.refresh_write_error()
                                  if name in ("save", "stop-writes-on-bgsave-error") else None)
    if "listener" in state.extensions:
        p.attach()
    else:
        try:
            asyncio.get_running_loop().call_soon(p.attach)
        except RuntimeError:  # no loop yet: app.serve attaches explicitly
            pass
    return p
