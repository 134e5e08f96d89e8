"""Client-side caching over real TCP: every mode, RESP2 redirection, and redis-py's own cache."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from redis.cache import CacheConfig

from damselfly.keyspace.clock import ManualClock

from tests.resp import RawConnection


def key() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def inv(*keys: str) -> bytes:
    body = b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys)
    return b">2\r\n$10\r\ninvalidate\r\n*%d\r\n" % len(keys) + body


@pytest.fixture
def tracker(server):
    conn = RawConnection(server.host, server.port)
    conn.command("HELLO", "3")
    yield conn
    conn.close()


@pytest.fixture
def writer(server):
    conn = RawConnection(server.host, server.port)
    yield conn
    conn.close()


def test_default_mode(tracker, writer) -> None:
    k = key()
    assert tracker.command("CLIENT", "TRACKING", "on") == b"+OK\r\n"
    tracker.command("GET", k)
    writer.command("SET", k, "1")
    assert tracker.read_reply() == inv(k)
    writer.command("SET", k, "2")  # not read again: no second message
    assert tracker.command("PING") == b"+PONG\r\n"


def test_own_write_invalidation_follows_the_reply_and_noloop(tracker) -> None:
    k = key()
    tracker.command("CLIENT", "TRACKING", "on")
    tracker.command("GET", k)
    assert tracker.command("SET", k, "v") == b"+OK\r\n"
    assert tracker.read_reply() == inv(k)
    tracker.command("CLIENT", "TRACKING", "on", "NOLOOP")
    tracker.command("GET", k)
    tracker.command("SET", k, "w")
    assert tracker.command("PING") == b"+PONG\r\n"


def test_bcast_with_prefixes(tracker, writer) -> None:
    p = key() + ":"
    tracker.command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", p)
    writer.command("MSET", p + "b", "1", p + "a", "2", "other", "3")
    assert tracker.read_reply() == inv(p + "a", p + "b")  # one message, keys sorted
    info = tracker.command("CLIENT", "TRACKINGINFO")
    assert b"bcast" in info and p.encode() in info


def test_optin_optout(tracker, writer) -> None:
    k1, k2 = key(), key()
    tracker.command("CLIENT", "TRACKING", "on", "OPTIN")
    tracker.command("GET", k1)
    tracker.command("CLIENT", "CACHING", "yes")
    tracker.command("GET", k2)
    writer.command("MSET", k1, "1", k2, "2")
    assert tracker.read_reply() == inv(k2)
    tracker.command("CLIENT", "TRACKING", "off")
    tracker.command("CLIENT", "TRACKING", "on", "OPTOUT")
    tracker.command("CLIENT", "CACHING", "no")
    tracker.command("GET", k1)
    tracker.command("GET", k2)
    writer.command("MSET", k1, "1", k2, "2")
    assert tracker.read_reply() == inv(k2)


def test_resp2_redirect_to_a_subscriber(server, writer) -> None:
    k = key()
    target = RawConnection(server.host, server.port)
    target_id = int(target.command("CLIENT", "ID")[1:-2])
    target.command("SUBSCRIBE", "__redis__:invalidate")
    tracker = RawConnection(server.host, server.port)
    assert tracker.command("CLIENT", "TRACKING", "on", "REDIRECT", str(target_id)) == b"+OK\r\n"
    assert tracker.command("CLIENT", "GETREDIR") == b":%d\r\n" % target_id
    tracker.command("GET", k)
    writer.command("SET", k, "1")
    assert target.read_reply() == (b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$%d\r\n%s\r\n"
                                   % (len(k), k.encode()))
    target.close()
    time.sleep(0.1)
    tracker.command("HELLO", "3")
    tracker.command("GET", k)
    writer.command("SET", k, "2")
    assert tracker.read_reply() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % target_id
    assert b"broken_redirect" in tracker.command("CLIENT", "TRACKINGINFO")
    tracker.close()


def test_flush_sends_null(tracker, writer) -> None:
    tracker.command("CLIENT", "TRACKING", "on")
    tracker.command("GET", key())
    writer.command("FLUSHDB")
    assert tracker.read_reply() == b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def test_table_limit_evicts_and_info_counts(start_server) -> None:
    srv = start_server(tracking_table_max_keys=3)
    c = RawConnection(srv.host, srv.port)
    c.command("HELLO", "3")
    c.command("CLIENT", "TRACKING", "on")
    for i in range(3):
        assert c.command("GET", f"k{i}") == b"_\r\n"
    assert c.command("GET", "k3") == b"_\r\n"  # the table overflowed: the oldest key goes...
    assert c.read_reply() == inv("k0")          # ...and its invalidation follows the reply
    r = redis.Redis(host=srv.host, port=srv.port)
    stats = r.info()
    assert stats["tracking_clients"] == 1
    assert stats["tracking_total_keys"] == 3 and stats["tracking_total_items"] == 3
    assert stats["tracking_total_prefixes"] == 0
    c.close()
    r.close()


def test_redis_py_client_side_cache_end_to_end(server, monkeypatch) -> None:
    """redis-py's cache (CLIENT TRACKING on + RESP3 invalidation pushes) against damselfly.

    redis-py 8 refuses to enable its cache unless HELLO reports Redis >= 7.4
    (a product gate: the protocol it uses exists since 6.0). damselfly reports
    7.0.15, like the server it imitates, so the gate is lowered for this test.
    """
    from redis.connection import CacheProxyConnection
    monkeypatch.setattr(CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")
    k = key()
    cached = redis.Redis(host=server.host, port=server.port, protocol=3, cache_config=CacheConfig())
    plain = redis.Redis(host=server.host, port=server.port)
    plain.set(k, "v1")
    calls_before = _get_calls(plain)
    assert cached.get(k) == b"v1"
    assert cached.get(k) == b"v1"
    assert cached.get(k) == b"v1"
    assert _get_calls(plain) - calls_before == 1  # served from the local cache after the first GET
    plain.set(k, "v2")  # the server invalidates; redis-py drops its entry on the next command
    deadline = time.monotonic() + 2
    value = cached.get(k)
    while value != b"v2" and time.monotonic() < deadline:
        time.sleep(0.02)
        value = cached.get(k)
    assert value == b"v2"
    cached.close()
    plain.close()


def _get_calls(r: redis.Redis) -> int:
    return r.info("commandstats").get("cmdstat_get", {}).get("calls", 0)


# -- expiry: an expired key is a modified key (Redis's deleteExpiredKeyAndPropagate) --------------
#
# The server gets a manual clock, so a key expires exactly when the test moves it, and its active
# expire cycle can be held off (what Redis's DEBUG SET-ACTIVE-EXPIRE 0 does), so "lazy" means the
# access found the key expired and "active" means the cron did, with no command from anyone.

class ExpiryControl:
    """A dedicated server's clock and active expire cycle, changed on its loop thread."""

    def __init__(self, srv) -> None:
        self.srv = srv
        self.active = True
        self.clock = ManualClock()

        def install(state) -> None:
            cycle = state.keyspace.active_expire_cycle
            state.keyspace.clock = self.clock
            state.keyspace.active_expire_cycle = lambda *args, **kwargs: cycle(*args, **kwargs) if self.active else 0
        self.on_loop(install)

    def on_loop(self, fn) -> None:
        done = threading.Event()

        def run() -> None:
            try:
                fn(self.srv.state)
            finally:
                done.set()
        self.srv._loop.call_soon_threadsafe(run)
        assert done.wait(5)

    def advance(self, ms: int) -> None:
        self.on_loop(lambda state: self.clock.advance(ms))


