"""RDB files both ways between damselfly and redis-server 7.0, compared key by key."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from damselfly import Server

from ..conftest import free_port
from .test_persistence_data import (assert_same, dataset, fill_redis, fill_state, on_loop, snapshot_dataset,
                               snapshot_redis, snapshot_state)

pytestmark = pytest.mark.differential


class RedisOnDir:
    """A dedicated redis-server whose dump lives in ``directory`` (loaded at start)."""

    def __init__(self, directory: Path, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode())  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def workdir() -> Iterator[Path]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    d = Path(tempfile.mkdtemp(prefix="damselfly-rdb-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def damselfly(workdir: Path) -> Iterator[Server]:
    srv = Server(port=0, dir=str(workdir))
    srv.start()
    yield srv
    srv.stop()


def test_redis_dump_loads_into_damselfly(workdir: Path, damselfly: Server) -> None:
    data = dataset(seed=11)
    ref = RedisOnDir(workdir, "--enable-debug-command", "yes")
    try:
        import redis
        r = redis.Redis(port=ref.port)
        r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")  # plain quicklist nodes too
        fill_redis(ref.port, data)
        r.rpush("list:plain", "small", "z" * 300, "small2")
        assert r.object("encoding", "set:ints") == b"intset"
        assert r.object("encoding", "zset:small") == b"listpack"
        assert r.object("encoding", "hash:big") == b"hashtable"
        r.save()
        expected = snapshot_redis(ref.port)
        r.close()
    finally:
        ref.stop()
    stats = on_loop(damselfly, lambda st: st.extensions["persistence"].load(str(workdir / "dump.rdb")))
    assert stats.keys_loaded == len(expected)
    assert_same(snapshot_state(damselfly.state), expected)


def test_damselfly_dump_passes_redis_check_rdb_and_loads_into_redis(workdir: Path, damselfly: Server) -> None:
    data = dataset(seed=12)
    on_loop(damselfly, lambda st: fill_state(st, data))
    ours = on_loop(damselfly, snapshot_state)
    assert_same(ours, snapshot_dataset(data))
    on_loop(damselfly, lambda st: st.extensions["persistence"].save())
    check = subprocess.run(["redis-check-rdb", str(workdir / "dump.rdb")], capture_output=True, text=True)
    assert "RDB looks OK" in check.stdout, check.stdout
    assert f"{len(data)} keys read" in check.stdout
    ref = RedisOnDir(workdir)
    try:
        assert_same(snapshot_redis(ref.port), ours)
    finally:
        ref.stop()


def test_uncompressed_unchecksummed_dump_loads_into_redis(workdir: Path) -> None:
    srv = Server(port=0, dir=str(workdir), rdbcompression="no", rdbchecksum="no")
    srv.start()
    try:
        data = dataset(seed=13, random_keys=50)
        on_loop(srv, lambda st: fill_state(st, data))
        on_loop(srv, lambda st: st.extensions["persistence"].save())
        ours = on_loop(srv, snapshot_state)
    finally:
        srv.stop()
    raw = (workdir / "dump.rdb").read_bytes()
    assert raw[-8:] == b"\0" * 8 and b"abcdefgh" * 40 in raw
    ref = RedisOnDir(workdir)
    try:
        assert_same(snapshot_redis(ref.port), ours)
    finally:
        ref.stop()


def test_dump_with_every_compact_kind_passes_redis_check_rdb(workdir: Path, damselfly: Server) -> None:
    """listpack hash and zset, intset set, quicklist list: written as those RDB types, loaded by Redis."""
    import redis

    from damselfly.persistence import format as F
    from damselfly.persistence.format import encode_string

    d = redis.Redis(port=damselfly.port)
    d.hset("compact:hash", mapping={"f": "v", "n": "12"})
    d.zadd("compact:zset", {"a": 1, "b": 2.5})
    d.sadd("compact:intset", 1, 70000, -3)
    d.rpush("compact:list", "a", "1", *["x" * 100] * 200)  # several quicklist nodes
    d.hset("plain:hash", "f", "v" * 100)
    d.sadd("plain:set", "a", "1")
    d.zadd("plain:zset", {"m" * 100: 1})
    d.save()
    d.close()
    blob = (workdir / "dump.rdb").read_bytes()
    for rtype, key in ((F.TYPE_HASH_LISTPACK, b"compact:hash"), (F.TYPE_ZSET_LISTPACK, b"compact:zset"),
                       (F.TYPE_SET_INTSET, b"compact:intset"), (F.TYPE_LIST_QUICKLIST_2, b"compact:list"),
                       (F.TYPE_HASH, b"plain:hash"), (F.TYPE_SET, b"plain:set"), (F.TYPE_ZSET_2, b"plain:zset")):
        assert bytes((rtype,)) + encode_string(key) in blob, key
    check = subprocess.run(["redis-check-rdb", str(workdir / "dump.rdb")], capture_output=True, text=True)
    assert "RDB looks OK" in check.stdout, check.stdout
    assert "7 keys read" in check.stdout
    ref = RedisOnDir(workdir)
    try:
        r = redis.Redis(port=ref.port)
        assert r.hgetall("compact:hash") == {b"f": b"v", b"n": b"12"}
        assert r.zrange("compact:zset", 0, -1, withscores=True) == [(b"a", 1.0), (b"b", 2.5)]
        assert r.smembers("compact:intset") == {b"1", b"70000", b"-3"}
        assert r.lrange("compact:list", 0, -1) == [b"a", b"1", *[b"x" * 100] * 200]
        for key, encoding in ((b"compact:hash", b"listpack"), (b"compact:zset", b"listpack"),
                              (b"compact:intset", b"intset"), (b"compact:list", b"quicklist"),
                              (b"plain:hash", b"hashtable"), (b"plain:set", b"hashtable"),
                              (b"plain:zset", b"skiplist")):
            assert r.object("encoding", key) == encoding, key
        r.close()
    finally:
        ref.stop()
