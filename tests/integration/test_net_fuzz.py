"""Network-level fuzz: hostile connections next to a well-behaved client.

Several connections send random bytes and mutated valid frames (flipped or
inserted bytes, truncations, absurd ``*``/``$`` lengths, stray CRLFs, inline
noise), read a little, and hang up politely or with an RST, over and over.
Meanwhile one ordinary client keeps running commands and checking every
answer. The server must never raise (its event loop's exception handler is
recorded), never give the good client a wrong answer, and end with only the
good client connected.

A bounded slice runs in ``make test`` (``DAMSELFLY_FUZZ_ROUNDS`` connections per
worker, each sending 1-4 payloads, default 25); ``make fuzz`` sets ``DAMSELFLY_FUZZ_SECONDS`` to run
by duration instead. ``DAMSELFLY_FUZZ_SEED`` replays a run.
"""
from __future__ import annotations

import os
import random
import socket
import struct
import threading
import time
from typing import Any, Callable

import redis

SEED = int(os.environ.get("DAMSELFLY_FUZZ_SEED", "20261129"))
ROUNDS = int(os.environ.get("DAMSELFLY_FUZZ_ROUNDS", "25"))
SECONDS = float(os.environ.get("DAMSELFLY_FUZZ_SECONDS", "0"))
WORKERS = 8

# Commands whose mutations stay harmless to the rest of the test: no SHUTDOWN,
# DEBUG, CONFIG, FLUSH*, CLIENT KILL/PAUSE, nor offsets (SETRANGE, SETBIT) that
# a mutated digit could turn into a 512 MB allocation.
CORPUS: list[tuple[bytes, ...]] = [
    (b"PING",), (b"ECHO", b"hello"), (b"SET", b"fz:k", b"v"), (b"GET", b"fz:k"),
    (b"INCR", b"fz:n"), (b"APPEND", b"fz:k", b"abc"), (b"DEL", b"fz:k", b"fz:l"),
    (b"LPUSH", b"fz:l", b"a", b"b"), (b"LRANGE", b"fz:l", b"0", b"-1"), (b"LPOP", b"fz:l"),
    (b"HSET", b"fz:h", b"f", b"v"), (b"HGETALL", b"fz:h"), (b"SADD", b"fz:s", b"m"),
    (b"SMEMBERS", b"fz:s"), (b"ZADD", b"fz:z", b"1.5", b"a"), (b"ZRANGE", b"fz:z", b"0", b"-1", b"WITHSCORES"),
    (b"EXPIRE", b"fz:k", b"100"), (b"TTL", b"fz:k"), (b"EXISTS", b"fz:k", b"fz:h"),
    (b"MGET", b"fz:k", b"fz:n"), (b"MSET", b"fz:a", b"1", b"fz:b", b"2"),
    (b"SUBSCRIBE", b"fz:ch"), (b"PSUBSCRIBE", b"fz:*"), (b"UNSUBSCRIBE",), (b"PUBLISH", b"fz:ch", b"m"),
    (b"MULTI",), (b"EXEC",), (b"DISCARD",), (b"WATCH", b"fz:k"), (b"UNWATCH",),
    (b"CLIENT", b"SETNAME", b"fuzz"), (b"CLIENT", b"TRACKING", b"on"), (b"HELLO", b"3"), (b"HELLO", b"2"),
    (b"BLPOP", b"fz:bl", b"0.05"), (b"SELECT", b"1"), (b"TYPE", b"fz:k"), (b"OBJECT", b"ENCODING", b"fz:k"),
    (b"SCAN", b"0", b"MATCH", b"fz:*"), (b"INFO", b"stats"), (b"QUIT",), (b"RESET",),
]