@pytest.fixture
def expiry(start_server):
    srv = start_server()
    return srv, ExpiryControl(srv)


def redirected(*keys: str) -> bytes:
    body = b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys)
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*%d\r\n" % len(keys) + body


def test_lazy_expiry_invalidates_resp3(expiry) -> None:
    srv, ctl = expiry
    ctl.active = False
    tracker, writer = RawConnection(srv.host, srv.port), RawConnection(srv.host, srv.port)
    tracker.command("HELLO", "3")
    tracker.command("CLIENT", "TRACKING", "on")
    writer.command("SET", "read", "v", "PX", "1000")
    writer.command("SET", "peeked", "v", "PX", "1000")
    assert tracker.command("GET", "read") == b"$1\r\nv\r\n"
    assert tracker.command("GET", "peeked") == b"$1\r\nv\r\n"
    ctl.advance(1001)
    assert tracker.command("PING") == b"+PONG\r\n"  # due, but nothing has looked at them yet
    assert writer.command("GET", "read") == b"$-1\r\n"  # found expired: deleted, and invalidated
    assert tracker.read_reply() == inv("read")
    assert writer.command("EXISTS", "peeked") == b":0\r\n"  # a look without touching expires it too
    assert tracker.read_reply() == inv("peeked")
    assert tracker.command("PING") == b"+PONG\r\n"  # one message per key, no more
    tracker.close()
    writer.close()


