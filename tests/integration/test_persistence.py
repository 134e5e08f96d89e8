"""SAVE, BGSAVE, LASTSAVE, DUMP/RESTORE and MISCONF on a live embedded server."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from damselfly import Server
from damselfly.persistence.rdb_reader import RdbFile
from damselfly.persistence.service import MISCONF

from ..resp import RawConnection


def on_loop(server: Server, fn: Callable[[Any], Any]) -> Any:
    """Run ``fn(state)`` on the server's loop thread and return its result."""
    box: list[Any] = []
    done = threading.Event()

    def run() -> None:
        try:
            box.append(fn(server.state))
        except BaseException as exc:  # re-raised in the test thread
            box.append(exc)
        finally:
            done.set()

    server._loop.call_soon_threadsafe(run)  # type: ignore[union-attr]
    assert done.wait(5)
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def persistence(server: Server) -> Any:
    return server.state.extensions["persistence"]  # type: ignore[union-attr]


def keys_in(path: Path) -> dict[bytes, bytes]:
    return {r.key: r.payload for r in RdbFile(path.read_bytes()).records()}


def check_rdb(path: Path) -> None:
    if shutil.which("redis-check-rdb"):
        out = subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True)
        assert "RDB looks OK" in out.stdout, out.stdout


@pytest.fixture
def conn_factory() -> Any:
    conns: list[RawConnection] = []

    def make(server: Server) -> RawConnection:
        c = RawConnection(server.host, server.port)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close()


def test_save_writes_a_dump_redis_accepts(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path))
    c = conn_factory(srv)
    before = int(c.command("LASTSAVE")[1:-2])
    c.command("SET", "a", "1")
    c.command("SET", "b", "x" * 100)
    assert c.command("SAVE") == b"+OK\r\n"
    dump = tmp_path / "dump.rdb"
    assert keys_in(dump) == {b"a": b"1", b"b": b"x" * 100}
    check_rdb(dump)
    assert int(c.command("LASTSAVE")[1:-2]) >= before
    p = persistence(srv)
    assert p.rdb_changes_since_last_save == 0 and p.rdb_last_bgsave_status == "ok"
    assert not [f for f in os.listdir(tmp_path) if f.startswith("temp-")]
    assert c.command("MULTI") == b"+OK\r\n"
    assert c.command("SAVE") == b"-ERR Command not allowed inside a transaction\r\n"


def test_bgsave_forks_and_the_server_keeps_answering(start_server: Any, conn_factory: Any,
                                                     tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path), rdb_key_save_delay=20000)
    c = conn_factory(srv)
    for i in range(40):
        c.command("SET", f"k{i}", str(i))
    p = persistence(srv)
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    assert p.rdb_bgsave_in_progress == 1 and p.child_pid
    # While the child writes (about 0.8 s), the parent serves clients.
    assert c.command("BGSAVE") == b"-ERR Background save already in progress\r\n"
    assert c.command("BGSAVE", "SCHEDULE") == b"-ERR Background save already in progress\r\n"
    assert c.command("SAVE") == b"-ERR Background save already in progress\r\n"
    assert c.command("SET", "during", "yes") == b"+OK\r\n"
    assert c.command("GET", "k3") == b"$1\r\n3\r\n"
    assert p.rdb_bgsave_in_progress == 1
    assert p.rdb_changes_since_last_save == 41
    wait_until(lambda: p.rdb_bgsave_in_progress == 0)
    assert p.rdb_last_bgsave_status == "ok" and p.rdb_last_bgsave_time_sec >= 0
    assert p.rdb_changes_since_last_save == 1  # the write made during the save
    saved = keys_in(tmp_path / "dump.rdb")
    assert len(saved) == 40 and b"during" not in saved  # the image is the one at fork time
    assert c.command("BGSAVE", "now") == b"-ERR syntax error\r\n"


def _info(c: Any, section: str) -> dict[str, str]:
    text = c.command("INFO", section).split(b"\r\n", 1)[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="needs Linux smaps_rollup")
def test_bgsave_reports_the_childs_copy_on_write(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path), rdb_key_save_delay=1000)
    c = conn_factory(srv)
    for i in range(0, 3000, 100):
        c.command("MSET", *[x for j in range(i, i + 100) for x in (f"k{j}", "v" * 200)])
    idle = _info(c, "persistence")
    assert (idle["current_cow_size"], idle["current_cow_peak"], idle["rdb_last_cow_size"]) == ("0", "0", "0")
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    p = persistence(srv)
    wait_until(lambda: int(_info(c, "persistence")["current_cow_size"]) > 0)  # sampled while it runs
    running = _info(c, "persistence")
    assert int(running["current_cow_peak"]) >= int(running["current_cow_size"]) > 0
    wait_until(lambda: p.rdb_bgsave_in_progress == 0)
    done = _info(c, "persistence")
    assert p.rdb_last_bgsave_status == "ok"
    assert int(done["rdb_last_cow_size"]) > 0  # the child's own figure, sent before it exits
    assert (done["current_cow_size"], done["current_cow_peak"]) == ("0", "0")


def test_bgsave_inside_exec_is_scheduled(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path))
    c = conn_factory(srv)
    c.command("SET", "a", "1")
    c.command("MULTI")
    c.command("BGSAVE")
    assert c.command("EXEC") == b"*1\r\n+Background saving scheduled\r\n"
    wait_until(lambda: (tmp_path / "dump.rdb").exists() and persistence(srv).rdb_bgsave_in_progress == 0)
    assert keys_in(tmp_path / "dump.rdb") == {b"a": b"1"}


