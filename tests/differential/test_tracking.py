"""Client-side caching against redis-server: every mode and error, frame for frame."""
from __future__ import annotations

import pytest

from .test_pubsub import duo  # noqa: F401  (fixture)

pytestmark = pytest.mark.differential


def test_default_optin_optout_noloop_resp3(duo) -> None:  # noqa: F811
    d = duo(2)
    d.run([
        (0, "HELLO", "3"), (0, "CLIENT", "TRACKINGINFO"), (0, "CLIENT", "GETREDIR"), (0, "CLIENT", "TRACKING", "on"),
        (0, "CLIENT", "TRACKINGINFO"), (0, "GET", "k1"), (0, "SET", "k1", "x"), (0, "GET", "k1"),
        (1, "SET", "k1", "y"), (0, "MGET", "k1", "k2", "k3"), (1, "MSET", "k1", "1", "k2", "2", "k3", "3"),
        (0, "GET", "k1"), (0, "GET", "k2"), (0, "FLUSHALL"), (0, "GET", "k1"), (1, "FLUSHDB"),
        (0, "GET", "k1"), (0, "SELECT", "1"), (1, "SELECT", "2"), (1, "SET", "k1", "z"),
        (0, "SELECT", "0"), (1, "SELECT", "0"),
        (0, "CLIENT", "TRACKING", "off"), (0, "CLIENT", "TRACKING", "on", "OPTIN"),
        (0, "GET", "o1"), (0, "CLIENT", "CACHING", "yes"), (0, "GET", "o2"), (0, "GET", "o3"),
        (1, "MSET", "o1", "1", "o2", "2", "o3", "3"),
        (0, "CLIENT", "CACHING", "yes"), (0, "CLIENT", "GETREDIR"), (0, "GET", "o1"),
        (0, "CLIENT", "CACHING", "yes"), (0, "PING"), (0, "GET", "o2"),
        (0, "CLIENT", "CACHING", "yes"), (0, "MULTI"), (0, "GET", "o3"), (0, "GET", "o4"), (0, "EXEC"),
        (1, "MSET", "o1", "1", "o2", "2", "o3", "3", "o4", "4"),
        (0, "CLIENT", "TRACKING", "off"), (0, "CLIENT", "TRACKING", "on", "OPTOUT"), (0, "GET", "p1"),
        (0, "CLIENT", "CACHING", "no"), (0, "GET", "p2"), (1, "MSET", "p1", "1", "p2", "2"),
        (0, "CLIENT", "TRACKING", "off"), (0, "CLIENT", "TRACKING", "on", "NOLOOP"),
        (0, "GET", "n1"), (0, "SET", "n1", "x"), (0, "GET", "n1"), (1, "SET", "n1", "y"),
        (0, "CLIENT", "TRACKING", "off"),
    ], fence=[0])


