"""Shared by the persistence differential tests (no tests here): a varied dataset and key-by-key comparison.

The same dataset is created in redis-server (with commands) and in damselfly
(as stored values, so these tests do not depend on other families'
commands); ``snapshot_*`` reduce either side to comparable neutral values.
"""
from __future__ import annotations

import random
import threading
from typing import Any, Callable

import redis

Dataset = dict[tuple[int, bytes], tuple[str, Any, int | None]]


def dataset(seed: int = 1, random_keys: int = 300) -> Dataset:
    rng = random.Random(seed)
    d: Dataset = {
        (0, b"str"): ("string", b"hello", None),
        (0, b"int"): ("string", b"-1234567", None),
        (0, b"bigint"): ("string", b"98765432109876", None),
        (0, b"lzf"): ("string", b"abcdefgh" * 40, None),
        (0, b"bin"): ("string", bytes(range(256)), 60_000),
        (0, b"list:small"): ("list", [b"a", b"1", b"-300", b"x" * 70], None),
        (0, b"list:big"): ("list", [b"%d" % i for i in range(3000)] + [b"y" * 9000], None),
        (0, b"set:ints"): ("set", [b"%d" % i for i in (-5, 0, 7, 300000, 2**40)], None),
        (0, b"set:big"): ("set", [b"m%d" % i for i in range(700)], None),
        (0, b"hash:small"): ("hash", [(b"f", b"v"), (b"n", b"12")], 100_000),
        (0, b"hash:big"): ("hash", [(b"f%d" % i, b"v" * (i % 90)) for i in range(600)], None),
        (0, b"zset:small"): ("zset", [(b"a", 1.5), (b"b", -2.0), (b"c", float("inf")), (b"d", 0.0)], None),
        (0, b"zset:big"): ("zset", [(b"m%d" % i, i / 7) for i in range(400)], None),
        (3, b"other-db"): ("string", b"three", None),
    }
    for i in range(random_keys):
        db = rng.choice((0, 0, 0, 1, 15))
        kind = rng.choice(("string", "string", "list", "set", "hash", "zset"))
        n = rng.randint(1, 20)
        elem = lambda: rng.choice((b"%d" % rng.randint(-10**6, 10**6), rng.randbytes(rng.randint(0, 30))))
        if kind == "string":
            value: Any = elem()
        elif kind == "list":
            value = [elem() for _ in range(n)]
        elif kind == "set":
            value = list({elem() for _ in range(n)})
        elif kind == "hash":
            value = list({elem(): elem() for _ in range(n)}.items())
        else:
            value = list({elem(): rng.uniform(-1e6, 1e6) for _ in range(n)}.items())
        ttl = rng.choice((None, None, rng.randint(10_000, 10**8)))
        d[(db, b"rnd:%d" % i)] = (kind, value, ttl)
    return d


def fill_redis(port: int, data: Dataset) -> None:
    clients: dict[int, redis.Redis] = {}
    for (db, key), (kind, value, ttl) in data.items():
        r = clients.setdefault(db, redis.Redis(port=port, db=db))
        if kind == "string":
            r.set(key, value)
        elif kind == "list":
            r.rpush(key, *value)
        elif kind == "set":
            r.sadd(key, *value)
        elif kind == "hash":
            r.hset(key, mapping=dict(value))
        else:
            r.zadd(key, {m: s for m, s in value})
        if ttl:
            r.pexpire(key, ttl)
    for r in clients.values():
        r.close()


def build_value(kind: str, value: Any) -> Any:
    from damselfly.types import Hash, List, Set
    from damselfly.types.zset import ZSet
    if kind == "string":
        return value
    if kind == "list":
        return List(value)
    if kind == "set":
        return Set(value)
    if kind == "hash":
        return Hash(value)
    z = ZSet(listpack=False)
    for m, s in value:
        z.insert(m, s, 0, 0)
    return z


def fill_state(state: Any, data: Dataset) -> None:
    now = state.keyspace.clock.now_ms()
    for (db, key), (kind, value, ttl) in data.items():
        d = state.keyspace.dbs[db]
        d.data[key] = build_value(kind, value)
        if ttl:
            d.set_expire(key, now + ttl)


Snapshot = dict[tuple[int, bytes], tuple[str, Any, int | None]]


def _neutral(kind: str, value: Any) -> Any:
    if kind == "string":
        return value
    if kind == "list":
        return list(value)
    if kind == "set":
        return sorted(value)
    if kind == "hash":
        return sorted(dict(value).items())
    return sorted(value)


def snapshot_redis(port: int, dbs: range = range(16)) -> Snapshot:
    out: Snapshot = {}
    for db in dbs:
        r = redis.Redis(port=port, db=db)
        for key in r.scan_iter(count=1000):
            kind = r.type(key).decode()
            if kind == "string":
                value: Any = r.get(key)
            elif kind == "list":
                value = r.lrange(key, 0, -1)
            elif kind == "set":
                value = list(r.smembers(key))
            elif kind == "hash":
                value = list(r.hgetall(key).items())
            else:
                value = r.zrange(key, 0, -1, withscores=True)
            pttl = r.pttl(key)
            out[(db, key)] = (kind, _neutral(kind, value), pttl if pttl >= 0 else None)
        r.close()
    return out


def snapshot_state(state: Any) -> Snapshot:
    from damselfly.persistence.values import kind_of, zset_items
    out: Snapshot = {}
    now = state.keyspace.clock.now_ms()
    for db in state.keyspace.dbs:
        for key, value in db.data.items():
            kind = kind_of(value)
            if kind == "hash":
                value = value.items()
            elif kind == "zset":
                value = zset_items(value)
            deadline = db.expires.get(key)
            out[(db.index, key)] = (kind, _neutral(kind, value), None if deadline is None else deadline - now)
    return out


def snapshot_dataset(data: Dataset) -> Snapshot:
    return {k: (kind, _neutral(kind, v), ttl) for k, (kind, v, ttl) in data.items()}


def assert_same(a: Snapshot, b: Snapshot, ttl_slack_ms: int = 1000) -> None:
    """Same keys, types and values; TTLs within ``ttl_slack_ms``."""
    assert sorted(a) == sorted(b)
    for k in a:
        ka, va, ta = a[k]
        kb, vb, tb = b[k]
        assert (ka, va) == (kb, vb), k
        assert (ta is None) == (tb is None), k
        if ta is not None:
            assert abs(ta - tb) <= ttl_slack_ms, (k, ta, tb)


def on_loop(server: Any, fn: Callable[[Any], Any]) -> Any:
    box: list[Any] = []
    done = threading.Event()

    def run() -> None:
        try:
            box.append(fn(server.state))
        except BaseException as exc:  # re-raised in the test thread
            box.append(exc)
        finally:
            done.set()

    server._loop.call_soon_threadsafe(run)
    assert done.wait(10)
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]