def test_save_points_start_a_background_save(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path), save="1 2")
    c = conn_factory(srv)
    on_loop(srv, lambda st: setattr(st.extensions["persistence"], "rdb_last_save_time", int(time.time()) - 5))
    c.command("SET", "a", "1")
    time.sleep(0.3)
    assert not (tmp_path / "dump.rdb").exists()  # one change: below the point
    c.command("SET", "b", "2")
    wait_until(lambda: (tmp_path / "dump.rdb").exists() and persistence(srv).rdb_bgsave_in_progress == 0)
    assert keys_in(tmp_path / "dump.rdb") == {b"a": b"1", b"b": b"2"}
    assert persistence(srv).rdb_changes_since_last_save == 0


def test_failing_bgsave_sets_misconf_until_a_save_succeeds(start_server: Any, conn_factory: Any,
                                                           tmp_path: Path) -> None:
    target = tmp_path / "sub"
    target.mkdir()
    srv = start_server(dir=str(target), save="3600 1")
    c = conn_factory(srv)
    c.command("SET", "a", "1")
    target.rmdir()  # the temp file cannot be created any more
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    p = persistence(srv)
    wait_until(lambda: p.rdb_bgsave_in_progress == 0)
    assert p.rdb_last_bgsave_status == "err"
    misconf = b"-" + MISCONF.encode() + b"\r\n"
    assert c.command("SET", "b", "2") == misconf
    assert c.command("PING") == misconf
    assert c.command("GET", "a") == b"$1\r\n1\r\n"
    c.command("MULTI")
    assert c.command("SET", "b", "2") == misconf
    assert c.command("EXEC").startswith(b"-EXECABORT")
    assert c.command("SAVE") == b"-ERR\r\n"
    # Writes are allowed again when the option is off, or when no save point is set...
    on_loop(srv, lambda st: st.config.set("stop-writes-on-bgsave-error", "no"))
    assert c.command("SET", "b", "2") == b"+OK\r\n"
    on_loop(srv, lambda st: st.config.set("stop-writes-on-bgsave-error", "yes"))
    assert c.command("SET", "b", "2") == misconf
    # ...and for good once a save succeeds.
    target.mkdir()
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    wait_until(lambda: p.rdb_bgsave_in_progress == 0)
    assert p.rdb_last_bgsave_status == "ok"
    assert c.command("SET", "b", "2") == b"+OK\r\n"


def test_dump_and_restore(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    srv = start_server(dir=str(tmp_path))
    c = conn_factory(srv)
    assert c.command("DUMP", "nokey") == b"$-1\r\n"
    c.command("SET", "s", "hello")
    frame = c.command("DUMP", "s")
    payload = frame[frame.index(b"\r\n") + 2:-2]
    assert payload == b"\x00\x05hello\n\x00" + payload[-8:]
    assert c.command("RESTORE", "s", "0", payload) == b"-BUSYKEY Target key name already exists.\r\n"
    assert c.command("RESTORE", "t", "5000", payload) == b"+OK\r\n"
    ttl = on_loop(srv, lambda st: st.keyspace.dbs[0].ttl_ms(b"t"))
    assert 4000 < ttl <= 5000
    assert c.command("GET", "t") == b"$5\r\nhello\r\n"
    assert c.command("RESTORE", "s", "0", payload, "REPLACE") == b"+OK\r\n"
    # ABSTTL in the past: REPLACE deletes, nothing is created
    assert c.command("RESTORE", "s", "1", payload, "REPLACE", "ABSTTL") == b"+OK\r\n"
    assert c.command("GET", "s") == b"$-1\r\n"
    bad = payload[:-1] + bytes((payload[-1] ^ 0xFF,))
    assert c.command("RESTORE", "u", "0", bad) == b"-ERR DUMP payload version or checksum are wrong\r\n"
    assert c.command("RESTORE", "u", "-1", payload) == b"-ERR Invalid TTL value, must be >= 0\r\n"
    assert c.command("RESTORE", "u", "0", payload, "IDLETIME", "-1") == \
        b"-ERR Invalid IDLETIME value, must be >= 0\r\n"
    assert c.command("RESTORE", "u", "0", payload, "FREQ", "256") == \
        b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
    assert c.command("RESTORE", "u", "0", payload, "IDLETIME", "1", "FREQ", "1") == b"-ERR syntax error\r\n"
    assert c.command("RESTORE", "u", "0", payload, "IDLETIME", "100") == b"+OK\r\n"
    idle = on_loop(srv, lambda st: st.keyspace.lru_clock - st.keyspace.dbs[0].lru[b"u"])
    assert 99 <= idle <= 101


def test_debug_reload_function_and_idle_times(start_server: Any, conn_factory: Any, tmp_path: Path) -> None:
    from damselfly.persistence.service import debug_reload, on_flushall
    srv = start_server(dir=str(tmp_path), maxmemory_policy="allkeys-lru")
    c = conn_factory(srv)
    c.command("SET", "a", "1")
    c.command("SET", "b", "2")
    on_loop(srv, lambda st: st.keyspace.dbs[0].lru.__setitem__(b"a", st.keyspace.lru_clock - 500))
    on_loop(srv, lambda st: debug_reload(st))
    assert c.command("GET", "b") == b"$1\r\n2\r\n"
    idle = on_loop(srv, lambda st: st.keyspace.lru_clock - st.keyspace.dbs[0].lru[b"a"])
    assert 499 <= idle <= 501  # IDLE records are written under LRU policies and read back
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0010garbage")
    from damselfly.errors import CommandError
    with pytest.raises(CommandError, match="Error trying to load the RDB dump"):
        on_loop(srv, lambda st: debug_reload(st, save=False))
    on_loop(srv, lambda st: st.config.set("save", "3600 1"))
    on_loop(srv, on_flushall)
    assert keys_in(tmp_path / "dump.rdb") == {}