def test_bcast_modes(duo) -> None:  # noqa: F811
    d = duo(2)
    d.run([
        (0, "HELLO", "3"), (0, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"), (0, "CLIENT", "TRACKINGINFO"),
        (0, "SET", "x", "1"), (1, "SET", "y", "1"), (1, "MSET", "b", "1", "a", "2", "c", "3"),
        (0, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"),
        (0, "CLIENT", "TRACKING", "off"), (0, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:"),
        (1, "MSET", "b:2", "1", "a:1", "2", "a:0", "x", "c", "d"),
        (1, "MULTI"), (1, "SET", "a:z", "1"), (1, "SET", "b:z", "1"), (1, "EXEC"),
        (0, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:x"),
        (0, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c", "PREFIX", "cd"),
        (0, "CLIENT", "TRACKINGINFO"), (1, "FLUSHALL"), (0, "CLIENT", "TRACKING", "off"),
    ], fence=[0])


def test_errors(duo) -> None:  # noqa: F811
    d = duo(1)
    d.run([
        (0, "HELLO", "3"), (0, "CLIENT", "TRACKING", "on"), (0, "CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
        (0, "CLIENT", "TRACKING", "on", "BCAST"), (0, "CLIENT", "TRACKING", "off"),
        (0, "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"), (0, "CLIENT", "TRACKING", "on", "PREFIX", "x"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "99999"), (0, "CLIENT", "TRACKING", "on", "REDIRECT", "abc"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id0>", "REDIRECT", "<id0>"),
        (0, "CLIENT", "TRACKING", "on", "FOO"), (0, "CLIENT", "TRACKING", "maybe"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT"), (0, "CLIENT", "TRACKING"), (0, "CLIENT", "CACHING", "yes"),
        (0, "CLIENT", "TRACKING", "on", "OPTIN"), (0, "CLIENT", "TRACKING", "on", "OPTOUT"),
        (0, "CLIENT", "CACHING", "no"), (0, "CLIENT", "CACHING", "maybe"), (0, "CLIENT", "CACHING", "yes"),
        (0, "CLIENT", "TRACKINGINFO"), (0, "CLIENT", "CACHING", "yes", "x"), (0, "CLIENT", "TRACKING", "OFF"),
        (0, "CLIENT", "TRACKING", "on", "noloop", "optout"), (0, "CLIENT", "CACHING", "no"),
        (0, "CLIENT", "TRACKINGINFO"), (0, "HELLO", "2"), (0, "CLIENT", "TRACKINGINFO"),
        (0, "CLIENT", "TRACKING", "off"),
    ], fence=[])


def test_redirect_resp2_resp3_and_broken(duo) -> None:  # noqa: F811
    d = duo(5)  # 0 tracker, 1 writer, 2 RESP2 subscriber target, 3 RESP3 target, 4 target that leaves
    d.run([
        (2, "SUBSCRIBE", "__redis__:invalidate"), (3, "HELLO", "3"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id2>"), (0, "CLIENT", "GETREDIR"),
        (0, "GET", "k1"), (0, "GET", "k2"), (1, "MSET", "k1", "1", "k2", "2"), (0, "GET", "k1"), (1, "FLUSHALL"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id3>"), (0, "GET", "k1"), (0, "SET", "k1", "x"),
        (0, "FLUSHDB"), (0, "HELLO", "3"), (0, "GET", "k1"), (1, "SET", "k1", "y"), (0, "FLUSHDB"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id4>"), (0, "GET", "k1"), (0, "CLIENT", "TRACKINGINFO"),
        (0, "CLIENT", "TRACKING", "off"), (0, "HELLO", "2"),
        (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id3>"), (0, "GET", "k1"), (1, "SET", "k1", "w"),
        (1, "FLUSHALL"), (0, "CLIENT", "TRACKING", "off"),
    ], fence=[0, 2, 3])


def test_broken_redirect(duo) -> None:  # noqa: F811
    d = duo(3)
    d.run([(0, "HELLO", "3"), (0, "CLIENT", "TRACKING", "on", "REDIRECT", "<id2>"), (0, "GET", "k1")], fence=[0])
    for side in (d.ours, d.theirs):
        side.conns[2].close()
        side.conns[1].command("PING")  # let the server see the close
    import time
    time.sleep(0.1)
    d.run([(1, "SET", "k1", "z"), (0, "CLIENT", "TRACKINGINFO"), (0, "GET", "k1"), (0, "SET", "k1", "w"),
           (0, "CLIENT", "TRACKING", "off")], fence=[0])


def test_movable_keys_are_remembered_and_invalidated(duo) -> None:  # noqa: F811
    """Keys found as COMMAND GETKEYS finds them: numkeys commands, SORT_RO, failed reads too."""
    d = duo(2)
    d.run([
        (0, "HELLO", "3"), (0, "CLIENT", "TRACKING", "on"),
        (0, "ZUNION", "2", "tz1", "tz2"), (0, "ZINTER", "1", "tz3", "WEIGHTS", "2"), (0, "ZDIFF", "2", "tz4", "tz5"),
        (0, "ZINTERCARD", "1", "tz6"), (0, "SINTERCARD", "2", "ts1", "ts2", "LIMIT", "1"),
        (0, "SORT_RO", "tl1", "BY", "nosort"), (0, "HSET", "th", "f", "v"), (0, "GET", "th"),
        (0, "ZUNION", "0", "tz7"), (0, "LRANGE", "tl2", "0", "-1"), (0, "ZRANGE", "tz8", "0", "-1"),
        (1, "MSET", "tz1", "1", "tz2", "1", "tz3", "1", "tz4", "1", "tz5", "1", "tz6", "1", "ts1", "1", "ts2", "1",
         "tl1", "1", "th", "1", "tz7", "1"),
        (1, "DEL", "tz1", "tz2", "tz3", "tz4", "tz5", "tz6", "ts1", "ts2", "tl1", "th", "tz7"),
        (1, "RPUSH", "tl3", "3", "1", "2"), (0, "GET", "tz9"), (0, "GET", "tl4"), (0, "GET", "tl3x"),
        (1, "ZUNIONSTORE", "tz9", "1", "tz8"), (1, "ZADD", "tz8", "1", "a"),
        (1, "ZUNIONSTORE", "tz9", "1", "tz8"), (1, "SORT", "tl3", "STORE", "tl4"),
        (0, "LRANGE", "tl3", "0", "-1"), (1, "LMPOP", "2", "tl2", "tl3", "LEFT"),
        (0, "ZRANGE", "tz8", "0", "-1"), (1, "ZMPOP", "1", "tz8", "MIN"),
        (0, "CLIENT", "TRACKING", "off"), (1, "DEL", "tz9", "tl3", "tl4"),
    ], fence=[0])