def frame(args: tuple[bytes, ...]) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def mutate(data: bytes, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(8)
        pos = rnd.randrange(len(buf) + 1)
        if op == 0 and buf:  # flip a byte
            buf[min(pos, len(buf) - 1)] = rnd.randrange(256)
        elif op == 1:  # insert noise
            buf[pos:pos] = os.urandom(rnd.randint(1, 8)) if rnd.random() < 0.5 else b"\r\n"
        elif op == 2:  # truncate
            del buf[pos:]
        elif op == 3:  # absurd or negative lengths
            text = bytes(buf)
            for marker in (b"*", b"$"):
                i = text.find(marker, pos)
                if i >= 0:
                    j = text.find(b"\r\n", i)
                    if j > i:
                        n = rnd.choice([b"-1", b"-7", b"0", b"2147483648", b"99999999999999999999", b"1a", b""])
                        buf[i + 1:j] = n
                        break
        elif op == 4:  # duplicate a slice
            buf[pos:pos] = buf[rnd.randrange(len(buf) + 1):][: rnd.randint(1, 64)]
        elif op == 5:  # a stray inline line
            buf[pos:pos] = rnd.choice([b"GET \"unterminated\r\n", b"\"a\"b\r\n", b"   \r\n", b"\x00\r\n",
                                       b"SET k 'x\r\n", b"ECHO " + b"z" * 300 + b"\r\n"])
        elif op == 6:  # drop a byte
            if buf:
                del buf[min(pos, len(buf) - 1)]
        else:  # swap two frames' worth of bytes
            cut = rnd.randrange(len(buf) + 1)
            buf = buf[cut:] + buf[:cut]
    return bytes(buf)


def payload(rnd: random.Random) -> bytes:
    kind = rnd.random()
    if kind < 0.15:
        return os.urandom(rnd.randint(1, 300))
    frames = b"".join(frame(rnd.choice(CORPUS)) for _ in range(rnd.randint(1, 6)))
    if kind < 0.25:
        return frames  # valid: the hostile client sometimes behaves
    return mutate(frames, rnd)


COUNTERS = ("connections", "payloads", "closed_by_server", "connect_errors")


def hostile(host: str, port: int, rnd: random.Random, rounds: int, until: float, counts: dict[str, int],
            errors: list[str]) -> None:
    """One worker; ``counts`` and ``errors`` are its own, read by the main thread once it is done."""
    try:
        _hostile(host, port, rnd, rounds, until, counts)
    except BaseException as exc:  # noqa: BLE001 - an exception in a thread would only warn
        errors.append(repr(exc))


def _hostile(host: str, port: int, rnd: random.Random, rounds: int, until: float, counts: dict[str, int]) -> None:
    done = 0
    while (done < rounds) if not until else (time.monotonic() < until):
        done += 1
        try:
            sock = socket.create_connection((host, port), timeout=5)
        except OSError:
            counts["connect_errors"] += 1
            continue
        sock.settimeout(0.02)
        try:
            for _ in range(rnd.randint(1, 4)):
                sock.sendall(payload(rnd))
                counts["payloads"] += 1
                try:
                    sock.recv(65536)
                except (socket.timeout, BlockingIOError):
                    pass
        except OSError:  # the server closed it (protocol error): expected
            counts["closed_by_server"] += 1
        if rnd.random() < 0.5:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        counts["connections"] += 1


def test_hostile_connections_do_not_hurt_the_server_or_a_good_client(start_server: Callable[..., Any]) -> None:
    srv = start_server()
    loop_errors: list[dict[str, Any]] = []
    srv._loop.call_soon_threadsafe(srv._loop.set_exception_handler, lambda loop, ctx: loop_errors.append(ctx))
    good = redis.Redis(host=srv.host, port=srv.port, socket_timeout=10)
    good.ping()
    until = time.monotonic() + SECONDS if SECONDS else 0.0
    # One counter dict per worker: ``+=`` on a shared dict item is a read and a write, and a
    # thread switch between them loses an update.
    per_worker = [dict.fromkeys(COUNTERS, 0) for _ in range(WORKERS)]
    worker_errors: list[list[str]] = [[] for _ in range(WORKERS)]
    threads = [threading.Thread(target=hostile, args=(srv.host, srv.port, random.Random(SEED + i), ROUNDS, until,
                                                      per_worker[i], worker_errors[i]), daemon=True)
               for i in range(WORKERS)]
    for t in threads:
        t.start()
    checked = 0
    while any(t.is_alive() for t in threads):
        i = checked
        pipe = good.pipeline(transaction=False)
        pipe.set(f"good:{i}", i)
        pipe.get(f"good:{i}")
        pipe.incr("good:counter")
        pipe.rpush("good:list", i)
        pipe.lindex("good:list", -1)
        assert pipe.execute() == [True, str(i).encode(), i + 1, i + 1, str(i).encode()], f"seed {SEED}"
        checked += 1
    for t in threads:
        t.join()
    assert worker_errors == [[]] * WORKERS, f"seed {SEED}: {worker_errors}"
    counts = {name: sum(c[name] for c in per_worker) for name in COUNTERS}
    print(f"net fuzz seed {SEED}: {counts}, {checked} good pipelines checked")
    assert counts["connections"] == WORKERS * ROUNDS or SECONDS
    assert counts["connect_errors"] == 0
    assert loop_errors == [], f"seed {SEED}: {loop_errors[:3]}"
    assert srv._thread.is_alive()
    state = srv.state
    deadline = time.monotonic() + 15
    while len(state.clients) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(state.clients) == 1, [c.addr for c in state.clients.values()]
    assert good.info("clients")["connected_clients"] == 1
    assert good.info("clients")["blocked_clients"] == 0
    assert good.get("good:counter") == str(checked).encode()
    assert good.ping() is True
    good.close()