def test_own_lazy_expiry_invalidation_follows_the_reply_unless_noloop(expiry) -> None:
    srv, ctl = expiry
    ctl.active = False
    tracker, writer = RawConnection(srv.host, srv.port), RawConnection(srv.host, srv.port)
    tracker.command("HELLO", "3")
    tracker.command("CLIENT", "TRACKING", "on")
    writer.command("SET", "k", "v", "PX", "10")
    tracker.command("GET", "k")
    ctl.advance(11)
    assert tracker.command("GET", "k") == b"_\r\n"  # the reply first, then the key's invalidation
    assert tracker.read_reply() == inv("k")
    writer.command("SET", "k", "w")  # the GET read the key again: it is tracked again
    assert tracker.read_reply() == inv("k")
    tracker.command("CLIENT", "TRACKING", "on", "NOLOOP")
    writer.command("SET", "n", "v", "PX", "10")
    tracker.command("GET", "n")
    ctl.advance(11)
    assert tracker.command("GET", "n") == b"_\r\n"
    assert tracker.command("PING") == b"+PONG\r\n"  # NOLOOP: the expiry its own read caused is not sent
    tracker.close()
    writer.close()


def test_active_expiry_invalidates_resp3(expiry) -> None:
    srv, ctl = expiry
    tracker, writer = RawConnection(srv.host, srv.port), RawConnection(srv.host, srv.port)
    tracker.command("HELLO", "3")
    tracker.command("CLIENT", "TRACKING", "on")
    writer.command("SET", "k", "v", "PX", "1000")
    tracker.command("GET", "k")
    ctl.advance(1001)
    assert tracker.read_reply() == inv("k")  # pushed by the expire cycle: nobody sent a command
    assert b"expired_keys:1\r\n" in writer.command("INFO", "stats")
    tracker.close()
    writer.close()


def test_lazy_and_active_expiry_reach_a_resp2_redirect_target(expiry) -> None:
    srv, ctl = expiry
    ctl.active = False
    target, writer = RawConnection(srv.host, srv.port), RawConnection(srv.host, srv.port)
    target_id = int(target.command("CLIENT", "ID")[1:-2])
    target.command("SUBSCRIBE", "__redis__:invalidate")
    tracker = RawConnection(srv.host, srv.port)  # RESP2 itself: it can only be told through the target
    assert tracker.command("CLIENT", "TRACKING", "on", "REDIRECT", str(target_id)) == b"+OK\r\n"
    writer.command("SET", "lazy", "v", "PX", "1000")
    writer.command("SET", "active", "v", "PX", "2000")
    tracker.command("GET", "lazy")
    tracker.command("GET", "active")
    ctl.advance(1001)
    assert writer.command("GET", "lazy") == b"$-1\r\n"
    assert target.read_reply() == redirected("lazy")
    ctl.active = True
    ctl.advance(1000)
    assert target.read_reply() == redirected("active")
    assert tracker.command("PING") == b"+PONG\r\n"  # and nothing reached the tracker itself
    for c in (target, tracker, writer):
        c.close()
